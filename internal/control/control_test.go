package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// fakeOp records the operations asked of it and answers from its fields.
type fakeOp struct {
	mu     sync.Mutex
	calls  []string
	err    error // every operation's error
	faults []registry.Fault
	lines  []supervisor.LogLine
}

func (f *fakeOp) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeOp) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeOp) Status() []supervisor.Info {
	return []supervisor.Info{
		{ID: "cart-1", Service: "cart", PID: 11, State: supervisor.StateReady, Version: "v1"},
		{ID: "pricing-1", Service: "pricing", PID: 12, State: supervisor.StateExited, Restarts: 2},
	}
}

func (f *fakeOp) Faults() []registry.Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]registry.Fault(nil), f.faults...)
}

func (f *fakeOp) Scale(_ context.Context, service string, n int) error {
	return f.record("scale %s %d", service, n)
}

func (f *fakeOp) Kill(target string) ([]string, error) {
	if err := f.record("kill %s", target); err != nil {
		return nil, err
	}
	return []string{target + "-1"}, nil
}

func (f *fakeOp) Restart(_ context.Context, service string) error {
	return f.record("restart %s", service)
}

func (f *fakeOp) Upgrade(_ context.Context, service string) (string, error) {
	return "v2", f.record("upgrade %s", service)
}

func (f *fakeOp) SetFault(rule registry.Fault) error {
	if err := f.record("fault %s", rule); err != nil {
		return err
	}
	f.mu.Lock()
	f.faults = append(f.faults, rule)
	f.mu.Unlock()
	return nil
}

func (f *fakeOp) ClearFaults(from, to string) error {
	if err := f.record("clear %q %q", from, to); err != nil {
		return err
	}
	f.mu.Lock()
	f.faults = nil
	f.mu.Unlock()
	return nil
}

// Logs sends the fake's lines; following, it then sends "following" and
// waits for the end of ctx.
func (f *fakeOp) Logs(ctx context.Context, opts supervisor.LogOptions, fn func(supervisor.LogLine) error) error {
	if err := f.record("logs %q tail=%d follow=%v", opts.Service, opts.Tail, opts.Follow); err != nil {
		return err
	}
	for _, l := range f.lines {
		if err := fn(l); err != nil {
			return err
		}
	}
	if opts.Follow {
		if err := fn(supervisor.LogLine{Instance: "cart-1", Service: "cart", Line: "following"}); err != nil {
			return err
		}
		<-ctx.Done()
	}
	return nil
}

func serve(t *testing.T, op Operator) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "control.json")
	srv, err := Serve(op, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, path
}

func TestServeWritesAPrivateControlFileAndListensOnLoopback(t *testing.T) {
	srv, path := serve(t, &fakeOp{})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("control file mode %v, want 0600", mode)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(f.Addr)
	if err != nil || host != "127.0.0.1" || f.Addr != srv.Addr() {
		t.Errorf("control file addr %q (server %s), want 127.0.0.1:port", f.Addr, srv.Addr())
	}
	if len(f.Token) != 64 || f.Token != srv.Token() || f.PID != os.Getpid() {
		t.Errorf("control file = %+v, want the server's 64-hex-digit token and this pid", f)
	}
	other, _ := serve(t, &fakeOp{})
	if other.Token() == srv.Token() {
		t.Error("two servers got the same token")
	}
	if err := srv.SetStorefront("http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	if g, err := ReadFile(path); err != nil || g.Storefront != "http://127.0.0.1:8080" || g.Token != f.Token || g.Addr != f.Addr {
		t.Errorf("control file after SetStorefront = %+v, %v; want the same address and token, and the URL", g, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("control file after SetStorefront: %v, %v; want mode 0600", info, err)
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("control file after Close: %v, want it removed", err)
	}
	if _, err := ReadFile(path); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ReadFile after Close = %v, want ErrNotRunning", err)
	}
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the control API still accepts connections after Close")
	}
}

