package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/server"
	"github.com/bazaar-shop/bazaar/platform/telemetry"
	"google.golang.org/grpc/codes"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestNewValidatesConfig(t *testing.T) {
	tel, err := telemetry.New(t.Context(), telemetry.Options{Service: "test", Instance: "t", LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	valid := server.Config{GRPCAddr: ":0", AdminAddr: ":0"}
	tests := []struct {
		name    string
		mutate  func(*server.Config)
		wantErr string // "" = valid
	}{
		{"defaults", func(*server.Config) {}, ""},
		{"no gRPC address", func(c *server.Config) { c.GRPCAddr = "" }, "GRPCAddr"},
		{"no admin address", func(c *server.Config) { c.AdminAddr = "" }, "AdminAddr"},
		{"negative message size", func(c *server.Config) { c.MaxRecvMsgBytes = -1 }, "MaxRecvMsgBytes=-1"},
		{"negative body size", func(c *server.Config) { c.MaxHTTPBodyBytes = -1 }, "MaxHTTPBodyBytes=-1"},
		{"negative drain timeout", func(c *server.Config) { c.DrainTimeout = -time.Second }, "DrainTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mutate(&cfg)
			_, err := server.New(cfg, tel)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
	if _, err := server.New(valid, nil); err == nil {
		t.Errorf("New without telemetry succeeded")
	}
}

func TestRunFailsNamingTheBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	tests := []struct {
		name string
		cfg  server.Config
	}{
		{"gRPC", server.Config{GRPCAddr: addr}},
		{"admin", server.Config{AdminAddr: addr}},
		{"HTTP", server.Config{HTTPAddr: addr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.cfg)
			s.SetHTTPHandler(http.NotFoundHandler())
			err := s.Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), tt.name) {
				t.Fatalf("Run: err = %v, want an error naming the %s address %s", err, tt.name, addr)
			}
			select {
			case <-s.Ready():
				t.Errorf("Ready closed although Run failed to listen")
			default:
			}
		})
	}
}

func TestRunNeedsHandlerForHTTPAddr(t *testing.T) {
	s := newServer(t, server.Config{HTTPAddr: "127.0.0.1:0"})
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "HTTPAddr") {
		t.Fatalf("Run without HTTP handler: err = %v, want an error naming HTTPAddr", err)
	}
}

func TestAdminEndpoints(t *testing.T) {
	s := newServer(t, server.Config{})
	s.GRPC().RegisterService(echoServiceDesc(), echoFunc(func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return in, nil
	}))
	s.HandleAdmin("GET /custom", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("custom")) }))
	r := start(t, s)
	if _, err := callEcho(t.Context(), dial(t, s), "hi"); err != nil {
		t.Fatalf("echo: %v", err)
	}

	admin := "http://" + r.AdminAddr().String()
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/metrics", 200, `grpc_server_handled_total{grpc_code="OK",grpc_method="Echo",grpc_service="bazaar.test.v1.EchoService",grpc_type="unary"} 1`},
		{"/metrics", 200, "go_goroutines"},
		{"/debug/pprof/", 200, "goroutine"},
		{"/debug/pprof/goroutine?debug=1", 200, "goroutine profile:"},
		{"/debug/pprof/cmdline", 200, ""},
		{"/custom", 200, "custom"},
		{"/nope", 404, ""},
	}
	for _, tt := range tests {
		code, body := get(t, admin+tt.path)
		if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
			t.Errorf("GET %s = %d %.200q, want %d containing %q", tt.path, code, body, tt.wantCode, tt.wantBody)
		}
	}
}

func TestReadyzFollowsChecks(t *testing.T) {
	s := newServer(t, server.Config{})
	var dbErr atomic.Pointer[error]
	s.AddReadinessCheck("database", func(context.Context) error {
		if p := dbErr.Load(); p != nil {
			return *p
		}
		return nil
	})
	s.AddReadinessCheck("stream", func(context.Context) error { return nil })
	r := start(t, s)
	readyz := "http://" + r.AdminAddr().String() + "/readyz"

	broken := errors.New("disk gone")
	steps := []struct {
		name     string
		dbErr    error
		wantCode int
		wantBody string
	}{
		{"all pass", nil, 200, "ready"},
		{"database fails", broken, 503, "database: disk gone"},
		{"database back", nil, 200, "ready"},
	}
	for _, st := range steps {
		dbErr.Store(&st.dbErr)
		if st.dbErr == nil {
			dbErr.Store(nil)
		}
		code, body := get(t, readyz)
		if code != st.wantCode || !strings.Contains(body, st.wantBody) || (code != 200 && strings.Contains(body, "stream")) {
			t.Errorf("%s: GET /readyz = %d %q, want %d naming only %q", st.name, code, body, st.wantCode, st.wantBody)
		}
	}

	s.AddReadinessCheck("hung", func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // answers late: /readyz must not wait for it
		return ctx.Err()
	})
	code, body := get(t, readyz)
	if code != 503 || !strings.Contains(body, "hung: no answer") {
		t.Errorf("with a hung check: GET /readyz = %d %q, want 503 naming hung", code, body)
	}
}

