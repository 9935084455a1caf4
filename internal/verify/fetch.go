package verify

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	ordersv1 "github.com/bazaar-shop/bazaar/api/bazaar/orders/v1"
	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
)

// Page sizes asked of the list rpcs: each service's cap.
const (
	ordersPageSize   = 100
	chargesPageSize  = 1000
	stockPageSize    = 1000
	messagesPageSize = 100
)

// fetch reads one snapshot. The order of the reads matters to the checks:
// stock, then orders (Now is taken just before), charges, each order's
// reservation, shipment and messages, then stock again.
func fetch(ctx context.Context, c Clients, o Options) (Snapshot, error) {
	var s Snapshot
	var err error
	if s.StockBefore, err = listStock(ctx, c.Inventory); err != nil {
		return Snapshot{}, err
	}
	s.Now = o.Now()
	if s.Orders, err = listOrders(ctx, c.Orders); err != nil {
		return Snapshot{}, err
	}
	if s.Charges, err = listCharges(ctx, c.Payment); err != nil {
		return Snapshot{}, err
	}
	if err := fetchPerOrder(ctx, c, s.Orders, o.Concurrency, &s); err != nil {
		return Snapshot{}, err
	}
	if s.StockAfter, err = listStock(ctx, c.Inventory); err != nil {
		return Snapshot{}, err
	}
	return s, nil
}

// nextPage returns the next page token, or an error when a service hands
// back the token it was given (the listing would never end).
func nextPage(service, what, current, next string) (string, error) {
	if next != "" && next == current {
		return "", &ServiceError{Service: service, Err: fmt.Errorf("list %s: page token %q did not advance", what, next)}
	}
	return next, nil
}

// listOrders reads every order, all pages, no filter. An order seen twice
// (a page boundary that moved as new orders came in) is kept once.
func listOrders(ctx context.Context, c ordersv1.OrdersServiceClient) ([]Order, error) {
	var out []Order
	seen := make(map[string]bool)
	token := ""
	for {
		resp, err := c.ListOrders(ctx, &ordersv1.ListOrdersRequest{PageSize: ordersPageSize, PageToken: token})
		if err != nil {
			return nil, &ServiceError{Service: "orders", Err: fmt.Errorf("list orders: %w", err)}
		}
		for _, o := range resp.GetOrders() {
			if seen[o.GetId()] {
				continue
			}
			seen[o.GetId()] = true
			out = append(out, Order{
				ID:         o.GetId(),
				Status:     o.GetStatus(),
				Total:      moneyOf(o.GetTotal()),
				TrackingID: o.GetTrackingId(),
				Created:    o.GetCreateTime().AsTime(),
				Updated:    o.GetUpdateTime().AsTime(),
			})
		}
		if token, err = nextPage("orders", "orders", token, resp.GetNextPageToken()); err != nil || token == "" {
			return out, err
		}
	}
}

// listCharges reads every charge, all pages.
func listCharges(ctx context.Context, c paymentv1.PaymentServiceClient) ([]Charge, error) {
	var out []Charge
	token := ""
	for {
		resp, err := c.ListCharges(ctx, &paymentv1.ListChargesRequest{PageSize: chargesPageSize, PageToken: token})
		if err != nil {
			return nil, &ServiceError{Service: "payment", Err: fmt.Errorf("list charges: %w", err)}
		}
		for _, ch := range resp.GetCharges() {
			out = append(out, Charge{ID: ch.GetId(), OrderID: ch.GetOrderId(), Status: ch.GetStatus(), Amount: moneyOf(ch.GetAmount())})
		}
		if token, err = nextPage("payment", "charges", token, resp.GetNextPageToken()); err != nil || token == "" {
			return out, err
		}
	}
}

