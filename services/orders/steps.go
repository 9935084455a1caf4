package orders

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// Cancel reasons, shortened.
const (
	reasonOutOfStock = ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK
	reasonDeclined   = ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED
	reasonNoFunds    = ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS
)

// runStep runs the saga's current step once and persists where it leads.
// An error means the step has no answer yet: it is retried later.
func (s *Service) runStep(ctx context.Context, g *saga, o *order) error {
	switch g.Step {
	case stepReserve:
		return s.reserve(ctx, o)
	case stepCharge:
		return s.charge(ctx, o)
	case stepCommit:
		return s.commit(ctx, o)
	case stepCompensate:
		return s.compensate(ctx, g, o)
	}
	return fmt.Errorf("unknown saga step %q", g.Step)
}

// reserve holds the order's stock. REJECTED cancels the order (nothing is
// held, nothing to undo); RESERVED moves on to the charge.
func (s *Service) reserve(ctx context.Context, o *order) error {
	req := &inventoryv1.ReserveRequest{OrderId: o.ID}
	for _, it := range o.Items {
		req.Items = append(req.Items, &inventoryv1.ReservationItem{ProductId: it.ProductID, Quantity: it.Quantity})
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Inventory.Reserve(cctx, req)
	if err != nil {
		return fmt.Errorf("reserve: %w", err)
	}
	r := resp.GetReservation()
	switch r.GetState() {
	case inventoryv1.ReservationState_RESERVATION_STATE_RESERVED,
		// Sold already: only this saga commits, so it got that far before
		// (a restored database); charge and commit are idempotent.
		inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED:
		return s.store.advance(ctx, o.ID, s.owner, transition{From: stepReserve, To: stepCharge})
	case inventoryv1.ReservationState_RESERVATION_STATE_REJECTED:
		return s.cancel(ctx, o, stepReserve, reasonOutOfStock, shortageMessage(o, r.GetShortages()))
	case inventoryv1.ReservationState_RESERVATION_STATE_RELEASED:
		// Released before it was reserved: nothing is held, and inventory
		// will hold nothing for this order any more.
		return s.cancel(ctx, o, stepReserve, reasonOutOfStock, "Sorry, the items could not be held for your order.")
	}
	return fmt.Errorf("reserve: unexpected reservation state %v", r.GetState())
}

// charge charges the order's total to its card, under an idempotency key
// derived from the order id, so a repeat returns the same charge.
func (s *Service) charge(ctx context.Context, o *order) error {
	c, ok, err := s.store.card(ctx, o.ID)
	if err != nil {
		return err
	}
	if !ok {
		return s.chargeWithoutCard(ctx, o)
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Payment.Charge(cctx, &paymentv1.ChargeRequest{
		OrderId:        o.ID,
		IdempotencyKey: chargeKey(o.ID),
		Amount:         o.Total,
		Card:           &typesv1.Card{Number: c.Number, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Cvv: c.CVV},
	})
	switch status.Code(err) {
	case codes.OK:
		return s.afterCharge(ctx, o, resp.GetCharge())
	case codes.InvalidArgument:
		// A card the processor will never take: nothing was charged.
		return s.toCompensate(ctx, o, stepCharge, false, reasonDeclined,
			"Your card was not accepted: "+status.Convert(err).Message())
	case codes.FailedPrecondition:
		// The order was refunded at payment: it can only be cancelled.
		return s.toCompensate(ctx, o, stepCharge, true, reasonDeclined, "The payment was refunded.")
	}
	return fmt.Errorf("charge: %w", err)
}

// afterCharge moves on from a charge's final answer.
func (s *Service) afterCharge(ctx context.Context, o *order, ch *paymentv1.Charge) error {
	switch ch.GetStatus() {
	case paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED:
		s.logger.InfoContext(ctx, "order charged", "order", o.ID, "charge", ch.GetId())
		return s.store.advance(ctx, o.ID, s.owner, transition{From: stepCharge, To: stepCommit, ChargeID: ch.GetId(), DeleteCard: true})
	case paymentv1.ChargeStatus_CHARGE_STATUS_DECLINED:
		return s.toCompensate(ctx, o, stepCharge, false, reasonDeclined, orDefault(ch.GetFailureMessage(), "Your card was declined."))
	case paymentv1.ChargeStatus_CHARGE_STATUS_INSUFFICIENT_FUNDS:
		return s.toCompensate(ctx, o, stepCharge, false, reasonNoFunds, orDefault(ch.GetFailureMessage(), "Your card has insufficient funds."))
	case paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED:
		return s.toCompensate(ctx, o, stepCharge, true, reasonDeclined, "The payment was refunded.")
	}
	return fmt.Errorf("charge: unexpected charge status %v", ch.GetStatus())
}

// chargeWithoutCard handles a charge step whose card is gone, which the
// saga never leaves behind (the card goes in the transaction that leaves
// this step): it asks payment how the order's charge ended instead, and
// cancels the order if it never had one, refunding to close it at payment.
func (s *Service) chargeWithoutCard(ctx context.Context, o *order) error {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Payment.GetCharge(cctx, &paymentv1.GetChargeRequest{OrderId: o.ID})
	switch status.Code(err) {
	case codes.OK:
		return s.afterCharge(ctx, o, resp.GetCharge())
	case codes.NotFound:
		s.logger.ErrorContext(ctx, "saga: card missing and no charge; cancelling", "order", o.ID)
		return s.toCompensate(ctx, o, stepCharge, true, reasonDeclined, "The card details were lost before the payment; nothing was charged.")
	}
	return fmt.Errorf("charge: card missing; look up charge: %w", err)
}

// commit sells the held stock and confirms the order. A reservation that
// can no longer be committed (released) cancels the order, refunding it.
func (s *Service) commit(ctx context.Context, o *order) error {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.deps.Inventory.Commit(cctx, &inventoryv1.CommitRequest{OrderId: o.ID})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.FailedPrecondition:
		s.logger.ErrorContext(ctx, "saga: stock cannot be committed; refunding", "order", o.ID, "err", err)
		return s.toCompensate(ctx, o, stepCommit, true, reasonOutOfStock,
			"Sorry, the items held for your order were no longer available; your payment was refunded.")
	default:
		return fmt.Errorf("commit: %w", err)
	}
	if st := resp.GetReservation().GetState(); st != inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED {
		return fmt.Errorf("commit: reservation is %v, want COMMITTED", st)
	}
	if err := s.store.finish(ctx, o.ID, s.owner, stepCommit, outcome{Status: ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED}); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "order confirmed", "order", o.ID)
	return nil
}

