package supervisor

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/bazaar-shop/bazaar/platform/client"
)

// fakeMethod is the one RPC of the fake service: it answers
// "<instance id> <path of its executable>".
const fakeMethod = "/bazaar.supervisortest.v1.Fake/Whoami"

// fakeService runs the test binary as a fake service, in the given mode:
//   - "crash" prints a line and exits 3 at once;
//   - "never-ready" serves but fails /readyz;
//   - "ignore-term" serves and ignores SIGTERM;
//   - anything else serves normally.
//
// Serving is an admin port (/readyz, /toggle flips readiness, /say?line=
// prints a line) and a gRPC server with grpc.health.v1 and the Whoami
// method. On SIGTERM it drains like platform/server: NOT_SERVING and a
// failing /readyz, a short delay, then a graceful stop.
func fakeService(mode string) int {
	if mode == "crash" {
		fmt.Println("boom: cannot open database")
		return 3
	}
	id := os.Getenv("BAZAAR_INSTANCE")
	fmt.Printf("fake %s starting\n", id)
	exe, err := os.Executable()
	if err != nil {
		fmt.Println(err)
		return 4
	}
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)

	var ready, draining atomic.Bool
	ready.Store(mode != "never-ready")
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() || draining.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	// /toggle flips readiness, so a test can make a live instance unready.
	mux.HandleFunc("/toggle", func(w http.ResponseWriter, _ *http.Request) { ready.Store(!ready.Load()) })
	mux.HandleFunc("/say", func(w http.ResponseWriter, r *http.Request) { fmt.Println(r.URL.Query().Get("line")) })
	admin := &http.Server{Addr: os.Getenv("BAZAAR_ADMIN_ADDR"), Handler: mux, ReadHeaderTimeout: time.Second}
	go func() { _ = admin.ListenAndServe() }()

	lis, err := net.Listen("tcp", os.Getenv("BAZAAR_GRPC_ADDR"))
	if err != nil {
		fmt.Println(err)
		return 4
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	srv.RegisterService(fakeServiceDesc(), fakeServer(id+" "+exe))
	go func() { _ = srv.Serve(lis) }()

	for range terms {
		if mode == "ignore-term" {
			continue
		}
		draining.Store(true)
		hs.Shutdown()
		fmt.Printf("fake %s draining\n", id)
		time.Sleep(200 * time.Millisecond)
		srv.GracefulStop()
		fmt.Printf("fake %s stopped\n", id)
		return 0
	}
	return 0
}

// fakeServer answers every Whoami with itself.
type fakeServer string

type fakeHandler interface{ whoami() string }

func (f fakeServer) whoami() string { return string(f) }

func fakeServiceDesc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "bazaar.supervisortest.v1.Fake",
		HandlerType: (*fakeHandler)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Whoami",
			Handler: func(srv any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				if err := dec(new(wrapperspb.StringValue)); err != nil {
					return nil, err
				}
				return wrapperspb.String(srv.(fakeHandler).whoami()), nil
			},
		}},
	}
}

// dialFake connects to the fake service through the supervisor's
// registry, with retries off: every failure shows.
func dialFake(t *testing.T, s *Supervisor) *grpc.ClientConn {
	t.Helper()
	cc, err := client.Dial("registry:///fake", client.Options{Registry: s.RegistryPath(), RetryMaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// whoami calls the fake and returns the answering instance and its
// executable.
func whoami(cc *grpc.ClientConn) (id, exe string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := new(wrapperspb.StringValue)
	if err := cc.Invoke(ctx, fakeMethod, wrapperspb.String(""), out); err != nil {
		return "", "", err
	}
	id, exe, _ = strings.Cut(out.GetValue(), " ")
	return id, exe, nil
}

// callUntil calls the fake until done holds for the set of instances seen.
func callUntil(t *testing.T, cc *grpc.ClientConn, what string, done func(seen map[string]int) bool) map[string]int {
	t.Helper()
	seen := map[string]int{}
	deadline := time.Now().Add(5 * time.Second)
	for !done(seen) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: calls reached %v", what, seen)
		}
		id, _, err := whoami(cc)
		if err != nil {
			t.Fatalf("%s: call: %v", what, err)
		}
		seen[id]++
	}
	return seen
}

// load makes a call every few milliseconds until stopped, counting the
// answers per instance and keeping every failure.
type load struct {
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	answers  map[string]int
	failures []error
}

func startLoad(cc *grpc.ClientConn) *load {
	l := &load{stop: make(chan struct{}), done: make(chan struct{}), answers: map[string]int{}}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(3 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			id, _, err := whoami(cc)
			l.mu.Lock()
			if err != nil {
				l.failures = append(l.failures, err)
			} else {
				l.answers[id]++
			}
			l.mu.Unlock()
		}
	}()
	return l
}

// finish stops the load and returns what it saw.
func (l *load) finish() (answers map[string]int, failures []error) {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answers, l.failures
}
