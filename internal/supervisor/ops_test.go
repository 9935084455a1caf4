package supervisor

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// statusOf returns the status of the fake service's instances.
func statusOf(s *Supervisor) []Info {
	var out []Info
	for _, in := range s.Status() {
		if in.Service == "fake" {
			out = append(out, in)
		}
	}
	return out
}

func startFake(t *testing.T, s *Supervisor, spec Spec, replicas int) {
	t.Helper()
	if _, err := s.Start(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if replicas > 1 {
		if err := s.Scale(context.Background(), "fake", replicas); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScaleUpReachesEveryInstanceAndDownDrainsTheNewest(t *testing.T) {
	s := newTestSupervisor(t)
	spec := fakeSpec(t, "ok")
	spec.HTTP = true // an HTTP port of its own per instance, as the storefront's
	startFake(t, s, spec, 1)
	cc := dialFake(t, s)
	callUntil(t, cc, "the first instance", func(seen map[string]int) bool { return seen["fake-1"] > 0 })

	if err := s.Scale(context.Background(), "fake", 3); err != nil {
		t.Fatalf("Scale to 3: %v", err)
	}
	st := statusOf(s)
	ports := map[string]bool{}
	for _, in := range st {
		if in.State != StateReady {
			t.Errorf("%s is %s after Scale returned, want ready", in.ID, in.State)
		}
		ports[in.GRPCAddr] = true
		ports[in.HTTPAddr] = true
	}
	if len(st) != 3 || len(ports) != 6 || ports[""] {
		t.Fatalf("status after Scale to 3 = %+v, want 3 ready instances on 3 gRPC and 3 HTTP ports", st)
	}
	reg := registered(t, s)
	if len(reg) != 3 {
		t.Fatalf("registry lists %d instances, want 3", len(reg))
	}
	for _, in := range reg {
		if !ports[in.HTTPAddr] || in.HTTPAddr == "" {
			t.Errorf("registry lists %s with HTTP address %q, want its own", in.ID, in.HTTPAddr)
		}
	}
	// Round robin through registry:///fake reaches each instance.
	callUntil(t, cc, "calls to reach all 3 instances", func(seen map[string]int) bool {
		return seen["fake-1"] > 0 && seen["fake-2"] > 0 && seen["fake-3"] > 0
	})

	// Scale down under load: no call fails, the newest instances go.
	l := startLoad(cc)
	if err := s.Scale(context.Background(), "fake", 1); err != nil {
		t.Fatalf("Scale to 1: %v", err)
	}
	answers, failures := l.finish()
	if len(failures) > 0 {
		t.Errorf("%d calls failed while scaling down, first: %v", len(failures), failures[0])
	}
	if len(answers) == 0 {
		t.Error("no call answered while scaling down")
	}
	st = statusOf(s)
	if len(st) != 1 || st[0].ID != "fake-1" {
		t.Fatalf("status after Scale to 1 = %+v, want only fake-1", st)
	}
	for _, in := range registered(t, s) {
		if in.ID != "fake-1" {
			t.Errorf("registry still lists %s", in.ID)
		}
	}
	seen := callUntil(t, cc, "30 calls", func(seen map[string]int) bool { return seen["fake-1"] >= 30 })
	if len(seen) != 1 {
		t.Errorf("after scaling down calls reached %v, want only fake-1", seen)
	}
}

func TestScaleRejectsBadRequests(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 1)
	fixed := fakeSpec(t, "ok")
	fixed.Name = "edge"
	fixed.HTTPAddr = "127.0.0.1:1" // a fixed public address
	if _, err := s.Start(context.Background(), fixed); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service string
		n       int
		want    error
		msg     string
	}{
		{"nope", 2, ErrUnknown, "known: edge, fake"},
		{"fake", -1, ErrInvalid, "0..16"},
		{"fake", MaxReplicas + 1, ErrInvalid, "0..16"},
		{"edge", 2, ErrInvalid, "fixed address"},
	}
	for _, tt := range tests {
		err := s.Scale(context.Background(), tt.service, tt.n)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Scale(%s, %d) = %v, want %v mentioning %q", tt.service, tt.n, err, tt.want, tt.msg)
		}
	}
	if n := len(statusOf(s)); n != 1 {
		t.Errorf("rejected requests changed the fake service: %d instances", n)
	}
}

