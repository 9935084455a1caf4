package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// chargeRequest is a checked Charge.
type chargeRequest struct {
	OrderID, Key string
	Amount       *typesv1.Money
	Card         cardInfo
}

// Messages of charges that were not SUCCEEDED, fit to show the shopper.
const (
	messageDeclined          = "Your card was declined."
	messageInsufficientFunds = "Your card has insufficient funds."
)

// charge charges a card for an order, in one transaction, at most once:
//   - the same key answers with its charge (errConflict if it was for
//     another order or amount);
//   - an order already refunded is errRefunded;
//   - an order charged before with another amount is errConflict;
//   - an order with a SUCCEEDED charge answers with that charge;
//   - else the simulated processor decides and the attempt is stored with
//     its event, and a ledger entry when it succeeded.
//
// A transient processor failure stores nothing but the attempt count and
// returns errTransient.
func (s *store) charge(ctx context.Context, req chargeRequest) (charge, error) {
	var c charge
	transient := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = s.earlierCharge(ctx, tx, req)
		if !errors.Is(err, errNotFound) {
			return err
		}
		if req.Card.Outcome == outcomeTransient {
			if transient, err = s.transientAttempt(ctx, tx, req.OrderID); err != nil || transient {
				return err
			}
		}
		c, err = s.insertCharge(ctx, tx, req)
		return err
	})
	switch {
	case err != nil:
		return charge{}, fmt.Errorf("charge order %s: %w", req.OrderID, err)
	case transient:
		return charge{}, fmt.Errorf("charge order %s: %w", req.OrderID, errTransient)
	}
	s.events.Notify()
	return c, nil
}

// earlierCharge returns the charge an earlier call decided for req, or
// errNotFound when req is a new attempt.
func (s *store) earlierCharge(ctx context.Context, tx *sql.Tx, req chargeRequest) (charge, error) {
	byKey, err := s.oneCharge(ctx, tx, `WHERE idempotency_key = ?`, req.Key)
	switch {
	case err == nil && byKey.OrderID != req.OrderID:
		return charge{}, fmt.Errorf("%w: idempotency key %q was used for another order", errConflict, req.Key)
	case err == nil && !sameAmount(byKey.Amount, req.Amount):
		return charge{}, fmt.Errorf("%w: idempotency key %q was used for another amount", errConflict, req.Key)
	case err == nil:
		return byKey, nil
	case !errors.Is(err, errNotFound):
		return charge{}, err
	}
	if _, err := s.refundOf(ctx, tx, req.OrderID); err == nil {
		return charge{}, errRefunded
	} else if !errors.Is(err, errNotFound) {
		return charge{}, err
	}
	prev, err := s.chargeOfOrder(ctx, tx, req.OrderID)
	switch {
	case errors.Is(err, errNotFound):
		return charge{}, errNotFound
	case err != nil:
		return charge{}, err
	case !sameAmount(prev.Amount, req.Amount):
		return charge{}, fmt.Errorf("%w: the order was charged another amount", errConflict)
	case prev.Status == statusSucceeded:
		return prev, nil
	}
	return charge{}, errNotFound
}

