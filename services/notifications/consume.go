package notifications

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/google/uuid"
)

// Event types notifications reads.
const (
	TypeOrderPlaced     = "order.placed"
	TypeOrderConfirmed  = "order.confirmed"
	TypeOrderCancelled  = "order.cancelled"
	TypeShipmentCreated = "shipment.created"
)

// subscriptions are what notifications reads: the orders events and the
// shipping events that become e-mails.
func subscriptions() []events.Subscription {
	return []events.Subscription{
		{Consumer: "notifications-orders", Producer: "orders", Types: []string{TypeOrderPlaced, TypeOrderConfirmed, TypeOrderCancelled}},
		{Consumer: "notifications-shipping", Producer: "shipping", Types: []string{TypeShipmentCreated}},
	}
}

// mailer makes mailbox messages from events.
type mailer struct {
	store    *store
	renderer *renderer
	now      func() time.Time
	// deliver queues an SMTP delivery with each new message.
	deliver bool
	// wake nudges the delivery loop; called after a message is queued.
	wake func()
}

// handle applies one event in tx: it renders the event's e-mail and puts
// it in the mailbox (and the delivery queue). The events inbox skips a
// redelivered event; the mailbox's UNIQUE (order_id, kind) skips the same
// fact published again under a new event id. An event that can never
// become a message (unknown type, wrong payload, no order id or no
// recipient) is dropped as permanent.
func (ml *mailer) handle(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope) error {
	switch env.GetType() {
	case TypeOrderPlaced:
		var ev eventsv1.OrderPlaced
		if err := events.Unpack(env, &ev); err != nil {
			return events.Permanent(err)
		}
		return ml.put(ctx, tx, env, notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED, ev.GetOrderId(), ev.GetEmail(), placedView(&ev))
	case TypeOrderConfirmed:
		var ev eventsv1.OrderConfirmed
		if err := events.Unpack(env, &ev); err != nil {
			return events.Permanent(err)
		}
		return ml.put(ctx, tx, env, notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED, ev.GetOrderId(), ev.GetEmail(), confirmedView(&ev))
	case TypeOrderCancelled:
		var ev eventsv1.OrderCancelled
		if err := events.Unpack(env, &ev); err != nil {
			return events.Permanent(err)
		}
		return ml.put(ctx, tx, env, notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED, ev.GetOrderId(), ev.GetEmail(), cancelledView(&ev))
	case TypeShipmentCreated:
		var ev eventsv1.ShipmentCreated
		if err := events.Unpack(env, &ev); err != nil {
			return events.Permanent(err)
		}
		return ml.put(ctx, tx, env, notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED, ev.GetOrderId(), ev.GetEmail(), shipmentView(&ev))
	}
	return events.Permanent(fmt.Errorf("notifications: no message for event type %q", env.GetType()))
}

// put renders the e-mail of kind and stores it, unless the order already
// has one of that kind.
func (ml *mailer) put(ctx context.Context, tx *sql.Tx, env *eventsv1.Envelope, kind notificationsv1.MessageKind, orderID, to string, v view) error {
	if strings.TrimSpace(orderID) == "" || len(orderID) > maxOrderIDBytes {
		return events.Permanent(fmt.Errorf("%s event %s: order id %q is empty or too long", env.GetType(), env.GetEventId(), orderID))
	}
	to, err := recipient(to)
	if err != nil {
		return events.Permanent(fmt.Errorf("%s event %s for order %s: %w", env.GetType(), env.GetEventId(), orderID, err))
	}
	m, err := ml.renderer.render(kind, v)
	if err != nil {
		return err
	}
	inserted, err := ml.store.insert(ctx, tx, message{
		ID: uuid.NewString(), To: to, Subject: m.Subject, Body: m.Body, Kind: kind,
		OrderID: orderID, EventID: env.GetEventId(), CreateTime: ml.now(),
	}, ml.deliver)
	if err != nil {
		return err
	}
	if inserted && ml.deliver {
		ml.wake()
	}
	return nil
}
