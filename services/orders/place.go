package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
)

// place accepts an order: validated, priced, then stored PENDING with its
// saga, card and order.placed event in one transaction. A key already
// used returns its order (errKeyReused when the request differs).
//
// A repeat with no items is a checkout retried after its own order
// emptied the cart (the storefront rebuilds the request from the cart): it
// cannot describe a different order, so a known key answers it with its
// order; an unknown key fails validation as usual.
func (s *Service) place(ctx context.Context, req *ordersv1.PlaceOrderRequest) (*keyHit, error) {
	now := s.now()
	if len(req.GetItems()) == 0 && req.GetIdempotencyKey() != "" && len(req.GetIdempotencyKey()) <= MaxKeyBytes {
		hit, err := s.store.byKey(ctx, s.store.db.Q(nil), req.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
		if hit != nil {
			return hit, nil
		}
	}
	c, err := checkPlace(req, now)
	if err != nil {
		return nil, err
	}
	hash := requestHash(req, c, s.cfg.BaseCurrency)
	hit, err := s.store.byKey(ctx, s.store.db.Q(nil), req.GetIdempotencyKey())
	if err != nil {
		return nil, err
	}
	if hit != nil {
		return replay(hit, hash)
	}
	p, err := s.price(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("new order id: %w", err)
	}
	requested := req.GetCurrencyCode()
	if requested == "" {
		requested = s.cfg.BaseCurrency
	}
	o := &order{
		ID:                id.String(),
		IdempotencyKey:    req.GetIdempotencyKey(),
		RequestHash:       hash,
		ShopperID:         req.GetShopperId(),
		UserID:            req.GetUserId(),
		Email:             req.GetEmail(),
		Address:           req.GetShippingAddress(),
		Items:             p.Items,
		Currency:          p.Currency,
		RequestedCurrency: requested,
		Subtotal:          p.Subtotal,
		Shipping:          p.Shipping,
		Total:             p.Total,
		ShippingQuoted:    p.Quoted,
		Status:            ordersv1.OrderStatus_ORDER_STATUS_PENDING,
		CardLastFour:      lastFour(c.Number),
		Created:           now,
		Updated:           now,
	}
	if hit, err = s.store.place(ctx, o, c); err != nil {
		return nil, err
	}
	if hit != nil {
		return replay(hit, hash)
	}
	s.logger.InfoContext(ctx, "order placed", "order", o.ID, "total", o.Total.String(), "quoted_shipping", o.ShippingQuoted)
	s.kick()
	s.store.outbox.Notify()
	return &keyHit{ID: o.ID, RequestHash: hash, Status: o.Status}, nil
}

// replay answers a repeated idempotency key: the order it made, if the
// request is the same.
func replay(hit *keyHit, hash string) (*keyHit, error) {
	if hit.RequestHash != hash {
		return nil, errKeyReused
	}
	return hit, nil
}
