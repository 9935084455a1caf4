package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/load"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Experiment
		wantErr string
	}{
		{in: "kill:orders", want: Experiment{Kind: Kill, Service: "orders"}},
		{in: "kill:nats", want: Experiment{Kind: Kill, Service: "nats"}},
		{in: "pause:catalog", want: Experiment{Kind: Pause, Service: "catalog"}},
		{in: "latency:storefront->pricing", want: Experiment{Kind: Latency, From: "storefront", Service: "pricing"}},
		{in: "blackhole:orders->payment", want: Experiment{Kind: Blackhole, From: "orders", Service: "payment"}},
		{in: "errors:storefront->catalog", want: Experiment{Kind: Errors, From: "storefront", Service: "catalog"}},
		{in: "disk-full:orders", want: Experiment{Kind: DiskFull, Service: "orders"}},
		{in: "overload", want: Experiment{Kind: Overload}},
		{in: "kill:ordrs", wantErr: `unknown component "ordrs"`},
		{in: "latency:payment->orders", wantErr: "payment does not call orders"},
		{in: "latency:storefront", wantErr: "want latency:FROM->TO"},
		{in: "disk-full:storefront", wantErr: "keeps no data"},
		{in: "overload:orders", wantErr: "takes no target"},
		{in: "melt:orders", wantErr: `unknown kind "melt"`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		case got.Name() != tt.in:
			t.Errorf("Parse(%q).Name() = %q, want it back", tt.in, got.Name())
		}
	}
}

// TestMatrixRowsParseAndSplitTheWorkload: every row of the matrix is a
// valid experiment name, and splits the standard workload into groups
// that cover each journey exactly once.
func TestMatrixRowsParseAndSplitTheWorkload(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Matrix() {
		if seen[e.Name()] {
			t.Errorf("%s is in the matrix twice", e.Name())
		}
		seen[e.Name()] = true
		if got, err := Parse(e.Name()); err != nil || got != e {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", e.Name(), got, err, e)
		}
		count := map[load.Op]int{}
		for _, g := range e.Groups() {
			for _, op := range g.Ops {
				count[op]++
			}
		}
		for _, op := range allJourneys() {
			if count[op] != 1 {
				t.Errorf("%s: journey %s is in %d groups, want 1", e.Name(), op, count[op])
			}
		}
	}
	if len(seen) < 40 {
		t.Errorf("matrix has %d rows, want every component killed and paused and every path faulted", len(seen))
	}
}

func TestGroupsFollowTheDegradations(t *testing.T) {
	ops := func(e Experiment, name string) []load.Op {
		for _, g := range e.Groups() {
			if g.Name == name {
				return g.Ops
			}
		}
		t.Fatalf("%s has no group %s", e.Name(), name)
		return nil
	}
	tests := []struct {
		e           Experiment
		group       string
		has, hasNot load.Op
	}{
		{Experiment{Kind: Kill, Service: "catalog"}, groupDependent, load.OpCheckout, load.OpProduct},
		{Experiment{Kind: Kill, Service: "catalog"}, groupDegraded, load.OpProduct, load.OpSignIn},
		{Experiment{Kind: Kill, Service: "accounts"}, groupIndependent, load.OpProduct, load.OpSignIn},
		{Experiment{Kind: Pause, Service: "pricing"}, groupDegraded, load.OpAddToCart, load.OpSignIn},
		{Experiment{Kind: Pause, Service: "pricing"}, groupIndependent, load.OpSignIn, load.OpAddToCart},
		{Experiment{Kind: Kill, Service: "payment"}, groupIndependent, load.OpCheckout, -1},
		{Experiment{Kind: Blackhole, From: "orders", Service: "payment"}, groupDegraded, load.OpCheckout, load.OpHome},
		{Experiment{Kind: Latency, From: "storefront", Service: "orders"}, groupDegraded, load.OpCheckout, load.OpHome},
		{Experiment{Kind: DiskFull, Service: "orders"}, groupDependent, load.OpCheckout, load.OpHome},
		{Experiment{Kind: Pause, Service: "storefront"}, groupDependent, load.OpHome, -1},
		// One storefront of two hung: the other serves every journey.
		{Experiment{Kind: Pause, Service: "storefront", Instance: "storefront-1"}, groupDegraded, load.OpCheckout, -1},
		{Experiment{Kind: Kill, Service: "catalog", Instance: "catalog-1"}, groupDegraded, load.OpAddToCart, load.OpSignIn},
	}
	for _, tt := range tests {
		got := ops(tt.e, tt.group)
		if !slices.Contains(got, tt.has) || slices.Contains(got, tt.hasNot) {
			t.Errorf("%s %s = %v, want %s in it and not %s", tt.e.Name(), tt.group, got, tt.has, tt.hasNot)
		}
	}
}

