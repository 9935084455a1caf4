package notifications

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// SMTP delivery defaults.
const (
	// DefaultSMTPRetryBase is the wait before the first retry.
	DefaultSMTPRetryBase = 5 * time.Second
	// DefaultSMTPRetryMax caps the wait between attempts.
	DefaultSMTPRetryMax = 10 * time.Minute
	// DefaultSMTPTimeout bounds one delivery attempt.
	DefaultSMTPTimeout = 30 * time.Second
	// DefaultSMTPPoll is how often the queue is checked.
	DefaultSMTPPoll = time.Second
)

// SMTP configures delivery of the mailbox to an SMTP server.
type SMTP struct {
	// Addr is the server's host:port; empty turns SMTP delivery off (the
	// mailbox still fills).
	Addr string
	// From is the sender, "Bazaar <shop@example.com>" or a bare address;
	// empty means "Bazaar <bazaar@localhost>".
	From string
	// RetryBase is the wait before the first retry of a failed delivery,
	// doubled for each further attempt; 0 means DefaultSMTPRetryBase.
	RetryBase time.Duration
	// RetryMax caps the wait between attempts; 0 means DefaultSMTPRetryMax.
	RetryMax time.Duration
	// Poll is how often the queue is checked for due deliveries; 0 means
	// DefaultSMTPPoll.
	Poll time.Duration
	// Timeout bounds one delivery attempt; 0 means DefaultSMTPTimeout.
	Timeout time.Duration
}

// withDefaults fills in the zero fields.
func (c SMTP) withDefaults() SMTP {
	if c.From == "" {
		c.From = "Bazaar <bazaar@localhost>"
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultSMTPRetryBase
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultSMTPRetryMax
	}
	if c.Poll <= 0 {
		c.Poll = DefaultSMTPPoll
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultSMTPTimeout
	}
	return c
}

// deliveryBatch is the most deliveries attempted per round.
const deliveryBatch = 20

// deliverer sends queued messages to the SMTP server, retrying failures
// with exponential backoff until the server accepts or refuses them for
// good. Delivery is at least once: a message is marked sent after the
// server accepted it, so a crash in between sends it again, with the same
// Message-ID header for mail clients to recognise the repeat.
type deliverer struct {
	store  *store
	cfg    SMTP
	from   *mail.Address
	now    func() time.Time
	wake   chan struct{}
	logger *slog.Logger
}

// newDeliverer checks cfg and returns its deliverer.
func newDeliverer(st *store, cfg SMTP, now func() time.Time, logger *slog.Logger) (*deliverer, error) {
	cfg = cfg.withDefaults()
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", cfg.Addr, err)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp sender %q: %w", cfg.From, err)
	}
	return &deliverer{store: st, cfg: cfg, from: from, now: now, wake: make(chan struct{}, 1), logger: logger}, nil
}

// notify wakes the loop: a new message is queued.
func (d *deliverer) notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run delivers due messages until ctx ends.
func (d *deliverer) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		}
		d.deliverDue(ctx)
		timer.Reset(d.cfg.Poll)
	}
}

// deliverDue attempts every delivery due now and reports how many the
// server accepted.
func (d *deliverer) deliverDue(ctx context.Context) int {
	sent := 0
	for ctx.Err() == nil {
		now := d.now()
		ms, err := d.store.claim(ctx, now, now.Add(d.cfg.Timeout+time.Minute), deliveryBatch)
		if err != nil {
			d.logger.ErrorContext(ctx, "smtp: reading the delivery queue failed", "error", err)
			return sent
		}
		for _, m := range ms {
			ok, err := d.attempt(ctx, m)
			if err != nil {
				d.logger.ErrorContext(ctx, "smtp: recording a delivery failed", "message_id", m.ID, "error", err)
				return sent
			}
			if ok {
				sent++
			}
		}
		if len(ms) < deliveryBatch {
			return sent
		}
	}
	return sent
}

// attempt sends m once and records the outcome; it reports whether the
// server accepted m. The error is the store's, not the server's.
func (d *deliverer) attempt(ctx context.Context, m message) (bool, error) {
	sendErr := d.send(ctx, m)
	if sendErr == nil {
		d.logger.InfoContext(ctx, "smtp: message sent", "message_id", m.ID, "order_id", m.OrderID, "kind", m.Kind.String())
		return true, d.store.markSent(ctx, m.ID, d.now())
	}
	if ctx.Err() != nil {
		return false, nil // stopping: retried when its lease runs out
	}
	permanent := refused(sendErr)
	attempts, err := d.store.markAttemptFailed(ctx, m.ID, sendErr, func(attempts int) time.Time {
		if permanent {
			return time.Time{}
		}
		return d.now().Add(backoff(d.cfg.RetryBase, d.cfg.RetryMax, attempts))
	})
	if err != nil {
		return false, err
	}
	d.logger.WarnContext(ctx, "smtp: delivery failed", "message_id", m.ID, "attempts", attempts, "given_up", permanent, "error", sendErr)
	return false, nil
}

// backoff is the wait after the attempts-th failure: base doubled per
// earlier failure, capped at limit.
func backoff(base, limit time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// refused reports whether the server refused the message for good (a 5xx
// reply); anything else (no connection, a timeout, a 4xx reply) is
// retried.
func refused(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500
}

// send hands m to the SMTP server: STARTTLS when the server offers it, no
// authentication (a relay for the shop, or a development mail catcher).
func (d *deliverer) send(ctx context.Context, m message) (err error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", d.cfg.Addr)
	if err != nil {
		return fmt.Errorf("send message %s: %w", m.ID, err)
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		_ = conn.Close()
		return fmt.Errorf("send message %s: %w", m.ID, err)
	}
	host, _, _ := net.SplitHostPort(d.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("send message %s: %w", m.ID, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("send message %s: starttls: %w", m.ID, err)
		}
	}
	if err := c.Mail(d.from.Address); err != nil {
		return fmt.Errorf("send message %s: MAIL FROM: %w", m.ID, err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("send message %s: RCPT TO: %w", m.ID, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("send message %s: DATA: %w", m.ID, err)
	}
	if _, err := w.Write(compose(m, d.from)); err != nil {
		return fmt.Errorf("send message %s: write: %w", m.ID, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("send message %s: end of data: %w", m.ID, err)
	}
	if err := c.Quit(); err != nil {
		// The server accepted the message already; a failed QUIT loses
		// nothing.
		d.logger.DebugContext(ctx, "smtp: quit failed", "message_id", m.ID, "error", err)
	}
	return nil
}

// compose writes m as an RFC 5322 message: UTF-8 plain text, quoted-
// printable, with a Message-ID made from the message id.
func compose(m message, from *mail.Address) []byte {
	var b bytes.Buffer
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	headers := []struct{ name, value string }{
		{"From", from.String()},
		{"To", (&mail.Address{Address: m.To}).String()},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"Date", m.CreateTime.Format(time.RFC1123Z)},
		{"Message-ID", "<" + m.ID + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range headers {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer do not fail. The body ends with a line
	// break, as RFC 5322 lines do.
	_, _ = qp.Write([]byte(strings.TrimSuffix(m.Body, "\n") + "\n"))
	_ = qp.Close()
	return b.Bytes()
}
