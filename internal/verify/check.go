package verify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
)

// evaluate checks every invariant over one snapshot. grace is how long an
// order may stay PENDING, or a CONFIRMED order wait for its shipment and
// e-mail, before that is a violation rather than work in flight.
func evaluate(s Snapshot, grace time.Duration) Report {
	return Report{
		Orders:   len(s.Orders),
		Charges:  len(s.Charges),
		Products: len(s.StockBefore),
		Results: []Result{
			checkSettled(s.Orders, s.Now, grace),
			checkChargedOnce(s.Orders, s.Charges),
			checkCancelledHoldsNothing(s.Orders, s.Charges, s.Reservations),
			checkStockBalanced(s.StockBefore, s.StockAfter, s.Reservations),
			checkFulfilledOnce(s.Orders, s.Shipments, s.Messages, s.Now, grace),
			checkOneOrderPerKey(),
		},
	}
}

// checkSettled: every order is CONFIRMED or CANCELLED, or PENDING for no
// longer than grace (in flight).
func checkSettled(orders []Order, now time.Time, grace time.Duration) Result {
	r := Result{Invariant: Settled}
	for _, o := range orders {
		switch o.Status {
		case ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED, ordersv1.OrderStatus_ORDER_STATUS_CANCELLED:
		case ordersv1.OrderStatus_ORDER_STATUS_PENDING:
			age := now.Sub(o.Created)
			if age <= grace {
				r.InFlight++
				continue
			}
			r.add(o.ID, "still PENDING %s after it was placed (grace %s)", age.Round(time.Second), grace)
		default:
			r.add(o.ID, "has status %s, which is neither PENDING, CONFIRMED nor CANCELLED", o.Status)
		}
	}
	return r
}

// captured reports whether a charge took money at some point: SUCCEEDED,
// or REFUNDED (succeeded, then refunded).
func captured(s paymentv1.ChargeStatus) bool {
	return s == paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED || s == paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED
}

// chargesByOrder groups charges by order id, keeping their order.
func chargesByOrder(charges []Charge) map[string][]Charge {
	m := make(map[string][]Charge)
	for _, c := range charges {
		m[c.OrderID] = append(m[c.OrderID], c)
	}
	return m
}

// checkChargedOnce: at most one charge of each order ever took money
// (payment's contract: one SUCCEEDED charge per order, and none after a
// refund, so a second one, refunded or not, is a double charge), and every
// charge that took money is for the order's total.
func checkChargedOnce(orders []Order, charges []Charge) Result {
	r := Result{Invariant: ChargedOnce}
	byOrder := chargesByOrder(charges)
	listed := 0
	for _, o := range orders {
		var took []string
		for _, c := range byOrder[o.ID] {
			listed++
			if !captured(c.Status) {
				continue
			}
			took = append(took, fmt.Sprintf("%s (%s)", c.ID, short(c.Status, "CHARGE_STATUS_")))
			if c.Amount != o.Total {
				r.add(o.ID, "charge %s is %s, but the order total is %s", c.ID, c.Amount, o.Total)
			}
		}
		if len(took) > 1 {
			r.add(o.ID, "charged %d times: %s", len(took), strings.Join(took, ", "))
		}
	}
	if n := len(charges) - listed; n > 0 {
		r.Note = fmt.Sprintf("%d %s of orders not in the order listing (placed after it) not checked", n, plural(n, "charge", "charges"))
	}
	return r
}

// checkCancelledHoldsNothing: a CANCELLED order has no SUCCEEDED charge
// (a REFUNDED one is fine) and its reservation, when it has one, is
// RELEASED or REJECTED. An order with no reservation holds no stock.
func checkCancelledHoldsNothing(orders []Order, charges []Charge, reservations map[string]Reservation) Result {
	r := Result{Invariant: CancelledHoldsNothing}
	byOrder := chargesByOrder(charges)
	for _, o := range orders {
		if o.Status != ordersv1.OrderStatus_ORDER_STATUS_CANCELLED {
			continue
		}
		for _, c := range byOrder[o.ID] {
			if c.Status == paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED {
				r.add(o.ID, "charge %s of %s is SUCCEEDED, not refunded", c.ID, c.Amount)
			}
		}
		res, ok := reservations[o.ID]
		if !ok {
			continue
		}
		switch res.State {
		case inventoryv1.ReservationState_RESERVATION_STATE_RELEASED, inventoryv1.ReservationState_RESERVATION_STATE_REJECTED:
		default:
			r.add(o.ID, "its reservation is %s, not RELEASED or REJECTED (%s)", short(res.State, "RESERVATION_STATE_"), itemsString(res.Items))
		}
	}
	return r
}

