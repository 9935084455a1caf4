// Command cart serves bazaar.cart.v1: shoppers' carts in its own SQLite
// database. It checks added products with the catalog and empties a cart
// when its order is placed (it consumes order.placed).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/cart"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, cart.Command(version))
	stop()
	os.Exit(code)
}
