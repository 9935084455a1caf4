package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func openStore(t *testing.T, engine string) *Store {
	t.Helper()
	s, err := Open(context.Background(), storagetest.DSN(t, engine, "accounts"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func noop(*sql.Tx, User) error { return nil }

func newUser(email, key string) NewUser {
	return NewUser{Email: email, Name: "Ada", PasswordHash: "$argon2id$fake", IdempotencyKey: key, Created: t0}
}

func TestCreateUserAndLookUp(t *testing.T) {
	storagetest.Run(t, testCreateUserAndLookUp)
}

func testCreateUserAndLookUp(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	var seen []User
	u, created, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), func(_ *sql.Tx, u User) error {
		seen = append(seen, u)
		return nil
	})
	if err != nil || !created {
		t.Fatalf("CreateUser = %v, %v; want created", created, err)
	}
	if u.ID == "" || u.Email != "ada@example.com" || u.Name != "Ada" || !u.Created.Equal(t0) {
		t.Errorf("created user %+v", u)
	}
	if len(seen) != 1 || seen[0] != u {
		t.Errorf("onCreate saw %+v, want once with %+v", seen, u)
	}
	byID, err := s.UserByID(ctx, u.ID)
	if err != nil || byID != u {
		t.Errorf("UserByID = %+v, %v; want %+v", byID, err, u)
	}
	byEmail, err := s.UserByEmail(ctx, "ada@example.com")
	if err != nil || byEmail != u {
		t.Errorf("UserByEmail = %+v, %v; want %+v", byEmail, err, u)
	}
	if _, err := s.UserByID(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByEmail(unknown) = %v, want ErrNotFound", err)
	}
}

func TestCreateUserIdempotency(t *testing.T) {
	storagetest.Run(t, testCreateUserIdempotency)
}

func testCreateUserIdempotency(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	calls := 0
	count := func(*sql.Tx, User) error { calls++; return nil }
	first, _, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), count)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		nu          NewUser
		wantErr     error
		wantCreated bool
		wantSame    bool
	}{
		{"same key and address", newUser("ada@example.com", "k1"), nil, false, true},
		{"same key, other address", newUser("bob@example.com", "k1"), ErrKeyReused, false, false},
		{"other key, same address", newUser("ada@example.com", "k2"), ErrEmailTaken, false, false},
		{"other key, other address", newUser("bob@example.com", "k3"), nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, created, err := s.CreateUser(ctx, tt.nu, count)
			if !errors.Is(err, tt.wantErr) || created != tt.wantCreated {
				t.Fatalf("CreateUser = created %v, %v; want %v, %v", created, err, tt.wantCreated, tt.wantErr)
			}
			if tt.wantSame && u != first {
				t.Errorf("retry returned %+v, want %+v", u, first)
			}
		})
	}
	if calls != 2 {
		t.Errorf("onCreate ran %d times, want 2 (once per new user)", calls)
	}
}

func TestCreateUserRollsBackWhenOnCreateFails(t *testing.T) {
	storagetest.Run(t, testCreateUserRollsBackWhenOnCreateFails)
}

func testCreateUserRollsBackWhenOnCreateFails(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	boom := errors.New("outbox down")
	_, _, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), func(*sql.Tx, User) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("CreateUser = %v, want %v", err, boom)
	}
	if _, err := s.UserByEmail(ctx, "ada@example.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("user exists after a failed registration: %v", err)
	}
	if _, created, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), noop); err != nil || !created {
		t.Errorf("retry after failure = %v, %v; want created", created, err)
	}
}

func TestAddresses(t *testing.T) {
	storagetest.Run(t, testAddresses)
}

func testAddresses(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	u, _, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), noop)
	if err != nil {
		t.Fatal(err)
	}
	home := Address{Name: "Ada", Street: "1 Main St", City: "Springfield", PostalCode: "12345", CountryCode: "US"}
	work := Address{Name: "Ada", Street: "2 Office Rd", City: "Shelbyville", PostalCode: "54321", CountryCode: "US"}
	a1, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: home, IdempotencyKey: "a", Created: t0})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: work, IdempotencyKey: "b", Created: t0.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: home, IdempotencyKey: "a", Created: t0.Add(time.Hour)})
	if err != nil || again != a1 {
		t.Errorf("retry = %+v, %v; want %+v", again, err, a1)
	}
	if _, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: work, IdempotencyKey: "a", Created: t0}); !errors.Is(err, ErrKeyReused) {
		t.Errorf("key reused with another address = %v, want ErrKeyReused", err)
	}
	if _, err := s.AddAddress(ctx, NewAddress{UserID: "nobody", Address: home, IdempotencyKey: "a", Created: t0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user = %v, want ErrNotFound", err)
	}
	list, err := s.ListAddresses(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0] != a1 || list[1] != a2 {
		t.Errorf("ListAddresses = %+v, %v; want [%+v %+v]", list, err, a1, a2)
	}
	if _, err := s.ListAddresses(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ListAddresses(unknown) = %v, want ErrNotFound", err)
	}
}

func TestAddressBookLimit(t *testing.T) {
	storagetest.Run(t, testAddressBookLimit)
}

func testAddressBookLimit(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	u, _, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), noop)
	if err != nil {
		t.Fatal(err)
	}
	a := Address{Name: "Ada", Street: "1 Main St", City: "Springfield", PostalCode: "12345", CountryCode: "US"}
	for i := range MaxAddresses {
		if _, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: a, IdempotencyKey: fmt.Sprint(i), Created: t0}); err != nil {
			t.Fatalf("address %d: %v", i, err)
		}
	}
	if _, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: a, IdempotencyKey: "one-more", Created: t0}); !errors.Is(err, ErrAddressBookFull) {
		t.Errorf("address %d = %v, want ErrAddressBookFull", MaxAddresses+1, err)
	}
	if _, err := s.AddAddress(ctx, NewAddress{UserID: u.ID, Address: a, IdempotencyKey: "0", Created: t0}); err != nil {
		t.Errorf("retry of an existing entry in a full book = %v, want success", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	storagetest.Run(t, testReopenKeepsData)
}

func testReopenKeepsData(t *testing.T, engine string) {
	ctx := context.Background()
	dsn := storagetest.DSN(t, engine, "accounts")
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := s.CreateUser(ctx, newUser("ada@example.com", "k1"), noop)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, err := s.UserByID(ctx, u.ID); err != nil || got != u {
		t.Errorf("after reopen UserByID = %+v, %v; want %+v", got, err, u)
	}
}
