package payment

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	paymentv1 "github.com/bazaar-shop/bazaar/api/bazaar/payment/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startService runs a Service on a fresh database behind a real gRPC
// server on bufconn, logging at debug level into the returned buffer.
func startService(t *testing.T) (paymentv1.PaymentServiceClient, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{DSN: filepath.Join(t.TempDir(), "payment.db"), Now: func() time.Time { return cardNow }}
	svc, err := New(context.Background(), cfg, Deps{}, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///payment",
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
	return paymentv1.NewPaymentServiceClient(conn), logs
}

// wantCode checks err carries code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Errorf("err = %v, want code %v", err, code)
	}
}

// chargeReq is a well-formed ChargeRequest.
func chargeReq(order, key, number string) *paymentv1.ChargeRequest {
	return &paymentv1.ChargeRequest{OrderId: order, IdempotencyKey: key, Amount: usd(42, 990_000_000), Card: goodCard(number)}
}

func TestChargeValidation(t *testing.T) {
	c, _ := startService(t)
	with := func(f func(*paymentv1.ChargeRequest)) *paymentv1.ChargeRequest {
		r := chargeReq("o1", "k1", cardSucceeds)
		f(r)
		return r
	}
	tests := []struct {
		name string
		req  *paymentv1.ChargeRequest
	}{
		{"no order", with(func(r *paymentv1.ChargeRequest) { r.OrderId = "" })},
		{"order too long", with(func(r *paymentv1.ChargeRequest) { r.OrderId = strings.Repeat("o", 129) })},
		{"no key", with(func(r *paymentv1.ChargeRequest) { r.IdempotencyKey = "" })},
		{"key too long", with(func(r *paymentv1.ChargeRequest) { r.IdempotencyKey = strings.Repeat("k", 129) })},
		{"no amount", with(func(r *paymentv1.ChargeRequest) { r.Amount = nil })},
		{"zero amount", with(func(r *paymentv1.ChargeRequest) { r.Amount = usd(0, 0) })},
		{"negative amount", with(func(r *paymentv1.ChargeRequest) { r.Amount = usd(-1, 0) })},
		{"bad currency", with(func(r *paymentv1.ChargeRequest) { r.Amount = &typesv1.Money{CurrencyCode: "usd", Units: 1} })},
		{"bad nanos", with(func(r *paymentv1.ChargeRequest) { r.Amount = usd(1, 1_000_000_000) })},
		{"mixed signs", with(func(r *paymentv1.ChargeRequest) { r.Amount = usd(1, -5) })},
		{"no card", with(func(r *paymentv1.ChargeRequest) { r.Card = nil })},
		{"bad luhn", with(func(r *paymentv1.ChargeRequest) { r.Card.Number = "4242424242424241" })},
		{"expired", with(func(r *paymentv1.ChargeRequest) { r.Card.ExpYear = 2020 })},
		{"month 13", with(func(r *paymentv1.ChargeRequest) { r.Card.ExpMonth = 13 })},
		{"cvv", with(func(r *paymentv1.ChargeRequest) { r.Card.Cvv = "1" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Charge(context.Background(), tt.req)
			wantCode(t, err, codes.InvalidArgument)
		})
	}
	_, err := c.GetCharge(context.Background(), &paymentv1.GetChargeRequest{OrderId: "o1"})
	wantCode(t, err, codes.NotFound)
}

func TestTestCardsOverGRPC(t *testing.T) {
	ctx := context.Background()
	c, logs := startService(t)
	tests := []struct {
		number  string
		status  paymentv1.ChargeStatus
		failing int // UNAVAILABLE answers before the charge
	}{
		{"4242 4242 4242 4242", paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED, 0},
		{"4000 0000 0000 0002", paymentv1.ChargeStatus_CHARGE_STATUS_DECLINED, 0},
		{"4000 0000 0000 9995", paymentv1.ChargeStatus_CHARGE_STATUS_INSUFFICIENT_FUNDS, 0},
		{"4000 0000 0000 0119", paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED, 2},
		{"5555 5555 5555 4444", paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED, 0},
	}
	for n, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			// Order id and key must not contain the number: they are logged.
			order, key := fmt.Sprintf("order-%d", n), fmt.Sprintf("key-%d", n)
			for i := range tt.failing {
				_, err := c.Charge(ctx, chargeReq(order, key, tt.number))
				if status.Code(err) != codes.Unavailable {
					t.Fatalf("attempt %d: err = %v, want UNAVAILABLE", i+1, err)
				}
			}
			resp, err := c.Charge(ctx, chargeReq(order, key, tt.number))
			if err != nil {
				t.Fatalf("Charge: %v", err)
			}
			ch := resp.GetCharge()
			last4 := tt.number[len(tt.number)-4:]
			if ch.GetStatus() != tt.status || ch.GetCardLastFour() != last4 || ch.GetOrderId() != order || ch.GetId() == "" {
				t.Errorf("charge = %v, want %v with last four %s", ch, tt.status, last4)
			}
			if ch.GetStatus() != paymentv1.ChargeStatus_CHARGE_STATUS_SUCCEEDED && ch.GetFailureMessage() == "" {
				t.Errorf("%v charge has no failure message", ch.GetStatus())
			}
			got, err := c.GetCharge(ctx, &paymentv1.GetChargeRequest{ChargeId: ch.GetId()})
			if err != nil || got.GetCharge().GetId() != ch.GetId() {
				t.Errorf("GetCharge = %v, %v", got, err)
			}
		})
	}
	// The full number appears in no log line, no matter how it was typed.
	for _, tt := range tests {
		if digits := strings.ReplaceAll(tt.number, " ", ""); strings.Contains(logs.String(), digits) || strings.Contains(logs.String(), tt.number) {
			t.Errorf("logs carry card number %s", tt.number)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"charge"`) {
		t.Errorf("no charge was logged at all; the check above proves nothing: %s", logs.String())
	}
}

func TestChargeRefundLifecycleOverGRPC(t *testing.T) {
	ctx := context.Background()
	c, _ := startService(t)
	first, err := c.Charge(ctx, chargeReq("o1", "k1", cardSucceeds))
	if err != nil {
		t.Fatalf("Charge: %v", err)
	}
	again, err := c.Charge(ctx, chargeReq("o1", "k2", cardSucceeds))
	if err != nil || again.GetCharge().GetId() != first.GetCharge().GetId() {
		t.Errorf("second Charge = %v, %v; want the first", again, err)
	}
	other := chargeReq("o1", "k3", cardSucceeds)
	other.Amount = usd(1, 0)
	_, err = c.Charge(ctx, other)
	wantCode(t, err, codes.FailedPrecondition)

	var refundID string
	for i := range 2 {
		r, err := c.Refund(ctx, &paymentv1.RefundRequest{OrderId: "o1", IdempotencyKey: "rk"})
		if err != nil {
			t.Fatalf("Refund %d: %v", i, err)
		}
		if refundID == "" {
			refundID = r.GetRefund().GetId()
		}
		if r.GetRefund().GetId() != refundID || r.GetRefund().GetChargeId() != first.GetCharge().GetId() || r.GetRefund().GetAmount().GetUnits() != 42 {
			t.Errorf("Refund %d = %v, want refund %s of the charge in full", i, r, refundID)
		}
	}
	got, err := c.GetCharge(ctx, &paymentv1.GetChargeRequest{OrderId: "o1"})
	if err != nil || got.GetCharge().GetStatus() != paymentv1.ChargeStatus_CHARGE_STATUS_REFUNDED {
		t.Errorf("GetCharge after refund = %v, %v; want REFUNDED", got, err)
	}
	_, err = c.Charge(ctx, chargeReq("o1", "k4", cardSucceeds))
	wantCode(t, err, codes.FailedPrecondition)

	_, err = c.Refund(ctx, &paymentv1.RefundRequest{OrderId: "o1"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.GetCharge(ctx, &paymentv1.GetChargeRequest{})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.GetCharge(ctx, &paymentv1.GetChargeRequest{ChargeId: "x", OrderId: "o1"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.GetCharge(ctx, &paymentv1.GetChargeRequest{ChargeId: "nope"})
	wantCode(t, err, codes.NotFound)
}

func TestListChargesPages(t *testing.T) {
	ctx := context.Background()
	c, _ := startService(t)
	var want []string
	for i := range 7 {
		number := cardSucceeds
		if i%3 == 0 {
			number = cardDeclined
		}
		r, err := c.Charge(ctx, chargeReq("o"+string(rune('a'+i)), "k"+string(rune('a'+i)), number))
		if err != nil {
			t.Fatalf("Charge %d: %v", i, err)
		}
		want = append(want, r.GetCharge().GetId())
	}
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListCharges does not end")
		}
		resp, err := c.ListCharges(ctx, &paymentv1.ListChargesRequest{PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatalf("ListCharges: %v", err)
		}
		for _, ch := range resp.GetCharges() {
			got = append(got, ch.GetId())
			if ch.GetStatus() == paymentv1.ChargeStatus_CHARGE_STATUS_UNSPECIFIED {
				t.Errorf("charge %s has no status", ch.GetId())
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want oldest first %v", got, want)
	}
	one, err := c.ListCharges(ctx, &paymentv1.ListChargesRequest{OrderId: "oc"})
	if err != nil || len(one.GetCharges()) != 1 || one.GetCharges()[0].GetId() != want[2] {
		t.Errorf("ListCharges(order oc) = %v, %v", one, err)
	}
	_, err = c.ListCharges(ctx, &paymentv1.ListChargesRequest{PageToken: "garbage!"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.ListCharges(ctx, &paymentv1.ListChargesRequest{PageSize: -1})
	wantCode(t, err, codes.InvalidArgument)
}
