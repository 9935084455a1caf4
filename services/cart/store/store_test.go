package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func openStore(t *testing.T, engine string) *Store {
	t.Helper()
	s, err := Open(context.Background(), storagetest.DSN(t, engine, "cart"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func add(t *testing.T, s *Store, shopper, product string, qty int32, key string) Cart {
	t.Helper()
	c, _, err := s.Add(context.Background(), Addition{ShopperID: shopper, ProductID: product, Quantity: qty, Key: key, Now: t0})
	if err != nil {
		t.Fatalf("Add(%s, %s, %d): %v", shopper, product, qty, err)
	}
	return c
}

func lines(kv ...any) []Line {
	var out []Line
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Line{ProductID: kv[i].(string), Quantity: int32(kv[i+1].(int))})
	}
	return out
}

func TestGetUnknownCartIsEmpty(t *testing.T) {
	storagetest.Run(t, testGetUnknownCartIsEmpty)
}

func testGetUnknownCartIsEmpty(t *testing.T, engine string) {
	c, err := openStore(t, engine).Get(context.Background(), "guest-1")
	if err != nil || c.ShopperID != "guest-1" || len(c.Lines) != 0 || !c.Updated.IsZero() {
		t.Errorf("Get(unknown) = %+v, %v; want an empty, never written cart", c, err)
	}
}

func TestAddAddsAndKeepsOrder(t *testing.T) {
	storagetest.Run(t, testAddAddsAndKeepsOrder)
}

func testAddAddsAndKeepsOrder(t *testing.T, engine string) {
	s := openStore(t, engine)
	add(t, s, "u", "mug", 2, "k1")
	add(t, s, "u", "tea", 1, "k2")
	c := add(t, s, "u", "mug", 3, "k3")
	if want := lines("mug", 5, "tea", 1); !reflect.DeepEqual(c.Lines, want) {
		t.Errorf("lines %v, want %v", c.Lines, want)
	}
	if !c.Updated.Equal(t0) {
		t.Errorf("Updated %v, want %v", c.Updated, t0)
	}
	got, err := s.Get(context.Background(), "u")
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("Get = %+v, %v; want %+v", got, err, c)
	}
}

func TestAddSameKeyAppliesOnce(t *testing.T) {
	storagetest.Run(t, testAddSameKeyAppliesOnce)
}

func testAddSameKeyAppliesOnce(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	a := Addition{ShopperID: "u", ProductID: "mug", Quantity: 2, Key: "k1", Now: t0}
	if _, applied, err := s.Add(ctx, a); err != nil || !applied {
		t.Fatalf("first Add = %v, %v; want applied", applied, err)
	}
	c, applied, err := s.Add(ctx, a)
	if err != nil || applied {
		t.Fatalf("second Add = %v, %v; want not applied", applied, err)
	}
	if want := lines("mug", 2); !reflect.DeepEqual(c.Lines, want) {
		t.Errorf("after a retry lines %v, want %v", c.Lines, want)
	}
	if done, err := s.KeyApplied(ctx, "u", "k1"); err != nil || !done {
		t.Errorf("KeyApplied(k1) = %v, %v; want true", done, err)
	}
	if done, err := s.KeyApplied(ctx, "other", "k1"); err != nil || done {
		t.Errorf("KeyApplied for another shopper = %v, %v; want false (keys are per shopper)", done, err)
	}
	add(t, s, "other", "mug", 1, "k1")
}

func TestLimits(t *testing.T) {
	storagetest.Run(t, testLimits)
}

func testLimits(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	add(t, s, "u", "mug", 98, "k0")
	tests := []struct {
		name string
		a    Addition
		want error
	}{
		{"line to 99", Addition{ShopperID: "u", ProductID: "mug", Quantity: 1, Key: "k1"}, nil},
		{"line past 99", Addition{ShopperID: "u", ProductID: "mug", Quantity: 1, Key: "k2"}, ErrLineFull},
	}
	for _, tt := range tests {
		if _, _, err := s.Add(ctx, tt.a); !errors.Is(err, tt.want) {
			t.Errorf("%s: Add = %v, want %v", tt.name, err, tt.want)
		}
	}
	if done, _ := s.KeyApplied(ctx, "u", "k2"); done {
		t.Error("a refused addition recorded its key")
	}
	for i := 1; i < MaxLines; i++ {
		add(t, s, "u", fmt.Sprintf("p-%d", i), 1, fmt.Sprintf("line-%d", i))
	}
	if _, _, err := s.Add(ctx, Addition{ShopperID: "u", ProductID: "one-more", Quantity: 1, Key: "x"}); !errors.Is(err, ErrCartFull) {
		t.Errorf("line %d: Add = %v, want ErrCartFull", MaxLines+1, err)
	}
	if _, err := s.SetQuantity(ctx, "u", "one-more", 1, t0); !errors.Is(err, ErrCartFull) {
		t.Errorf("line %d: SetQuantity = %v, want ErrCartFull", MaxLines+1, err)
	}
	if _, err := s.SetQuantity(ctx, "u", "mug", 3, t0); err != nil {
		t.Errorf("SetQuantity of an existing line in a full cart: %v", err)
	}
}

func TestSetQuantityAndRemove(t *testing.T) {
	storagetest.Run(t, testSetQuantityAndRemove)
}

