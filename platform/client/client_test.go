package client

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// testServiceName is the service name of the backends in the registry.
const testServiceName = "counter"

func writeRegistry(t *testing.T, path string, backends ...*backend) {
	t.Helper()
	s := registry.Snapshot{}
	for _, b := range backends {
		s.Instances = append(s.Instances, registry.Instance{
			ID: b.id, Service: testServiceName, GRPCAddr: b.addr, AdminAddr: "127.0.0.1:1",
		})
	}
	if err := registry.Write(path, s); err != nil {
		t.Fatal(err)
	}
}

func dial(t *testing.T, target string, opts Options, extra ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	if opts.Services == nil {
		opts.Services = []protoreflect.ServiceDescriptor{testServiceDescriptor(t)}
	}
	cc, err := Dial(target, opts, extra...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// callMany makes n Get calls and counts the answers per instance id.
func callMany(t *testing.T, cc *grpc.ClientConn, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		id, err := call(cc, methodGet)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		seen[id]++
	}
	return seen
}

// callUntil makes Get calls until done(id) holds for the answering instance
// or for the whole window, failing the test after limit.
func callUntil(t *testing.T, cc *grpc.ClientConn, limit time.Duration, what string, done func(id string) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		id, err := call(cc, methodGet)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if done(id) {
			return
		}
	}
	t.Fatalf("%s: not within %v", what, limit)
}

func TestRoundRobinFollowsRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	b1, b2, b3 := startBackend(t, "counter-1"), startBackend(t, "counter-2"), startBackend(t, "counter-3")
	writeRegistry(t, path, b1, b2)
	cc := dial(t, Target(testServiceName, ""), Options{Registry: path})

	// Both instances connect; then calls alternate between them.
	seen := map[string]bool{}
	callUntil(t, cc, 2*time.Second, "both instances answer", func(id string) bool {
		seen[id] = true
		return len(seen) == 2
	})
	spread := callMany(t, cc, 40)
	if spread[b1.id] < 15 || spread[b2.id] < 15 {
		t.Fatalf("40 calls over 2 instances spread as %v, want about 20 each", spread)
	}

	// A third instance starts receiving calls within a second.
	writeRegistry(t, path, b1, b2, b3)
	callUntil(t, cc, time.Second, "new instance answers", func(id string) bool { return id == b3.id })
	spread = callMany(t, cc, 30)
	for _, b := range []*backend{b1, b2, b3} {
		if spread[b.id] < 7 {
			t.Fatalf("30 calls over 3 instances spread as %v, want about 10 each", spread)
		}
	}

	// A removed instance receives no more calls: wait for a window of 30
	// calls without it (round robin would send it 10), then check 30 more.
	writeRegistry(t, path, b2, b3)
	window := 0
	callUntil(t, cc, 2*time.Second, "removed instance stops answering", func(id string) bool {
		window++
		if id == b1.id {
			window = 0
		}
		return window == 30
	})
	before := b1.count(methodGet)
	spread = callMany(t, cc, 30)
	if got := b1.count(methodGet) - before; got != 0 || spread[b2.id] < 10 || spread[b3.id] < 10 {
		t.Fatalf("after removal: removed instance got %d calls, spread %v", got, spread)
	}
}

func TestCorruptRegistryKeepsServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	b1, b2 := startBackend(t, "counter-1"), startBackend(t, "counter-2")
	writeRegistry(t, path, b1, b2)
	cc := dial(t, Target(testServiceName, ""), Options{Registry: path})
	seen := map[string]bool{}
	callUntil(t, cc, 2*time.Second, "both instances answer", func(id string) bool {
		seen[id] = true
		return len(seen) == 2
	})

	if err := os.WriteFile(path, []byte(`{"instances": [{"id": `), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * registry.DefaultPoll) // the resolver has seen the corrupt file
	spread := callMany(t, cc, 20)
	if spread[b1.id] < 5 || spread[b2.id] < 5 {
		t.Fatalf("with a corrupt registry 20 calls spread as %v, want both last good instances used", spread)
	}
}

func TestNoInstanceFailsFast(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"missing registry file", func(*testing.T, string) {}},
		{"no instance of the service", func(t *testing.T, path string) {
			err := registry.Write(path, registry.Snapshot{Instances: []registry.Instance{
				{ID: "other-1", Service: "other", GRPCAddr: "127.0.0.1:1"},
			}})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt registry file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "registry.json")
			tt.setup(t, path)
			cc := dial(t, Target(testServiceName, ""), Options{Registry: path})
			start := time.Now()
			_, err := call(cc, methodGet) // 2s deadline
			if status.Code(err) != codes.Unavailable {
				t.Fatalf("Get error = %v, want UNAVAILABLE", err)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("Get failed after %v, want it to fail fast", elapsed)
			}
		})
	}
}

func TestHealthCheckingSkipsNotServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	b1, b2 := startBackend(t, "counter-1"), startBackend(t, "counter-2")
	b2.health.set(healthpb.HealthCheckResponse_NOT_SERVING)
	writeRegistry(t, path, b1, b2)
	cc := dial(t, Target(testServiceName, ""), Options{Registry: path})

	if spread := callMany(t, cc, 20); spread[b1.id] != 20 {
		t.Fatalf("with instance 2 NOT_SERVING 20 calls spread as %v, want all on instance 1", spread)
	}
	b2.health.set(healthpb.HealthCheckResponse_SERVING)
	callUntil(t, cc, 2*time.Second, "instance back to SERVING answers", func(id string) bool { return id == b2.id })
}

