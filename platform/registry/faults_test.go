package registry

import (
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/resolver"
)

func TestFaultsRoundTripWithLatencyInMilliseconds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	snap := Snapshot{
		Instances: []Instance{inst("cart-1", "cart", "127.0.0.1:1001")},
		Faults: []Fault{
			{From: "cart", To: "payment", Latency: 250 * time.Millisecond, ErrorRate: 0.3},
			{From: "orders", To: "inventory", Blackhole: true},
		},
	}
	if err := Write(path, snap); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"latency_ms": 250`) || !strings.Contains(string(raw), `"error_rate": 0.3`) {
		t.Errorf("file does not hold latency_ms 250 and error_rate 0.3:\n%s", raw)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, snap) {
		t.Errorf("Read = %+v, want %+v", got, snap)
	}
	if f, ok := got.Fault("cart", "payment"); !ok || f.ErrorRate != 0.3 {
		t.Errorf("Fault(cart, payment) = %+v, %v", f, ok)
	}
	if _, ok := got.Fault("payment", "cart"); ok {
		t.Error("Fault(payment, cart) found a rule: rules are directed")
	}
}

func TestInvalidFaultsAreRejected(t *testing.T) {
	tests := []struct {
		name   string
		faults []Fault
		want   string
	}{
		{"no from", []Fault{{To: "payment", Blackhole: true}}, "both services"},
		{"no to", []Fault{{From: "cart", Blackhole: true}}, "both services"},
		{"negative latency", []Fault{{From: "a", To: "b", Latency: -time.Millisecond}}, "latency"},
		{"huge latency", []Fault{{From: "a", To: "b", Latency: time.Hour}}, "latency"},
		{"error rate above 1", []Fault{{From: "a", To: "b", ErrorRate: 1.5}}, "error rate"},
		{"negative error rate", []Fault{{From: "a", To: "b", ErrorRate: -0.1}}, "error rate"},
		{"NaN error rate", []Fault{{From: "a", To: "b", ErrorRate: math.NaN()}}, "error rate"},
		{"no effect", []Fault{{From: "a", To: "b"}}, "no effect"},
		{"duplicate pair", []Fault{{From: "a", To: "b", Blackhole: true}, {From: "a", To: "b", ErrorRate: 1}}, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "registry.json")
			err := Write(path, Snapshot{Faults: tt.faults})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write = %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("an invalid snapshot was written (stat: %v)", err)
			}
		})
	}
}

func TestFaultString(t *testing.T) {
	f := Fault{From: "cart", To: "payment", Latency: 200 * time.Millisecond, ErrorRate: 0.25}
	if got, want := f.String(), "cart->payment latency 200ms errors 25%"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestWatcherKeepsLastGoodSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	w := NewWatcher(path)
	if _, ok := w.Fault("cart", "payment"); ok {
		t.Fatal("empty watcher has a rule")
	}
	rule := Fault{From: "cart", To: "payment", ErrorRate: 1}
	if err := Write(path, Snapshot{Faults: []Fault{rule}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(); err != nil {
		t.Fatal(err)
	}
	if got, ok := w.Fault("cart", "payment"); !ok || got != rule {
		t.Fatalf("Fault = %+v, %v; want %+v", got, ok, rule)
	}
	if err := os.WriteFile(path, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(); err == nil {
		t.Fatal("Load of a corrupt file succeeded")
	}
	if _, ok := w.Fault("cart", "payment"); !ok {
		t.Error("a corrupt file dropped the last good rules")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.Fault("cart", "payment"); ok {
		t.Error("a missing file (empty registry) kept the rule")
	}
}

func TestResolverSharesWhatItReadsWithItsWatcher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	write(t, path, inst("catalog-1", "catalog", "127.0.0.1:1001"))
	w := NewWatcher(path)
	u, err := url.Parse("registry:///catalog")
	if err != nil {
		t.Fatal(err)
	}
	cc := newFakeCC()
	r, err := w.ResolverBuilder(10*time.Millisecond).Build(resolver.Target{URL: *u}, cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cc.wantAddrs(t, "127.0.0.1:1001")

	// A new rule alone changes the file: the resolver reads it, pushes
	// nothing (the addresses are the same) and the watcher has the rule.
	rule := Fault{From: "storefront", To: "catalog", Latency: time.Second}
	err = Write(path, Snapshot{Instances: []Instance{inst("catalog-1", "catalog", "127.0.0.1:1001")}, Faults: []Fault{rule}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if got, ok := w.Fault("storefront", "catalog"); ok && got == rule {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not get the rule the resolver read")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cc.wantNothing(t, 50*time.Millisecond)
}
