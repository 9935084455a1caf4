package resilience

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// fakeCPU is a CPU whose utilisation the test sets.
type fakeCPU struct{ usage float64 }

func (c *fakeCPU) Usage() float64 { return c.usage }

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// warm makes s learn a capacity: perBucket calls of latency rt in each of
// the window's buckets, one after another, so its estimate becomes
// perBucket*rt/bucket.
func warm(t *testing.T, s *Shedder, clk *fakeClock, perBucket int, rt time.Duration) {
	t.Helper()
	for range s.cfg.Buckets {
		for range perBucket {
			done, err := s.Admit(Default)
			if err != nil {
				t.Fatalf("warm-up call refused: %v", err)
			}
			clk.advance(rt)
			done()
		}
		clk.advance(s.dur - time.Duration(perBucket)*rt)
	}
}

func newTestShedder(cpu *fakeCPU, clk *fakeClock) *Shedder {
	return NewShedder(ShedConfig{CPU: cpu, Now: clk.now, MinLimit: 2})
}

func TestShedderAdmitsByPriorityWhileCPUIsSaturated(t *testing.T) {
	// Each bucket of the window completes 100 calls of 10 ms: by Little's
	// law a capacity of 100*10ms/100ms = 10 calls in flight.
	tests := []struct {
		name     string
		cpu      float64
		inflight int // already admitted as Critical (always admitted here)
		p        Priority
		want     bool
	}{
		{"idle CPU admits sheddable work beyond capacity", 0.3, 50, Sheddable, true},
		{"saturated CPU: sheddable below half the capacity", 0.95, 4, Sheddable, true},
		{"saturated CPU: sheddable at half the capacity is shed", 0.95, 5, Sheddable, false},
		{"saturated CPU: default below capacity", 0.95, 9, Default, true},
		{"saturated CPU: default at capacity is shed", 0.95, 10, Default, false},
		{"saturated CPU: critical beyond capacity", 0.95, 15, Critical, true},
		{"saturated CPU: critical at twice the capacity is shed", 0.95, 20, Critical, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu := &fakeCPU{usage: 0.3}
			clk := &fakeClock{t: time.Unix(1000, 0)}
			s := newTestShedder(cpu, clk)
			// 100 overlapping calls of 10 ms, then 90 ms idle, per bucket.
			for range s.cfg.Buckets {
				var dones []func()
				for range 100 {
					done, err := s.Admit(Default)
					if err != nil {
						t.Fatal(err)
					}
					dones = append(dones, done)
				}
				clk.advance(10 * time.Millisecond)
				for _, d := range dones {
					d()
				}
				clk.advance(90 * time.Millisecond)
			}
			if got := s.limit(); got != 10 {
				t.Fatalf("estimated capacity %d, want 10 (100 calls of 10 ms per 100 ms)", got)
			}
			cpu.usage = tt.cpu
			held := 0
			for range tt.inflight {
				if _, err := s.Admit(Critical); err == nil {
					held++
				}
			}
			if held != tt.inflight {
				t.Fatalf("could hold only %d of %d critical calls", held, tt.inflight)
			}
			_, err := s.Admit(tt.p)
			if got := err == nil; got != tt.want {
				t.Errorf("Admit(%v) with %d in flight at CPU %.2f: admitted=%v (%v), want %v", tt.p, tt.inflight, tt.cpu, got, err, tt.want)
			}
			var oe *OverloadError
			if err != nil && !errors.As(err, &oe) {
				t.Errorf("refusal %v is not an *OverloadError", err)
			}
		})
	}
}

func TestShedderRecoversWhenTheCPUCools(t *testing.T) {
	cpu := &fakeCPU{usage: 0.99}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := newTestShedder(cpu, clk)
	warm(t, s, clk, 10, time.Millisecond) // capacity floored at MinLimit 2
	held := []func(){}
	for range 2 {
		done, err := s.Admit(Default)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, done)
	}
	if _, err := s.Admit(Default); err == nil {
		t.Fatal("a call beyond capacity at 99% CPU was admitted")
	}
	cpu.usage = 0.2
	if _, err := s.Admit(Default); err == nil {
		t.Error("admitted within the cool-down after a shed")
	}
	clk.advance(shedCoolDown)
	if _, err := s.Admit(Default); err != nil {
		t.Errorf("still shedding after the CPU cooled and the cool-down passed: %v", err)
	}
	for _, d := range held {
		d()
	}
}

func TestRefusedCallsAreNotCounted(t *testing.T) {
	cpu := &fakeCPU{usage: 0.99}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := newTestShedder(cpu, clk)
	for range 100 {
		_, _ = s.Admit(Sheddable) // never done: held in flight
	}
	if got := s.InFlight(); got != 1 {
		// MinLimit 2 * share 0.5 = 1 sheddable call admitted; the rest refused.
		t.Errorf("in flight after 100 sheddable calls at 99%% CPU: %d, want 1", got)
	}
}

func TestShedHTTPAnswersTheRejectAndExemptsProbes(t *testing.T) {
	cpu := &fakeCPU{usage: 0.99}
	clk := &fakeClock{t: time.Unix(1000, 0)}
	s := newTestShedder(cpu, clk)
	block := make(chan struct{})
	h := ShedHTTP(s, func(r *http.Request) bool { return r.URL.Path == "/healthz" },
		func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				<-block
			}
		}))
	// Fill the capacity (MinLimit 2) with slow requests.
	started := make(chan struct{}, 2)
	for range 2 {
		go func() {
			started <- struct{}{}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
		}()
	}
	<-started
	<-started
	deadline := time.Now().Add(2 * time.Second)
	for s.InFlight() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/page", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("request over capacity: %d %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("health probe over capacity: %d, want 200 (never shed)", rec.Code)
	}
	close(block)
}

func TestReadProcStat(t *testing.T) {
	busy, total, err := readProcStat(filepath.Join("testdata", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	// user 100 + system 100 busy; idle 700 + iowait 100 not.
	if busy != 200 || total != 1000 {
		t.Errorf("busy, total = %d, %d, want 200, 1000", busy, total)
	}
	if _, _, err := readProcStat(filepath.Join("testdata", "missing")); err == nil {
		t.Error("a missing file read without error")
	}
}

func TestProcCPUWithoutProcStatReportsSaturated(t *testing.T) {
	c := &ProcCPU{path: filepath.Join(t.TempDir(), "none"), now: time.Now}
	if got := c.Usage(); got != 1 {
		t.Errorf("Usage without /proc/stat = %v, want 1 (shed on in-flight alone)", got)
	}
}
