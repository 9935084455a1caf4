package client

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// writeFaults writes a registry of backends with fault rules.
func writeFaults(t *testing.T, path string, faults []registry.Fault, backends ...*backend) {
	t.Helper()
	s := registry.Snapshot{Faults: faults}
	for _, b := range backends {
		s.Instances = append(s.Instances, registry.Instance{ID: b.id, Service: testServiceName, GRPCAddr: b.addr, AdminAddr: "127.0.0.1:1"})
	}
	if err := registry.Write(path, s); err != nil {
		t.Fatal(err)
	}
}

// timedCall makes one Get with the given deadline and reports its error and
// duration.
func timedCall(cc *grpc.ClientConn, deadline time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := cc.Invoke(ctx, fullMethod(methodGet), wrapperspb.String("x"), new(wrapperspb.StringValue))
	return time.Since(start), err
}

func TestFaultRulesAreInjectedByTheCaller(t *testing.T) {
	const caller = "storefront"
	tests := []struct {
		name        string
		from        string // Options.From
		rule        registry.Fault
		deadline    time.Duration
		wantCode    codes.Code
		wantMsg     string
		minElapsed  time.Duration
		maxElapsed  time.Duration
		wantReached bool
	}{
		{"latency delays the call", caller, registry.Fault{From: caller, To: testServiceName, Latency: 300 * time.Millisecond},
			2 * time.Second, codes.OK, "", 300 * time.Millisecond, 1500 * time.Millisecond, true},
		{"latency past the deadline ends at the deadline", caller, registry.Fault{From: caller, To: testServiceName, Latency: 10 * time.Second},
			200 * time.Millisecond, codes.DeadlineExceeded, "", 150 * time.Millisecond, time.Second, false},
		{"an error rate is left to the callee", caller, registry.Fault{From: caller, To: testServiceName, ErrorRate: 1},
			2 * time.Second, codes.OK, "", 0, 500 * time.Millisecond, true},
		{"blackhole waits for the deadline", caller, registry.Fault{From: caller, To: testServiceName, Blackhole: true},
			300 * time.Millisecond, codes.DeadlineExceeded, "", 250 * time.Millisecond, 1500 * time.Millisecond, false},
		{"a rule for another caller is not applied", caller, registry.Fault{From: "orders", To: testServiceName, Blackhole: true},
			2 * time.Second, codes.OK, "", 0, 500 * time.Millisecond, true},
		{"a rule for another target is not applied", caller, registry.Fault{From: caller, To: "payment", Blackhole: true},
			2 * time.Second, codes.OK, "", 0, 500 * time.Millisecond, true},
		{"a caller without From applies no rule", "", registry.Fault{From: caller, To: testServiceName, Blackhole: true},
			2 * time.Second, codes.OK, "", 0, 500 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "registry.json")
			b := startBackend(t, "counter-1")
			writeFaults(t, path, []registry.Fault{tt.rule}, b)
			cc := dial(t, Target(testServiceName, ""), Options{Registry: path, From: tt.from})
			took, err := timedCall(cc, tt.deadline)
			if got := status.Code(err); got != tt.wantCode || !strings.Contains(status.Convert(err).Message(), tt.wantMsg) {
				t.Fatalf("Get error = %v, want code %v with %q", err, tt.wantCode, tt.wantMsg)
			}
			if took < tt.minElapsed || took > tt.maxElapsed {
				t.Errorf("Get took %v, want between %v and %v", took, tt.minElapsed, tt.maxElapsed)
			}
			if reached := b.count(methodGet) > 0; reached != tt.wantReached {
				t.Errorf("call reached the server: %v, want %v", reached, tt.wantReached)
			}
		})
	}
}

func TestFaultRulesFollowTheRegistryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	b := startBackend(t, "counter-1")
	writeFaults(t, path, nil, b)
	cc := dial(t, Target(testServiceName, ""), Options{Registry: path, From: "cart"})
	if _, err := call(cc, methodGet); err != nil {
		t.Fatalf("Get without a rule: %v", err)
	}

	waitCode := func(what string, want codes.Code) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			_, err := timedCall(cc, 100*time.Millisecond)
			if status.Code(err) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: last Get error %v, want code %v", what, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	writeFaults(t, path, []registry.Fault{{From: "cart", To: testServiceName, Blackhole: true}}, b)
	waitCode("rule added", codes.DeadlineExceeded)
	writeFaults(t, path, nil, b)
	waitCode("rule cleared", codes.OK)
}
