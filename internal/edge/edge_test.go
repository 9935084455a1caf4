package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend is a storefront instance on a real listener: it answers
// "<id> <method> <path>" and counts what it got, per "METHOD /path".
// /drop reads the request, then drops the connection without answering.
type fakeBackend struct {
	id  string
	srv *httptest.Server

	ready atomic.Bool
	hang  chan struct{} // while open and set, every request blocks on it

	mu     sync.Mutex
	got    map[string]int
	hangMu sync.Mutex
	hung   bool
}

func newFakeBackend(t *testing.T, id string) *fakeBackend {
	t.Helper()
	b := &fakeBackend{id: id, got: map[string]int{}, hang: make(chan struct{})}
	b.ready.Store(true)
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(func() {
		b.release()
		b.srv.Close()
	})
	return b
}

func (b *fakeBackend) serve(w http.ResponseWriter, r *http.Request) {
	b.hangMu.Lock()
	hung, hang := b.hung, b.hang
	b.hangMu.Unlock()
	if hung {
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path == "/readyz" {
		if !b.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
		return
	}
	_, _ = io.ReadAll(r.Body)
	b.mu.Lock()
	b.got[r.Method+" "+r.URL.Path]++
	b.mu.Unlock()
	if r.URL.Path == "/drop" {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("X-Seen-Forwarded-For", r.Header.Get("X-Forwarded-For"))
	w.Header().Set("X-Seen-Host", r.Host)
	fmt.Fprintf(w, "%s %s %s", b.id, r.Method, r.URL.Path)
}

// freeze makes every request, probes included, block until release.
func (b *fakeBackend) freeze() {
	b.hangMu.Lock()
	b.hung = true
	b.hangMu.Unlock()
}

func (b *fakeBackend) release() {
	b.hangMu.Lock()
	defer b.hangMu.Unlock()
	if b.hung {
		close(b.hang)
		b.hung, b.hang = false, make(chan struct{})
	}
}

func (b *fakeBackend) count(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[key]
}

func (b *fakeBackend) backend() Backend {
	return Backend{ID: b.id, Addr: strings.TrimPrefix(b.srv.URL, "http://")}
}

// testEdge is an Edge over a set of backends the test may change,
// served on a real listener, probing every 20 ms.
type testEdge struct {
	*Edge
	url string

	mu   sync.Mutex
	list []Backend
}

func newTestEdge(t *testing.T, backends ...*fakeBackend) *testEdge {
	t.Helper()
	te := &testEdge{}
	for _, b := range backends {
		te.list = append(te.list, b.backend())
	}
	e, err := New(Config{
		Backends: func() []Backend {
			te.mu.Lock()
			defer te.mu.Unlock()
			return append([]Backend(nil), te.list...)
		},
		ProbeEvery: 20 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, MaxBodyBytes: 1 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	te.Edge = e
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	te.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return te
}

// waitRotation waits until exactly the backends ids are in rotation.
func (te *testEdge) waitRotation(t *testing.T, ids ...string) {
	t.Helper()
	want := strings.Join(ids, ",")
	deadline := time.Now().Add(5 * time.Second)
	for strings.Join(te.Rotation(), ",") != want {
		if time.Now().After(deadline) {
			t.Fatalf("rotation %v, want %v", te.Rotation(), ids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// do sends a request through the edge and returns the status, the body
// and the headers.
func (te *testEdge) do(t *testing.T, method, path string, hdr http.Header, body string) (int, string, http.Header) {
	t.Helper()
	code, data, h, err := te.try(method, path, hdr, body)
	if err != nil {
		t.Fatal(err)
	}
	return code, data, h
}

// try is do for other goroutines than the test's.
func (te *testEdge) try(method, path string, hdr http.Header, body string) (int, string, http.Header, error) {
	req, err := http.NewRequest(method, te.url+path, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	return resp.StatusCode, string(data), resp.Header, nil
}

func TestRoundRobinSpreadsOverEveryBackend(t *testing.T) {
	a, b, c := newFakeBackend(t, "sf-1"), newFakeBackend(t, "sf-2"), newFakeBackend(t, "sf-3")
	te := newTestEdge(t, a, b, c)
	te.waitRotation(t, "sf-1", "sf-2", "sf-3")
	for i := range 30 {
		code, body, hdr := te.do(t, http.MethodGet, "/products", nil, "")
		if code != http.StatusOK {
			t.Fatalf("request %d = %d %s", i, code, body)
		}
		if hdr.Get("X-Seen-Forwarded-For") != "127.0.0.1" {
			t.Fatalf("X-Forwarded-For at the backend = %q, want the client's address", hdr.Get("X-Seen-Forwarded-For"))
		}
		if host := hdr.Get("X-Seen-Host"); host != strings.TrimPrefix(te.url, "http://") {
			t.Fatalf("Host at the backend = %q, want the client's %q", host, te.url)
		}
	}
	for _, fb := range []*fakeBackend{a, b, c} {
		if n := fb.count("GET /products"); n != 10 {
			t.Errorf("%s got %d of 30 requests, want 10", fb.id, n)
		}
	}
}

func TestFailedProbeEjectsUntilAProbePasses(t *testing.T) {
	a, b := newFakeBackend(t, "sf-1"), newFakeBackend(t, "sf-2")
	te := newTestEdge(t, a, b)
	te.waitRotation(t, "sf-1", "sf-2")

	b.ready.Store(false)
	te.waitRotation(t, "sf-1")
	before := b.count("GET /x")
	for range 10 {
		if code, body, _ := te.do(t, http.MethodGet, "/x", nil, ""); code != http.StatusOK || !strings.HasPrefix(body, "sf-1 ") {
			t.Fatalf("with sf-2 out: %d %q, want sf-1's answer", code, body)
		}
	}
	if n := b.count("GET /x") - before; n != 0 {
		t.Errorf("sf-2 got %d requests while out of rotation", n)
	}

	b.ready.Store(true)
	te.waitRotation(t, "sf-1", "sf-2")
	for range 4 {
		te.do(t, http.MethodGet, "/x", nil, "")
	}
	if b.count("GET /x") == before {
		t.Errorf("sf-2 got no request after it came back")
	}

	// A backend the supervisor no longer lists leaves at once.
	te.mu.Lock()
	te.list = te.list[:1]
	te.mu.Unlock()
	te.waitRotation(t, "sf-1")
}

func TestHungBackendIsEjectedAndRequestsKeepSucceeding(t *testing.T) {
	a, b := newFakeBackend(t, "sf-1"), newFakeBackend(t, "sf-2")
	te := newTestEdge(t, a, b)
	te.waitRotation(t, "sf-1", "sf-2")

	b.freeze() // SIGSTOP, as far as the edge can tell
	// A POST without an idempotency key that reaches the hung backend
	// must wait for it, never go to another one.
	posted := make(chan string, 1)
	go func() {
		for range 4 { // round-robin: the second one at the latest
			code, body, _, err := te.try(http.MethodPost, "/cart", nil, "x")
			if err != nil || code != http.StatusOK || strings.HasPrefix(body, "sf-2 ") {
				posted <- fmt.Sprintf("%d %s %v", code, body, err)
				return
			}
		}
		posted <- "no POST reached sf-2"
	}()
	// Reads in flight on the hung backend go to the other one when it is
	// ejected; later reads go there at once.
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for range 40 {
		wg.Go(func() {
			code, body, _, err := te.try(http.MethodGet, "/products", nil, "")
			if err != nil || code != http.StatusOK || !strings.HasPrefix(body, "sf-1 ") {
				errs <- fmt.Sprintf("%d %q %v", code, body, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("GET with sf-2 hung: %s, want sf-1's answer", e)
	}
	te.waitRotation(t, "sf-1")
	select {
	case got := <-posted:
		t.Fatalf("POST answered while its backend was hung: %s", got)
	default:
	}

	b.release()
	if got := <-posted; !strings.HasPrefix(got, "200 sf-2 POST") {
		t.Errorf("POST after the hung backend continued = %q, want sf-2's answer", got)
	}
	te.waitRotation(t, "sf-1", "sf-2")
}

// TestRetries: what is sent again, and where, when a backend fails.
func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		path   string
		hdr    http.Header
		dead   bool // the first backend refuses connections
		status int
		// sent is how many times the request reached a backend.
		sent int
	}{
		{name: "POST to a refused connection goes to the other backend", method: http.MethodPost, path: "/api/v1/cart/items", dead: true, status: http.StatusOK, sent: 1},
		{name: "GET to a refused connection goes to the other backend", method: http.MethodGet, path: "/", dead: true, status: http.StatusOK, sent: 1},
		{name: "POST without a key whose connection dropped is not sent twice", method: http.MethodPost, path: "/drop", status: http.StatusBadGateway, sent: 1},
		{name: "POST with an idempotency key is sent again", method: http.MethodPost, path: "/drop", hdr: http.Header{"Idempotency-Key": {"k1"}}, status: http.StatusBadGateway, sent: 2},
		{name: "GET whose connection dropped is sent again once", method: http.MethodGet, path: "/drop", status: http.StatusBadGateway, sent: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newFakeBackend(t, "sf-1"), newFakeBackend(t, "sf-2")
			te := newTestEdge(t, a, b)
			te.waitRotation(t, "sf-1", "sf-2")
			if tc.dead {
				// Both in rotation until a connection fails: the edge
				// learns it from the request itself.
				a.srv.Close()
				for i := range 2 {
					code, _, _ := te.do(t, tc.method, tc.path, tc.hdr, "{}")
					if code != tc.status {
						t.Fatalf("request %d = %d, want %d", i, code, tc.status)
					}
				}
				if n := b.count(tc.method + " " + tc.path); n != 2 {
					t.Errorf("the live backend got %d of 2 requests", n)
				}
				return
			}
			code, body, _ := te.do(t, tc.method, tc.path, tc.hdr, "{}")
			if code != tc.status {
				t.Fatalf("status %d %s, want %d", code, body, tc.status)
			}
			key := tc.method + " " + tc.path
			if n := a.count(key) + b.count(key); n != tc.sent {
				t.Errorf("the request reached a backend %d times, want %d", n, tc.sent)
			}
		})
	}
}

func TestNoBackendAnswers503(t *testing.T) {
	te := newTestEdge(t)
	for _, tc := range []struct {
		path, contentType string
	}{
		{"/api/v1/products", "application/json"},
		{"/products/p1", "text/html; charset=utf-8"},
	} {
		code, body, hdr := te.do(t, http.MethodGet, tc.path, nil, "")
		if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || hdr.Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s = %d, Retry-After %q, %s; want 503 with Retry-After, %s", tc.path, code, hdr.Get("Retry-After"), hdr.Get("Content-Type"), tc.contentType)
		}
		if tc.contentType == "application/json" {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != "unavailable" || e.Error.Message == "" {
				t.Errorf("API error body %q (%v), want {\"error\":{\"code\":\"unavailable\",\"message\":…}}", body, err)
			}
		}
	}
	if code, _, _ := te.do(t, http.MethodGet, "/healthz", nil, ""); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200: the edge itself is alive", code)
	}
	if code, _, _ := te.do(t, http.MethodGet, "/readyz", nil, ""); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d, want 503 with no backend", code)
	}
}

func TestLimits(t *testing.T) {
	a := newFakeBackend(t, "sf-1")
	te := newTestEdge(t, a)
	te.waitRotation(t, "sf-1")
	code, body, _ := te.do(t, http.MethodPost, "/api/v1/cart/items", nil, strings.Repeat("x", 2<<10))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "payload_too_large") {
		t.Errorf("oversized body = %d %s, want 413 payload_too_large", code, body)
	}
	if n := a.count("POST /api/v1/cart/items"); n != 0 {
		t.Errorf("the oversized request reached the backend %d times", n)
	}
	srv := te.Server()
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.WriteTimeout < backendTimeout {
		t.Errorf("server limits %+v: want header and idle timeouts, a header limit, a write timeout above the backend's", srv)
	}
	if _, err := New(Config{}); err == nil {
		t.Errorf("New without Backends succeeded")
	}
}

// The shop is announced only once the edge can route: AwaitRotation
// returns when a backend's first probe passed, and fails when none does.
func TestAwaitRotation(t *testing.T) {
	te := newTestEdge(t, newFakeBackend(t, "sf-1"))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := te.AwaitRotation(ctx, time.Millisecond); err != nil {
		t.Fatalf("AwaitRotation with a ready backend: %v", err)
	}
	if got := te.Rotation(); len(got) != 1 || got[0] != "sf-1" {
		t.Errorf("rotation %v after AwaitRotation, want [sf-1]", got)
	}

	none := newTestEdge(t)
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := none.AwaitRotation(ctx, time.Millisecond); err == nil || !strings.Contains(err.Error(), "no storefront instance") {
		t.Errorf("AwaitRotation with no backend = %v, want an error naming the wait", err)
	}
}
