package resilience

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"
)

// seen is what a test server's handler observed of one call.
type seen struct {
	priority Priority
	deadline time.Time
}

// serve starts a gRPC server with the server interceptors and a handler
// that records what it saw and runs work, and returns a client connection
// to it with the client interceptors.
func serve(t *testing.T, clientICs []grpc.UnaryClientInterceptor, serverICs []grpc.UnaryServerInterceptor, work func(ctx context.Context)) (*grpc.ClientConn, <-chan seen) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	calls := make(chan seen, 100)
	// Unary interceptors run only on registered unary methods: register one.
	desc := grpc.ServiceDesc{
		ServiceName: "test.Svc",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Do", Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				dl, _ := ctx.Deadline()
				calls <- seen{priority: PriorityFrom(ctx), deadline: dl}
				if work != nil {
					work(ctx)
				}
				return new(emptypb.Empty), nil
			}
			if ic == nil {
				return h(ctx, in)
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: "/test.Svc/Do"}, h)
		}}},
	}
	s := grpc.NewServer(grpc.ChainUnaryInterceptor(serverICs...))
	s.RegisterService(&desc, struct{}{})
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(clientICs...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc, calls
}

func do(ctx context.Context, cc *grpc.ClientConn) error {
	return cc.Invoke(ctx, "/test.Svc/Do", new(emptypb.Empty), new(emptypb.Empty))
}

func TestPriorityTravelsToTheServerHandler(t *testing.T) {
	cc, calls := serve(t,
		[]grpc.UnaryClientInterceptor{PropagatePriority()},
		[]grpc.UnaryServerInterceptor{ReceivePriority()}, nil)
	for _, p := range []Priority{Sheddable, Default, Critical} {
		if err := do(WithPriority(t.Context(), p), cc); err != nil {
			t.Fatal(err)
		}
		if got := (<-calls).priority; got != p {
			t.Errorf("handler saw priority %v, want %v", got, p)
		}
	}
}

func TestParsePriority(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Priority
	}{{"critical", Critical}, {"sheddable", Sheddable}, {"default", Default}, {"CRITICAL", Default}, {"", Default}, {"urgent", Default}} {
		if got := ParsePriority(tt.in); got != tt.want {
			t.Errorf("ParsePriority(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if tt.want.String() != "default" && ParsePriority(tt.want.String()) != tt.want {
			t.Errorf("%v does not round-trip", tt.want)
		}
	}
}

func TestClientBudgetRefusesACallWithNoTimeLeft(t *testing.T) {
	cc, calls := serve(t, []grpc.UnaryClientInterceptor{ClientBudget()}, nil, nil)
	ctx, cancel := context.WithTimeout(t.Context(), MinHopBudget/2)
	defer cancel()
	if err := do(ctx, cc); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("call with %v left: %v, want DEADLINE_EXCEEDED", MinHopBudget/2, err)
	}
	select {
	case <-calls:
		t.Error("the call reached the server")
	default:
	}
	ctx, cancel = context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := do(ctx, cc); err != nil {
		t.Errorf("call with a second left: %v", err)
	}
}

func TestServerBudgetKeepsAReserveOfTheCallersDeadline(t *testing.T) {
	cc, calls := serve(t, nil, []grpc.UnaryServerInterceptor{ServerBudget()}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	callerDeadline, _ := ctx.Deadline()
	if err := do(ctx, cc); err != nil {
		t.Fatal(err)
	}
	got := (<-calls).deadline
	// A tenth of ~1 s, capped at 20 ms: the handler's deadline is ~20 ms
	// before the caller's.
	if gap := callerDeadline.Sub(got); gap < 15*time.Millisecond || gap > 100*time.Millisecond {
		t.Errorf("handler deadline %v before the caller's, want about %v", gap, maxServerReserve)
	}
}

func TestServerBudgetDoesNoWorkAfterTheDeadline(t *testing.T) {
	// The first interceptor stands in for time spent before the handler
	// (a queue, a slow hop): it waits out the deadline.
	wait := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		<-ctx.Done()
		return h(ctx, req)
	}
	cc, calls := serve(t, nil, []grpc.UnaryServerInterceptor{wait, ServerBudget()}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := do(ctx, cc); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("call: %v, want DEADLINE_EXCEEDED", err)
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case <-calls:
		t.Error("the handler ran after the deadline had passed")
	default:
	}
}

func TestBulkheadFailsFastWhenFull(t *testing.T) {
	release := make(chan struct{})
	cc, calls := serve(t, []grpc.UnaryClientInterceptor{Bulkhead("test", 2)}, nil, func(ctx context.Context) { <-release })
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- do(t.Context(), cc) }()
	}
	<-calls
	<-calls // both slots taken
	start := time.Now()
	err := do(t.Context(), cc)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third call: %v, want RESOURCE_EXHAUSTED", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("refusal took %v, want immediate", took)
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("held call: %v", err)
		}
	}
	if err := do(t.Context(), cc); err != nil {
		t.Errorf("call after the slots freed: %v", err)
	}
}

func TestShedUnaryRefusesWithResourceExhausted(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := NewShedder(ShedConfig{CPU: &fakeCPU{usage: 1}, Now: clk.now, MinLimit: 1})
	release := make(chan struct{})
	cc, calls := serve(t, []grpc.UnaryClientInterceptor{PropagatePriority()},
		[]grpc.UnaryServerInterceptor{ShedUnary(s), ReceivePriority()}, func(ctx context.Context) { <-release })
	held := make(chan error, 1)
	go func() { held <- do(t.Context(), cc) }()
	<-calls
	err := do(t.Context(), cc)
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("default call over capacity: %v, want RESOURCE_EXHAUSTED", err)
	}
	go func() { held <- do(WithPriority(t.Context(), Critical), cc) }()
	<-calls // critical gets twice the share: admitted
	close(release)
	for range 2 {
		if err := <-held; err != nil {
			t.Errorf("admitted call: %v", err)
		}
	}
}

// TestServerUnaryShedsBudgetsAndPassesPriority: the three server
// interceptors in one do what each does alone.
func TestServerUnaryShedsBudgetsAndPassesPriority(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := NewShedder(ShedConfig{CPU: &fakeCPU{usage: 1}, Now: clk.now, MinLimit: 1})
	release := make(chan struct{})
	cc, calls := serve(t, []grpc.UnaryClientInterceptor{PropagatePriority()},
		[]grpc.UnaryServerInterceptor{ServerUnary(s)}, func(ctx context.Context) { <-release })
	ctx, cancel := context.WithTimeout(WithPriority(t.Context(), Critical), time.Second)
	defer cancel()
	callerDeadline, _ := ctx.Deadline()
	held := make(chan error, 1)
	go func() { held <- do(ctx, cc) }()
	got := <-calls
	if got.priority != Critical {
		t.Errorf("handler saw priority %v, want critical", got.priority)
	}
	if gap := callerDeadline.Sub(got.deadline); gap < 15*time.Millisecond || gap > 100*time.Millisecond {
		t.Errorf("handler deadline %v before the caller's, want about %v", gap, maxServerReserve)
	}
	if err := do(t.Context(), cc); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("default call over capacity: %v, want RESOURCE_EXHAUSTED", err)
	}
	close(release)
	if err := <-held; err != nil {
		t.Errorf("admitted call: %v", err)
	}
	if s.InFlight() != 0 {
		t.Errorf("in flight after the calls ended: %d", s.InFlight())
	}
}