// fakeTarget records what an experiment did and flips the fake shop's
// health while the fault lasts.
type fakeTarget struct {
	mu      sync.Mutex
	actions []string
	down    *atomic.Bool
	calls   [2]float64 // attempts, calls
	// onResume, when set, runs after a paused component is resumed.
	onResume func()
	// replicas is how many instances each component runs (default 1).
	replicas int
}

func (f *fakeTarget) Instances(_ context.Context, c string) ([]string, error) {
	var ids []string
	for i := range max(f.replicas, 1) {
		ids = append(ids, fmt.Sprintf("%s-%d", c, i+1))
	}
	return ids, nil
}

func (f *fakeTarget) did(a string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
}

func (f *fakeTarget) Kill(_ context.Context, c string) error { f.did("kill " + c); return nil }
func (f *fakeTarget) Pause(_ context.Context, c string) (func() error, error) {
	f.did("pause " + c)
	f.down.Store(true)
	return func() error {
		f.did("resume " + c)
		f.down.Store(false)
		if f.onResume != nil {
			f.onResume()
		}
		return nil
	}, nil
}
func (f *fakeTarget) SetFault(_ context.Context, r registry.Fault) error {
	f.did("fault " + r.String())
	f.down.Store(true)
	return nil
}
func (f *fakeTarget) ClearFault(_ context.Context, from, to string) error {
	f.did("clear " + from + "->" + to)
	f.down.Store(false)
	return nil
}
func (f *fakeTarget) FillDisk(context.Context, string) (func() error, error) {
	return nil, errors.New("no disk here")
}
func (f *fakeTarget) Calls(context.Context, string) (float64, float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[0] += 105 // 5% retries
	f.calls[1] += 100
	return f.calls[0], f.calls[1], nil
}

// shopDoer fails the journeys in failing while down is set.
func shopDoer(down *atomic.Bool, failing ...load.Op) load.Doer {
	return load.DoerFunc(func(ctx context.Context, _ int, op load.Op) error {
		if down.Load() && slices.Contains(failing, op) {
			return errors.New("503 unavailable")
		}
		time.Sleep(time.Millisecond)
		return nil
	})
}

func quick(violations ...string) Options {
	return Options{Rate: 200, Workers: 8, Baseline: time.Second, Fault: 2 * time.Second, Recover: 2 * time.Second, Seed: 1,
		Verify: func(context.Context) ([]string, error) { return violations, nil }}
}

func check(t *testing.T, out *Outcome, name string) Check {
	t.Helper()
	for _, c := range out.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, out.Checks)
	return Check{}
}

// TestRunPassesWhenOnlyDependentJourneysFail: sign-in failing while
// accounts is paused is what the degradations allow; the experiment
// passes, resumes the service, and measures a recovery.
func TestRunPassesWhenOnlyDependentJourneysFail(t *testing.T) {
	down := &atomic.Bool{}
	ft := &fakeTarget{down: down}
	out, err := Run(context.Background(), ft, shopDoer(down, load.OpSignIn), Experiment{Kind: Pause, Service: "accounts"}, quick())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := out.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	// Latency checks depend on the machine's load; the others do not.
	for _, name := range []string{"journeys off the fault's path keep succeeding",
		"journeys that can do without it degrade, not fail", "journeys that need it fail fast or complete",
		"no order lost or charged twice"} {
		if c := check(t, out, name); !c.Pass {
			t.Errorf("check %q failed: %+v\n%s", name, c, &buf)
		}
	}
	if want := []string{"pause accounts", "resume accounts"}; !slices.Equal(ft.actions, want) {
		t.Errorf("actions = %v, want %v", ft.actions, want)
	}
	dep, _ := out.During.Group(groupDependent)
	if dep.Errors == 0 || dep.Errors != dep.Count {
		t.Errorf("dependent journeys during the fault: %d of %d failed, want all", dep.Errors, dep.Count)
	}
	if !strings.Contains(buf.String(), "experiment pause:accounts: ") || !strings.Contains(buf.String(), "during the fault, sign-in: 503 unavailable") {
		t.Errorf("report lacks the verdict or the errors seen:\n%s", &buf)
	}
}

