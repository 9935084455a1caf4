package observe

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestObserverRunsAndStops(t *testing.T) {
	dir := t.TempDir()
	admin := newFakeAdmin(t)
	admin.set(grpcServerMetrics("catalog", 1, 0, 0))
	obs, err := New(Config{
		Scrape: ScraperConfig{Every: 20 * time.Millisecond, Targets: func() []Target {
			return []Target{{Instance: "catalog-1", Service: "catalog", Addr: admin.addr()}}
		}},
		Logs: LogConfig{Dir: dir, Every: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- obs.Run(ctx) }()

	appendFile(t, filepath.Join(dir, "catalog-1.log"), jsonLine("INFO", "serving", "catalog-1", "", t0))
	provider := exportingProvider(t, obs.OTLPEndpoint(), "catalog", "catalog-1")
	_, sp := provider.Tracer("test").Start(ctx, "GetProduct")
	sp.End()
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for obs.Logs.LastSeq() == 0 || !scraped(obs.Metrics, "catalog-1") {
		if time.Now().After(deadline) {
			t.Fatal("the observer neither read the log nor scraped the instance")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if obs.Traces.Len() != 1 {
		t.Errorf("traces kept: %d, want 1", obs.Traces.Len())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func scraped(s *Scraper, id string) bool {
	st, ok := s.Instance(id)
	return ok && st.Up
}

func TestObserverConfigErrors(t *testing.T) {
	targets := func() []Target { return nil }
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no targets", Config{Logs: LogConfig{Dir: os.TempDir()}}},
		{"no log directory", Config{Scrape: ScraperConfig{Targets: targets}}},
		{"public trace address", Config{TraceAddr: "0.0.0.0:0", Scrape: ScraperConfig{Targets: targets}, Logs: LogConfig{Dir: os.TempDir()}}},
	}
	for _, tc := range tests {
		if _, err := New(tc.cfg); err == nil {
			t.Errorf("%s: New accepted the config", tc.name)
		}
	}
}