func TestRetryOnlyIdempotentMethods(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		maxAttempts  int
		failures     int
		failCode     codes.Code
		wantCode     codes.Code
		wantAttempts int
	}{
		{"no side effects retried", methodGet, 0, 1, codes.Unavailable, codes.OK, 2},
		{"idempotent retried", methodPut, 0, 1, codes.Unavailable, codes.OK, 2},
		{"unmarked not retried", methodAdd, 0, 1, codes.Unavailable, codes.Unavailable, 1},
		{"resource exhausted not retried", methodGet, 0, 1, codes.ResourceExhausted, codes.ResourceExhausted, 1},
		{"internal not retried", methodPut, 0, 1, codes.Internal, codes.Internal, 1},
		{"attempts capped", methodGet, 0, 10, codes.Unavailable, codes.Unavailable, 3},
		{"attempts configured", methodGet, 4, 10, codes.Unavailable, codes.Unavailable, 4},
		{"retries disabled", methodGet, 1, 1, codes.Unavailable, codes.Unavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBackend(t, "counter-1")
			cc := dial(t, b.addr, Options{RetryMaxAttempts: tt.maxAttempts})
			if _, err := call(cc, methodGet); err != nil { // connect first
				t.Fatalf("warm-up Get: %v", err)
			}
			before := b.count(tt.method)
			b.failNext(tt.failures, tt.failCode)
			_, err := call(cc, tt.method)
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("%s error = %v, want code %v", tt.method, err, tt.wantCode)
			}
			if got := b.count(tt.method) - before; got != tt.wantAttempts {
				t.Errorf("%s reached the server %d times, want %d", tt.method, got, tt.wantAttempts)
			}
		})
	}
}

func TestDefaultDeadline(t *testing.T) {
	tests := []struct {
		name           string
		defaultTimeout time.Duration
		callerTimeout  time.Duration // 0 = no caller deadline
		wantMin        time.Duration
		wantMax        time.Duration
	}{
		{"default applied", 0, 0, 1500 * time.Millisecond, DefaultTimeout},
		{"configured default applied", 700 * time.Millisecond, 0, 200 * time.Millisecond, 700 * time.Millisecond},
		{"longer caller deadline wins", 0, 10 * time.Second, 5 * time.Second, 10 * time.Second},
		{"shorter caller deadline wins", 0, 300 * time.Millisecond, 1, 300 * time.Millisecond},
	}
	b := startBackend(t, "counter-1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := dial(t, b.addr, Options{DefaultTimeout: tt.defaultTimeout})
			ctx := context.Background()
			if tt.callerTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.callerTimeout)
				defer cancel()
			}
			if err := cc.Invoke(ctx, fullMethod(methodGet), wrapperspb.String("x"), new(wrapperspb.StringValue)); err != nil {
				t.Fatalf("Get: %v", err)
			}
			if left := b.lastTimeLeft(); left < tt.wantMin || left > tt.wantMax {
				t.Errorf("server saw %v left on the deadline, want between %v and %v", left, tt.wantMin, tt.wantMax)
			}
		})
	}
}

func TestDialAppliesExtraOptions(t *testing.T) {
	b := startBackend(t, "counter-1")
	var sawDeadline bool
	spy := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		_, sawDeadline = ctx.Deadline()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	cc := dial(t, b.addr, Options{}, grpc.WithChainUnaryInterceptor(spy))
	if err := cc.Invoke(context.Background(), fullMethod(methodGet), wrapperspb.String("x"), new(wrapperspb.StringValue)); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !sawDeadline {
		t.Error("extra interceptor did not run after the default deadline was set")
	}
}

func TestMessageSizeLimit(t *testing.T) {
	b := startBackend(t, "counter-1")
	cc := dial(t, b.addr, Options{MaxMsgBytes: 1024})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	big := wrapperspb.String(strings.Repeat("x", 2048))
	err := cc.Invoke(ctx, fullMethod(methodGet), big, new(wrapperspb.StringValue))
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized Get error = %v, want RESOURCE_EXHAUSTED", err)
	}
	if n := b.count(methodGet); n != 0 {
		t.Errorf("oversized message reached the server %d times", n)
	}
}

func TestDialRegistryTargetNeedsRegistry(t *testing.T) {
	_, err := Dial("registry:///catalog", Options{})
	if err == nil || !strings.Contains(err.Error(), "Registry") {
		t.Errorf("Dial error = %v, want one naming Options.Registry", err)
	}
}

func TestTarget(t *testing.T) {
	tests := []struct{ name, override, want string }{
		{"catalog", "", "registry:///catalog"},
		{"catalog", "dns:///catalog:9000", "dns:///catalog:9000"},
		{"catalog", "127.0.0.1:9000", "127.0.0.1:9000"},
	}
	for _, tt := range tests {
		if got := Target(tt.name, tt.override); got != tt.want {
			t.Errorf("Target(%q, %q) = %q, want %q", tt.name, tt.override, got, tt.want)
		}
	}
}
