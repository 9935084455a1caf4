// Command orders serves bazaar.orders.v1: it accepts orders into its own
// SQLite database and runs each order's saga against inventory and
// payment, publishing order events through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/orders"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, orders.Command(version))
	stop()
	os.Exit(code)
}
