package inventory

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	inventoryv1 "github.com/bazaar-shop/bazaar/api/bazaar/inventory/v1"
)

// startService runs a Service on a fresh database (the embedded seed)
// behind a real gRPC server on bufconn and returns a client for it.
func startService(t *testing.T) inventoryv1.InventoryServiceClient {
	t.Helper()
	svc, err := New(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "inventory.db")}, Deps{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///inventory",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := svc.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return inventoryv1.NewInventoryServiceClient(conn)
}

// wantCode checks err carries code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Errorf("err = %v, want code %v", err, code)
	}
}

func items(kv ...any) []*inventoryv1.ReservationItem {
	var out []*inventoryv1.ReservationItem
	for i := 0; i < len(kv); i += 2 {
		out = append(out, &inventoryv1.ReservationItem{ProductId: kv[i].(string), Quantity: int32(kv[i+1].(int))})
	}
	return out
}

func TestGetStockAndAvailability(t *testing.T) {
	ctx := context.Background()
	c := startService(t)
	resp, err := c.GetStock(ctx, &inventoryv1.GetStockRequest{ProductId: "brass-fountain-pen"})
	if err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	st := resp.GetStock()
	if st.GetOnHand() != 3 || st.GetLoaded() != 3 || st.GetReserved() != 0 || st.GetSold() != 0 || st.GetUpdateTime() == nil {
		t.Errorf("stock = %v, want 3 on hand of 3 loaded", st)
	}
	_, err = c.GetStock(ctx, &inventoryv1.GetStockRequest{ProductId: "no-such-product"})
	wantCode(t, err, codes.NotFound)
	_, err = c.GetStock(ctx, &inventoryv1.GetStockRequest{})
	wantCode(t, err, codes.InvalidArgument)

	av, err := c.BatchGetAvailability(ctx, &inventoryv1.BatchGetAvailabilityRequest{ProductIds: []string{"compact-binoculars", "nope", "brass-fountain-pen"}})
	if err != nil {
		t.Fatalf("BatchGetAvailability: %v", err)
	}
	got := av.GetAvailabilities()
	if len(got) != 2 || got[0].GetProductId() != "compact-binoculars" || got[0].GetAvailable() != 2 ||
		got[1].GetProductId() != "brass-fountain-pen" || got[1].GetAvailable() != 3 {
		t.Errorf("availabilities = %v, want binoculars 2, pen 3 in request order", got)
	}
	if m := av.GetMissingIds(); len(m) != 1 || m[0] != "nope" {
		t.Errorf("missing = %v, want [nope]", m)
	}
	_, err = c.BatchGetAvailability(ctx, &inventoryv1.BatchGetAvailabilityRequest{ProductIds: make([]string, 101)})
	wantCode(t, err, codes.InvalidArgument)
}

