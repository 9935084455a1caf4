// Command notifications serves bazaar.notifications.v1: the mailbox of
// e-mails made from order and shipment events (it consumes order.placed,
// order.confirmed, order.cancelled and shipment.created), in its own
// SQLite database, and delivers them to an SMTP server when -smtp-addr is
// set.
package main

import (
	"context"
	"net/mail"
	"os"
	"os/signal"
	"syscall"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
	"github.com/bazaar-shop/bazaar/services/notifications"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg notifications.Config
	code := daemon.Main(ctx, daemon.Program{Service: "notifications", Version: version},
		func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file notifications.db in the data directory)")
			fs.StringVar(&cfg.SMTP.Addr, "smtp-addr", "", "SMTP server host:port to deliver e-mails to (empty: mailbox only)")
			fs.StringVar(&cfg.SMTP.From, "smtp-from", "Bazaar <bazaar@localhost>", "sender of delivered e-mails")
			fs.DurationVar(&cfg.SMTP.RetryBase, "smtp-retry", notifications.DefaultSMTPRetryBase, "wait before retrying a failed delivery, doubled per attempt")
			fs.DurationVar(&cfg.SMTP.RetryMax, "smtp-retry-max", notifications.DefaultSMTPRetryMax, "longest wait between delivery attempts")
			fs.DurationVar(&cfg.SMTP.Timeout, "smtp-timeout", notifications.DefaultSMTPTimeout, "longest one delivery attempt may take")
			fs.Check("smtp-addr", func() bool { return cfg.SMTP.Addr == "" || config.ValidateAddr(cfg.SMTP.Addr) == nil }, "must be host:port")
			fs.Check("smtp-from", func() bool { _, err := mail.ParseAddress(cfg.SMTP.From); return err == nil }, "must be an e-mail address, optionally with a name")
			fs.Check("smtp-retry", func() bool { return cfg.SMTP.RetryBase > 0 }, "must be positive")
			fs.Check("smtp-retry-max", func() bool { return cfg.SMTP.RetryMax >= cfg.SMTP.RetryBase }, "must be at least -smtp-retry")
			fs.Check("smtp-timeout", func() bool { return cfg.SMTP.Timeout > 0 }, "must be positive")
		},
		func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			if cfg.DSN == "" {
				cfg.DSN = "sqlite:" + env.DataPath("notifications.db")
			}
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := notifications.New(ctx, cfg, notifications.Deps{Bus: bus}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		})
	stop()
	os.Exit(code)
}
