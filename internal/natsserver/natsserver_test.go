package natsserver

import (
	"testing"

	"github.com/nats-io/nats.go"
)

func TestStartServesJetStreamAndReportsReady(t *testing.T) {
	s, err := Start(Config{Addr: "127.0.0.1:0", StoreDir: t.TempDir(), Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ready() {
		t.Fatal("started server is not ready")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(); err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	s.Shutdown()
	if s.Ready() {
		t.Error("stopped server reports ready")
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{Addr: "nope", StoreDir: t.TempDir()}, {Addr: "127.0.0.1:0"}} {
		if _, err := Start(c); err == nil {
			t.Errorf("Start(%+v) succeeded", c)
		}
	}
}