func TestReserveValidation(t *testing.T) {
	c := startService(t)
	many := make([]*inventoryv1.ReservationItem, 101)
	for i := range many {
		many[i] = &inventoryv1.ReservationItem{ProductId: strings.Repeat("p", i+1), Quantity: 1}
	}
	tests := []struct {
		name string
		req  *inventoryv1.ReserveRequest
	}{
		{"no order id", &inventoryv1.ReserveRequest{Items: items("espresso-cup", 1)}},
		{"order id too long", &inventoryv1.ReserveRequest{OrderId: strings.Repeat("o", 129), Items: items("espresso-cup", 1)}},
		{"no items", &inventoryv1.ReserveRequest{OrderId: "o"}},
		{"too many items", &inventoryv1.ReserveRequest{OrderId: "o", Items: many}},
		{"product twice", &inventoryv1.ReserveRequest{OrderId: "o", Items: items("espresso-cup", 1, "espresso-cup", 2)}},
		{"zero quantity", &inventoryv1.ReserveRequest{OrderId: "o", Items: items("espresso-cup", 0)}},
		{"negative quantity", &inventoryv1.ReserveRequest{OrderId: "o", Items: items("espresso-cup", -1)}},
		{"quantity too big", &inventoryv1.ReserveRequest{OrderId: "o", Items: items("espresso-cup", 10001)}},
		{"empty product id", &inventoryv1.ReserveRequest{OrderId: "o", Items: items("", 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Reserve(context.Background(), tt.req)
			wantCode(t, err, codes.InvalidArgument)
		})
	}
	// Nothing was recorded by the refused calls.
	_, err := c.GetReservation(context.Background(), &inventoryv1.GetReservationRequest{OrderId: "o"})
	wantCode(t, err, codes.NotFound)
}

func TestReservationLifecycleOverGRPC(t *testing.T) {
	ctx := context.Background()
	c := startService(t)
	stockOf := func(id string) *inventoryv1.Stock {
		t.Helper()
		r, err := c.GetStock(ctx, &inventoryv1.GetStockRequest{ProductId: id})
		if err != nil {
			t.Fatalf("GetStock: %v", err)
		}
		return r.GetStock()
	}
	// Sold out: the pen has 3.
	rej, err := c.Reserve(ctx, &inventoryv1.ReserveRequest{OrderId: "o-rej", Items: items("espresso-cup", 1, "brass-fountain-pen", 4)})
	if err != nil {
		t.Fatalf("Reserve: %v", err)
	}
	if r := rej.GetReservation(); r.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_REJECTED ||
		len(r.GetShortages()) != 1 || r.GetShortages()[0].GetAvailable() != 3 || r.GetShortages()[0].GetRequested() != 4 {
		t.Errorf("reservation = %v, want REJECTED for the pen (3 available)", r)
	}
	_, err = c.Commit(ctx, &inventoryv1.CommitRequest{OrderId: "o-rej"})
	wantCode(t, err, codes.FailedPrecondition)

	res, err := c.Reserve(ctx, &inventoryv1.ReserveRequest{OrderId: "o1", Items: items("brass-fountain-pen", 3)})
	if err != nil || res.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_RESERVED {
		t.Fatalf("Reserve o1 = %v, %v", res, err)
	}
	if st := stockOf("brass-fountain-pen"); st.GetOnHand() != 0 || st.GetReserved() != 3 {
		t.Errorf("pen after reserve = %v", st)
	}
	for range 2 {
		com, err := c.Commit(ctx, &inventoryv1.CommitRequest{OrderId: "o1"})
		if err != nil || com.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED {
			t.Fatalf("Commit o1 = %v, %v", com, err)
		}
	}
	if st := stockOf("brass-fountain-pen"); st.GetOnHand() != 0 || st.GetReserved() != 0 || st.GetSold() != 3 || st.GetLoaded() != 3 {
		t.Errorf("pen after commit = %v", st)
	}
	_, err = c.Release(ctx, &inventoryv1.ReleaseRequest{OrderId: "o1"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = c.Commit(ctx, &inventoryv1.CommitRequest{OrderId: "never"})
	wantCode(t, err, codes.NotFound)

	// Release first, then a late Reserve holds nothing.
	for range 2 {
		rel, err := c.Release(ctx, &inventoryv1.ReleaseRequest{OrderId: "o2"})
		if err != nil || rel.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_RELEASED {
			t.Fatalf("Release o2 = %v, %v", rel, err)
		}
	}
	late, err := c.Reserve(ctx, &inventoryv1.ReserveRequest{OrderId: "o2", Items: items("espresso-cup", 1)})
	if err != nil || late.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_RELEASED || len(late.GetReservation().GetItems()) != 0 {
		t.Errorf("late Reserve = %v, %v; want RELEASED with no items", late, err)
	}
	got, err := c.GetReservation(ctx, &inventoryv1.GetReservationRequest{OrderId: "o1"})
	if err != nil || got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_COMMITTED {
		t.Errorf("GetReservation o1 = %v, %v", got, err)
	}
	_, err = c.Release(ctx, &inventoryv1.ReleaseRequest{})
	wantCode(t, err, codes.InvalidArgument)
}

func TestListStockPages(t *testing.T) {
	ctx := context.Background()
	c := startService(t)
	var all []*inventoryv1.Stock
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListStock does not end")
		}
		resp, err := c.ListStock(ctx, &inventoryv1.ListStockRequest{PageSize: 10, PageToken: token})
		if err != nil {
			t.Fatalf("ListStock: %v", err)
		}
		if len(resp.GetStocks()) > 10 {
			t.Fatalf("page of %d, asked for 10", len(resp.GetStocks()))
		}
		all = append(all, resp.GetStocks()...)
		token = resp.GetNextPageToken()
		if token == "" {
			break
		}
	}
	if len(all) != 42 {
		t.Errorf("listed %d products, want 42", len(all))
	}
	for i, st := range all {
		if i > 0 && all[i-1].GetProductId() >= st.GetProductId() {
			t.Errorf("not ordered by id: %s then %s", all[i-1].GetProductId(), st.GetProductId())
		}
		if st.GetLoaded() <= 0 || st.GetOnHand()+st.GetReserved()+st.GetSold() != st.GetLoaded() {
			t.Errorf("%s: %v breaks on_hand + reserved + sold = loaded", st.GetProductId(), st)
		}
	}
	one, err := c.ListStock(ctx, &inventoryv1.ListStockRequest{})
	if err != nil || len(one.GetStocks()) != 42 || one.GetNextPageToken() != "" {
		t.Errorf("default page = %d stocks, token %q, %v; want all 42 on one page", len(one.GetStocks()), one.GetNextPageToken(), err)
	}
	_, err = c.ListStock(ctx, &inventoryv1.ListStockRequest{PageToken: "!!"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.ListStock(ctx, &inventoryv1.ListStockRequest{PageSize: -1})
	wantCode(t, err, codes.InvalidArgument)
}
