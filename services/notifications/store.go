package notifications

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// migrations holds the schema, applied by storage.Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// errNotFound marks a message that does not exist.
var errNotFound = errors.New("message not found")

// Delivery states (deliveries.state).
const (
	statePending = "pending"
	stateSent    = "sent"
	stateFailed  = "failed"
)

// message is one e-mail in the mailbox.
type message struct {
	// Seq orders the mailbox; set by the database.
	Seq        int64
	ID         string
	To         string
	Subject    string
	Body       string
	Kind       notificationsv1.MessageKind
	OrderID    string
	EventID    string
	CreateTime time.Time
}

// delivery is the SMTP delivery state of one message.
type delivery struct {
	State           string
	Attempts        int
	NextAttemptTime time.Time
	LastError       string
}

// store keeps the mailbox and the delivery queue.
type store struct {
	db *storage.DB
}

// openStore opens (creating and migrating when needed) the database at
// dsn, with opts and the events tables.
func openStore(ctx context.Context, dsn string, opts ...storage.Option) (*store, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open notifications store: %w", err)
	}
	db, err := events.Open(ctx, dsn, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open notifications store: %w", err)
	}
	return &store{db: db}, nil
}

// close closes the database.
func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close notifications store: %w", err)
	}
	return nil
}

// ping reports whether the database answers.
func (s *store) ping(ctx context.Context) error {
	return s.db.Ping(ctx)
}

// insert puts m in the mailbox in tx, with a pending delivery due now
// when deliver is set. It reports false, writing nothing, when the order
// already has a message of m's kind (UNIQUE (order_id, kind)).
func (s *store) insert(ctx context.Context, tx *sql.Tx, m message, deliver bool) (bool, error) {
	res, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO messages
		(id, recipient, subject, body, kind, order_id, event_id, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (order_id, kind) DO NOTHING`,
		m.ID, m.To, m.Subject, m.Body, int32(m.Kind), m.OrderID, m.EventID, formatTime(m.CreateTime))
	if err != nil {
		return false, fmt.Errorf("insert %v message for order %s: %w", m.Kind, m.OrderID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert %v message for order %s: %w", m.Kind, m.OrderID, err)
	}
	if n == 0 {
		return false, nil
	}
	if deliver {
		_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO deliveries (message_id, state, next_attempt_time) VALUES (?, ?, ?)`,
			m.ID, statePending, formatTime(m.CreateTime))
		if err != nil {
			return false, fmt.Errorf("queue delivery of message %s: %w", m.ID, err)
		}
	}
	return true, nil
}

// selectMessages is the column list scanMessage reads.
const selectMessages = `SELECT seq, id, recipient, subject, body, kind, order_id, event_id, create_time FROM messages`

// filter selects messages; empty fields match everything.
type filter struct {
	// To is a lower-case recipient address.
	To      string
	OrderID string
	// BeforeSeq, when > 0, keeps messages older than that seq.
	BeforeSeq int64
}

// list returns up to limit messages matching f, newest first.
func (s *store) list(ctx context.Context, f filter, limit int) ([]message, error) {
	var where []string
	var args []any
	if f.To != "" {
		where, args = append(where, "recipient = ?"), append(args, f.To)
	}
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if f.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, f.BeforeSeq)
	}
	q := selectMessages
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.db.Dialect.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return out, nil
}

// get returns the message with id.
func (s *store) get(ctx context.Context, id string) (message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, s.db.Dialect.Rebind(selectMessages+` WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return message{}, fmt.Errorf("%w: %s", errNotFound, id)
	}
	if err != nil {
		return message{}, fmt.Errorf("get message %s: %w", id, err)
	}
	return m, nil
}

// claim returns up to limit messages whose delivery is pending and due
// at now, the longest waiting first, and leases them until leaseUntil:
// they are not due again before then, so a second delivery loop (another
// replica, or a round that overlaps) does not send them too, while a
// process that dies mid-send leaves them to be retried when the lease
// ends.
func (s *store) claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]message, error) {
	var out []message
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		out = nil // InTx may run this again
		rows, err := s.db.Q(tx).QueryContext(ctx, `SELECT m.seq, m.id, m.recipient, m.subject, m.body, m.kind,
			m.order_id, m.event_id, m.create_time FROM deliveries d JOIN messages m ON m.id = d.message_id
			WHERE d.state = ? AND d.next_attempt_time <= ? ORDER BY d.next_attempt_time, m.seq LIMIT ?`,
			statePending, formatTime(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range out {
			if _, err := s.db.Q(tx).ExecContext(ctx, `UPDATE deliveries SET next_attempt_time = ? WHERE message_id = ?`, formatTime(leaseUntil), m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	return out, nil
}

// markSent records that the server accepted message id.
func (s *store) markSent(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Q(nil).ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = attempts + 1, last_error = '', sent_time = ? WHERE message_id = ?`,
		stateSent, formatTime(at), id)
	if err != nil {
		return fmt.Errorf("mark message %s sent: %w", id, err)
	}
	return nil
}

// markAttemptFailed records a failed attempt: the delivery stays pending
// until next, or becomes failed for good when next is zero. It returns
// the attempts made so far.
func (s *store) markAttemptFailed(ctx context.Context, id string, cause error, next func(attempts int) time.Time) (int, error) {
	var attempts int
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.db.Q(tx).QueryRowContext(ctx, `SELECT attempts FROM deliveries WHERE message_id = ?`, id).Scan(&attempts); err != nil {
			return err
		}
		attempts++
		state, at := statePending, next(attempts)
		if at.IsZero() {
			state = stateFailed
		}
		_, err := s.db.Q(tx).ExecContext(ctx, `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_time = ?, last_error = ? WHERE message_id = ?`,
			state, attempts, formatTime(at), truncate(cause.Error(), 1000), id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record failed delivery of message %s: %w", id, err)
	}
	return attempts, nil
}

// deliveryOf returns the delivery state of message id.
func (s *store) deliveryOf(ctx context.Context, id string) (delivery, error) {
	var d delivery
	var next string
	err := s.db.Q(nil).QueryRowContext(ctx, `SELECT state, attempts, next_attempt_time, last_error FROM deliveries WHERE message_id = ?`, id).
		Scan(&d.State, &d.Attempts, &next, &d.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return delivery{}, fmt.Errorf("%w: no delivery of %s", errNotFound, id)
	}
	if err != nil {
		return delivery{}, fmt.Errorf("get delivery of message %s: %w", id, err)
	}
	if d.NextAttemptTime, err = parseTime(next); err != nil {
		return delivery{}, fmt.Errorf("get delivery of message %s: %w", id, err)
	}
	return d, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanMessage reads one row of selectMessages.
func scanMessage(row scanner) (message, error) {
	var m message
	var kind int32
	var created string
	if err := row.Scan(&m.Seq, &m.ID, &m.To, &m.Subject, &m.Body, &kind, &m.OrderID, &m.EventID, &created); err != nil {
		return message{}, err
	}
	m.Kind = notificationsv1.MessageKind(kind)
	t, err := parseTime(created)
	if err != nil {
		return message{}, err
	}
	m.CreateTime = t
	return m, nil
}

// timeLayout is how times are stored: fixed width in UTC, so text order
// is time order (next_attempt_time is compared as text).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime writes t as stored.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// truncate cuts s to at most n bytes, dropping a split character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