// compensate undoes what the saga did: it releases the stock and, when a
// charge may have succeeded, refunds it; then the order is cancelled.
// Both calls are idempotent, so the step may run any number of times.
func (s *Service) compensate(ctx context.Context, g *saga, o *order) error {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	if _, err := s.deps.Inventory.Release(cctx, &inventoryv1.ReleaseRequest{OrderId: o.ID}); err != nil {
		return fmt.Errorf("compensate: release: %w", err)
	}
	if g.Refund || o.ChargeID != "" {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
		defer cancel()
		if _, err := s.deps.Payment.Refund(rctx, &paymentv1.RefundRequest{OrderId: o.ID, IdempotencyKey: refundKey(o.ID)}); err != nil {
			return fmt.Errorf("compensate: refund: %w", err)
		}
	}
	return s.cancel(ctx, o, stepCompensate, g.Reason, g.Message)
}

// toCompensate persists the move from step from to compensate: the card is
// deleted (the charge has its final answer) and the reason kept for the
// cancellation.
func (s *Service) toCompensate(ctx context.Context, o *order, from step, refund bool, reason ordersv1.CancelReason, message string) error {
	s.logger.InfoContext(ctx, "order failed; compensating", "order", o.ID, "step", from, "reason", reason.String())
	return s.store.advance(ctx, o.ID, s.owner, transition{
		From: from, To: stepCompensate, DeleteCard: true, Refund: refund, Reason: reason, Message: message,
	})
}

// cancel ends the order CANCELLED.
func (s *Service) cancel(ctx context.Context, o *order, from step, reason ordersv1.CancelReason, message string) error {
	err := s.store.finish(ctx, o.ID, s.owner, from, outcome{
		Status: ordersv1.OrderStatus_ORDER_STATUS_CANCELLED, Reason: reason, Message: message,
	})
	if err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "order cancelled", "order", o.ID, "reason", reason.String())
	return nil
}

// chargeKey is the idempotency key of an order's charge: the same on
// every attempt, so payment answers a repeat with the first charge.
func chargeKey(orderID string) string { return orderID + ":charge" }

// refundKey is the idempotency key of an order's refund.
func refundKey(orderID string) string { return orderID + ":refund" }

// shortageMessage tells the shopper which items are short.
func shortageMessage(o *order, shortages []*inventoryv1.Shortage) string {
	names := make(map[string]string, len(o.Items))
	for _, it := range o.Items {
		names[it.ProductID] = it.Name
	}
	var parts []string
	for _, sh := range shortages {
		name := orDefault(names[sh.GetProductId()], sh.GetProductId())
		parts = append(parts, fmt.Sprintf("%s (%d wanted, %d left)", name, sh.GetRequested(), max(sh.GetAvailable(), 0)))
	}
	if len(parts) == 0 {
		return "Sorry, some items are out of stock."
	}
	return "Sorry, not enough in stock: " + strings.Join(parts, ", ") + "."
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// permanent reports whether a failed call was refused in a way that
// retrying alone will not change (as opposed to a dependency being down,
// slow or overloaded).
func permanent(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.NotFound, codes.AlreadyExists,
		codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented, codes.OutOfRange:
		return true
	}
	return false
}
