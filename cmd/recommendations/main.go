// Command recommendations serves bazaar.recommendations.v1: products often
// bought together, learnt from confirmed orders (it consumes
// order.confirmed) and kept in its own SQLite database; while it has no
// purchase data it suggests products from the catalog.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/recommendations"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, recommendations.Command(version))
	stop()
	os.Exit(code)
}
