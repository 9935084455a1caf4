// Command notifications serves bazaar.notifications.v1: the mailbox of
// e-mails made from order and shipment events (it consumes order.placed,
// order.confirmed, order.cancelled and shipment.created), in its own
// SQLite database, and delivers them to an SMTP server when -smtp-addr is
// set.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/notifications"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := daemon.Main(ctx, notifications.Command(version))
	stop()
	os.Exit(code)
}
