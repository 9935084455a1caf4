// Command accounts serves bazaar.accounts.v1: registered shoppers, their
// password hashes and address books, in its own SQLite database,
// publishing user.registered through its outbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/accounts"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, accounts.Command(version))
	stop()
	os.Exit(code)
}
