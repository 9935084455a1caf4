package events

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// Handler applies one event inside tx. Return an error to have the event
// redelivered later; wrap it with Permanent to drop an event that can
// never be applied.
type Handler func(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error

// Subscription names what a consumer reads.
type Subscription struct {
	// Consumer is the durable consumer's name, unique per consuming
	// service and purpose ("shipping-orders"). Replicas of a service share
	// it, so each event is handled by one of them.
	Consumer string
	// Producer is the service whose events are read ("orders").
	Producer string
	// Types are the event types read; empty reads all of the producer's.
	Types []string
}

func (s Subscription) config() jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       s.Consumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxAckPending: 256,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	for _, t := range s.Types {
		cfg.FilterSubjects = append(cfg.FilterSubjects, Subject(s.Producer, t))
	}
	if len(cfg.FilterSubjects) == 0 {
		cfg.FilterSubjects = []string{"bazaar." + s.Producer + ".>"}
	}
	return cfg
}

// Consume runs the durable consumer sub until ctx ends, applying each
// event with h in a transaction on db that also records the event id in
// the inbox: an event already applied is acknowledged and skipped. While
// NATS is unreachable it keeps retrying.
func (b *Bus) Consume(ctx context.Context, db *storage.DB, sub Subscription, h Handler) error {
	if sub.Consumer == "" || sub.Producer == "" {
		return fmt.Errorf("consume: subscription needs a consumer and a producer name: %+v", sub)
	}
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		cons, err := b.consumer(ctx, sub)
		if err != nil {
			b.tel.Logger.WarnContext(ctx, "consumer not ready; will retry", "consumer", sub.Consumer, "err", err)
			sleep(ctx, backoff)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 250 * time.Millisecond
		if err := b.fetchLoop(ctx, cons, db, sub, h); err != nil && ctx.Err() == nil {
			b.tel.Logger.WarnContext(ctx, "consumer interrupted; will retry", "consumer", sub.Consumer, "err", err)
			sleep(ctx, backoff)
		}
	}
	return nil
}

func (b *Bus) consumer(ctx context.Context, sub Subscription) (jetstream.Consumer, error) {
	if err := b.ensureStream(ctx, sub.Producer); err != nil {
		return nil, err
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, StreamName(sub.Producer), sub.config())
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", sub.Consumer, err)
	}
	return cons, nil
}

// fetchLoop pulls batches until ctx ends or the consumer fails.
func (b *Bus) fetchLoop(ctx context.Context, cons jetstream.Consumer, db *storage.DB, sub Subscription, h Handler) error {
	for ctx.Err() == nil {
		batch, err := cons.Fetch(32, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("fetch %s: %w", sub.Consumer, err)
		}
		for msg := range batch.Messages() {
			b.handle(ctx, msg, db, sub, h)
		}
		if err := batch.Error(); err != nil && err != jetstream.ErrNoMessages && err != context.DeadlineExceeded {
			return fmt.Errorf("fetch %s: %w", sub.Consumer, err)
		}
	}
	return nil
}

// handle applies one message and acknowledges it, or asks for it again.
func (b *Bus) handle(ctx context.Context, msg jetstream.Msg, db *storage.DB, sub Subscription, h Handler) {
	var env eventsv1.Envelope
	if err := proto.Unmarshal(msg.Data(), &env); err != nil || env.GetEventId() == "" {
		b.tel.Logger.ErrorContext(ctx, "dropping undecodable event", "consumer", sub.Consumer, "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		b.metrics.observeConsume(sub.Consumer, "unknown", "dropped", 0)
		return
	}
	parent := b.tel.Propagator.Extract(ctx, propagation.MapCarrier{"traceparent": env.GetTraceparent(), "tracestate": env.GetTracestate()})
	sctx, span := b.tel.Tracer.Tracer("bazaar/events").Start(parent, "consume "+env.GetType(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.consumer.group.name", sub.Consumer),
			attribute.String("messaging.message.id", env.GetEventId())))
	defer span.End()

	start := time.Now()
	applied, err := applyOnce(sctx, db, sub.Consumer, &env, h)
	result := "applied"
	switch {
	case err == nil && !applied:
		result = "duplicate"
		_ = msg.Ack()
	case err == nil:
		_ = msg.Ack()
	case IsPermanent(err):
		result = "dropped"
		b.tel.Logger.ErrorContext(sctx, "dropping event that cannot be applied", "consumer", sub.Consumer, "event", env.GetEventId(), "type", env.GetType(), "err", err)
		_ = msg.Term()
	default:
		result = "retry"
		n := uint64(1)
		if md, mdErr := msg.Metadata(); mdErr == nil {
			n = md.NumDelivered
		}
		delay := min(time.Duration(n)*500*time.Millisecond, 10*time.Second)
		b.tel.Logger.WarnContext(sctx, "event not applied; will be redelivered", "consumer", sub.Consumer, "event", env.GetEventId(), "type", env.GetType(), "attempt", n, "err", err)
		_ = msg.NakWithDelay(delay)
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	b.metrics.observeConsume(sub.Consumer, env.GetType(), result, time.Since(start))
}

// applyOnce runs h and records the event in the inbox, in one
// transaction. It reports false, doing nothing, for an event already
// applied by this consumer.
func applyOnce(ctx context.Context, db *storage.DB, consumer string, env *eventsv1.Envelope, h Handler) (bool, error) {
	applied := false
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		applied = false // InTx may run this again
		var one int
		err := db.Q(tx).QueryRowContext(ctx, `SELECT 1 FROM events_inbox WHERE consumer = ? AND event_id = ?`,
			consumer, env.GetEventId()).Scan(&one)
		switch {
		case err == nil:
			return nil // already applied
		case err != sql.ErrNoRows:
			return fmt.Errorf("check inbox: %w", err)
		}
		if err := h(ctx, tx, env); err != nil {
			return err
		}
		if _, err := db.Q(tx).ExecContext(ctx,
			`INSERT INTO events_inbox (consumer, event_id, event_type, applied_at) VALUES (?, ?, ?, ?)`,
			consumer, env.GetEventId(), env.GetType(), rfc3339(time.Now())); err != nil {
			return fmt.Errorf("record event %s in inbox: %w", env.GetEventId(), err)
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("apply event %s (%s): %w", env.GetEventId(), env.GetType(), err)
	}
	return applied, nil
}

// ApplyOnce applies env with h exactly as a consumer would, in a
// transaction with the inbox record; for tests and for replaying events.
// It reports whether the event was applied (false: it already had been).
func ApplyOnce(ctx context.Context, db *storage.DB, consumer string, env *eventsv1.Envelope, h Handler) (bool, error) {
	return applyOnce(ctx, db, consumer, env, h)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
