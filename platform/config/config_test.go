package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"grpc-addr": "BAZAAR_GRPC_ADDR",
		"data":      "BAZAAR_DATA",
		"log-level": "BAZAAR_LOG_LEVEL",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePrecedenceAndErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantAddr  string
		wantWait  time.Duration
		wantErrIn []string
	}{
		{name: "defaults", wantAddr: "127.0.0.1:0", wantWait: time.Second},
		{name: "env", env: map[string]string{"BAZAAR_GRPC_ADDR": ":9000", "BAZAAR_WAIT": "2s"}, wantAddr: ":9000", wantWait: 2 * time.Second},
		{name: "flag wins over env", args: []string{"-grpc-addr", "localhost:7"}, env: map[string]string{"BAZAAR_GRPC_ADDR": ":9000"}, wantAddr: "localhost:7", wantWait: time.Second},
		{name: "bad env names flag and variable", env: map[string]string{"BAZAAR_WAIT": "soon"}, wantErrIn: []string{"BAZAAR_WAIT", "-wait", `"soon"`}},
		{name: "bad addr flag", args: []string{"-grpc-addr", "nope"}, wantErrIn: []string{"grpc-addr", "host:port"}},
		{name: "bad port", env: map[string]string{"BAZAAR_GRPC_ADDR": "h:99999"}, wantErrIn: []string{"BAZAAR_GRPC_ADDR", "0..65535"}},
		{name: "check fails", args: []string{"-wait", "-1s"}, wantErrIn: []string{"-wait", "BAZAAR_WAIT", "must be positive"}},
		{name: "stray argument", args: []string{"extra"}, wantErrIn: []string{`unexpected argument "extra"`}},
		{name: "unknown flag", args: []string{"-nope"}, wantErrIn: []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := NewFlagSet("svc")
			var addr string
			var wait time.Duration
			fs.AddrVar(&addr, "grpc-addr", "127.0.0.1:0", "gRPC listen address")
			fs.DurationVar(&wait, "wait", time.Second, "how long")
			fs.Check("wait", func() bool { return wait > 0 }, "must be positive")
			err := fs.Parse(tt.args, env(tt.env))
			if len(tt.wantErrIn) > 0 {
				if err == nil {
					t.Fatalf("Parse succeeded, want error containing %q", tt.wantErrIn)
				}
				for _, s := range tt.wantErrIn {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if addr != tt.wantAddr || wait != tt.wantWait {
				t.Errorf("got addr=%q wait=%v, want %q %v", addr, wait, tt.wantAddr, tt.wantWait)
			}
		})
	}
}

func TestUsageListsEnv(t *testing.T) {
	fs := NewFlagSet("svc")
	var s string
	fs.StringVar(&s, "data", ".bazaar", "data directory")
	var b strings.Builder
	fs.Usage(&b)
	if !strings.Contains(b.String(), "BAZAAR_DATA") || !strings.Contains(b.String(), ".bazaar") {
		t.Errorf("usage lacks env name or default:\n%s", b.String())
	}
}
