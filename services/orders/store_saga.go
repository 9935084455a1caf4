package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
)

// step is where an order's saga is: the step it runs next.
type step string

// The saga's steps, in the order a successful order takes them; compensate
// is taken on failure, done is final.
const (
	stepReserve    step = "reserve"
	stepCharge     step = "charge"
	stepCommit     step = "commit"
	stepCompensate step = "compensate"
	stepDone       step = "done"
)

// saga is an order's saga as stored.
type saga struct {
	OrderID  string
	Step     step
	Attempts int
	// Refund, Reason and Message are set on the way to compensate.
	Refund  bool
	Reason  ordersv1.CancelReason
	Message string
	// Trace is the W3C trace context of the checkout that placed the
	// order ("traceparent", "tracestate").
	Trace propagation.MapCarrier
}

// claim leases up to n sagas that are due (not done, next attempt reached,
// no live lease) to owner until now+lease, and returns their order ids,
// the most overdue first.
func (s *store) claim(ctx context.Context, owner string, n int) ([]string, error) {
	var ids []string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		ids = nil // InTx may run this again
		now := millis(s.now())
		rows, err := s.db.Q(tx).QueryContext(ctx, `SELECT order_id FROM sagas
			WHERE step <> 'done' AND next_attempt_at <= ? AND locked_until <= ?
			ORDER BY next_attempt_at LIMIT ?`, now, now, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				_ = rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.db.Q(tx).ExecContext(ctx, `UPDATE sagas SET locked_until = ?, lock_owner = ? WHERE order_id = ?`,
				now+s.lease.Milliseconds(), owner, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim sagas: %w", err)
	}
	return ids, nil
}

// releaseLeases gives back every saga owner holds, so another runner (or
// this service's next start) takes them at once instead of waiting for
// the leases to run out.
func (s *store) releaseLeases(ctx context.Context, owner string) error {
	if _, err := s.db.Q(nil).ExecContext(ctx, `UPDATE sagas SET locked_until = 0, lock_owner = '' WHERE lock_owner = ?`, owner); err != nil {
		return fmt.Errorf("release saga leases: %w", err)
	}
	return nil
}

// saga returns the saga of order id, and the order, when owner holds it;
// errLeaseLost otherwise.
func (s *store) saga(ctx context.Context, id, owner string) (*saga, *order, error) {
	g := &saga{OrderID: id}
	var lockOwner, reason string
	var traceparent, tracestate string
	err := s.db.Q(nil).QueryRowContext(ctx, `SELECT step, attempts, refund, cancel_reason, cancel_message, lock_owner, traceparent, tracestate
		FROM sagas WHERE order_id = ?`, id).Scan(&g.Step, &g.Attempts, &g.Refund, &reason, &g.Message, &lockOwner, &traceparent, &tracestate)
	g.Trace = propagation.MapCarrier{"traceparent": traceparent, "tracestate": tracestate}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("load saga %s: %w", id, errNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	if lockOwner != owner {
		return nil, nil, fmt.Errorf("load saga %s: %w", id, errLeaseLost)
	}
	g.Reason = parseReason(reason)
	o, err := s.get(ctx, s.db, id)
	if err != nil {
		return nil, nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	return g, o, nil
}

// card returns the card of order id; ok is false when it was deleted.
func (s *store) card(ctx context.Context, id string) (c card, ok bool, err error) {
	err = s.db.Q(nil).QueryRowContext(ctx, `SELECT number, exp_month, exp_year, cvv FROM cards WHERE order_id = ?`, id).
		Scan(&c.Number, &c.ExpMonth, &c.ExpYear, &c.CVV)
	if errors.Is(err, sql.ErrNoRows) {
		return card{}, false, nil
	}
	if err != nil {
		return card{}, false, fmt.Errorf("load card of order %s: %w", id, err)
	}
	return c, true, nil
}

// transition moves a saga from one step to the next, non-final one.
type transition struct {
	From, To step
	// ChargeID, when set, is recorded on the order.
	ChargeID string
	// DeleteCard deletes the card: the charge has its final answer.
	DeleteCard bool
	// Refund, Reason and Message are the compensation's, for To ==
	// stepCompensate.
	Refund  bool
	Reason  ordersv1.CancelReason
	Message string
	// Trace is the W3C trace context of the checkout that placed the
	// order ("traceparent", "tracestate").
	Trace propagation.MapCarrier
}

// advance persists t for order id, held by owner, and extends the lease
// so the runner carries on with the next step. errLeaseLost when owner no
// longer holds the saga or it is no longer at t.From.
func (s *store) advance(ctx context.Context, id, owner string, t transition) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if err := s.moveSaga(ctx, tx, id, owner, t.From, `step = ?, attempts = 0, next_attempt_at = ?, locked_until = ?,
			refund = ?, cancel_reason = ?, cancel_message = ?, last_error = '', update_ns = ?`,
			t.To, millis(now), millis(now.Add(s.lease)), t.Refund, reasonName(t.Reason), t.Message, now.UnixNano()); err != nil {
			return err
		}
		if t.ChargeID != "" {
			if _, err := s.db.Q(tx).ExecContext(ctx, `UPDATE orders SET charge_id = ?, update_ns = ? WHERE id = ?`,
				t.ChargeID, now.UnixNano(), id); err != nil {
				return fmt.Errorf("record charge: %w", err)
			}
		}
		if t.DeleteCard {
			return s.deleteCard(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saga %s: %s -> %s: %w", id, t.From, t.To, err)
	}
	return nil
}

// outcome is how an order ends.
type outcome struct {
	Status  ordersv1.OrderStatus // CONFIRMED or CANCELLED
	Reason  ordersv1.CancelReason
	Message string
}

// finish ends the saga of order id, held by owner at step from: the order
// takes its final status, its card is deleted and order.confirmed or
// order.cancelled is added to the outbox, all in one transaction.
func (s *store) finish(ctx context.Context, id, owner string, from step, out outcome) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if err := s.moveSaga(ctx, tx, id, owner, from, `step = ?, locked_until = 0, lock_owner = '', last_error = '', update_ns = ?`,
			stepDone, now.UnixNano()); err != nil {
			return err
		}
		res, err := s.db.Q(tx).ExecContext(ctx, `UPDATE orders SET status = ?, cancel_reason = ?, cancel_message = ?, update_ns = ?
			WHERE id = ? AND status = 'PENDING'`,
			statusName(out.Status), reasonName(out.Reason), out.Message, now.UnixNano(), id)
		if err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("set status: order is not pending (%d rows, %v)", n, err)
		}
		if err := s.deleteCard(ctx, tx, id); err != nil {
			return err
		}
		o, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		typ, payload := eventOrderConfirmed, proto.Message(orderConfirmedEvent(o))
		if out.Status == ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {
			typ, payload = eventOrderCancelled, orderCancelledEvent(o)
		}
		_, err = s.outbox.Add(ctx, tx, typ, id, payload)
		return err
	})
	if err != nil {
		return fmt.Errorf("saga %s: finish %s: %w", id, statusName(out.Status), err)
	}
	s.outbox.Notify()
	return nil
}