func testSetQuantityAndRemove(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	add(t, s, "u", "mug", 2, "k1")
	add(t, s, "u", "tea", 1, "k2")
	later := t0.Add(time.Minute)
	steps := []struct {
		name string
		do   func() (Cart, error)
		want []Line
	}{
		{"set existing", func() (Cart, error) { return s.SetQuantity(ctx, "u", "mug", 7, later) }, lines("mug", 7, "tea", 1)},
		{"set new", func() (Cart, error) { return s.SetQuantity(ctx, "u", "pen", 4, later) }, lines("mug", 7, "tea", 1, "pen", 4)},
		{"set zero removes", func() (Cart, error) { return s.SetQuantity(ctx, "u", "tea", 0, later) }, lines("mug", 7, "pen", 4)},
		{"remove", func() (Cart, error) { return s.Remove(ctx, "u", "mug", later) }, lines("pen", 4)},
		{"remove missing", func() (Cart, error) { return s.Remove(ctx, "u", "mug", later) }, lines("pen", 4)},
		{"re-added goes last", func() (Cart, error) { return s.SetQuantity(ctx, "u", "mug", 1, later) }, lines("pen", 4, "mug", 1)},
	}
	for _, st := range steps {
		c, err := st.do()
		if err != nil || !reflect.DeepEqual(c.Lines, st.want) {
			t.Errorf("%s: lines %v, %v; want %v", st.name, c.Lines, err, st.want)
		}
		if !c.Updated.Equal(later) {
			t.Errorf("%s: Updated %v, want %v", st.name, c.Updated, later)
		}
	}
}

func TestEmpty(t *testing.T) {
	storagetest.Run(t, testEmpty)
}

func testEmpty(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	add(t, s, "u", "mug", 2, "k1")
	later := t0.Add(time.Hour)
	if err := s.Empty(ctx, "u", later); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(ctx, "u")
	if err != nil || len(c.Lines) != 0 || !c.Updated.Equal(later) {
		t.Errorf("after Empty: %+v, %v; want no lines, updated %v", c, err, later)
	}
	if err := s.Empty(ctx, "never", later); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Get(ctx, "never"); !c.Updated.IsZero() {
		t.Errorf("emptying a cart never written wrote it: %+v", c)
	}
}

func TestMerge(t *testing.T) {
	storagetest.Run(t, testMerge)
}

func testMerge(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	add(t, s, "guest", "mug", 60, "g1")
	add(t, s, "guest", "tea", 2, "g2")
	add(t, s, "guest", "pen", 1, "g3")
	add(t, s, "user", "pen", 3, "u1")
	add(t, s, "user", "mug", 50, "u2")
	later := t0.Add(time.Minute)
	c, dropped, err := s.Merge(ctx, "guest", "user", later)
	if err != nil {
		t.Fatal(err)
	}
	if want := lines("pen", 4, "mug", 99, "tea", 2); !reflect.DeepEqual(c.Lines, want) || dropped != 0 {
		t.Errorf("merged lines %v (dropped %d), want %v", c.Lines, dropped, want)
	}
	if !c.Updated.Equal(later) {
		t.Errorf("merged cart Updated %v, want %v", c.Updated, later)
	}
	guest, err := s.Get(ctx, "guest")
	if err != nil || len(guest.Lines) != 0 {
		t.Errorf("guest cart after merge: %+v, %v; want empty", guest, err)
	}
	again, _, err := s.Merge(ctx, "guest", "user", later.Add(time.Minute))
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Errorf("second merge = %+v, %v; want unchanged %+v", again, err, c)
	}
}

func TestMergeDropsLinesPastTheLimit(t *testing.T) {
	storagetest.Run(t, testMergeDropsLinesPastTheLimit)
}

func testMergeDropsLinesPastTheLimit(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	for i := range MaxLines - 1 {
		add(t, s, "user", fmt.Sprintf("u-%d", i), 1, fmt.Sprintf("u%d", i))
	}
	add(t, s, "guest", "u-0", 1, "g0")
	add(t, s, "guest", "new-1", 1, "g1")
	add(t, s, "guest", "new-2", 1, "g2")
	c, dropped, err := s.Merge(ctx, "guest", "user", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lines) != MaxLines || dropped != 1 || c.Lines[0].Quantity != 2 || c.Lines[MaxLines-1].ProductID != "new-1" {
		t.Errorf("merge into a nearly full cart: %d lines, dropped %d, first %v, last %v", len(c.Lines), dropped, c.Lines[0], c.Lines[len(c.Lines)-1])
	}
}

func TestPruneKeys(t *testing.T) {
	storagetest.Run(t, testPruneKeys)
}

func testPruneKeys(t *testing.T, engine string) {
	ctx := context.Background()
	s := openStore(t, engine)
	for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		if _, _, err := s.Add(ctx, Addition{ShopperID: "u", ProductID: "mug", Quantity: 1, Key: fmt.Sprint(i), Now: at}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneKeys(ctx, t0.Add(90*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PruneKeys = %d, %v; want 2", n, err)
	}
	for key, want := range map[string]bool{"0": false, "1": false, "2": true} {
		if got, _ := s.KeyApplied(ctx, "u", key); got != want {
			t.Errorf("key %s applied = %v, want %v", key, got, want)
		}
	}
}
