// Package eventstest gives tests a real event bus: an embedded NATS
// JetStream server on loopback and a connected events.Bus, both stopped
// when the test ends. Only test binaries should import it.
package eventstest

import (
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/bazaar-shop/bazaar/platform/events"
)

// Server starts an embedded NATS JetStream server for the test and
// returns its client URL.
func Server(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true, SyncAlways: true,
	})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("start nats: not ready after 10s")
	}
	return ns.ClientURL()
}

// Bus starts a server for the test and connects a bus to it.
func Bus(t testing.TB) *events.Bus {
	t.Helper()
	bus, err := events.Connect(Server(t), events.BusOptions{Name: t.Name()})
	if err != nil {
		t.Fatalf("connect bus: %v", err)
	}
	t.Cleanup(bus.Close)
	return bus
}