// transientAttempt counts an attempt of an order with the transient test
// card and reports whether the processor fails it.
func (s *store) transientAttempt(ctx context.Context, tx *sql.Tx, orderID string) (bool, error) {
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO processor_attempts (order_id, attempts) VALUES (?, 1)
		ON CONFLICT (order_id) DO UPDATE SET attempts = processor_attempts.attempts + 1`, orderID)
	if err != nil {
		return false, fmt.Errorf("count processor attempt: %w", err)
	}
	var n int
	if err := s.db.Q(tx).QueryRowContext(ctx, `SELECT attempts FROM processor_attempts WHERE order_id = ?`, orderID).Scan(&n); err != nil {
		return false, fmt.Errorf("count processor attempt: %w", err)
	}
	return n <= transientFailures, nil
}

// insertCharge stores a new attempt as the processor answered it, with
// its event and, when it succeeded, its ledger entry.
func (s *store) insertCharge(ctx context.Context, tx *sql.Tx, req chargeRequest) (charge, error) {
	at := s.now().UTC()
	c := charge{
		ID: "ch_" + s.newID(), OrderID: req.OrderID, IdempotencyKey: req.Key, Amount: req.Amount,
		Status: statusSucceeded, CardLastFour: req.Card.LastFour, CardBrand: req.Card.Brand,
		CreateTime: at, UpdateTime: at,
	}
	switch req.Card.Outcome {
	case outcomeDeclined:
		c.Status, c.FailureMessage = statusDeclined, messageDeclined
	case outcomeInsufficientFunds:
		c.Status, c.FailureMessage = statusInsufficientFunds, messageInsufficientFunds
	}
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO charges
		(id, order_id, idempotency_key, currency_code, units, nanos, status, failure_message, card_last_four, card_brand, create_time, update_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrderID, c.IdempotencyKey, c.Amount.GetCurrencyCode(), c.Amount.GetUnits(), c.Amount.GetNanos(), c.Status,
		c.FailureMessage, c.CardLastFour, c.CardBrand, formatTime(at), formatTime(at))
	if err != nil {
		return charge{}, fmt.Errorf("insert charge: %w", err)
	}
	if c.Status != statusSucceeded {
		ev := &eventsv1.PaymentFailed{OrderId: c.OrderID, ChargeId: c.ID, Amount: c.Amount, Status: c.Status, Message: c.FailureMessage}
		if _, err := s.events.Add(ctx, tx, "payment.failed", c.OrderID, ev); err != nil {
			return charge{}, fmt.Errorf("record payment.failed: %w", err)
		}
		return c, nil
	}
	if err := s.addLedger(ctx, tx, "charge", c.OrderID, c.ID, "", c.Amount, at); err != nil {
		return charge{}, err
	}
	ev := &eventsv1.PaymentSucceeded{OrderId: c.OrderID, ChargeId: c.ID, Amount: c.Amount, CardLastFour: c.CardLastFour}
	if _, err := s.events.Add(ctx, tx, "payment.succeeded", c.OrderID, ev); err != nil {
		return charge{}, fmt.Errorf("record payment.succeeded: %w", err)
	}
	return c, nil
}

// refund refunds an order's SUCCEEDED charge in full, once, and closes the
// order to further charges. An order already refunded answers with that
// refund; an order with no successful charge gets a refund of nothing
// (zero in the currency of its latest attempt, when it had one).
func (s *store) refund(ctx context.Context, orderID, key string) (refund, error) {
	var r refund
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = s.refundOf(ctx, tx, orderID)
		if !errors.Is(err, errNotFound) {
			return err
		}
		at := s.now().UTC()
		r = refund{ID: "re_" + s.newID(), OrderID: orderID, IdempotencyKey: key, CreateTime: at}
		c, err := s.chargeOfOrder(ctx, tx, orderID)
		switch {
		case errors.Is(err, errNotFound):
			return s.insertRefund(ctx, tx, r)
		case err != nil:
			return err
		case c.Status != statusSucceeded:
			r.Amount = &typesv1.Money{CurrencyCode: c.Amount.GetCurrencyCode()}
			return s.insertRefund(ctx, tx, r)
		}
		r.ChargeID, r.Amount = c.ID, c.Amount
		return s.refundCharge(ctx, tx, r)
	})
	if err != nil {
		return refund{}, fmt.Errorf("refund order %s: %w", orderID, err)
	}
	s.events.Notify()
	return r, nil
}

// refundCharge marks a charge REFUNDED and stores its refund, ledger
// entry and event.
func (s *store) refundCharge(ctx context.Context, tx *sql.Tx, r refund) error {
	_, err := s.db.Q(tx).ExecContext(ctx, `UPDATE charges SET status = ?, update_time = ? WHERE id = ? AND status = ?`,
		statusRefunded, formatTime(r.CreateTime), r.ChargeID, statusSucceeded)
	if err != nil {
		return fmt.Errorf("mark charge %s refunded: %w", r.ChargeID, err)
	}
	if err := s.insertRefund(ctx, tx, r); err != nil {
		return err
	}
	back := &typesv1.Money{CurrencyCode: r.Amount.GetCurrencyCode(), Units: -r.Amount.GetUnits(), Nanos: -r.Amount.GetNanos()}
	if err := s.addLedger(ctx, tx, "refund", r.OrderID, r.ChargeID, r.ID, back, r.CreateTime); err != nil {
		return err
	}
	ev := &eventsv1.PaymentRefunded{OrderId: r.OrderID, RefundId: r.ID, ChargeId: r.ChargeID, Amount: r.Amount}
	if _, err := s.events.Add(ctx, tx, "payment.refunded", r.OrderID, ev); err != nil {
		return fmt.Errorf("record payment.refunded: %w", err)
	}
	return nil
}

// insertRefund stores a refund.
func (s *store) insertRefund(ctx context.Context, tx *sql.Tx, r refund) error {
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO refunds
		(order_id, id, charge_id, currency_code, units, nanos, idempotency_key, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.OrderID, r.ID, r.ChargeID, r.Amount.GetCurrencyCode(), r.Amount.GetUnits(), r.Amount.GetNanos(), r.IdempotencyKey, formatTime(r.CreateTime))
	if err != nil {
		return fmt.Errorf("insert refund: %w", err)
	}
	return nil
}

// addLedger records money that moved: a charge (positive) or a refund
// (negative).
func (s *store) addLedger(ctx context.Context, tx *sql.Tx, kind, orderID, chargeID, refundID string, m *typesv1.Money, at time.Time) error {
	_, err := s.db.Q(tx).ExecContext(ctx, `INSERT INTO ledger
		(kind, order_id, charge_id, refund_id, currency_code, units, nanos, create_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		kind, orderID, chargeID, refundID, m.GetCurrencyCode(), m.GetUnits(), m.GetNanos(), formatTime(at))
	if err != nil {
		return fmt.Errorf("add %s ledger entry: %w", kind, err)
	}
	return nil
}
