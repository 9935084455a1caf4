package notifications

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// newTestService opens a Service without a bus on a fresh database.
func newTestService(t *testing.T, engine string, cfg Config) *Service {
	t.Helper()
	cfg.DSN = storagetest.DSN(t, engine, "notifications")
	svc, err := New(context.Background(), cfg, Deps{}, nil)
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
func serve(t *testing.T, svc *Service) notificationsv1.NotificationsServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	svc.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///notifications",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})
	return notificationsv1.NewNotificationsServiceClient(conn)
}

// envelope wraps payload as its producer would.
func envelope(t *testing.T, eventID, typ string, payload proto.Message) *eventsv1.Envelope {
	t.Helper()
	a, err := anypb.New(payload)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	source := "orders"
	if strings.HasPrefix(typ, "shipment.") {
		source = "shipping"
	}
	return &eventsv1.Envelope{EventId: eventID, Type: typ, Source: source, Payload: a}
}

// apply applies env as the consumer named after its source would.
func apply(t *testing.T, svc *Service, env *eventsv1.Envelope) (bool, error) {
	t.Helper()
	return events.ApplyOnce(context.Background(), svc.store.db, "notifications-"+env.GetSource(), env, svc.mailer.handle)
}

// mustApply applies env and fails the test on error.
func mustApply(t *testing.T, svc *Service, env *eventsv1.Envelope) {
	t.Helper()
	if _, err := apply(t, svc, env); err != nil {
		t.Fatalf("apply %s %s: %v", env.GetType(), env.GetEventId(), err)
	}
}

// allMessages lists the whole mailbox, newest first.
func allMessages(t *testing.T, svc *Service) []message {
	t.Helper()
	ms, err := svc.store.list(context.Background(), filter{}, 1000)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return ms
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

// ticking is a time source that moves a second per call, so messages
// get distinct times.
func ticking(start time.Time) func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return start.Add(time.Duration(n) * time.Second)
	}
}

func placed(orderID, email string) *eventsv1.OrderPlaced {
	return &eventsv1.OrderPlaced{OrderId: orderID, Email: email, ShippingAddress: berlin(), Items: orderItems(), Subtotal: eur(1025, 0), ShippingCost: eur(15, 0), Total: eur(1040, 0)}
}

func confirmed(orderID, email string) *eventsv1.OrderConfirmed {
	return &eventsv1.OrderConfirmed{OrderId: orderID, Email: email, ShippingAddress: berlin(), Items: orderItems(), Total: eur(1040, 0), ChargeId: "ch-1"}
}
