package stalecache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

var (
	errDown    = errors.New("dependency down")
	errMissing = errors.New("no such key")
)

// source is a fetch function whose answer the test sets.
type source struct {
	value string
	err   error
	calls int
}

func (s *source) fetch(context.Context) (string, error) {
	s.calls++
	return s.value, s.err
}

func newCache(t *testing.T, clk *clock, maxEntries int) *Cache[string] {
	t.Helper()
	c, err := New[string](Options{
		FreshFor:   30 * time.Second,
		StaleFor:   time.Hour,
		MaxEntries: maxEntries,
		Now:        clk.now,
		ServeStale: func(err error) bool { return !errors.Is(err, errMissing) },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestGet(t *testing.T) {
	tests := []struct {
		name      string
		advance   time.Duration // after the first, successful fetch
		secondErr error
		wantValue string
		wantStale bool
		wantErr   error
		wantCalls int
	}{
		{name: "fresh copy is reused without fetching", advance: 10 * time.Second, secondErr: errDown, wantValue: "v1", wantCalls: 1},
		{name: "expired copy is refetched", advance: time.Minute, wantValue: "v2", wantCalls: 2},
		{name: "stale copy hides an outage", advance: time.Minute, secondErr: errDown, wantValue: "v1", wantStale: true, wantCalls: 2},
		{name: "stale copy does not hide a refused key", advance: time.Minute, secondErr: errMissing, wantErr: errMissing, wantCalls: 2},
		{name: "copy older than StaleFor is dropped", advance: 2 * time.Hour, secondErr: errDown, wantErr: errDown, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Unix(1_700_000_000, 0)}
			c := newCache(t, clk, 10)
			src := &source{value: "v1"}
			if res, err := c.Get(context.Background(), "k", src.fetch); err != nil || res.Value != "v1" || res.Stale {
				t.Fatalf("first Get = %+v, %v; want v1", res, err)
			}
			clk.advance(tt.advance)
			src.value, src.err = "v2", tt.secondErr
			res, err := c.Get(context.Background(), "k", src.fetch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("second Get error = %v, want %v", err, tt.wantErr)
			}
			if res.Value != tt.wantValue || res.Stale != tt.wantStale {
				t.Errorf("second Get = (%q, stale %v), want (%q, stale %v)", res.Value, res.Stale, tt.wantValue, tt.wantStale)
			}
			if tt.wantStale && (!errors.Is(res.FetchErr, tt.secondErr) || res.Age != tt.advance) {
				t.Errorf("stale result FetchErr=%v Age=%v, want %v and %v", res.FetchErr, res.Age, tt.secondErr, tt.advance)
			}
			if src.calls != tt.wantCalls {
				t.Errorf("fetch called %d times, want %d", src.calls, tt.wantCalls)
			}
		})
	}
}

func TestGetWithoutCopyReturnsError(t *testing.T) {
	c := newCache(t, &clock{t: time.Unix(0, 0)}, 10)
	src := &source{err: errDown}
	if _, err := c.Get(context.Background(), "k", src.fetch); !errors.Is(err, errDown) {
		t.Fatalf("Get error = %v, want %v", err, errDown)
	}
	if c.Len() != 0 {
		t.Errorf("Len = %d after a failed fetch, want 0", c.Len())
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache(t, &clock{t: time.Unix(0, 0)}, 2)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		if _, err := c.Get(ctx, k, (&source{value: k}).fetch); err != nil {
			t.Fatal(err)
		}
	}
	c.Peek("a") // a is now more recently used than b
	if _, err := c.Get(ctx, "c", (&source{value: "c"}).fetch); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, ok := c.Peek(key); ok != want {
			t.Errorf("Peek(%q) found = %v, want %v", key, ok, want)
		}
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []Options{
		{FreshFor: -time.Second, StaleFor: time.Second, MaxEntries: 1},
		{FreshFor: time.Minute, StaleFor: time.Second, MaxEntries: 1},
		{FreshFor: time.Second, StaleFor: time.Minute, MaxEntries: 0},
	}
	for i, opts := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if _, err := New[int](opts); err == nil {
				t.Errorf("New(%+v) succeeded, want an error", opts)
			}
		})
	}
}