// TestAReplicatedComponentLosesOneInstance: a kill or a pause of a
// component that runs several instances hits the oldest one only, and no
// journey may fail for it: the others serve them all.
func TestAReplicatedComponentLosesOneInstance(t *testing.T) {
	for _, kind := range []Kind{Pause, Kill} {
		t.Run(string(kind), func(t *testing.T) {
			down := &atomic.Bool{}
			ft := &fakeTarget{down: down, replicas: 2}
			out, err := Run(context.Background(), ft, shopDoer(down), Experiment{Kind: kind, Service: "storefront"}, quick())
			if err != nil {
				t.Fatal(err)
			}
			if ft.actions[0] != string(kind)+" storefront-1" || out.Instance != "storefront-1" {
				t.Errorf("actions %v, outcome instance %q; want storefront-1 hit alone", ft.actions, out.Instance)
			}
			if dep, ok := group(out.During, groupDependent); ok {
				t.Errorf("%d journeys counted as needing one storefront of two", dep.Count)
			}
			if deg, _ := out.During.Group(groupDegraded); deg.Count != out.During.Total.Count {
				t.Errorf("degraded journeys %d of %d: every journey touches the storefront", deg.Count, out.During.Total.Count)
			}
			if c := check(t, out, "journeys that can do without it degrade, not fail"); !c.Pass {
				t.Errorf("check failed: %+v", c)
			}
			var buf bytes.Buffer
			if err := out.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "instance storefront-1") {
				t.Errorf("report does not name the instance hit (%v):\n%s", err, &buf)
			}
		})
	}
}

// TestRunFailsWhenAnIndependentJourneyFails: a fault on the path to
// payment must not fail browsing; a shop where it does fails the check.
func TestRunFailsWhenAnIndependentJourneyFails(t *testing.T) {
	down := &atomic.Bool{}
	ft := &fakeTarget{down: down}
	out, err := Run(context.Background(), ft, shopDoer(down, load.OpHome), Experiment{Kind: Blackhole, From: "orders", Service: "payment"}, quick())
	if err != nil {
		t.Fatal(err)
	}
	if out.Passed() {
		t.Error("experiment passed though home pages failed while payment was unreachable")
	}
	if c := check(t, out, "journeys off the fault's path keep succeeding"); c.Pass {
		t.Errorf("independent success check passed: %+v", c)
	}
	if want := []string{"fault orders->payment blackhole", "clear orders->payment"}; !slices.Equal(ft.actions, want) {
		t.Errorf("actions = %v, want %v", ft.actions, want)
	}
}

func TestRunFailsOnAViolation(t *testing.T) {
	down := &atomic.Bool{}
	out, err := Run(context.Background(), &fakeTarget{down: down}, shopDoer(down), Experiment{Kind: Kill, Service: "payment"}, quick("ChargedOnce o-1: charged twice"))
	if err != nil {
		t.Fatal(err)
	}
	if c := check(t, out, "no order lost or charged twice"); c.Pass || out.Passed() {
		t.Errorf("a violation passed: %+v", c)
	}
}

