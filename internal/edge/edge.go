// Package edge is the HTTP load balancer `bazaar up` puts on the shop's
// public address, in front of the storefront's instances, so that the
// storefront runs as several replicas and one of them may crash or hang
// while the shop keeps serving.
//
// It is a reverse proxy (net/http/httputil.ReverseProxy) that spreads
// requests round-robin over the backends in rotation. Backends come from
// a function the caller gives (the supervisor's ready instances), asked
// again every probe period. Each backend's /readyz is probed on its HTTP
// address every ProbeEvery with a ProbeTimeout: a failed probe, or a
// failed connection of a proxied request, takes it out of the rotation at
// once; the next successful probe puts it back.
//
// Retries never send a request twice unless that is safe: a request
// whose connection failed before anything was written is sent to another
// backend once; a replayable one (GET, HEAD, OPTIONS, or carrying an
// Idempotency-Key header) is sent again once on any failure before its
// answer began, and when its backend leaves the rotation (a hung
// instance) while it waits for the answer. Anything else, a POST without
// an Idempotency-Key above all, is answered 502 when its backend fails.
//
// With no backend in rotation the edge answers 503 with Retry-After: the
// storefront's JSON error shape under /api/, a short page elsewhere. It
// answers /healthz itself (alive) and /readyz (200 while a backend is in
// rotation).
package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config's zero fields, and the public server's limits.
const (
	// DefaultProbeEvery is the period of each backend's readiness probe.
	DefaultProbeEvery = 200 * time.Millisecond
	// DefaultProbeTimeout bounds one probe: a backend slower than this
	// to answer /readyz is treated as hung.
	DefaultProbeTimeout = 300 * time.Millisecond
	// DefaultMaxBodyBytes bounds a request body, as the storefront does
	// (platform/server's default).
	DefaultMaxBodyBytes = 1 << 20

	// readHeaderTimeout bounds how long a client may take to send its
	// request's headers (slowloris); readTimeout the whole request.
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	// backendTimeout bounds the wait for a backend's answer to begin: the
	// storefront's own write timeout (30 s), past which it cannot answer.
	backendTimeout = 30 * time.Second
	// writeTimeout leaves the backend its whole time, and a little more.
	writeTimeout   = backendTimeout + 5*time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10
	// retryAfter is what a 503 asks the client to wait, in seconds.
	retryAfter = 1
	// shutdownTimeout bounds how long Serve lets requests in flight finish
	// once its context ends.
	shutdownTimeout = 10 * time.Second
)

// errNoBackend is the proxy's error when no backend is in rotation.
var errNoBackend = errors.New("no backend in rotation")

// errEjected cancels a replayable request waiting on a backend that left
// the rotation, so it is sent to another.
var errEjected = errors.New("backend left the rotation")

// Backend is one instance the edge may send requests to.
type Backend struct {
	// ID names the instance ("storefront-2"), for logs and Rotation.
	ID string
	// Addr is its HTTP listen address, host:port.
	Addr string
}

// Config is how an Edge finds and checks its backends.
type Config struct {
	// Backends returns the instances requests may go to now; the edge
	// calls it every ProbeEvery. Required.
	Backends func() []Backend
	// ProbeEvery is the period of the readiness probes; default
	// DefaultProbeEvery.
	ProbeEvery time.Duration
	// ProbeTimeout bounds one probe; default DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// MaxBodyBytes bounds a request body; default DefaultMaxBodyBytes.
	// Bodies are read whole before they are sent, so a request can be
	// sent again.
	MaxBodyBytes int64
	// Logger receives backends leaving and joining the rotation and
	// proxy errors; default discards.
	Logger *slog.Logger
}

// Edge is the load balancer. It is an http.Handler; Run keeps its
// backends' health, Serve does both on a listener.
type Edge struct {
	cfg       Config
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	probes    *http.Client
	next      atomic.Uint64 // round-robin position

	mu       sync.Mutex
	backends map[string]*backend // by address
	order    []*backend          // the backends sorted by id; replaced, never changed in place
}

// backend is the edge's state of one Backend.
type backend struct {
	Backend
	stop context.CancelFunc // ends its prober; guarded by Edge.mu

	mu      sync.Mutex
	healthy bool                 // in rotation: the last probe passed and no connection failed since
	waiting map[*waiter]struct{} // replayable requests waiting for its answer
}

// waiter is a replayable request in flight on a backend, which may be
// called off when the backend leaves the rotation.
type waiter struct{ cancel context.CancelCauseFunc }

