package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// The test binary doubles as a fake service when BAZAAR_FAKE_SERVICE is
// set: a real process with an admin port whose behaviour the test picks.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BAZAAR_FAKE_SERVICE"); mode != "" {
		os.Exit(fakeService(mode))
	}
	os.Exit(m.Run())
}

func newTestSupervisor(t *testing.T) *Supervisor {
	t.Helper()
	s, err := New(Config{
		DataDir:      t.TempDir(),
		ReadyTimeout: 2 * time.Second,
		StopTimeout:  500 * time.Millisecond,
		ProbeEvery:   50 * time.Millisecond,
		LeaveDelay:   500 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.StopAll() })
	return s
}

func fakeSpec(t *testing.T, mode string) Spec {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Under -race a process sleeps 1s at exit unless told not to.
	return Spec{Name: "fake", Binary: exe, Env: []string{"BAZAAR_FAKE_SERVICE=" + mode, "GORACE=atexit_sleep_ms=0"}}
}

func registered(t *testing.T, s *Supervisor) []registry.Instance {
	t.Helper()
	snap, err := registry.Read(s.RegistryPath())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Of("fake")
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestStartPublishesAndStopAllRemoves(t *testing.T) {
	s := newTestSupervisor(t)
	a, err := s.Start(context.Background(), fakeSpec(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Start(context.Background(), fakeSpec(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "fake-1" || b.ID != "fake-2" || a.GRPCAddr == b.GRPCAddr {
		t.Fatalf("instances %s@%s and %s@%s: want fake-1, fake-2 on distinct ports", a.ID, a.GRPCAddr, b.ID, b.GRPCAddr)
	}
	reg := registered(t, s)
	if len(reg) != 2 || reg[0].PID != a.PID() || reg[1].GRPCAddr != b.GRPCAddr {
		t.Fatalf("registry = %+v, want both instances", reg)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir(), "fake")); err != nil {
		t.Errorf("service data directory: %v", err)
	}
	if err := s.StopAll(); err != nil {
		t.Fatalf("StopAll: %v", err)
	}
	if !gone(a.PID()) || !gone(b.PID()) {
		t.Error("a process survived StopAll")
	}
	if reg := registered(t, s); len(reg) != 0 {
		t.Errorf("registry after StopAll = %+v, want empty", reg)
	}
}

func TestStartReportsFailures(t *testing.T) {
	tests := []struct {
		mode, want string
	}{
		{"crash", "boom: cannot open database"}, // the log tail explains the exit
		{"never-ready", "not ready after"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			s := newTestSupervisor(t)
			_, err := s.Start(context.Background(), fakeSpec(t, tt.mode))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start = %v, want error containing %q", err, tt.want)
			}
			if n := len(s.Instances()); n != 0 {
				t.Errorf("failed instance is still supervised (%d instances)", n)
			}
			if reg := registered(t, s); len(reg) != 0 {
				t.Errorf("failed instance is in the registry: %+v", reg)
			}
		})
	}
}

func TestStopKillsAnInstanceThatWillNotDrain(t *testing.T) {
	s := newTestSupervisor(t)
	in, err := s.Start(context.Background(), fakeSpec(t, "ignore-term"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.StopAll(); err != nil {
		t.Fatal(err)
	}
	if !gone(in.PID()) {
		t.Fatal("instance that ignores SIGTERM survived StopAll")
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("killed after %v, before the %v stop timeout", took, 500*time.Millisecond)
	}
}

func TestRegistryFollowsReadinessAndExit(t *testing.T) {
	s := newTestSupervisor(t)
	in, err := s.Start(context.Background(), fakeSpec(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	toggle := func() {
		resp, err := http.Get("http://" + in.AdminAddr + "/toggle")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	toggle() // now failing /readyz
	eventually(t, "unready instance to leave the registry", func() bool { return len(registered(t, s)) == 0 })
	toggle() // ready again
	eventually(t, "instance to rejoin the registry", func() bool { return len(registered(t, s)) == 1 })

	if err := syscall.Kill(in.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "dead instance to leave the registry", func() bool { return len(registered(t, s)) == 0 })
	eventually(t, "dead instance to be forgotten", func() bool { return len(s.Instances()) == 0 })
}

func TestNewClearsAStaleRegistry(t *testing.T) {
	dir := t.TempDir()
	stale := registry.Snapshot{Instances: []registry.Instance{{ID: "fake-9", Service: "fake", GRPCAddr: "127.0.0.1:1"}}}
	if err := registry.Write(RegistryPath(dir), stale); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	snap, err := registry.Read(RegistryPath(dir))
	if err != nil || len(snap.Instances) != 0 {
		t.Fatalf("registry after New = %+v, %v; want empty", snap, err)
	}
}

func TestCrashedInstanceIsRestartedOnItsAddresses(t *testing.T) {
	s := newTestSupervisor(t)
	spec := fakeSpec(t, "ok")
	spec.Restart = true
	spec.HTTP = true
	first, err := s.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var second *Instance
	eventually(t, "a new process for fake-1", func() bool {
		for _, in := range s.Instances() {
			if in.ID == "fake-1" && in.PID() != first.PID() {
				second = in
				return true
			}
		}
		return false
	})
	if second.Restarts() != 1 || second.GRPCAddr != first.GRPCAddr || second.AdminAddr != first.AdminAddr ||
		first.HTTPAddr == "" || second.HTTPAddr != first.HTTPAddr {
		t.Errorf("restarted instance: restarts=%d addrs %s/%s/%s, want 1 and %s/%s/%s",
			second.Restarts(), second.GRPCAddr, second.AdminAddr, second.HTTPAddr, first.GRPCAddr, first.AdminAddr, first.HTTPAddr)
	}
	eventually(t, "restarted instance back in the registry", func() bool {
		reg := registered(t, s)
		return len(reg) == 1 && reg[0].PID == second.PID()
	})
	if err := s.StopAll(); err != nil {
		t.Fatal(err)
	}
	if !gone(second.PID()) {
		t.Error("restarted instance survived StopAll")
	}
}

func TestRestartBackoffGrowsAndIsCapped(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 500 * time.Millisecond, 1: time.Second, 3: 4 * time.Second, 10: 15 * time.Second} {
		for range 20 {
			d := restartBackoff(n)
			if d < want*8/10 || d > want*12/10 {
				t.Errorf("restartBackoff(%d) = %v, want %v ±20%%", n, d, want)
			}
		}
	}
}

func TestFreeAddrAvoidsTheEphemeralRange(t *testing.T) {
	for range 20 {
		addr, err := FreeAddr("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		if n < loPort || n >= hiPort {
			t.Fatalf("FreeAddr = %s, want a port in [%d, %d)", addr, loPort, hiPort)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("port from FreeAddr is not bindable: %v", err)
		}
		l.Close()
	}
}