func TestMaxRecvMsgBytes(t *testing.T) {
	s := newServer(t, server.Config{MaxRecvMsgBytes: 1024})
	s.GRPC().RegisterService(echoServiceDesc(), echoFunc(func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return in, nil
	}))
	start(t, s)
	conn := dial(t, s)
	tests := []struct {
		size int
		want codes.Code
	}{
		{100, codes.OK},
		{2000, codes.ResourceExhausted},
	}
	for _, tt := range tests {
		_, err := callEcho(t.Context(), conn, strings.Repeat("x", tt.size))
		if status.Code(err) != tt.want {
			t.Errorf("echo %d bytes: %v, want %s", tt.size, err, tt.want)
		}
	}
}

func TestPublicHTTP(t *testing.T) {
	s := newServer(t, server.Config{HTTPAddr: "127.0.0.1:0", MaxHTTPBodyBytes: 1 << 20})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.Write(body)
	})
	s.SetHTTPHandler(mux)
	r := start(t, s)

	tests := []struct {
		name     string
		size     int
		wantCode int
	}{
		{"small body", 10, 200},
		{"body at the limit", 1 << 20, 200},
		{"body over the limit", 1<<20 + 1, 413},
	}
	for _, tt := range tests {
		url := "http://" + r.HTTPAddr().String() + "/echo"
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(make([]byte, tt.size)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: POST: %v", tt.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantCode {
			t.Errorf("%s: status = %d, want %d", tt.name, resp.StatusCode, tt.wantCode)
		}
	}
	_, metrics := get(t, "http://"+r.AdminAddr().String()+"/metrics")
	for _, want := range []string{
		`http_requests_total{code="200",method="POST",route="/echo"} 2`,
		`http_requests_total{code="413",method="POST",route="/echo"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestHealthCheckDuringPreDrainDelay(t *testing.T) {
	const delay = 2 * time.Second
	s := newServer(t, server.Config{PreDrainDelay: delay})
	r := start(t, s)
	health := healthgrpc.NewHealthClient(dial(t, s))
	check := func() healthgrpc.HealthCheckResponse_ServingStatus {
		resp, err := health.Check(t.Context(), &healthgrpc.HealthCheckRequest{})
		if err != nil {
			t.Fatalf("health check: %v", err)
		}
		return resp.GetStatus()
	}
	if got := check(); got != healthgrpc.HealthCheckResponse_SERVING {
		t.Fatalf("health before drain = %s, want SERVING", got)
	}

	began := time.Now()
	r.cancel()
	eventually(t, "health is NOT_SERVING", func() bool { return check() == healthgrpc.HealthCheckResponse_NOT_SERVING })
	if code, _ := get(t, "http://"+r.AdminAddr().String()+"/readyz"); code != 503 {
		t.Errorf("/readyz during pre-drain delay = %d, want 503", code)
	}
	c, err := net.Dial("tcp", r.GRPCAddr().String())
	if err != nil {
		t.Errorf("new connection during pre-drain delay: %v, want accepted", err)
	} else {
		c.Close()
	}
	if err := <-r.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	r.done <- nil
	if elapsed := time.Since(began); elapsed < delay {
		t.Errorf("Run returned %s after cancel, before the %s pre-drain delay", elapsed, delay)
	}
}

func TestGracefulDrain(t *testing.T) {
	s := newServer(t, server.Config{DrainTimeout: 20 * time.Second})
	entered := make(chan struct{})
	release := make(chan struct{})
	s.GRPC().RegisterService(echoServiceDesc(), echoFunc(func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "slow" {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return in, nil
	}))
	r := start(t, s)
	conn := dial(t, s)

	watch, err := healthgrpc.NewHealthClient(conn).Watch(t.Context(), &healthgrpc.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("health watch: %v", err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthgrpc.HealthCheckResponse_SERVING {
		t.Fatalf("first watch status = %v, %v; want SERVING", resp.GetStatus(), err)
	}

	type result struct {
		out *wrapperspb.StringValue
		err error
	}
	slow := make(chan result, 1)
	go func() {
		out, err := callEcho(context.Background(), conn, "slow")
		slow <- result{out, err}
	}()
	<-entered

	r.cancel()
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthgrpc.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch status after cancel = %v, %v; want NOT_SERVING", resp.GetStatus(), err)
	}
	watchEnded := make(chan error, 1)
	go func() {
		_, err := watch.Recv()
		watchEnded <- err
	}()
	select {
	case err := <-watchEnded:
		if err == nil {
			t.Fatalf("watch sent another status after NOT_SERVING, want the stream to end")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("watch stream still open 5s into the drain: it would hold GracefulStop open")
	}
	eventually(t, "new gRPC connections are refused", func() bool {
		c, err := net.Dial("tcp", r.GRPCAddr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if code, body := get(t, "http://"+r.AdminAddr().String()+"/readyz"); code != 503 || !strings.Contains(body, "draining") {
		t.Errorf("/readyz while draining = %d %q, want 503 draining", code, body)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned (%v) while a call was in flight", err)
	default:
	}

	close(release)
	res := <-slow
	if res.err != nil || res.out.GetValue() != "slow" {
		t.Fatalf("in-flight call during drain = %v, %v; want it to complete", res.out, res.err)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := net.Dial("tcp", r.AdminAddr().String()); err == nil {
		t.Errorf("admin listener still accepts connections after Run returned")
	}
}
