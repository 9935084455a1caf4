package authz

// The callers of each service, from the call graph in
// docs/architecture.md and the calls in the code: who calls what, and
// nothing else. operator is `bazaar verify` and the console.
const (
	storefront      = "storefront"
	orders          = "orders"
	cart            = "cart"
	recommendations = "recommendations"
	operator        = "operator"
)

// Policy returns the rules of service, and false for a service without a
// table (whose calls are then all refused).
func Policy(service string) (Rules, bool) {
	r, ok := policies()[service]
	return r, ok
}

func policies() map[string]Rules {
	return map[string]Rules{
		"accounts": {"*": {storefront}},
		"cart":     {"*": {storefront}},
		"catalog":  {"*": {storefront, cart, orders, recommendations}},
		"inventory": {
			"GetStock": {storefront, orders, operator}, "BatchGetAvailability": {storefront, orders},
			"Reserve": {orders}, "Release": {orders}, "Commit": {orders},
			"GetReservation": {orders, operator}, "ListStock": {operator},
		},
		"notifications": {"ListMessages": {storefront, operator}, "GetMessage": {storefront, operator}},
		"orders":        {"PlaceOrder": {storefront}, "GetOrder": {storefront, operator}, "ListOrders": {storefront, operator}},
		"payment": {
			"Charge": {orders}, "Refund": {orders}, "GetCharge": {orders, operator}, "ListCharges": {operator},
		},
		"pricing": {
			"ListCurrencies": {storefront, orders}, "Convert": {storefront, orders}, "SetRate": {operator},
		},
		"recommendations": {"*": {storefront}},
		"shipping": {
			"GetQuote": {orders}, "CreateShipment": {orders}, "GetShipment": {orders, operator}, "TrackShipment": {orders, operator},
		},
	}
}