// retryLater records a failed attempt of step from and schedules the next
// one at at, giving the lease back.
func (s *store) retryLater(ctx context.Context, id, owner string, from step, attempts int, at time.Time, cause string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		return s.moveSaga(ctx, tx, id, owner, from, `attempts = ?, next_attempt_at = ?, locked_until = 0, lock_owner = '',
			last_error = ?, update_ns = ?`, attempts, millis(at), cause, s.now().UnixNano())
	})
	if err != nil {
		return fmt.Errorf("saga %s: schedule retry of %s: %w", id, from, err)
	}
	return nil
}

// moveSaga runs "UPDATE sagas SET <set>" for order id if owner holds it at
// step from, and fails with errLeaseLost if not.
func (s *store) moveSaga(ctx context.Context, tx *sql.Tx, id, owner string, from step, set string, args ...any) error {
	args = append(args, id, from, owner)
	// set is one of a few literals of this file, so the prepared texts
	// stay few.
	res, err := s.db.Q(tx).ExecContext(ctx, `UPDATE sagas SET `+set+` WHERE order_id = ? AND step = ? AND lock_owner = ?`, args...)
	if err != nil {
		return fmt.Errorf("update saga: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update saga: %w", err)
	}
	if n != 1 {
		return errLeaseLost
	}
	return nil
}

// deleteCard deletes an order's card.
func (s *store) deleteCard(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := s.db.Q(tx).ExecContext(ctx, `DELETE FROM cards WHERE order_id = ?`, id); err != nil {
		return fmt.Errorf("delete card: %w", err)
	}
	return nil
}
