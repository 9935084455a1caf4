package supervisor

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

func TestFaultRulesArePublishedInTheRegistry(t *testing.T) {
	s := newTestSupervisor(t)
	for _, name := range []string{"cart", "payment", "orders"} {
		spec := fakeSpec(t, "ok")
		spec.Name = name
		if _, err := s.Start(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
	}
	published := func() []registry.Fault {
		t.Helper()
		snap, err := registry.Read(s.RegistryPath())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Instances) != 3 {
			t.Fatalf("registry lists %d instances with the rules, want 3", len(snap.Instances))
		}
		return snap.Faults
	}
	slow := registry.Fault{From: "cart", To: "payment", Latency: 200 * time.Millisecond}
	flaky := registry.Fault{From: "orders", To: "payment", ErrorRate: 0.3}
	for _, f := range []registry.Fault{slow, flaky} {
		if err := s.SetFault(f); err != nil {
			t.Fatalf("SetFault(%v): %v", f, err)
		}
	}
	if got, want := published(), []registry.Fault{slow, flaky}; !reflect.DeepEqual(got, want) {
		t.Fatalf("published rules = %v, want %v", got, want)
	}
	// The same pair again replaces its rule.
	dead := registry.Fault{From: "cart", To: "payment", Blackhole: true}
	if err := s.SetFault(dead); err != nil {
		t.Fatal(err)
	}
	if got, want := published(), []registry.Fault{dead, flaky}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after replacing cart->payment rules = %v, want %v", got, want)
	}
	if got := s.Faults(); !reflect.DeepEqual(got, []registry.Fault{dead, flaky}) {
		t.Errorf("Faults() = %v", got)
	}

	if err := s.ClearFaults("cart", "payment"); err != nil {
		t.Fatal(err)
	}
	if got, want := published(), []registry.Fault{flaky}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after clearing cart->payment rules = %v, want %v", got, want)
	}
	if err := s.ClearFaults("", ""); err != nil {
		t.Fatal(err)
	}
	if got := published(); len(got) != 0 {
		t.Fatalf("after clearing all rules = %v, want none", got)
	}
}

func TestBadFaultRulesAreRejected(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 1)
	set := []struct {
		name string
		f    registry.Fault
		want error
	}{
		{"unknown caller", registry.Fault{From: "nope", To: "fake", Blackhole: true}, ErrUnknown},
		{"unknown target", registry.Fault{From: "fake", To: "nope", Blackhole: true}, ErrUnknown},
		{"no effect", registry.Fault{From: "fake", To: "fake"}, ErrInvalid},
		{"error rate above 1", registry.Fault{From: "fake", To: "fake", ErrorRate: 2}, ErrInvalid},
	}
	for _, tt := range set {
		if err := s.SetFault(tt.f); !errors.Is(err, tt.want) {
			t.Errorf("SetFault %s = %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := s.ClearFaults("fake", "fake"); !errors.Is(err, ErrUnknown) {
		t.Errorf("clearing a rule that does not exist = %v, want ErrUnknown", err)
	}
	if err := s.ClearFaults("fake", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("clearing with one service = %v, want ErrInvalid", err)
	}
	if got := s.Faults(); len(got) != 0 {
		t.Errorf("rejected rules are in force: %v", got)
	}
}