func TestRollingRestartUnderLoadFailsNoCall(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 2)
	before := statusOf(s)
	cc := dialFake(t, s)
	callUntil(t, cc, "both instances", func(seen map[string]int) bool { return seen["fake-1"] > 0 && seen["fake-2"] > 0 })

	l := startLoad(cc)
	if err := s.Restart(context.Background(), "fake"); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	callUntil(t, cc, "the new instances", func(seen map[string]int) bool { return seen["fake-3"] > 0 && seen["fake-4"] > 0 })
	answers, failures := l.finish()
	if len(failures) > 0 {
		t.Errorf("%d of %d calls failed during the rolling restart, first: %v", len(failures), len(failures)+total(answers), failures[0])
	}
	if answers["fake-1"] == 0 || answers["fake-3"] == 0 {
		t.Errorf("calls during the restart reached %v, want old and new instances", answers)
	}
	after := statusOf(s)
	if len(after) != 2 || after[0].ID != "fake-3" || after[1].ID != "fake-4" {
		t.Fatalf("status after Restart = %+v, want fake-3 and fake-4", after)
	}
	for _, in := range before {
		if !gone(in.PID) {
			t.Errorf("old instance %s (pid %d) still runs", in.ID, in.PID)
		}
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// copyBinary copies the test binary to dir/fake, as a build would write a
// new version of the service there.
func copyBinary(t *testing.T, dir string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "fake")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUpgradeRollsOntoTheNewBinary(t *testing.T) {
	dir := t.TempDir()
	v1 := copyBinary(t, filepath.Join(dir, "v1"))
	v2 := copyBinary(t, filepath.Join(dir, "v2"))
	var built []string
	s, err := New(Config{
		DataDir: t.TempDir(), ReadyTimeout: 5 * time.Second, StopTimeout: 500 * time.Millisecond, ProbeEvery: 50 * time.Millisecond, LeaveDelay: 500 * time.Millisecond,
		Build: func(_ context.Context, service string) (string, string, error) {
			built = append(built, service)
			return v2, "v2", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.StopAll() })
	spec := fakeSpec(t, "ok")
	spec.Binary, spec.Version = v1, "v1"
	startFake(t, s, spec, 2)
	cc := dialFake(t, s)
	if _, exe, err := whoami(cc); err != nil || exe != v1 {
		t.Fatalf("before the upgrade the fake runs %q (%v), want %s", exe, err, v1)
	}

	l := startLoad(cc)
	version, err := s.Upgrade(context.Background(), "fake")
	if err != nil {
		t.Fatalf("Upgrade: %v", err)
	}
	_, failures := l.finish()
	if version != "v2" || len(built) != 1 || built[0] != "fake" {
		t.Fatalf("Upgrade = %q after builds %v, want v2 after one build of fake", version, built)
	}
	if len(failures) > 0 {
		t.Errorf("%d calls failed during the upgrade, first: %v", len(failures), failures[0])
	}
	for _, in := range statusOf(s) {
		if in.Version != "v2" || in.Binary != v2 {
			t.Errorf("%s runs %s (%s) after the upgrade, want v2 (%s)", in.ID, in.Version, in.Binary, v2)
		}
	}
	snap, err := registry.Read(s.RegistryPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range snap.Of("fake") {
		if in.Version != "v2" {
			t.Errorf("registry lists %s at version %q, want v2", in.ID, in.Version)
		}
	}
	// The processes really run the new file: the answers say so.
	callUntil(t, cc, "20 answers from v2", func(seen map[string]int) bool {
		_, exe, err := whoami(cc)
		if err != nil || exe != v2 {
			t.Fatalf("after the upgrade an instance runs %q (%v), want %s", exe, err, v2)
		}
		return total(seen) >= 20
	})
	// A scale-up after the upgrade starts the new version too.
	if err := s.Scale(context.Background(), "fake", 3); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(s); st[2].Version != "v2" {
		t.Errorf("instance started after the upgrade runs %q, want v2", st[2].Version)
	}
}

func TestFailedUpgradeKeepsTheOldVersionServing(t *testing.T) {
	s, err := New(Config{
		DataDir: t.TempDir(), ReadyTimeout: 2 * time.Second, StopTimeout: 500 * time.Millisecond, ProbeEvery: 50 * time.Millisecond, LeaveDelay: 500 * time.Millisecond,
		Build: func(context.Context, string) (string, string, error) {
			return "/nonexistent/fake", "v2", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.StopAll() })
	spec := fakeSpec(t, "ok")
	spec.Version = "v1"
	startFake(t, s, spec, 1)
	if _, err := s.Upgrade(context.Background(), "fake"); err == nil || !strings.Contains(err.Error(), "replaced 0 of 1") {
		t.Fatalf("Upgrade to a binary that cannot start = %v, want an error saying nothing was replaced", err)
	}
	st := statusOf(s)
	if len(st) != 1 || st[0].Version != "v1" || st[0].State != StateReady {
		t.Fatalf("after the failed upgrade status = %+v, want fake-1 ready at v1", st)
	}
	// New instances start from the old binary again.
	if err := s.Scale(context.Background(), "fake", 2); err != nil {
		t.Fatalf("Scale after the failed upgrade: %v", err)
	}
}

func TestUpgradeNeedsABuilder(t *testing.T) {
	s := newTestSupervisor(t)
	startFake(t, s, fakeSpec(t, "ok"), 1)
	if _, err := s.Upgrade(context.Background(), "fake"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Upgrade without a builder = %v, want ErrInvalid", err)
	}
}

func TestKillIsUndoneByTheRestartPolicy(t *testing.T) {
	s := newTestSupervisor(t)
	spec := fakeSpec(t, "ok")
	spec.Restart = true
	startFake(t, s, spec, 2)
	first := statusOf(s)

	killed, err := s.Kill("fake-2")
	if err != nil || len(killed) != 1 || killed[0] != "fake-2" {
		t.Fatalf("Kill(fake-2) = %v, %v", killed, err)
	}
	eventually(t, "fake-2 to show as exited", func() bool {
		st := statusOf(s)
		return len(st) == 2 && st[1].State == StateExited
	})
	eventually(t, "fake-2 to be restarted", func() bool {
		st := statusOf(s)
		return len(st) == 2 && st[1].State == StateReady && st[1].PID != first[1].PID
	})
	st := statusOf(s)
	if st[0].PID != first[0].PID || st[0].Restarts != 0 || st[1].Restarts != 1 {
		t.Errorf("after Kill(fake-2) status = %+v, want fake-1 untouched and fake-2 restarted once", st)
	}

	// The whole service.
	killed, err = s.Kill("fake")
	if err != nil || len(killed) != 2 {
		t.Fatalf("Kill(fake) = %v, %v; want both instances", killed, err)
	}
	eventually(t, "both instances back", func() bool {
		st := statusOf(s)
		return len(st) == 2 && st[0].State == StateReady && st[1].State == StateReady && st[0].Restarts == 1 && st[1].Restarts == 2
	})

	if _, err := s.Kill("fake-9"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "services: fake") {
		t.Errorf("Kill(fake-9) = %v, want ErrUnknown listing the services", err)
	}
}

func TestScaleDownRetiresACrashedInstanceForGood(t *testing.T) {
	s := newTestSupervisor(t)
	spec := fakeSpec(t, "ok")
	spec.Restart = true
	startFake(t, s, spec, 2)
	if _, err := s.Kill("fake-2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "fake-2 to show as exited", func() bool {
		st := statusOf(s)
		return len(st) == 2 && st[1].State == StateExited
	})
	// fake-2 waits for its restart: scaling to 1 retires it instead.
	if err := s.Scale(context.Background(), "fake", 1); err != nil {
		t.Fatal(err)
	}
	st := statusOf(s)
	if len(st) != 1 || st[0].ID != "fake-1" {
		t.Fatalf("status = %+v, want fake-1 only", st)
	}
	// Longer than the restart backoff (500ms ±20%): fake-2 stays away.
	time.Sleep(800 * time.Millisecond)
	if st := statusOf(s); len(st) != 1 {
		t.Errorf("a retired crashed instance came back: %+v", st)
	}
}
