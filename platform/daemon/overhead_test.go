package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sort"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/bazaar-shop/bazaar/platform/client"
	"github.com/bazaar-shop/bazaar/platform/resilience"
	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
	"github.com/bazaar-shop/bazaar/platform/server"
	"github.com/bazaar-shop/bazaar/platform/telemetry"
)

// The platform's overhead: one unary call through Bazaar's client and
// server stacks as a service runs them (telemetry: metrics, tracing,
// logging context; resilience: deadline, budget, priority, bulkhead,
// shedding, ejecting balancer) against the same call on bare grpc-go,
// both over loopback TCP in this process, in the same run. `make bench`
// compares the two sub-benchmarks' ns/op, p50 and allocs/op.

const benchMethod = "/bazaar.bench.v1.Echo/Echo"

type echoer interface{ isEchoer() }

type echoImpl struct{}

func (echoImpl) isEchoer() {}

func echoDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "bazaar.bench.v1.Echo",
		HandlerType: (*echoer)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Echo",
			Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
				in := new(wrapperspb.StringValue)
				if err := dec(in); err != nil {
					return nil, err
				}
				h := func(_ context.Context, req any) (any, error) { return req, nil }
				if ic == nil {
					return h(ctx, in)
				}
				return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: benchMethod}, h)
			},
		}},
	}
}

// BenchmarkUnaryCall runs the same call on bare grpc-go as it comes,
// on Bazaar's stack, and on bare grpc-go with the fixed flow-control
// window Bazaar sets (which turns off grpc-go's bandwidth-delay PINGs),
// so the report separates what the window saves from what the rest of
// the stack costs.
func BenchmarkUnaryCall(b *testing.B) {
	b.Run("stack=grpc", func(b *testing.B) { runCalls(b, bareConn(b, nil, nil)) })
	b.Run("stack=bazaar", func(b *testing.B) { runCalls(b, bazaarConn(b)) })
	window := int32(1 << 20) // as platform/server and platform/client set it
	b.Run("stack=grpc-window", func(b *testing.B) {
		runCalls(b, bareConn(b,
			[]grpc.ServerOption{grpc.InitialWindowSize(window), grpc.InitialConnWindowSize(window)},
			[]grpc.DialOption{grpc.WithInitialWindowSize(window), grpc.WithInitialConnWindowSize(window)}))
	})
}

// runCalls makes b.N calls one after another and reports their p50 and
// p99 besides the mean.
func runCalls(b *testing.B, conn *grpc.ClientConn) {
	ctx := context.Background()
	in, out := wrapperspb.String("hello, bazaar"), new(wrapperspb.StringValue)
	for range 200 { // connect and warm up
		if err := conn.Invoke(ctx, benchMethod, in, out); err != nil {
			b.Fatal(err)
		}
	}
	took := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := conn.Invoke(ctx, benchMethod, in, out); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

func bareConn(b *testing.B, serverOpts []grpc.ServerOption, dialOpts []grpc.DialOption) *grpc.ClientConn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(serverOpts...)
	srv.RegisterService(echoDesc(), echoImpl{})
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(ln.Addr().String(), append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}

func bazaarConn(b *testing.B) *grpc.ClientConn {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	tel, err := telemetry.New(ctx, telemetry.Options{Service: "bench", Instance: "bench-1", LogLevel: slog.LevelInfo, LogOutput: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	shedder := resilience.NewShedder(resilience.ShedConfig{})
	srv, err := server.New(server.Config{GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
		UnaryInterceptors: serverInterceptors(ctx, Settings{Service: "bench"}, shedder)}, tel)
	if err != nil {
		b.Fatal(err)
	}
	srv.GRPC().RegisterService(echoDesc(), echoImpl{})
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-srv.Ready():
	case err := <-done:
		b.Fatal(err)
	}
	ejection.Register() // as every binary's main does
	conn, err := client.Dial(srv.GRPCAddr().String(), client.Options{From: "caller"}, tel.DialOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn
}
