package events

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// relayPoll is how often the relay looks for rows nobody told it about.
const relayPoll = 250 * time.Millisecond

// relayBatch is the most rows the relay publishes per round.
const relayBatch = 100

// Recorder stores events in the transaction of the change that causes
// them; an *Outbox is one, and tests may supply their own.
type Recorder interface {
	// Add stores an event in tx and returns its id.
	Add(ctx context.Context, tx *sql.Tx, typ, aggregateID string, payload proto.Message) (string, error)
	// Notify says a transaction that added events committed.
	Notify()
}

// Outbox stores a producer's events in its own database, in the
// transaction of the change they describe, and relays them to JetStream.
type Outbox struct {
	db       *storage.DB
	producer string
	tel      Telemetry
	wake     chan struct{}
	now      func() time.Time
}

// NewOutbox returns the outbox of producer (the service's name) in db,
// whose tables Migrate created.
func NewOutbox(db *storage.DB, producer string, tel Telemetry) *Outbox {
	return &Outbox{db: db, producer: producer, tel: tel.withDefaults(), wake: make(chan struct{}, 1), now: time.Now}
}

// Add stores one event in tx: type typ ("order.placed") about aggregateID,
// carrying payload and the trace context of ctx. It returns the event id.
// The event is published only if tx commits.
func (o *Outbox) Add(ctx context.Context, tx *sql.Tx, typ, aggregateID string, payload proto.Message) (string, error) {
	id := uuid.NewString()
	any, err := pack(payload)
	if err != nil {
		return "", fmt.Errorf("add %s event: %w", typ, err)
	}
	carrier := propagation.MapCarrier{}
	o.tel.Propagator.Inject(ctx, carrier)
	now := o.now()
	env := &eventsv1.Envelope{
		EventId:     id,
		Type:        typ,
		AggregateId: aggregateID,
		Source:      o.producer,
		OccurTime:   timestamppb.New(now),
		Traceparent: carrier.Get("traceparent"),
		Tracestate:  carrier.Get("tracestate"),
		Payload:     any,
	}
	data, err := proto.Marshal(env)
	if err != nil {
		return "", fmt.Errorf("add %s event: marshal: %w", typ, err)
	}
	_, err = o.db.Q(tx).ExecContext(ctx,
		`INSERT INTO events_outbox (event_id, subject, envelope, created_at) VALUES (?, ?, ?, ?)`,
		id, Subject(o.producer, typ), data, rfc3339(now))
	if err != nil {
		return "", fmt.Errorf("add %s event for %s: %w", typ, aggregateID, err)
	}
	return id, nil
}

// Notify wakes the relay; call it after committing a transaction that
// added events, so they go out at once rather than at the next poll.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Pending counts the events not yet published.
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	var n int
	if err := o.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events_outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending events: %w", err)
	}
	return n, nil
}

// Relay publishes unpublished events in the order they were added, until
// ctx ends. While NATS is unreachable it keeps retrying; nothing is lost,
// because a row is marked published only after JetStream acknowledged it.
func (o *Outbox) Relay(ctx context.Context, bus *Bus) error {
	streamReady := false
	backoff := relayPoll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.wake:
		case <-timer.C:
		}
		if !streamReady {
			if err := bus.ensureStream(ctx, o.producer); err != nil {
				o.tel.Logger.WarnContext(ctx, "relay: stream not ready; will retry", "err", err)
				backoff = min(backoff*2, 5*time.Second)
				timer.Reset(backoff)
				continue
			}
			streamReady = true
		}
		n, err := o.relayOnce(ctx, bus)
		switch {
		case err != nil && ctx.Err() == nil:
			o.tel.Logger.WarnContext(ctx, "relay: publish failed; will retry", "err", err)
			backoff = min(backoff*2, 5*time.Second)
			timer.Reset(backoff)
		case n == relayBatch:
			backoff = relayPoll
			timer.Reset(0) // more rows are waiting
		default:
			backoff = relayPoll
			timer.Reset(relayPoll)
		}
	}
}

type outboxRow struct {
	seq      int64
	eventID  string
	subject  string
	envelope []byte
}

// relayOnce publishes one batch and returns how many rows it published.
func (o *Outbox) relayOnce(ctx context.Context, bus *Bus) (int, error) {
	rows, err := o.db.Q(nil).QueryContext(ctx,
		`SELECT seq, event_id, subject, envelope FROM events_outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?`, relayBatch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	var batch []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.seq, &r.eventID, &r.subject, &r.envelope); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("read outbox: %w", err)
		}
		batch = append(batch, r)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	for i, r := range batch {
		if err := o.publish(ctx, bus, r); err != nil {
			return i, err
		}
		if _, err := o.db.Q(nil).ExecContext(ctx,
			`UPDATE events_outbox SET published_at = ? WHERE seq = ?`, rfc3339(o.now()), r.seq); err != nil {
			return i, fmt.Errorf("mark event %s published: %w", r.eventID, err)
		}
	}
	return len(batch), nil
}

// publish sends one row and waits for JetStream's acknowledgement. The
// span continues the trace of the change that wrote the row.
func (o *Outbox) publish(ctx context.Context, bus *Bus, r outboxRow) error {
	var env eventsv1.Envelope
	if err := proto.Unmarshal(r.envelope, &env); err != nil {
		return fmt.Errorf("decode outbox event %s: %w", r.eventID, err)
	}
	parent := o.tel.Propagator.Extract(ctx, propagation.MapCarrier{"traceparent": env.GetTraceparent(), "tracestate": env.GetTracestate()})
	pctx, span := o.tel.Tracer.Tracer("bazaar/events").Start(parent, "publish "+env.GetType(),
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", r.subject),
			attribute.String("messaging.message.id", r.eventID)))
	defer span.End()
	msg := nats.NewMsg(r.subject)
	msg.Data = r.envelope
	hdr := propagation.HeaderCarrier(msg.Header)
	o.tel.Propagator.Inject(pctx, hdr)
	pctx, cancel := context.WithTimeout(pctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := bus.js.PublishMsg(pctx, msg, jetstream.WithMsgID(r.eventID))
	bus.metrics.observePublish(o.producer, env.GetType(), err, time.Since(start))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return fmt.Errorf("publish event %s to %s: %w", r.eventID, r.subject, err)
	}
	return nil
}