// New returns an Edge for cfg, with defaults for unset fields.
func New(cfg Config) (*Edge, error) {
	if cfg.Backends == nil {
		return nil, errors.New("edge: no Backends function")
	}
	if cfg.ProbeEvery <= 0 {
		cfg.ProbeEvery = DefaultProbeEvery
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Edge{
		cfg: cfg,
		transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: backendTimeout,
			DisableCompression:    true, // the client's Accept-Encoding goes through as is
		},
		probes: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute},
			Timeout:   cfg.ProbeTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		backends: map[string]*backend{},
	}
	e.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "backend" // the transport picks one per attempt
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:    roundTripper{e},
		ErrorHandler: e.proxyError,
		ErrorLog:     slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return e, nil
}

// Serve serves the edge on ln and keeps its backends' health until ctx
// ends, then stops accepting, lets requests in flight finish (up to 10 s)
// and returns.
func (e *Edge) Serve(ctx context.Context, ln net.Listener) error {
	srv := e.Server()
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); e.Run(runCtx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
		err = fmt.Errorf("edge: serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		if serr := srv.Shutdown(sctx); serr != nil {
			err = fmt.Errorf("edge: shut down: %w", errors.Join(serr, srv.Close()))
		}
		cancel()
		<-served
	}
	stopRun()
	<-ran
	e.transport.CloseIdleConnections()
	return err
}

// Server returns the public HTTP server of the edge, with its timeouts
// and limits.
func (e *Edge) Server() *http.Server {
	return &http.Server{
		Handler:           e,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(e.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// Rotation returns the ids of the backends in rotation now, sorted.
func (e *Edge) Rotation() []string {
	var ids []string
	for _, b := range e.snapshot() {
		if b.isHealthy() {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

// AwaitRotation waits until at least one backend is in rotation (its
// first probe passed), polling every poll, or until ctx ends.
func (e *Edge) AwaitRotation(ctx context.Context, poll time.Duration) error {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for len(e.Rotation()) == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("edge: no storefront instance passed its first probe: %w", context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}

// ServeHTTP answers /healthz and /readyz itself and proxies every other
// request to a backend in rotation.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		writeText(w, http.StatusOK, "ok\n")
		return
	case "/readyz":
		if len(e.Rotation()) == 0 {
			writeText(w, http.StatusServiceUnavailable, "no storefront instance in rotation\n")
			return
		}
		writeText(w, http.StatusOK, "ok\n")
		return
	}
	if err := e.bufferBody(w, r); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, r, http.StatusRequestEntityTooLarge, "payload_too_large",
				fmt.Sprintf("The request is too large (at most %d bytes).", e.cfg.MaxBodyBytes))
			return
		}
		writeError(w, r, http.StatusBadRequest, "invalid_argument", "The request body could not be read.")
		return
	}
	e.proxy.ServeHTTP(w, r)
}

// bufferBody reads r's body whole (bounded), so that the request can be
// sent to a second backend.
func (e *Edge) bufferBody(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.cfg.MaxBodyBytes))
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.ContentLength = int64(len(data))
	return nil
}

// roundTripper sends a proxied request to a backend in rotation, and to
// a second one when that is safe (see the package comment).
type roundTripper struct{ e *Edge }

// RoundTrip implements http.RoundTripper.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	e := rt.e
	replay := replayable(req)
	var tried *backend
	var lastErr error
	for attempt := range 2 {
		b := e.pick(tried)
		if b == nil {
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, errNoBackend
		}
		out := req
		if attempt > 0 {
			out = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("edge: rewind body: %w", err)
				}
				out.Body = body
			}
		}
		resp, err := e.send(out, b, replay)
		if err == nil {
			return resp, nil
		}
		if req.Context().Err() != nil {
			return nil, err // the client went away: nothing to retry for
		}
		if !errors.Is(err, errEjected) {
			e.setHealth(b, fmt.Errorf("proxied request: %w", err))
		}
		if !replay && !notWritten(err) {
			return nil, err
		}
		tried, lastErr = b, err
	}
	return nil, lastErr
}

