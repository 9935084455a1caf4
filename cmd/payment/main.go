// Command payment serves bazaar.payment.v1: a simulated card processor
// that never charges an order twice, keeping charges, refunds and a ledger
// in its own SQLite database and publishing payment.succeeded,
// payment.failed and payment.refunded through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/payment"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, payment.Command(version))
	stop()
	os.Exit(code)
}
