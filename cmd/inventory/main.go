// Command inventory serves bazaar.inventory.v1: stock per product and the
// reservations orders hold on it, in its own SQLite database, publishing
// stock.reserved, stock.rejected and stock.low through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/inventory"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, inventory.Command(version))
	stop()
	os.Exit(code)
}