func TestRunMeasuresRetryAmplification(t *testing.T) {
	down := &atomic.Bool{}
	out, err := Run(context.Background(), &fakeTarget{down: down}, shopDoer(down), Experiment{Kind: Errors, From: "storefront", Service: "catalog"}, quick())
	if err != nil {
		t.Fatal(err)
	}
	c := check(t, out, "retries stay inside the budget")
	if !c.Pass || out.Retries.Amplification() != 1.05 || out.Retries.Calls != 100 {
		t.Errorf("retries %+v, check %+v; want 100 calls, 1.05 attempts per call and a pass", out.Retries, c)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	down := &atomic.Bool{}
	o := quick()
	o.Verify = nil
	if _, err := Run(context.Background(), &fakeTarget{down: down}, shopDoer(down), Experiment{Kind: Kill, Service: "cart"}, o); err == nil {
		t.Error("Run without an invariant check: no error")
	}
	if _, err := Run(context.Background(), &fakeTarget{down: down}, shopDoer(down), Experiment{Kind: Overload}, quick()); err == nil {
		t.Error("overload without a capacity: no error")
	}
	if _, err := Run(context.Background(), &fakeTarget{down: down}, shopDoer(down), Experiment{Kind: DiskFull, Service: "orders"}, quick()); err == nil {
		t.Error("a fault that cannot be injected: no error")
	}
}

func TestRecovery(t *testing.T) {
	sec := func(errs int64, p99 float64) load.Second { return load.Second{Count: 10, Errors: errs, P99Ms: p99} }
	base := &load.Result{Total: load.Stats{P99Ms: 20}}
	tests := []struct {
		name          string
		kind          Kind
		during, after []load.Second
		want          int
	}{
		{"healthy at once", Pause, []load.Second{sec(5, 10)}, []load.Second{sec(0, 10), sec(0, 10), sec(0, 10)}, 0},
		{"two bad seconds", Pause, []load.Second{sec(5, 10)}, []load.Second{sec(1, 10), sec(0, 90), sec(0, 10), sec(0, 10), sec(0, 10)}, 2},
		{"a kill counts from the kill", Kill, []load.Second{sec(3, 10), sec(0, 10), sec(0, 10), sec(0, 10)}, nil, 1},
		{"never", Pause, []load.Second{sec(5, 10)}, []load.Second{sec(1, 10), sec(1, 10)}, -1},
		{"healthy to the end", Pause, nil, []load.Second{sec(1, 10), sec(0, 10)}, 1},
	}
	for _, tt := range tests {
		out := &Outcome{Baseline: base, During: &load.Result{Series: tt.during}, After: &load.Result{Series: tt.after}}
		healthy := func(s load.Second) bool { return s.Errors == 0 && s.P99Ms <= slowdownLimit(base.Total.P99Ms) }
		if got := recovery(out, Experiment{Kind: tt.kind}, healthy); got != tt.want {
			t.Errorf("%s: recovery = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSumSamples(t *testing.T) {
	text := `# HELP grpc_server_handled_total x
grpc_server_handled_total{grpc_code="OK",grpc_method="Get",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} 12
grpc_server_handled_total{grpc_code="Unavailable",grpc_method="Get",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} 3
grpc_server_handled_total{grpc_code="OK",grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"} 99
grpc_client_handled_total{grpc_code="OK",grpc_method="Get",grpc_service="bazaar.catalog.v1.CatalogService",grpc_type="unary"} 7
`
	got, err := sumSamples(strings.NewReader(text), "grpc_server_handled_total", `grpc_service="bazaar.catalog.v1.`)
	if err != nil || got != 15 {
		t.Errorf("sumSamples = %v, %v; want 15", got, err)
	}
	if _, err := sumSamples(strings.NewReader(`grpc_server_handled_total{grpc_service="bazaar.catalog.v1.X"} zz`), "grpc_server_handled_total", "bazaar.catalog"); err == nil {
		t.Error("a malformed sample: no error")
	}
}

// TestFillDisk: a directory on its parent's file system is refused (it
// would fill the machine's disk); on a file system of its own (a tmpfs,
// which needs root to mount) fill leaves no byte free, and free gives the
// space back.
func TestFillDisk(t *testing.T) {
	data := t.TempDir()
	shop := NewLocalShop(nil, data)
	if err := os.Mkdir(filepath.Join(data, "orders"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := shop.FillDisk(context.Background(), "orders"); err == nil || !strings.Contains(err.Error(), "mount -t tmpfs") {
		t.Fatalf("FillDisk on a shared file system: error %v, want a refusal saying how to mount one", err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: cannot mount a tmpfs to fill; the refusal is what was tested")
		return
	}
	dir := filepath.Join(data, "orders")
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		t.Fatalf("mount a tmpfs (as root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	free, err := shop.FillDisk(context.Background(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if avail := available(t, dir); avail != 0 {
		t.Errorf("after fill, %d bytes available, want 0", avail)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), make([]byte, 8192), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("writing to a full disk: %v, want ENOSPC", err)
	}
	if err := free(); err != nil {
		t.Fatal(err)
	}
	if avail := available(t, dir); avail < 1<<20 {
		t.Errorf("after free, %d bytes available, want the 2 MB back", avail)
	}
}

func available(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// TestFaultEndsOnTimeWhileTheWorkloadIsStuck: a pause that blocks every
// journey (a stopped storefront) still ends after the fault window, so
// the stuck journeys finish and the experiment goes on.
func TestFaultEndsOnTimeWhileTheWorkloadIsStuck(t *testing.T) {
	down := &atomic.Bool{}
	ft := &fakeTarget{down: down}
	var mu sync.Mutex
	resumed := sync.NewCond(&mu)
	ft.onResume = func() { mu.Lock(); resumed.Broadcast(); mu.Unlock() }
	stuck := load.DoerFunc(func(ctx context.Context, _ int, _ load.Op) error {
		mu.Lock()
		defer mu.Unlock()
		for down.Load() {
			resumed.Wait()
		}
		return nil
	})
	o := quick()
	o.Fault = 500 * time.Millisecond
	began := time.Now()
	out, err := Run(context.Background(), ft, stuck, Experiment{Kind: Pause, Service: "storefront"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("experiment took %v; the pause should have ended after %v", took, o.Fault)
	}
	if out.During.Total.Count == 0 || out.During.Total.Errors != 0 {
		t.Errorf("during the pause: %d ops, %d errors; want them all to finish once resumed", out.During.Total.Count, out.During.Total.Errors)
	}
}
