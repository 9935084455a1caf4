package notifications

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notificationsv1 "github.com/bazaar-shop/bazaar/api/bazaar/notifications/v1"
	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

func TestListMessages(t *testing.T) {
	storagetest.Run(t, testListMessages)
}

func testListMessages(t *testing.T, engine string) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	svc := newTestService(t, engine, Config{Now: ticking(start)})
	c := serve(t, svc)
	ctx := context.Background()
	// ord-0 … ord-4 for ada, ord-5 … ord-6 for bob; each placed then confirmed.
	for i := range 7 {
		email := "ada@example.com"
		if i >= 5 {
			email = "bob@example.com"
		}
		order := fmt.Sprintf("ord-%d", i)
		mustApply(t, svc, envelope(t, "p-"+order, TypeOrderPlaced, placed(order, email)))
		mustApply(t, svc, envelope(t, "c-"+order, TypeOrderConfirmed, confirmed(order, email)))
	}

	tests := []struct {
		name      string
		req       *notificationsv1.ListMessagesRequest
		wantCount int
		wantFirst string // subject of the newest
	}{
		{"everything, default page", &notificationsv1.ListMessagesRequest{}, 14, "Your order ord-6 is confirmed"},
		{"to, any case", &notificationsv1.ListMessagesRequest{To: " ADA@example.COM "}, 10, "Your order ord-4 is confirmed"},
		{"order", &notificationsv1.ListMessagesRequest{OrderId: "ord-5"}, 2, "Your order ord-5 is confirmed"},
		{"to and order", &notificationsv1.ListMessagesRequest{To: "bob@example.com", OrderId: "ord-1"}, 0, ""},
		{"unknown recipient", &notificationsv1.ListMessagesRequest{To: "eve@example.com"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ListMessages(ctx, tt.req)
			if err != nil {
				t.Fatalf("ListMessages: %v", err)
			}
			if len(resp.GetMessages()) != tt.wantCount || resp.GetNextPageToken() != "" {
				t.Fatalf("got %d messages, next %q; want %d on one page", len(resp.GetMessages()), resp.GetNextPageToken(), tt.wantCount)
			}
			if tt.wantCount > 0 && resp.GetMessages()[0].GetSubject() != tt.wantFirst {
				t.Errorf("newest = %q, want %q", resp.GetMessages()[0].GetSubject(), tt.wantFirst)
			}
		})
	}

	// Paging through ada's ten messages three at a time: newest first, no
	// repeats, no gaps.
	var seen []*notificationsv1.Message
	token := ""
	for page := 0; ; page++ {
		resp, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{To: "ada@example.com", PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		seen = append(seen, resp.GetMessages()...)
		token = resp.GetNextPageToken()
		if token == "" {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 10 {
		t.Fatalf("paged through %d messages, want 10", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if !seen[i].GetCreateTime().AsTime().Before(seen[i-1].GetCreateTime().AsTime()) {
			t.Fatalf("message %d (%v) is not older than message %d (%v)", i, seen[i].GetCreateTime().AsTime(), i-1, seen[i-1].GetCreateTime().AsTime())
		}
	}
	if got := seen[9].GetSubject(); got != "We received your order ord-0" {
		t.Errorf("oldest = %q", got)
	}
}

func TestGetMessage(t *testing.T) {
	storagetest.Run(t, testGetMessage)
}

func testGetMessage(t *testing.T, engine string) {
	svc := newTestService(t, engine, Config{Now: ticking(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))})
	c := serve(t, svc)
	ctx := context.Background()
	mustApply(t, svc, envelope(t, "ev-1", TypeOrderPlaced, placed("ord-1", "ada@example.com")))
	list, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{})
	if err != nil || len(list.GetMessages()) != 1 {
		t.Fatalf("ListMessages = %v, %v", list, err)
	}
	want := list.GetMessages()[0]
	got, err := c.GetMessage(ctx, &notificationsv1.GetMessageRequest{Id: want.GetId()})
	if err != nil {
		t.Fatalf("GetMessage: %v", err)
	}
	if !proto.Equal(got.GetMessage(), want) {
		t.Errorf("GetMessage = %v, want %v", got.GetMessage(), want)
	}
	if want.GetKind() != notificationsv1.MessageKind_MESSAGE_KIND_ORDER_PLACED || want.GetOrderId() != "ord-1" || want.GetTo() != "ada@example.com" {
		t.Errorf("message = %v", want)
	}
}

func TestRequestsRejected(t *testing.T) {
	storagetest.Run(t, testRequestsRejected)
}

func testRequestsRejected(t *testing.T, engine string) {
	c := serve(t, newTestService(t, engine, Config{}))
	ctx := context.Background()
	tests := []struct {
		name    string
		call    func() error
		code    codes.Code
		mention string
	}{
		{"negative page size", func() error {
			_, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{PageSize: -1})
			return err
		}, codes.InvalidArgument, "page_size"},
		{"malformed token", func() error {
			_, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{PageToken: "bm9wZQ"})
			return err
		}, codes.InvalidArgument, "page_token"},
		{"long order id", func() error {
			_, err := c.ListMessages(ctx, &notificationsv1.ListMessagesRequest{OrderId: string(make([]byte, 129))})
			return err
		}, codes.InvalidArgument, "order_id"},
		{"get without id", func() error { _, err := c.GetMessage(ctx, &notificationsv1.GetMessageRequest{}); return err }, codes.InvalidArgument, "id"},
		{"get unknown", func() error { _, err := c.GetMessage(ctx, &notificationsv1.GetMessageRequest{Id: "nope"}); return err }, codes.NotFound, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code, tt.mention) })
	}
}
