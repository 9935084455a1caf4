package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/internal/control"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
)

// profiledOp is a running shop of one instance whose admin server is admin.
type profiledOp struct {
	shopOp
	admin string
}

func (p *profiledOp) Status() []supervisor.Info {
	return []supervisor.Info{{ID: "catalog-1", Service: "catalog", PID: 4242, AdminAddr: p.admin, State: supervisor.StateReady}}
}

func TestProfileCommand(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	pprof.StopCPUProfile()
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") != "1" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(buf.Bytes())
	}))
	defer admin.Close()
	data := t.TempDir()
	srv, err := control.Serve(&profiledOp{admin: strings.TrimPrefix(admin.URL, "http://")}, control.FilePath(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	out := filepath.Join(t.TempDir(), "profiles")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"profile", "-data", data, "-seconds", "1", "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("bazaar profile: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"profiling 1 instances for 1s", "kind of work", "catalog-1", "profiles in " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if got, err := os.ReadFile(filepath.Join(out, "catalog-1.pb.gz")); err != nil || !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("catalog-1.pb.gz: %v (%d bytes, want the %d served)", err, len(got), buf.Len())
	}
}

func TestProfileCommandRefusesBadArguments(t *testing.T) {
	data := filepath.Join(t.TempDir(), "shop")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-seconds", "0"}, "-seconds 0: must be from 1 to 300"},
		{[]string{"-seconds", "301"}, "-seconds 301: must be from 1 to 300"},
		{[]string{"catalog"}, `unexpected argument "catalog"`},
		{nil, "bazaar up -data " + data},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"profile", "-data", data}, tt.args...), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("bazaar profile %v: exit %d, stderr %q; want 1 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
