// Package events moves state changes between services durably: a
// transactional outbox in the producer's own database, a relay that
// publishes it to NATS JetStream, and idempotent consumers that apply each
// event at most once, in a transaction with their own changes.
//
// Delivery is at least once end to end: the relay may publish a row twice
// (JetStream drops repeats inside its duplicate window by Nats-Msg-Id, the
// event id), and JetStream may redeliver; consumers record each event id
// in an inbox table in the same transaction as the event's effects, so a
// repeat is acknowledged and ignored. See api/bazaar/events/v1 for the
// subjects and payloads.
package events

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// Telemetry is what the package needs to trace, measure and log events.
// Zero fields are replaced by no-op implementations.
type Telemetry struct {
	// Tracer creates publish and consume spans.
	Tracer trace.TracerProvider
	// Propagator carries W3C trace context in envelopes.
	Propagator propagation.TextMapPropagator
	// Registry receives the events metrics; nil registers nothing.
	Registry prometheus.Registerer
	// Logger receives relay and consumer problems.
	Logger *slog.Logger
}

func (t Telemetry) withDefaults() Telemetry {
	if t.Tracer == nil {
		t.Tracer = noop.NewTracerProvider()
	}
	if t.Propagator == nil {
		t.Propagator = propagation.TraceContext{}
	}
	if t.Logger == nil {
		t.Logger = slog.New(slog.DiscardHandler)
	}
	return t
}

// Subject is the NATS subject of an event type published by producer:
// Subject("orders", "order.placed") is "bazaar.orders.order.placed".
func Subject(producer, typ string) string { return "bazaar." + producer + "." + typ }

// StreamName is the JetStream stream holding every event of producer.
func StreamName(producer string) string {
	return "BAZAAR_" + strings.ToUpper(strings.ReplaceAll(producer, "-", "_"))
}

// streamConfig is the stream of producer: file storage, a duplicate window
// for publish retries, and events kept for a week.
func streamConfig(producer string, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       StreamName(producer),
		Subjects:   []string{"bazaar." + producer + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     7 * 24 * time.Hour,
		Duplicates: 10 * time.Minute,
		Replicas:   replicas,
	}
}

// Bus is a connection to NATS JetStream. It reconnects forever; a service
// starts and serves while NATS is down, its outbox filling up.
type Bus struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	tel      Telemetry
	replicas int
	metrics  *metrics
}

// BusOptions configures Connect.
type BusOptions struct {
	// Name identifies the connection in NATS monitoring ("orders-1").
	Name string
	// Replicas is the stream replica count (1 locally, 3 on a cluster).
	Replicas int
	// Telemetry traces, measures and logs.
	Telemetry Telemetry
	// TLS, when set, connects with mutual TLS (identity.ClientTLS towards
	// the bus's identity); nil connects in plaintext.
	TLS *tls.Config
}

// Connect connects to the NATS server(s) at url ("nats://host:4222",
// comma-separated for a cluster). It does not wait for the server.
func Connect(url string, opts BusOptions) (*Bus, error) {
	tel := opts.Telemetry.withDefaults()
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	natsOpts := []nats.Option{
		nats.Name(opts.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				tel.Logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { tel.Logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	if opts.TLS != nil {
		natsOpts = append(natsOpts, nats.Secure(opts.TLS))
	}
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect to jetstream %s: %w", url, err)
	}
	m, err := newMetrics(tel.Registry)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &Bus{nc: nc, js: js, tel: tel, replicas: opts.Replicas, metrics: m}, nil
}

// Close drops the connection.
func (b *Bus) Close() { b.nc.Close() }

// Connected reports whether the bus is connected to NATS now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// ensureStream creates or updates the stream of producer.
func (b *Bus) ensureStream(ctx context.Context, producer string) error {
	if _, err := b.js.CreateOrUpdateStream(ctx, streamConfig(producer, b.replicas)); err != nil {
		return fmt.Errorf("ensure stream %s: %w", StreamName(producer), err)
	}
	return nil
}

// Unpack decodes env's payload into msg, which must be of the payload's
// type.
func Unpack(env *eventsv1.Envelope, msg proto.Message) error {
	if env.GetPayload() == nil {
		return fmt.Errorf("unpack event %s: no payload", env.GetEventId())
	}
	if err := env.GetPayload().UnmarshalTo(msg); err != nil {
		return fmt.Errorf("unpack event %s (%s): %w", env.GetEventId(), env.GetType(), err)
	}
	return nil
}

// pack wraps payload in an Any.
func pack(payload proto.Message) (*anypb.Any, error) {
	a, err := anypb.New(payload)
	if err != nil {
		return nil, fmt.Errorf("pack payload: %w", err)
	}
	return a, nil
}

// Open opens a service database with storage.Open and creates the events
// tables in it: the one call for a service that publishes or consumes
// events. The database is closed again if the tables cannot be made.
func Open(ctx context.Context, dsn string, migrations fs.FS, opts ...storage.Option) (*storage.DB, error) {
	db, err := storage.Open(ctx, dsn, migrations, opts...)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// Migrate creates the outbox and inbox tables in a service's database. It
// is idempotent; call it after storage.Open. Replicas starting together
// create them once (storage.InSchemaTx).
func Migrate(ctx context.Context, db *storage.DB) error {
	// seq orders the outbox: an auto-numbered key, spelled per engine, as
	// is the type of the envelope's bytes.
	seq, bytes := `INTEGER PRIMARY KEY AUTOINCREMENT`, `BLOB`
	if db.Dialect.Name() == "postgres" {
		seq, bytes = `BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY`, `BYTEA`
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS events_outbox (
			seq ` + seq + `,
			event_id TEXT NOT NULL UNIQUE,
			subject TEXT NOT NULL,
			envelope ` + bytes + ` NOT NULL,
			created_at TEXT NOT NULL,
			published_at TEXT)`,
		`CREATE INDEX IF NOT EXISTS events_outbox_unpublished ON events_outbox (published_at, seq)`,
		`CREATE TABLE IF NOT EXISTS events_inbox (
			consumer TEXT NOT NULL,
			event_id TEXT NOT NULL,
			event_type TEXT NOT NULL,
			applied_at TEXT NOT NULL,
			PRIMARY KEY (consumer, event_id))`,
	}
	err := db.InSchemaTx(ctx, func(tx *sql.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate events tables: %w", err)
	}
	return nil
}

// permanentError marks a handler error that redelivery cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return "permanent: " + p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps err so the consumer drops the event (logging it)
// instead of redelivering it: for events that can never be applied.
func Permanent(err error) error { return permanentError{err: err} }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// rfc3339 formats t for the events tables.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