func TestEveryRequestNeedsTheToken(t *testing.T) {
	op := &fakeOp{}
	srv, _ := serve(t, op)
	tests := []struct {
		name, auth string
		want       int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer " + strings.Repeat("0", 64), http.StatusUnauthorized},
		{"token prefix", "Bearer " + srv.Token()[:10], http.StatusUnauthorized},
		{"other scheme", "Basic " + srv.Token(), http.StatusUnauthorized},
		{"bare token", srv.Token(), http.StatusUnauthorized},
		{"right token", "Bearer " + srv.Token(), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://"+srv.Addr()+"/v1/kill", strings.NewReader(`{"target":"cart"}`))
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("POST /v1/kill with %s = %d, want %d", tt.name, resp.StatusCode, tt.want)
			}
		})
	}
	if got := op.called(); !reflect.DeepEqual(got, []string{"kill cart"}) {
		t.Errorf("operations carried out = %q, want only the authorized kill", got)
	}
}

func TestOnlyLoopbackIsServed(t *testing.T) {
	h := Handler(&fakeOp{}, "secret")
	for addr, want := range map[string]int{
		"192.0.2.7:5555": http.StatusForbidden,
		"[::1]:5555":     http.StatusOK,
		"127.0.0.1:5555": http.StatusOK,
	} {
		req := httptest.NewRequest(http.MethodGet, "/v1/instances", nil)
		req.RemoteAddr = addr
		req.Header.Set("Authorization", "Bearer secret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET /v1/instances from %s = %d, want %d", addr, rec.Code, want)
		}
	}
}

