package daemon

import (
	"context"
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/identity"
)

// TestTLSSettingsAreCheckedBeforeStart: a partial set of TLS files, or
// the identity of another service, stops the process before it serves.
func TestTLSSettingsAreCheckedBeforeStart(t *testing.T) {
	pki, err := identity.OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	own, err := pki.Issue("svc", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Issue("payment", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"certificate without key", []string{"-tls-cert", own.Cert, "-tls-ca", own.CA}, "must be set together"},
		{"another service's identity", []string{"-tls-cert", other.Cert, "-tls-key", other.Key, "-tls-ca", other.CA}, "spiffe://bazaar.local/svc/payment"},
		{"unreadable CA", []string{"-tls-cert", own.Cert, "-tls-key", own.Key, "-tls-ca", own.CA + ".missing"}, "ca.crt.missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wired := false
			err := Run(context.Background(), Command{Program: Program{Service: "svc"},
				Wire: func(context.Context, *Env) (Service, error) { wired = true; return &fakeService{}, nil }}, tt.args, noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run = %v, want an error naming %q", err, tt.wantErr)
			}
			if wired {
				t.Error("the service was wired despite bad TLS settings")
			}
		})
	}
}
