package natsserver

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/bazaar-shop/bazaar/platform/identity"
)

// TestMutualTLSBus: with TLS the bus takes only clients with a
// certificate of the shop's CA; plaintext and another CA's clients are
// refused, and a client checks that the server is the bus.
func TestMutualTLSBus(t *testing.T) {
	load := func(a *identity.Authority, name string) *identity.Source {
		f, err := a.Issue(name, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		src, err := identity.LoadSource(f)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	pki, err := identity.OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := identity.OpenAuthority(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(Config{Addr: "127.0.0.1:0", StoreDir: t.TempDir(), Name: "t", TLS: identity.ServerTLS(load(pki, "nats"))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	orders := load(pki, "orders")
	tests := []struct {
		name string
		opts []nats.Option
		ok   bool
	}{
		{"a service of the shop", []nats.Option{nats.Secure(identity.ClientTLS(orders, "nats"))}, true},
		{"plaintext", nil, false},
		{"another CA's certificate", []nats.Option{nats.Secure(identity.ClientTLS(load(foreign, "orders"), "nats"))}, false},
		{"a client that wants another server", []nats.Option{nats.Secure(identity.ClientTLS(orders, "payment"))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]nats.Option{nats.Timeout(5 * time.Second), nats.MaxReconnects(0)}, tt.opts...)
			nc, err := nats.Connect(s.ClientURL(), opts...)
			if err == nil {
				defer nc.Close()
				_, err = nc.Request("$JS.API.INFO", nil, 5*time.Second)
			}
			if tt.ok && err != nil {
				t.Fatalf("connect and ask JetStream: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("connected and was answered; want refused")
			}
		})
	}
}