func TestClientDrivesEveryOperation(t *testing.T) {
	op := &fakeOp{lines: []supervisor.LogLine{{Instance: "cart-1", Service: "cart", Line: "hello"}}}
	_, path := serve(t, op)
	c, err := Open(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || len(st.Instances) != 2 || st.Instances[1].State != supervisor.StateExited || st.Faults == nil {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	res, err := c.Scale(ctx, "cart", 3)
	if err != nil || res.Service != "cart" || len(res.Instances) != 1 || res.Instances[0].ID != "cart-1" {
		t.Fatalf("Scale = %+v, %v; want cart's instances", res, err)
	}
	if _, err := c.Restart(ctx, "cart"); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Upgrade(ctx, "cart"); err != nil || res.Version != "v2" {
		t.Fatalf("Upgrade = %+v, %v; want version v2", res, err)
	}
	if killed, err := c.Kill(ctx, "cart"); err != nil || !reflect.DeepEqual(killed, []string{"cart-1"}) {
		t.Fatalf("Kill = %v, %v", killed, err)
	}
	rule := registry.Fault{From: "cart", To: "payment", Latency: 200 * time.Millisecond, ErrorRate: 0.5}
	if faults, err := c.SetFault(ctx, rule); err != nil || !reflect.DeepEqual(faults, []registry.Fault{rule}) {
		t.Fatalf("SetFault = %v, %v", faults, err)
	}
	if faults, err := c.Faults(ctx); err != nil || len(faults) != 1 {
		t.Fatalf("Faults = %v, %v", faults, err)
	}
	if faults, err := c.ClearFaults(ctx, "cart", "payment"); err != nil || len(faults) != 0 {
		t.Fatalf("ClearFaults = %v, %v", faults, err)
	}
	if _, err := c.ClearFaults(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	var lines []string
	err = c.Logs(ctx, supervisor.LogOptions{Service: "cart", Tail: 5}, func(l supervisor.LogLine) error {
		lines = append(lines, l.Instance+": "+l.Line)
		return nil
	})
	if err != nil || !reflect.DeepEqual(lines, []string{"cart-1: hello"}) {
		t.Fatalf("Logs = %q, %v", lines, err)
	}
	want := []string{
		"scale cart 3", "restart cart", "upgrade cart", "kill cart",
		"fault cart->payment latency 200ms errors 50%", `clear "cart" "payment"`, `clear "" ""`,
		`logs "cart" tail=5 follow=false`,
	}
	if got := op.called(); !reflect.DeepEqual(got, want) {
		t.Errorf("operations = %q\nwant         %q", got, want)
	}
}

func TestFollowingLogsStreamsUntilTheClientLeavesOrTheServerCloses(t *testing.T) {
	op := &fakeOp{}
	srv, path := serve(t, op)
	c, err := Open(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	// The client leaves: Logs returns nil.
	ctx, cancel := context.WithCancel(context.Background())
	err = c.Logs(ctx, supervisor.LogOptions{Follow: true}, func(l supervisor.LogLine) error {
		if l.Line == "following" {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Logs after the client left = %v, want nil", err)
	}
	// The server closes: the stream ends instead of holding Close up.
	got := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Logs(context.Background(), supervisor.LogOptions{Follow: true}, func(supervisor.LogLine) error {
			close(got)
			return nil
		})
	}()
	<-got
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %v with a log stream open", took)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the log stream did not end when the server closed")
	}
}

func TestBadRequestsAndFailedOperations(t *testing.T) {
	tests := []struct {
		name         string
		opErr        error
		method, path string
		body         string
		want         int
		wantMsg      string
	}{
		{"scale without replicas", nil, "POST", "/v1/services/cart/scale", `{}`, 400, "replicas"},
		{"scale with bad JSON", nil, "POST", "/v1/services/cart/scale", `{"replicas":`, 400, "bad JSON"},
		{"scale with a string", nil, "POST", "/v1/services/cart/scale", `{"replicas":"3"}`, 400, "bad JSON"},
		{"scale with an unknown field", nil, "POST", "/v1/services/cart/scale", `{"replicas":3,"x":1}`, 400, "unknown field"},
		{"scale with two values", nil, "POST", "/v1/services/cart/scale", `{"replicas":3}{}`, 400, "more than one"},
		{"empty body", nil, "POST", "/v1/kill", ``, 400, "empty"},
		{"huge body", nil, "POST", "/v1/kill", `{"target":"` + strings.Repeat("x", maxBodyBytes) + `"}`, 413, "larger"},
		{"kill without target", nil, "POST", "/v1/kill", `{}`, 400, "target"},
		{"logs with a bad tail", nil, "GET", "/v1/logs?tail=many", ``, 400, "tail"},
		{"logs with a bad follow", nil, "GET", "/v1/logs?follow=maybe", ``, 400, "follow"},
		{"unknown service", fmt.Errorf("scale: %w service %q (known: cart)", supervisor.ErrUnknown, "carts"), "POST", "/v1/services/carts/scale", `{"replicas":2}`, 404, "known: cart"},
		{"invalid request", fmt.Errorf("scale: %w: replicas", supervisor.ErrInvalid), "POST", "/v1/services/cart/scale", `{"replicas":-1}`, 400, "replicas"},
		{"supervisor stopping", supervisor.ErrStopping, "POST", "/v1/services/cart/restart", ``, 503, "stopping"},
		{"failed operation", errors.New("boom"), "POST", "/v1/services/cart/upgrade", ``, 500, "boom"},
		{"unknown logs service", fmt.Errorf("logs: %w service", supervisor.ErrUnknown), "GET", "/v1/logs?service=nope", ``, 404, "unknown"},
		{"unknown rule", fmt.Errorf("clear: %w fault rule", supervisor.ErrUnknown), "DELETE", "/v1/faults?from=a&to=b", ``, 404, "rule"},
		{"fault with a bad latency", nil, "PUT", "/v1/faults", `{"from":"a","to":"b","latency_ms":"slow"}`, 400, "bad JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := &fakeOp{err: tt.opErr}
			srv, _ := serve(t, op)
			req, err := http.NewRequest(tt.method, "http://"+srv.Addr()+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+srv.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb errorBody
			if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil {
				t.Fatalf("%s %s = %d with a body that is not a JSON error: %v", tt.method, tt.path, resp.StatusCode, err)
			}
			if resp.StatusCode != tt.want || !strings.Contains(eb.Error.Message, tt.wantMsg) {
				t.Fatalf("%s %s = %d %+v, want status %d mentioning %q", tt.method, tt.path, resp.StatusCode, eb.Error, tt.want, tt.wantMsg)
			}
		})
	}
}

func TestClientSaysWhenTheShopIsNotRunning(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Open without a control file = %v, want ErrNotRunning", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	if _, err := NewClient(addr, "x").Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Status against a dead address = %v, want ErrNotRunning", err)
	}
}