// send sends req to b. A replayable request waits for its answer under a
// context that b's ejection cancels.
func (e *Edge) send(req *http.Request, b *backend, replay bool) (*http.Response, error) {
	req.URL.Host = b.Addr
	if !replay {
		return e.transport.RoundTrip(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	w := b.await(cancel)
	resp, err := e.transport.RoundTrip(req.WithContext(ctx))
	b.answered(w)
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, errEjected) {
			return nil, fmt.Errorf("%s: %w", b.ID, errEjected)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases a request's context once its answer is read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

// Close closes the body and releases the context.
func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// replayable reports whether req may be sent twice: its method is
// idempotent, or it carries an idempotency key (as net/http's Transport
// decides for its own retries).
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// notWritten reports whether err is a failure to connect: nothing of the
// request reached the backend.
func notWritten(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// pick returns the next backend in rotation other than not, or nil.
func (e *Edge) pick(not *backend) *backend {
	order := e.snapshot()
	n := uint64(len(order))
	if n == 0 {
		return nil
	}
	start := e.next.Add(1)
	for i := range n {
		b := order[(start+i)%n]
		if b != not && b.isHealthy() {
			return b
		}
	}
	return nil
}

// othersInRotation reports whether a backend other than b is in rotation.
func (e *Edge) othersInRotation(b *backend) bool {
	for _, o := range e.snapshot() {
		if o != b && o.isHealthy() {
			return true
		}
	}
	return false
}

func (e *Edge) snapshot() []*backend {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.order
}

// proxyError answers a request no backend answered.
func (e *Edge) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoBackend) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeError(w, r, http.StatusServiceUnavailable, "unavailable",
			"The shop is not available right now. Please try again in a moment.")
		return
	}
	if r.Context().Err() == nil {
		e.cfg.Logger.Warn("edge: proxied request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, r, http.StatusBadGateway, "bad_gateway",
		"The shop could not finish this request. Please check before trying again.")
}

// writeError answers with the storefront's error shape: JSON
// {"error":{"code","message"}} under /api/, a short page elsewhere.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, "{\"error\":{\"code\":%q,\"message\":%q}}\n", code, message)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<title>Bazaar</title>\n<h1>%s</h1>\n<p>%s</p>\n", http.StatusText(status), message)
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Run keeps the backends' health until ctx ends: every ProbeEvery it
// asks Config.Backends for the current set, starts a prober for each new
// backend and stops those of backends gone.
func (e *Edge) Run(ctx context.Context) {
	var probers sync.WaitGroup
	tick := time.NewTicker(e.cfg.ProbeEvery)
	defer tick.Stop()
	for {
		e.sync(ctx, &probers)
		select {
		case <-ctx.Done():
			probers.Wait()
			return
		case <-tick.C:
		}
	}
}

// sync makes the backend table match Config.Backends.
func (e *Edge) sync(ctx context.Context, probers *sync.WaitGroup) {
	want := map[string]Backend{}
	for _, b := range e.cfg.Backends() {
		want[b.Addr] = b
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := false
	for addr, b := range e.backends {
		if w, ok := want[addr]; !ok || w.ID != b.ID {
			b.stop()
			delete(e.backends, addr)
			changed = true
		}
	}
	for addr, w := range want {
		if _, ok := e.backends[addr]; ok || ctx.Err() != nil {
			continue
		}
		pctx, stop := context.WithCancel(ctx)
		b := &backend{Backend: w, stop: stop, waiting: map[*waiter]struct{}{}}
		e.backends[addr] = b
		probers.Go(func() { e.probeLoop(pctx, b) })
		changed = true
	}
	if !changed {
		return
	}
	order := make([]*backend, 0, len(e.backends))
	for _, b := range e.backends {
		order = append(order, b)
	}
	slices.SortFunc(order, func(a, b *backend) int { return strings.Compare(a.ID, b.ID) })
	e.order = order
}

// probeLoop probes b at once, then every ProbeEvery, until ctx ends.
func (e *Edge) probeLoop(ctx context.Context, b *backend) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := e.probe(ctx, b)
		if ctx.Err() != nil {
			return
		}
		e.setHealth(b, err)
		timer.Reset(e.cfg.ProbeEvery)
	}
}

// probe asks b's /readyz: nil when it answers 200 within the timeout.
func (e *Edge) probe(ctx context.Context, b *backend) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.Addr+"/readyz", nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", b.ID, err)
	}
	resp, err := e.probes.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", b.ID, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: /readyz answered %s", b.ID, resp.Status)
	}
	return nil
}

// setHealth records a probe's or a request's outcome on b (err nil: in
// rotation). A backend that leaves the rotation calls off the replayable
// requests waiting on it, so they go to another backend, when there is
// one in rotation.
func (e *Edge) setHealth(b *backend, err error) {
	b.mu.Lock()
	was := b.healthy
	b.healthy = err == nil
	var waiting []*waiter
	if was && err != nil {
		for w := range b.waiting {
			waiting = append(waiting, w)
		}
	}
	b.mu.Unlock()
	switch {
	case !was && err == nil:
		e.cfg.Logger.Info("edge: backend in rotation", "instance", b.ID, "addr", b.Addr)
	case was && err != nil:
		e.cfg.Logger.Warn("edge: backend out of rotation", "instance", b.ID, "addr", b.Addr, "err", err)
		if !e.othersInRotation(b) {
			return // nowhere else to go: let them wait for this one
		}
		for _, w := range waiting {
			w.cancel(errEjected)
		}
	}
}

func (b *backend) isHealthy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.healthy
}

// await registers a replayable request waiting for b's answer.
func (b *backend) await(cancel context.CancelCauseFunc) *waiter {
	w := &waiter{cancel: cancel}
	b.mu.Lock()
	b.waiting[w] = struct{}{}
	b.mu.Unlock()
	return w
}

// answered removes a request from the waiting ones.
func (b *backend) answered(w *waiter) {
	b.mu.Lock()
	delete(b.waiting, w)
	b.mu.Unlock()
}
