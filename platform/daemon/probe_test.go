package daemon

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer ready.Close()
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	_, readyPort, _ := net.SplitHostPort(strings.TrimPrefix(ready.URL, "http://"))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name, addr, wantErr string
	}{
		{"ready", strings.TrimPrefix(ready.URL, "http://"), ""},
		{"unspecified host asks loopback", ":" + readyPort, ""},
		{"zero host asks loopback", "0.0.0.0:" + readyPort, ""},
		{"not ready", strings.TrimPrefix(notReady.URL, "http://"), "503"},
		{"nothing listening", closedAddr, "refused"},
		{"bad address", "nonsense", "probe nonsense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Probe(context.Background(), tt.addr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Probe(%q) = %v, want nil", tt.addr, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Probe(%q) = %v, want an error containing %q", tt.addr, err, tt.wantErr)
			}
		})
	}
}
