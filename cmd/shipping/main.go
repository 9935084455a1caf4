// Command shipping serves bazaar.shipping.v1: shipping quotes from a zone
// and weight rate table, one shipment per confirmed order (it consumes
// order.confirmed) and tracking, in its own SQLite database, publishing
// shipment.created through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/shipping"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, shipping.Command(version))
	stop()
	os.Exit(code)
}
