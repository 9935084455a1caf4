package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readinessTimeout bounds one /readyz evaluation, below the usual 1s probe
// timeout of Kubernetes.
const readinessTimeout = 800 * time.Millisecond

// readinessCheck is one named dependency check run by /readyz.
type readinessCheck struct {
	name  string
	check func(context.Context) error
}

// AddReadinessCheck adds a check that /readyz runs on every probe; the
// instance is ready only while every check returns nil within a short
// timeout. check must honour its context.
func (s *Server) AddReadinessCheck(name string, check func(context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, readinessCheck{name: name, check: check})
}

// newAdminMux routes the admin endpoints. The pprof handlers are registered
// here explicitly; http.DefaultServeMux is never served.
func (s *Server) newAdminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.tel.Registry, promhttp.HandlerOpts{
		Registry:          s.tel.Registry,
		EnableOpenMetrics: true, // carries the trace-id exemplars
	}))
	mux.HandleFunc("GET /healthz", serveHealthz)
	mux.HandleFunc("GET /readyz", s.serveReadyz)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serveHealthz answers 200 while the process can serve HTTP at all.
func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "ok")
}

// serveReadyz answers 200 when every readiness check passes, and 503 with
// the failures while any fails or once the server is draining.
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "not ready: draining")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
	defer cancel()
	if failures := s.runChecks(ctx); len(failures) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready:\n%s\n", strings.Join(failures, "\n"))
		return
	}
	fmt.Fprint(w, "ready")
}

// runChecks runs the readiness checks concurrently and returns one
// "name: reason" line per check that failed or had not answered when ctx
// ended, sorted.
func (s *Server) runChecks(ctx context.Context) []string {
	s.mu.Lock()
	checks := slices.Clone(s.checks)
	s.mu.Unlock()

	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(checks)) // buffered: late checks never block
	for i, c := range checks {
		go func() { results <- result{i, c.check(ctx)} }()
	}
	answered := make([]bool, len(checks))
	var failures []string
	for range checks {
		select {
		case r := <-results:
			answered[r.i] = true
			if r.err != nil {
				failures = append(failures, fmt.Sprintf("%s: %v", checks[r.i].name, r.err))
			}
		case <-ctx.Done():
			for i, ok := range answered {
				if !ok {
					failures = append(failures, fmt.Sprintf("%s: no answer: %v", checks[i].name, ctx.Err()))
				}
			}
			slices.Sort(failures)
			return failures
		}
	}
	slices.Sort(failures)
	return failures
}