// itemsString writes items as "p1 x2, p2 x1".
func itemsString(items []Item) string {
	if len(items) == 0 {
		return "no items"
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("%s x%d", it.ProductID, it.Quantity)
	}
	return strings.Join(parts, ", ")
}

// checkStockBalanced: for every product on hand + reserved + sold equals
// loaded, no counter is negative, and sold equals the units of the
// COMMITTED reservations of the listed orders. The second part is judged
// only for products whose sold did not change between the two stock
// reads: sold only grows, so an unchanged sold means no commit happened
// while verify read the reservations, and every COMMITTED reservation
// belongs to an order placed before the listing. Other products are in
// flight.
func checkStockBalanced(before, after []Stock, reservations map[string]Reservation) Result {
	r := Result{Invariant: StockBalanced}
	for _, st := range before {
		if st.OnHand < 0 || st.Reserved < 0 || st.Sold < 0 || st.Loaded < 0 {
			r.add(st.ProductID, "negative stock: on hand %d, reserved %d, sold %d, loaded %d", st.OnHand, st.Reserved, st.Sold, st.Loaded)
		}
		if sum := st.OnHand + st.Reserved + st.Sold; sum != st.Loaded {
			r.add(st.ProductID, "on hand %d + reserved %d + sold %d = %d, but %d were loaded", st.OnHand, st.Reserved, st.Sold, sum, st.Loaded)
		}
	}
	committed := committedUnits(reservations)
	afterBy := make(map[string]Stock, len(after))
	for _, st := range after {
		afterBy[st.ProductID] = st
	}
	for _, st := range before {
		units := committed[st.ProductID]
		delete(committed, st.ProductID)
		if a, ok := afterBy[st.ProductID]; !ok || a.Sold != st.Sold {
			r.InFlight++
			continue
		}
		if units != st.Sold {
			r.add(st.ProductID, "sold %d, but the COMMITTED reservations of the orders hold %d", st.Sold, units)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(committed)) {
		if _, ok := afterBy[id]; ok {
			r.InFlight++ // loaded while verify ran
			continue
		}
		r.add(id, "COMMITTED reservations hold %d units, but inventory lists no stock for it", committed[id])
	}
	return r
}

// committedUnits sums the units of COMMITTED reservations per product.
func committedUnits(reservations map[string]Reservation) map[string]int64 {
	units := make(map[string]int64)
	for _, res := range reservations {
		if res.State != inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED {
			continue
		}
		for _, it := range res.Items {
			units[it.ProductID] += it.Quantity
		}
	}
	return units
}

// checkFulfilledOnce: every CONFIRMED order has a shipment and exactly
// one ORDER_CONFIRMED e-mail. Both are made asynchronously, so an order
// confirmed no longer than grace ago that lacks one is in flight; two
// e-mails are a violation at once. GetShipment can return only one
// shipment per order, so a second shipment shows only as a tracking id on
// the order that differs from the shipment's.
func checkFulfilledOnce(orders []Order, shipments map[string]Shipment, messages map[string][]Message, now time.Time, grace time.Duration) Result {
	r := Result{Invariant: FulfilledOnce}
	for _, o := range orders {
		if o.Status != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
			continue
		}
		age := now.Sub(o.Updated)
		young := age <= grace
		waiting := false
		sh, ok := shipments[o.ID]
		switch {
		case !ok && young:
			waiting = true
		case !ok:
			r.add(o.ID, "no shipment %s after it was confirmed (grace %s)", age.Round(time.Second), grace)
		case o.TrackingID != "" && o.TrackingID != sh.TrackingID:
			r.add(o.ID, "the order records tracking id %s, but its shipment %s has %s: more than one shipment", o.TrackingID, sh.ID, sh.TrackingID)
		}
		var ids []string
		for _, m := range messages[o.ID] {
			if m.Kind == notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED {
				ids = append(ids, m.ID)
			}
		}
		switch {
		case len(ids) == 0 && young:
			waiting = true
		case len(ids) == 0:
			r.add(o.ID, "no confirmation e-mail %s after it was confirmed (grace %s)", age.Round(time.Second), grace)
		case len(ids) > 1:
			r.add(o.ID, "%d confirmation e-mails: %s", len(ids), strings.Join(ids, ", "))
		}
		if waiting {
			r.InFlight++
		}
	}
	return r
}

// checkOneOrderPerKey cannot check: the orders API never returns an
// order's idempotency key.
func checkOneOrderPerKey() Result {
	return Result{
		Invariant:     OneOrderPerKey,
		NotObservable: true,
		Note: "not observable through the API: the orders API does not expose idempotency keys; " +
			"the orders service enforces it with a unique index on the key, checked by its tests",
	}
}
