package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServiceOf(t *testing.T) {
	tests := []struct {
		id      string
		want    string
		wantErr bool
	}{
		{"spiffe://bazaar.local/svc/orders", "orders", false},
		{"spiffe://bazaar.local/svc/", "", true},
		{"spiffe://evil.local/svc/orders", "", true},
		{"https://bazaar.local/svc/orders", "", true},
		{"spiffe://bazaar.local/user/orders", "", true},
		{"spiffe://bazaar.local/svc/Orders", "", true},
		{"spiffe://bazaar.local/svc/orders/x", "", true},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ServiceOf(u)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ServiceOf(%s) = %q, %v; want %q, error %v", tt.id, got, err, tt.want, tt.wantErr)
		}
	}
	if got := ID("payment").String(); got != "spiffe://bazaar.local/svc/payment" {
		t.Errorf("ID(payment) = %s", got)
	}
}

func TestAuthorityIssuesAndKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	a, err := OpenAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.EnsureCert("orders")
	if err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{f.Key: 0o600, f.Cert: 0o644, filepath.Join(dir, "ca.key"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, mode)
		}
	}
	before, _ := os.ReadFile(f.Cert)
	again, err := OpenAuthority(dir) // a second `up` on the same data
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.EnsureCert("orders"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(f.Cert); string(after) != string(before) {
		t.Error("EnsureCert replaced a good certificate")
	}
	src, err := LoadSource(f)
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "orders" {
		t.Errorf("Name = %q, want orders", src.Name())
	}
	again.now = func() time.Time { return time.Now().Add(80 * 24 * time.Hour) } // within 30 days of expiry
	if _, err := again.EnsureCert("orders"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(f.Cert); string(after) == string(before) {
		t.Error("EnsureCert kept a certificate about to expire")
	}
	if _, err := a.Issue("Bad/Name", 0); err == nil {
		t.Error("Issue accepted an invalid service name")
	}
}

func TestLoadSourceRejects(t *testing.T) {
	a, err := OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Issue("cart", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.Issue("catalog", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files Files
	}{
		{"missing key", Files{Cert: f.Cert, CA: f.CA}},
		{"key of another certificate", Files{Cert: f.Cert, Key: other.Key, CA: f.CA}},
		{"no such file", Files{Cert: f.Cert + ".nope", Key: f.Key, CA: f.CA}},
		{"CA is a key", Files{Cert: f.Cert, Key: f.Key, CA: f.Key}},
	}
	for _, tt := range tests {
		if _, err := LoadSource(tt.files); err == nil {
			t.Errorf("%s: LoadSource succeeded", tt.name)
		}
	}
}

// handshake runs one TLS handshake between a server with srv's identity
// and a client with cli's calling want, and returns the server's view of
// the client (its service) or the first error.
func handshake(t *testing.T, srv, cli *Source, want string) (string, error) {
	t.Helper()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		s := tls.Server(c1, ServerTLS(srv))
		err := s.HandshakeContext(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		st := s.ConnectionState()
		name, err := serviceOfCert(st.VerifiedChains[0][0])
		done <- result{name, err}
	}()
	c := tls.Client(c2, ClientTLS(cli, want))
	cerr := c.HandshakeContext(ctx)
	if cerr != nil {
		c2.Close()
	} else {
		// TLS 1.3: the server verifies the client's certificate after
		// the client finished; a read surfaces the server's refusal.
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, rerr := c.Read(make([]byte, 1))
		if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) {
			cerr = rerr
		}
		c2.Close()
	}
	r := <-done
	if r.err != nil {
		return "", r.err
	}
	return r.name, cerr
}

func TestMutualTLSAcceptsOnlyTheShopsIdentities(t *testing.T) {
	a, err := OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	load := func(a *Authority, name string) *Source {
		f, err := a.Issue(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSource(f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	payment, orders, catalog := load(a, "payment"), load(a, "orders"), load(a, "catalog")
	impostor := load(foreign, "orders") // right name, another CA
	tests := []struct {
		name     string
		srv, cli *Source
		want     string
		ok       bool
	}{
		{"orders calls payment", payment, orders, "payment", true},
		{"a client of another CA", payment, impostor, "payment", false},
		{"a server that is not the one wanted", catalog, orders, "payment", false},
		{"a server of another CA", impostor, catalog, "orders", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handshake(t, tt.srv, tt.cli, tt.want)
			if tt.ok && (err != nil || got != tt.cli.Name()) {
				t.Fatalf("handshake: %q, %v; want the server to see %s", got, err, tt.cli.Name())
			}
			if !tt.ok && err == nil {
				t.Fatalf("handshake succeeded (server saw %q); want it refused", got)
			}
		})
	}
}

// TestRotationWithoutRestart replaces a service's certificate and then
// the whole CA on disk: the next handshakes use the new files, with no
// new Source.
func TestRotationWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	pf, _ := a.Issue("payment", 0)
	of, _ := a.Issue("orders", 0)
	payment, err := LoadSource(pf)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := LoadSource(of)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		cert, _ := payment.current()
		return cert.Leaf.SerialNumber.String()
	}
	first := serial()
	if _, err := a.Issue("payment", 0); err != nil {
		t.Fatal(err)
	}
	if serial() == first {
		t.Fatal("the payment source kept the old certificate after it was replaced on disk")
	}
	if _, err := handshake(t, payment, orders, "payment"); err != nil {
		t.Fatalf("handshake after rotating payment's certificate: %v", err)
	}

	// A new CA: remove the old one, issue both again.
	for _, f := range []string{"ca.crt", "ca.key"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := OpenAuthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Issue("payment", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, payment, orders, "payment"); err == nil {
		t.Fatal("orders' old certificate was accepted by payment under the new CA")
	}
	if _, err := b.Issue("orders", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, payment, orders, "payment"); err != nil {
		t.Fatalf("handshake once both were issued by the new CA: %v", err)
	}
	// A half-written file leaves the last good identity in use.
	if err := os.WriteFile(pf.Cert, []byte("-----BEGIN CERT"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := payment.ReloadError(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("ReloadError = %v, want the broken certificate reported", err)
	}
	if _, err := handshake(t, payment, orders, "payment"); err != nil {
		t.Fatalf("handshake with a broken file on disk: %v (want the last good one used)", err)
	}
}
