package daemon

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/bazaar-shop/bazaar/platform/config"
)

func noEnv(string) (string, bool) { return "", false }

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, s Settings)
		wantErr string
	}{
		{
			name: "defaults",
			check: func(t *testing.T, s Settings) {
				if s.GRPCAddr != "127.0.0.1:0" || s.DataDir != ".bazaar/svc" || s.CallTimeout != 2*time.Second {
					t.Errorf("defaults = %+v", s)
				}
			},
		},
		{
			name: "environment and the OTLP standard variable",
			env:  map[string]string{"BAZAAR_DATA": "/d", "BAZAAR_LOG_LEVEL": "debug", "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"},
			check: func(t *testing.T, s Settings) {
				if s.DataDir != "/d" || s.LogLevel != "debug" || s.OTLPEndpoint != "collector:4317" {
					t.Errorf("settings = %+v", s)
				}
			},
		},
		{name: "bad level", args: []string{"-log-level", "loud"}, wantErr: "BAZAAR_LOG_LEVEL"},
		{name: "bad duration", env: map[string]string{"BAZAAR_CALL_TIMEOUT": "0s"}, wantErr: "-call-timeout"},
		{name: "bad address", env: map[string]string{"BAZAAR_ADMIN_ADDR": "x"}, wantErr: "BAZAAR_ADMIN_ADDR"},
		{name: "service flag", args: []string{"-dsn", "sqlite:x"}, check: func(*testing.T, Settings) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var dsn string
			s, err := parseSettings(Program{Service: "svc"}, tt.args, lookup, func(fs *config.FlagSet) {
				fs.StringVar(&dsn, "dsn", "", "database")
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// fakeService records what the daemon does with it.
type fakeService struct {
	ready  atomic.Bool
	closed atomic.Bool
}

func (f *fakeService) Ready(context.Context) error {
	if !f.ready.Load() {
		return errors.New("warming up")
	}
	return nil
}

func (f *fakeService) Close() error { f.closed.Store(true); return nil }

func TestRunServesUntilCancelledThenCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	svc := &fakeService{}
	var env *Env
	var conn *grpc.ClientConn
	done := make(chan error, 1)
	wired := make(chan struct{})
	go func() {
		done <- Run(ctx, Command{Program: Program{Service: "svc", Version: "v1"}, Wire: func(_ context.Context, e *Env) (Service, error) {
			env = e
			c, err := e.Dial("127.0.0.1:1", healthpb.File_grpc_health_v1_health_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			conn = c
			close(wired)
			return svc, nil
		}}, []string{"-drain-delay", "0s", "-data", t.TempDir()}, noEnv)
	}()
	<-wired
	select {
	case <-env.Server.Ready():
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	readyz := func() int {
		resp, err := http.Get("http://" + env.Server.AdminAddr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before the service is ready = %d, want 503", code)
	}
	svc.ready.Store(true)
	if code := readyz(); code != http.StatusOK {
		t.Errorf("/readyz when ready = %d, want 200", code)
	}
	if env.DataPath("x.db") == "x.db" || env.Settings.Version != "v1" {
		t.Errorf("env settings = %+v", env.Settings)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after a clean stop", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !svc.closed.Load() {
		t.Error("service was not closed")
	}
	if st := conn.GetState(); st != connectivity.Shutdown {
		t.Errorf("connection dialed by the wiring is %v after stop, want Shutdown", st)
	}
}

func TestRunReportsWiringErrorsWithTheServiceName(t *testing.T) {
	err := Run(context.Background(), Command{Program: Program{Service: "svc"},
		Wire: func(context.Context, *Env) (Service, error) { return nil, errors.New("database is corrupt") }}, nil, noEnv)
	if err == nil || !strings.Contains(err.Error(), "start svc") || !strings.Contains(err.Error(), "database is corrupt") {
		t.Fatalf("Run = %v", err)
	}
}

// bgService has background work that must stop before Close.
type bgService struct {
	fakeService
	started, stopped atomic.Bool
	closedAfterStop  atomic.Bool
}

func (b *bgService) Background(ctx context.Context) {
	b.started.Store(true)
	<-ctx.Done()
	b.stopped.Store(true)
}

func (b *bgService) Close() error {
	b.closedAfterStop.Store(b.stopped.Load())
	return nil
}

func TestRunStopsBackgroundWorkBeforeClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	svc := &bgService{}
	svc.ready.Store(true)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Command{Program: Program{Service: "svc"}, Wire: func(context.Context, *Env) (Service, error) { return svc, nil }},
			[]string{"-drain-delay", "0s", "-data", t.TempDir()}, noEnv)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !svc.started.Load() {
		if time.Now().After(deadline) {
			t.Fatal("background work never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !svc.closedAfterStop.Load() {
		t.Error("Close ran before the background work stopped")
	}
}
