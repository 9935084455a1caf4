package ejection_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/bazaar-shop/bazaar/platform/resilience/ejection"
)

func TestMain(m *testing.M) {
	ejection.Register()
	os.Exit(m.Run())
}

// backend is a real gRPC server that answers every method, failing with
// failCode while set.
type backend struct {
	addr     string
	calls    atomic.Int64
	mu       sync.Mutex
	failCode codes.Code
}

func (b *backend) setFailing(c codes.Code) { b.mu.Lock(); b.failCode = c; b.mu.Unlock() }

func (b *backend) handle(_ any, stream grpc.ServerStream) error {
	b.calls.Add(1)
	if err := stream.RecvMsg(new(emptypb.Empty)); err != nil {
		return err
	}
	b.mu.Lock()
	c := b.failCode
	b.mu.Unlock()
	if c != codes.OK {
		return status.Error(c, "backend told to fail")
	}
	return stream.SendMsg(new(emptypb.Empty))
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{addr: lis.Addr().String()}
	s := grpc.NewServer(grpc.UnknownServiceHandler(b.handle))
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return b
}

// dial connects to the backends with the ejecting policy.
func dial(t *testing.T, bs ...*backend) *grpc.ClientConn {
	t.Helper()
	r := manual.NewBuilderWithScheme("test")
	var eps []resolver.Endpoint
	for _, b := range bs {
		eps = append(eps, resolver.Endpoint{Addresses: []resolver.Address{{Addr: b.addr}}})
	}
	r.InitialState(resolver.State{Endpoints: eps})
	cc, err := grpc.NewClient("test:///x",
		grpc.WithResolvers(r),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(fmt.Sprintf(`{"loadBalancingConfig":[{%q:{}}]}`, ejection.Name)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	// Connect every instance before the test counts calls.
	deadline := time.Now().Add(5 * time.Second)
	for _, b := range bs {
		for b.calls.Load() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("instance %s never got a call; last error: %v", b.addr, invoke(cc))
			}
			_ = invoke(cc)
		}
	}
	for _, b := range bs {
		b.calls.Store(0)
	}
	return cc
}

func invoke(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cc.Invoke(ctx, "/test.Svc/Do", new(emptypb.Empty), new(emptypb.Empty))
}

func TestFailingInstanceIsEjectedAndReturnsOnceHealthy(t *testing.T) {
	good, bad := startBackend(t), startBackend(t)
	cc := dial(t, good, bad)
	bad.setFailing(codes.Unavailable)

	failures := 0
	for range 200 {
		if invoke(cc) != nil {
			failures++
		}
	}
	// Round robin sends every other call to bad until its fifth failure in a
	// row ejects it; after that at most a probe every ejection period.
	if failures < ejection.FailuresToEject || failures > ejection.FailuresToEject+3 {
		t.Errorf("%d of 200 calls failed, want about %d (then bad is ejected)", failures, ejection.FailuresToEject)
	}
	if got := bad.calls.Load(); got > ejection.FailuresToEject+3 {
		t.Errorf("ejected instance got %d calls", got)
	}

	bad.setFailing(codes.OK)
	bad.calls.Store(0)
	// Back in rotation after its ejection (at most MaxEjection) and a probe.
	deadline := time.Now().Add(ejection.MaxEjection + 2*time.Second)
	for bad.calls.Load() < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("healed instance got %d calls within %v, want it back in rotation", bad.calls.Load(), ejection.MaxEjection+2*time.Second)
		}
		if err := invoke(cc); err != nil {
			t.Fatalf("call after healing: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWhenEveryInstanceIsEjectedCallsFailFast(t *testing.T) {
	b := startBackend(t)
	cc := dial(t, b)
	b.setFailing(codes.DeadlineExceeded)
	for range ejection.FailuresToEject {
		_ = invoke(cc)
	}
	before := b.calls.Load()
	start := time.Now()
	err := invoke(cc)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("call with every instance ejected: %v, want UNAVAILABLE", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("call took %v, want an immediate refusal", took)
	}
	if b.calls.Load() != before {
		t.Error("the refused call reached the ejected instance")
	}
}

func TestRefusalsAndCallerErrorsDoNotEject(t *testing.T) {
	for _, c := range []codes.Code{codes.ResourceExhausted, codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition} {
		t.Run(c.String(), func(t *testing.T) {
			b := startBackend(t)
			cc := dial(t, b)
			b.setFailing(c)
			for range 3 * ejection.FailuresToEject {
				if err := invoke(cc); status.Code(err) != c {
					t.Fatalf("call: %v, want %v from the instance (not ejected)", err, c)
				}
			}
		})
	}
}
