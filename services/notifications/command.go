package notifications

import (
	"context"
	"net/mail"

	"github.com/bazaar-shop/bazaar/platform/config"
	"github.com/bazaar-shop/bazaar/platform/daemon"
)

// Command is the notifications service as its binary (and the
// single-process shop) runs it.
func Command(version string) daemon.Command {
	var cfg Config
	return daemon.Command{
		Program: daemon.Program{Service: "notifications", Version: version},
		Flags: func(fs *config.FlagSet) {
			fs.StringVar(&cfg.DSN, "dsn", "", "database DSN (default: sqlite file notifications.db in the data directory)")
			fs.StringVar(&cfg.SMTP.Addr, "smtp-addr", "", "SMTP server host:port to deliver e-mails to (empty: mailbox only)")
			fs.StringVar(&cfg.SMTP.From, "smtp-from", "Bazaar <bazaar@localhost>", "sender of delivered e-mails")
			fs.DurationVar(&cfg.SMTP.RetryBase, "smtp-retry", DefaultSMTPRetryBase, "wait before retrying a failed delivery, doubled per attempt")
			fs.DurationVar(&cfg.SMTP.RetryMax, "smtp-retry-max", DefaultSMTPRetryMax, "longest wait between delivery attempts")
			fs.DurationVar(&cfg.SMTP.Timeout, "smtp-timeout", DefaultSMTPTimeout, "longest one delivery attempt may take")
			fs.Check("smtp-addr", func() bool { return cfg.SMTP.Addr == "" || config.ValidateAddr(cfg.SMTP.Addr) == nil }, "must be host:port")
			fs.Check("smtp-from", func() bool { _, err := mail.ParseAddress(cfg.SMTP.From); return err == nil }, "must be an e-mail address, optionally with a name")
			fs.Check("smtp-retry", func() bool { return cfg.SMTP.RetryBase > 0 }, "must be positive")
			fs.Check("smtp-retry-max", func() bool { return cfg.SMTP.RetryMax >= cfg.SMTP.RetryBase }, "must be at least -smtp-retry")
			fs.Check("smtp-timeout", func() bool { return cfg.SMTP.Timeout > 0 }, "must be positive")
		},
		Wire: func(ctx context.Context, env *daemon.Env) (daemon.Service, error) {
			c := cfg
			if c.DSN == "" {
				c.DSN = "sqlite:" + env.DataPath("notifications.db")
			}
			c.Storage = env.StorageOptions()
			bus, err := env.Bus()
			if err != nil {
				return nil, err
			}
			svc, err := New(ctx, c, Deps{Bus: bus}, env.Logger)
			if err != nil {
				return nil, err
			}
			svc.Register(env.Server.GRPC())
			return svc, nil
		},
	}
}
