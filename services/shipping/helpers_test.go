package shipping

import (
	"context"
	"database/sql"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	shippingv1 "github.com/bazaar-shop/bazaar/api/bazaar/shipping/v1"
	typesv1 "github.com/bazaar-shop/bazaar/api/bazaar/types/v1"
	"github.com/bazaar-shop/bazaar/platform/money"
)

// testNow is the fixed clock of the tests.
func testNow() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }

// newTestService opens a Service without a bus on a fresh database.
func newTestService(t *testing.T) *Service {
	t.Helper()
	svc, err := New(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "shipping.db"), Now: testNow}, Deps{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return svc
}

// serve runs svc behind a real gRPC server on bufconn and returns a client.
func serve(t *testing.T, svc *Service) shippingv1.ShippingServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///shipping",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})
	return shippingv1.NewShippingServiceClient(conn)
}

func wantCode(t *testing.T, err error, want codes.Code, mention string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("error = %v, want code %v", err, want)
	}
	if !strings.Contains(st.Message(), mention) {
		t.Fatalf("error message %q does not mention %q", st.Message(), mention)
	}
}

func formatUSD(m *typesv1.Money) string { return money.Format(m, "", 2) }

func berlin() *typesv1.Address {
	return &typesv1.Address{Name: "Ada Lovelace", Street: "Unter den Linden 1", City: "Berlin", PostalCode: "10117", CountryCode: "DE"}
}

func item1(productID string, quantity, weightGrams int32) *shippingv1.ShippingItem {
	return &shippingv1.ShippingItem{ProductId: productID, Quantity: quantity, WeightGrams: weightGrams}
}

// outboxRow is one stored event.
type outboxRow struct {
	Subject string
	Env     *eventsv1.Envelope
}

// outboxRows returns every event in svc's outbox, oldest first.
func outboxRows(t *testing.T, svc *Service) []outboxRow {
	t.Helper()
	rows, err := svc.store.db.QueryContext(context.Background(), `SELECT subject, envelope FROM events_outbox ORDER BY seq`)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var data []byte
		if err := rows.Scan(&r.Subject, &data); err != nil {
			t.Fatalf("read outbox: %v", err)
		}
		r.Env = &eventsv1.Envelope{}
		if err := proto.Unmarshal(data, r.Env); err != nil {
			t.Fatalf("decode outbox envelope: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return out
}

// count runs a COUNT(*) query.
func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
