package accounts

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	accountsv1 "github.com/bazaar-shop/bazaar/api/bazaar/accounts/v1"
	eventsv1 "github.com/bazaar-shop/bazaar/api/bazaar/events/v1"
	"github.com/bazaar-shop/bazaar/platform/events"
	"github.com/bazaar-shop/bazaar/platform/events/eventstest"
	"github.com/bazaar-shop/bazaar/platform/storage"
)

// TestUserRegisteredReachesTheBus runs the relay and a consumer over a
// real JetStream: CreateAccount's event arrives once, with the user's
// data, and a retry publishes nothing more.
func TestUserRegisteredReachesTheBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := eventstest.Bus(t)
	svc, err := New(ctx, Config{DSN: filepath.Join(t.TempDir(), "accounts.db"), Password: fastParams()}, Deps{Bus: bus}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); _ = svc.Close() }()
	wg.Go(func() { svc.Background(ctx) })

	// A consumer with its own database, as another service would have.
	consumerDB, err := storage.Open(ctx, filepath.Join(t.TempDir(), "consumer.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer consumerDB.Close()
	if err := events.Migrate(ctx, consumerDB); err != nil {
		t.Fatal(err)
	}
	got := make(chan *eventsv1.UserRegistered, 10)
	sub := events.Subscription{Consumer: "test-users", Producer: "accounts", Types: []string{EventUserRegistered}}
	wg.Go(func() {
		_ = bus.Consume(ctx, consumerDB, sub, func(_ context.Context, _ *sql.Tx, env *eventsv1.Envelope) error {
			var u eventsv1.UserRegistered
			if err := events.Unpack(env, &u); err != nil {
				return events.Permanent(err)
			}
			got <- &u
			return nil
		})
	})

	req := &accountsv1.CreateAccountRequest{Email: "Ada@Example.com", Password: "s3cret-pa55word", Name: "Ada", IdempotencyKey: "k1"}
	created, err := svc.handler.CreateAccount(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.handler.CreateAccount(ctx, req); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-got:
		if u.GetUserId() != created.GetUser().GetId() || u.GetEmail() != "ada@example.com" || u.GetName() != "Ada" {
			t.Errorf("user.registered = %v, want the created user %v", u, created.GetUser())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no user.registered event within 15s")
	}
	select {
	case u := <-got:
		t.Errorf("a second user.registered arrived: %v", u)
	case <-time.After(500 * time.Millisecond):
	}
	if n := pending(t, svc); n != 0 {
		t.Errorf("%d events still pending after the relay ran", n)
	}
}
