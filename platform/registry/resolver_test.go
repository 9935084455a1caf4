package registry

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/resolver"
)

// event is one call the resolver made on its ClientConn.
type event struct {
	addrs []string // UpdateState
	err   error    // ReportError
}

// fakeCC records UpdateState and ReportError calls. The embedded interface
// is nil: the resolver must not call the deprecated NewAddress or
// ParseServiceConfig, and the test panics if it does.
type fakeCC struct {
	resolver.ClientConn
	events chan event
}

func newFakeCC() *fakeCC { return &fakeCC{events: make(chan event, 100)} }

func (f *fakeCC) UpdateState(s resolver.State) error {
	addrs := []string{}
	for _, e := range s.Endpoints {
		for _, a := range e.Addresses {
			addrs = append(addrs, a.Addr)
		}
	}
	f.events <- event{addrs: addrs}
	return nil
}

func (f *fakeCC) ReportError(err error) { f.events <- event{err: err} }

func (f *fakeCC) next(t *testing.T) event {
	t.Helper()
	select {
	case ev := <-f.events:
		return ev
	case <-time.After(2 * time.Second):
		t.Fatal("resolver made no call within 2s")
		return event{}
	}
}

func (f *fakeCC) wantAddrs(t *testing.T, want ...string) {
	t.Helper()
	ev := f.next(t)
	if ev.err != nil {
		t.Fatalf("resolver reported error %v, want addresses %v", ev.err, want)
	}
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(ev.addrs, want) {
		t.Fatalf("resolver pushed %v, want %v", ev.addrs, want)
	}
}

func (f *fakeCC) wantError(t *testing.T) {
	t.Helper()
	if ev := f.next(t); ev.err == nil {
		t.Fatalf("resolver pushed %v, want an error report", ev.addrs)
	}
}

func (f *fakeCC) wantNothing(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-f.events:
		t.Fatalf("resolver made an unexpected call: %+v", ev)
	case <-time.After(d):
	}
}

func build(t *testing.T, path, service string, poll time.Duration) (*fakeCC, resolver.Resolver) {
	t.Helper()
	u, err := url.Parse("registry:///" + service)
	if err != nil {
		t.Fatal(err)
	}
	cc := newFakeCC()
	r, err := NewResolverBuilder(path, poll).Build(resolver.Target{URL: *u}, cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(r.Close)
	return cc, r
}

func write(t *testing.T, path string, instances ...Instance) {
	t.Helper()
	if err := Write(path, Snapshot{Instances: instances}); err != nil {
		t.Fatal(err)
	}
}

func TestResolverFollowsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	c1 := inst("catalog-1", "catalog", "127.0.0.1:1001")
	c2 := inst("catalog-2", "catalog", "127.0.0.1:1002")
	c3 := inst("catalog-3", "catalog", "127.0.0.1:1003")
	cart := inst("cart-1", "cart", "127.0.0.1:2001")
	write(t, path, c2, cart, c1)

	cc, _ := build(t, path, "catalog", 10*time.Millisecond)
	cc.wantAddrs(t, "127.0.0.1:1001", "127.0.0.1:1002")

	write(t, path, c1, c2, c3, cart)
	cc.wantAddrs(t, "127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003")

	// Another service's change does not disturb this channel.
	write(t, path, c1, c2, c3)
	cc.wantNothing(t, 100*time.Millisecond)

	write(t, path, c1, c3)
	cc.wantAddrs(t, "127.0.0.1:1001", "127.0.0.1:1003")

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	cc.wantAddrs(t)
}

func TestResolverCorruptFileKeepsLastGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	c1 := inst("catalog-1", "catalog", "127.0.0.1:1001")
	write(t, path, c1)
	cc, _ := build(t, path, "catalog", 10*time.Millisecond)
	cc.wantAddrs(t, "127.0.0.1:1001")

	if err := os.WriteFile(path, []byte(`{"instances": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	cc.wantError(t)
	// No empty address list that would drop the good instances, and no
	// repeated reports while the file stays the same.
	cc.wantNothing(t, 100*time.Millisecond)

	// Once the file is good again the addresses are pushed again, even
	// though they did not change, to clear the error.
	write(t, path, c1)
	cc.wantAddrs(t, "127.0.0.1:1001")
}

func TestResolverUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	cc, _ := build(t, dir, "catalog", 10*time.Millisecond) // a directory is not a readable file
	cc.wantError(t)
}

func TestResolverMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	cc, _ := build(t, path, "catalog", 10*time.Millisecond)
	cc.wantAddrs(t)

	write(t, path, inst("catalog-1", "catalog", "127.0.0.1:1001"))
	cc.wantAddrs(t, "127.0.0.1:1001")
}

func TestResolverResolveNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	write(t, path, inst("catalog-1", "catalog", "127.0.0.1:1001"))
	cc, r := build(t, path, "catalog", time.Hour) // the ticker never fires
	cc.wantAddrs(t, "127.0.0.1:1001")

	write(t, path, inst("catalog-2", "catalog", "127.0.0.1:1002"))
	cc.wantNothing(t, 50*time.Millisecond)
	r.ResolveNow(resolver.ResolveNowOptions{})
	cc.wantAddrs(t, "127.0.0.1:1002")
}

func TestResolverClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registry.json")
	write(t, path, inst("catalog-1", "catalog", "127.0.0.1:1001"))
	cc, r := build(t, path, "catalog", 10*time.Millisecond)
	cc.wantAddrs(t, "127.0.0.1:1001")

	r.Close() // returns only once the goroutine has exited
	write(t, path, inst("catalog-2", "catalog", "127.0.0.1:1002"))
	r.ResolveNow(resolver.ResolveNowOptions{})
	cc.wantNothing(t, 100*time.Millisecond)
}

func TestBuildRejectsBadTarget(t *testing.T) {
	tests := []string{"registry:///", "registry:///catalog/extra"}
	for _, target := range tests {
		t.Run(target, func(t *testing.T) {
			u, err := url.Parse(target)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewResolverBuilder("unused.json", 0).Build(resolver.Target{URL: *u}, newFakeCC(), resolver.BuildOptions{})
			if err == nil {
				r.Close()
				t.Fatalf("Build(%q) succeeded, want an error", target)
			}
		})
	}
}

func TestResolverScheme(t *testing.T) {
	if got := NewResolverBuilder("x", 0).Scheme(); got != "registry" {
		t.Errorf("Scheme() = %q, want registry", got)
	}
}
