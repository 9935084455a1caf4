package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/server"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// httpAttackServer runs a public HTTP listener whose handler counts the
// requests that reach it.
func httpAttackServer(t *testing.T) (*running, *atomic.Int64) {
	t.Helper()
	s := newServer(t, server.Config{HTTPAddr: "127.0.0.1:0", HTTPReadHeaderTimeout: 300 * time.Millisecond})
	var served atomic.Int64
	s.SetHTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	return start(t, s), &served
}

// TestSlowlorisIsCut sends a request's headers a line at a time, slower
// than the server's header timeout allows: the server closes the
// connection before the headers are complete, and the handler never runs.
func TestSlowlorisIsCut(t *testing.T) {
	r, served := httpAttackServer(t)
	conn, err := net.Dial("tcp", r.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes
		close(closed)
	}()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: shop\r\n"); err != nil {
		t.Fatal(err)
	}
	// A header line every 100ms, for up to 100 lines (10s, 33 times the
	// header timeout): an attacker never finishes the headers.
	for i := range 100 {
		select {
		case <-closed:
			if n := served.Load(); n != 0 {
				t.Fatalf("handler ran %d times for a request whose headers never ended", n)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := io.WriteString(conn, "X-Slow: "+strings.Repeat("a", i%10)+"\r\n"); err != nil {
			<-closed // a write refused after the server closed: cut
			return
		}
	}
	t.Fatal("the server kept a connection whose headers trickled in for 10s open")
}

// TestMalformedAndOversizedHTTP sends requests no client should send: the
// server answers each with a 4xx and never calls the handler, and keeps
// serving afterwards.
func TestMalformedAndOversizedHTTP(t *testing.T) {
	r, served := httpAttackServer(t)
	tests := []struct {
		name, raw string
		want      int
	}{
		{"garbage request line", "\x16\x03\x01 hello\r\n\r\n", http.StatusBadRequest},
		{"no Host header", "GET / HTTP/1.1\r\n\r\n", http.StatusBadRequest},
		{"bad header line", "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", http.StatusBadRequest},
		{"headers over 64 KiB", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 80<<10) + "\r\n\r\n",
			http.StatusRequestHeaderFieldsTooLarge},
		{"two Content-Lengths (request smuggling)", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", http.StatusBadRequest},
		{"unknown Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, identity\r\n\r\n", http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := served.Load()
			conn, err := net.Dial("tcp", r.HTTPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.raw); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("read answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if served.Load() != before {
				t.Errorf("the handler ran for a malformed request")
			}
		})
	}
	if code, _ := get(t, "http://"+r.HTTPAddr().String()+"/"); code != http.StatusOK {
		t.Errorf("after the attacks: status %d, want 200", code)
	}
}

// TestMalformedGRPC writes bytes that are not HTTP/2 to the gRPC port and
// sends a message over the size limit: the first connection is dropped,
// the call refused with RESOURCE_EXHAUSTED, and the server keeps serving.
func TestMalformedGRPC(t *testing.T) {
	s := newServer(t, server.Config{MaxRecvMsgBytes: 1024})
	s.GRPC().RegisterService(echoServiceDesc(), echoFunc(func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return in, nil
	}))
	start(t, s)
	for _, junk := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff", strings.Repeat("\x00", 4096)} {
		conn, err := net.Dial("tcp", s.GRPCAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, junk)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		// EOF or a reset both mean the server dropped it; only the
		// read deadline means it kept the connection.
		if _, err := io.Copy(io.Discard, conn); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("junk %q: the server kept the connection open: %v", junk[:8], err)
		}
		conn.Close()
	}
	conn := dial(t, s)
	if _, err := callEcho(t.Context(), conn, strings.Repeat("x", 4096)); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized message: %v, want ResourceExhausted", err)
	}
	if _, err := callEcho(t.Context(), conn, "hello"); err != nil {
		t.Errorf("after the attacks: %v", err)
	}
}
