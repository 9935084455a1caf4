package notifications

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
	"unicode"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// templateFiles are the e-mail templates: common.tmpl and one file per
// message kind, each defining "subject" and "body".
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

// templateOf names each kind's template file.
func templateOf() map[notificationsv1.MessageKind]string {
	return map[notificationsv1.MessageKind]string{
		notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED:     "order_placed.tmpl",
		notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CONFIRMED:  "order_confirmed.tmpl",
		notificationsv1.MessageKind_MESSAGE_KIND_ORDER_CANCELLED:  "order_cancelled.tmpl",
		notificationsv1.MessageKind_MESSAGE_KIND_SHIPMENT_CREATED: "shipment_created.tmpl",
	}
}

// renderer turns views into e-mails.
type renderer struct {
	byKind map[notificationsv1.MessageKind]*template.Template
}

// newRenderer parses the templates.
func newRenderer() (*renderer, error) {
	r := &renderer{byKind: map[notificationsv1.MessageKind]*template.Template{}}
	for kind, file := range templateOf() {
		t, err := template.New(file).Option("missingkey=error").ParseFS(templateFiles, "templates/common.tmpl", "templates/"+file)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", file, err)
		}
		r.byKind[kind] = t
	}
	return r, nil
}

// rendered is a rendered e-mail.
type rendered struct {
	Subject, Body string
}

// render renders the e-mail of kind about v.
func (r *renderer) render(kind notificationsv1.MessageKind, v view) (rendered, error) {
	t, ok := r.byKind[kind]
	if !ok {
		return rendered{}, fmt.Errorf("render: no template for %v", kind)
	}
	var subject, body strings.Builder
	if err := t.ExecuteTemplate(&subject, "subject", v); err != nil {
		return rendered{}, fmt.Errorf("render %v subject: %w", kind, err)
	}
	if err := t.ExecuteTemplate(&body, "body", v); err != nil {
		return rendered{}, fmt.Errorf("render %v body: %w", kind, err)
	}
	return rendered{Subject: oneLine(subject.String()), Body: body.String()}, nil
}

// view is what the templates show. Every text field is one line.
type view struct {
	OrderID string
	// Name greets the recipient; empty for a plain "Hello,".
	Name  string
	Items []itemView
	// Amounts, formatted; empty where unknown.
	Subtotal, Shipping, Total string
	// Address is the shipping address, one line each; empty to omit.
	Address []string
	// Reason says why an order was cancelled.
	Reason string
	// Shipment.
	Carrier, TrackingID string
	EstimatedDays       int32
}

// itemView is one ordered product.
type itemView struct {
	Quantity int32
	Name     string
	// Unit and Line are the unit price and quantity × unit price; both
	// empty when the price is unknown.
	Unit, Line string
}

// placedView is the view of an order.placed.
func placedView(ev *eventsv1.OrderPlaced) view {
	return view{
		OrderID: oneLine(ev.GetOrderId()), Name: oneLine(ev.GetShippingAddress().GetName()), Items: itemViews(ev.GetItems()),
		Subtotal: formatMoney(ev.GetSubtotal()), Shipping: formatMoney(ev.GetShippingCost()), Total: formatMoney(ev.GetTotal()),
		Address: addressLines(ev.GetShippingAddress()),
	}
}

// confirmedView is the view of an order.confirmed.
func confirmedView(ev *eventsv1.OrderConfirmed) view {
	return view{
		OrderID: oneLine(ev.GetOrderId()), Name: oneLine(ev.GetShippingAddress().GetName()), Items: itemViews(ev.GetItems()),
		Total: formatMoney(ev.GetTotal()), Address: addressLines(ev.GetShippingAddress()),
	}
}

// cancelledView is the view of an order.cancelled.
func cancelledView(ev *eventsv1.OrderCancelled) view {
	reason := oneLine(ev.GetMessage())
	if reason == "" {
		reason = cancelReasonText(ev.GetReason())
	}
	return view{OrderID: oneLine(ev.GetOrderId()), Reason: reason}
}

// shipmentView is the view of a shipment.created.
func shipmentView(ev *eventsv1.ShipmentCreated) view {
	return view{
		OrderID: oneLine(ev.GetOrderId()), Carrier: oneLine(ev.GetCarrier()), TrackingID: oneLine(ev.GetTrackingId()),
		EstimatedDays: ev.GetEstimatedDays(),
	}
}

// cancelReasonText words a cancel reason for an event that carries no
// message.
func cancelReasonText(r ordersv1.CancelReason) string {
	switch r {
	case ordersv1.CancelReason_CANCEL_REASON_OUT_OF_STOCK:
		return "Some items were out of stock."
	case ordersv1.CancelReason_CANCEL_REASON_PAYMENT_DECLINED:
		return "The payment was declined."
	case ordersv1.CancelReason_CANCEL_REASON_INSUFFICIENT_FUNDS:
		return "The card had insufficient funds."
	}
	return "The order could not be completed."
}

// itemViews is the items of an order event.
func itemViews(items []*eventsv1.EventItem) []itemView {
	out := make([]itemView, 0, len(items))
	for _, it := range items {
		v := itemView{Quantity: it.GetQuantity(), Name: oneLine(it.GetName())}
		if v.Name == "" {
			v.Name = oneLine(it.GetProductId())
		}
		if unit := it.GetUnitPrice(); unit != nil && money.Validate(unit) == nil {
			if line, err := money.Mul(unit, int64(it.GetQuantity())); err == nil {
				v.Unit, v.Line = formatMoney(unit), formatMoney(line)
			}
		}
		out = append(out, v)
	}
	return out
}

// addressLines writes an address as an envelope would show it.
func addressLines(a *typesv1.Address) []string {
	if a == nil {
		return nil
	}
	var lines []string
	for _, l := range []string{a.GetName(), a.GetStreet(), strings.TrimSpace(a.GetPostalCode() + " " + a.GetCity()), a.GetCountryCode()} {
		if l = oneLine(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// formatMoney formats an amount for people ("$1,234.50", "¥1,512");
// empty for nil or malformed amounts.
func formatMoney(m *typesv1.Money) string {
	if m == nil || money.Validate(m) != nil {
		return ""
	}
	symbol, digits := currencyStyle(m.GetCurrencyCode())
	return money.Format(m, symbol, digits)
}

// currencyStyle returns the symbol and minor-unit digits to format an
// amount of code with: the shop's currencies (those pricing sells in) by
// their symbols, any other by its code with two decimals.
func currencyStyle(code string) (symbol string, digits int) {
	switch code {
	case "USD":
		return "$", 2
	case "EUR":
		return "€", 2
	case "GBP":
		return "£", 2
	case "JPY":
		return "¥", 0
	case "CHF":
		return "CHF", 2
	case "CAD":
		return "CA$", 2
	case "SEK":
		return "kr", 2
	case "AUD":
		return "A$", 2
	}
	return code, 2
}

// oneLine makes s a trimmed single line: control characters (line breaks
// included) become spaces, so event data cannot add header or body lines.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}
