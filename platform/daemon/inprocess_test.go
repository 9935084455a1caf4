package daemon

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/bazaar-shop/bazaar/platform/inproc"
)

// Two services in one process reach each other by name over the
// in-memory network, through the same Dial their binaries use.
func TestInProcessServicesCallEachOther(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := inproc.New()
	var logs bytes.Buffer
	var mu sync.Mutex
	logw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })

	callee := &fakeService{}
	callee.ready.Store(true)
	go func() {
		_ = Run(ctx, Command{Program: Program{Service: "catalog"}, Wire: func(context.Context, *Env) (Service, error) { return callee, nil }},
			[]string{"-data", t.TempDir()}, noEnv, InProcess(n), LogTo(logw))
	}()

	answered := make(chan error, 1)
	caller := &fakeService{}
	caller.ready.Store(true)
	go func() {
		_ = Run(ctx, Command{Program: Program{Service: "storefront"}, Wire: func(_ context.Context, env *Env) (Service, error) {
			conn, err := env.Dial("registry:///catalog", healthpb.File_grpc_health_v1_health_proto.Services().Get(0))
			if err != nil {
				return nil, err
			}
			go func() {
				deadline := time.Now().Add(10 * time.Second)
				for {
					cctx, ccancel := context.WithTimeout(ctx, time.Second)
					resp, err := healthpb.NewHealthClient(conn).Check(cctx, &healthpb.HealthCheckRequest{})
					ccancel()
					if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
						answered <- nil
						return
					}
					if time.Now().After(deadline) {
						answered <- err
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			return caller, nil
		}}, []string{"-data", t.TempDir()}, noEnv, InProcess(n), LogTo(logw))
	}()
	if err := <-answered; err != nil {
		t.Fatalf("storefront could not call catalog in process: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Contains(logs.Bytes(), []byte(`"service":"catalog"`)) {
		t.Errorf("logs did not go to the LogTo writer: %q", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
