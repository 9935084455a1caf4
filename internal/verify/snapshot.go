package verify

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// Snapshot is what one round of verify read from the services: the plain
// data every check works on.
type Snapshot struct {
	// Now is when the order listing started; ages are measured from it,
	// so they are never overstated.
	Now time.Time
	// Orders is every order, as listed by the orders service.
	Orders []Order
	// Charges is every charge, as listed by the payment service.
	Charges []Charge
	// StockBefore is every product's stock, read before the orders;
	// StockAfter is the same read again once everything else was read.
	StockBefore, StockAfter []Stock
	// Reservations holds the reservation of each listed order that has
	// one, by order id.
	Reservations map[string]Reservation
	// Shipments holds the shipment of each CONFIRMED order that has one,
	// by order id.
	Shipments map[string]Shipment
	// Messages holds the messages about each CONFIRMED order, by order id.
	Messages map[string][]Message
}

// Order is what verify needs of an order.
type Order struct {
	ID         string
	Status     ordersv1.OrderStatus
	Total      Money
	TrackingID string
	Created    time.Time
	Updated    time.Time
}

// Charge is what verify needs of a payment charge.
type Charge struct {
	ID      string
	OrderID string
	Status  paymentv1.ChargeStatus
	Amount  Money
}

// Stock is one product's stock counters.
type Stock struct {
	ProductID string
	OnHand    int64
	Reserved  int64
	Sold      int64
	Loaded    int64
}

// Reservation is an order's reservation of stock.
type Reservation struct {
	State inventoryv1.ReservationState
	Items []Item
}

// Item is a quantity of one product.
type Item struct {
	ProductID string
	Quantity  int64
}

// Shipment is what verify needs of an order's shipment.
type Shipment struct {
	ID         string
	TrackingID string
}

// Message is what verify needs of an e-mail in the mailbox.
type Message struct {
	ID   string
	Kind notificationsv1.MessageKind
}

// Money is an amount in a currency, comparable with ==.
type Money struct {
	Currency string
	Units    int64
	Nanos    int32
}

// moneyOf converts a contract Money; nil is the zero Money.
func moneyOf(m *typesv1.Money) Money {
	return Money{Currency: m.GetCurrencyCode(), Units: m.GetUnits(), Nanos: m.GetNanos()}
}

// String writes m as "12.5 USD".
func (m Money) String() string {
	n := new(big.Int).Mul(big.NewInt(m.Units), big.NewInt(money.NanosPerUnit))
	n.Add(n, big.NewInt(int64(m.Nanos)))
	r := new(big.Rat).SetFrac(n, big.NewInt(money.NanosPerUnit))
	return strings.TrimSpace(money.FormatDecimal(r, 9) + " " + m.Currency)
}

// short writes an enum value without its type prefix:
// CHARGE_STATUS_SUCCEEDED becomes SUCCEEDED.
func short(v fmt.Stringer, prefix string) string {
	return strings.TrimPrefix(v.String(), prefix)
}