// listStock reads every product's stock, all pages.
func listStock(ctx context.Context, c inventoryv1.InventoryServiceClient) ([]Stock, error) {
	var out []Stock
	token := ""
	for {
		resp, err := c.ListStock(ctx, &inventoryv1.ListStockRequest{PageSize: stockPageSize, PageToken: token})
		if err != nil {
			return nil, &ServiceError{Service: "inventory", Err: fmt.Errorf("list stock: %w", err)}
		}
		for _, st := range resp.GetStocks() {
			out = append(out, Stock{
				ProductID: st.GetProductId(),
				OnHand:    st.GetOnHand(),
				Reserved:  st.GetReserved(),
				Sold:      st.GetSold(),
				Loaded:    st.GetLoaded(),
			})
		}
		if token, err = nextPage("inventory", "stock", token, resp.GetNextPageToken()); err != nil || token == "" {
			return out, err
		}
	}
}

// perOrder is what fetchPerOrder read about one order.
type perOrder struct {
	reservation    *Reservation
	shipment       *Shipment
	messages       []Message
	readFulfilment bool
}

// fetchPerOrder reads each order's reservation and, for a CONFIRMED
// order, its shipment and messages, at most concurrency orders at a time,
// into s's maps.
func fetchPerOrder(ctx context.Context, c Clients, orders []Order, concurrency int, s *Snapshot) error {
	got := make([]perOrder, len(orders))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, o := range orders {
		g.Go(func() error {
			var err error
			if got[i].reservation, err = getReservation(ctx, c.Inventory, o.ID); err != nil {
				return err
			}
			if o.Status != ordersv1.OrderStatus_ORDER_STATUS_CONFIRMED {
				return nil
			}
			got[i].readFulfilment = true
			if got[i].shipment, err = getShipment(ctx, c.Shipping, o.ID); err != nil {
				return err
			}
			got[i].messages, err = listMessages(ctx, c.Notifications, o.ID)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	s.Reservations = make(map[string]Reservation)
	s.Shipments = make(map[string]Shipment)
	s.Messages = make(map[string][]Message)
	for i, o := range orders {
		if r := got[i].reservation; r != nil {
			s.Reservations[o.ID] = *r
		}
		if sh := got[i].shipment; sh != nil {
			s.Shipments[o.ID] = *sh
		}
		if got[i].readFulfilment {
			s.Messages[o.ID] = got[i].messages
		}
	}
	return nil
}

// getReservation reads an order's reservation; nil when it has none.
func getReservation(ctx context.Context, c inventoryv1.InventoryServiceClient, orderID string) (*Reservation, error) {
	resp, err := c.GetReservation(ctx, &inventoryv1.GetReservationRequest{OrderId: orderID})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, &ServiceError{Service: "inventory", Err: fmt.Errorf("get reservation of order %s: %w", orderID, err)}
	}
	res := resp.GetReservation()
	out := &Reservation{State: res.GetState()}
	for _, it := range res.GetItems() {
		out.Items = append(out.Items, Item{ProductID: it.GetProductId(), Quantity: int64(it.GetQuantity())})
	}
	return out, nil
}

// getShipment reads an order's shipment; nil when it has none.
func getShipment(ctx context.Context, c shippingv1.ShippingServiceClient, orderID string) (*Shipment, error) {
	resp, err := c.GetShipment(ctx, &shippingv1.GetShipmentRequest{OrderId: orderID})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, &ServiceError{Service: "shipping", Err: fmt.Errorf("get shipment of order %s: %w", orderID, err)}
	}
	sh := resp.GetShipment()
	return &Shipment{ID: sh.GetId(), TrackingID: sh.GetTrackingId()}, nil
}

// listMessages reads every message about an order, all pages, each once
// (a message seen on two pages is one message).
func listMessages(ctx context.Context, c notificationsv1.NotificationsServiceClient, orderID string) ([]Message, error) {
	var out []Message
	seen := make(map[string]bool)
	token := ""
	for {
		resp, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{OrderId: orderID, PageSize: messagesPageSize, PageToken: token})
		if err != nil {
			return nil, &ServiceError{Service: "notifications", Err: fmt.Errorf("list messages of order %s: %w", orderID, err)}
		}
		for _, m := range resp.GetMessages() {
			if m.GetOrderId() != orderID || seen[m.GetId()] {
				continue
			}
			seen[m.GetId()] = true
			out = append(out, Message{ID: m.GetId(), Kind: m.GetKind()})
		}
		if token, err = nextPage("notifications", "messages", token, resp.GetNextPageToken()); err != nil || token == "" {
			return out, err
		}
	}
}
