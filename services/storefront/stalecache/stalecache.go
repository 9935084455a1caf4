// Package stalecache keeps the last good answer of a dependency per key:
// an answer is reused without asking again while it is fresh, and when
// asking again fails, the older answer is served instead for a while
// (stale-while-error). The cache holds a bounded number of keys and drops
// the least recently used first.
package stalecache

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Options configures a Cache.
type Options struct {
	// FreshFor is how long a stored answer is reused without fetching
	// again. Zero means every Get fetches.
	FreshFor time.Duration
	// StaleFor is how long after it was fetched an answer may still be
	// served when fetching fails. It must be at least FreshFor.
	StaleFor time.Duration
	// MaxEntries bounds the number of keys kept; it must be positive.
	MaxEntries int
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// ServeStale reports whether a fetch error may be hidden behind a
	// stale answer (an outage may, "no such key" should not). Nil means
	// every error may.
	ServeStale func(error) bool
}

// Result is the answer of Get.
type Result[V any] struct {
	// Value is the answer.
	Value V
	// Stale is true when Value is an old answer served because fetching
	// failed.
	Stale bool
	// Age is how long ago Value was fetched; zero for a value just fetched.
	Age time.Duration
	// FetchErr is the error hidden behind a stale Value; nil otherwise.
	FetchErr error
}

// Cache is a stale-while-error cache of values of type V. It is safe for
// concurrent use. The cache lock is not held while fetching, so concurrent
// misses of one key may fetch it more than once.
type Cache[V any] struct {
	opts Options

	mu      sync.Mutex
	order   *list.List               // of *entry[V], most recently used first
	entries map[string]*list.Element // key -> element of order
}

// entry is one stored answer.
type entry[V any] struct {
	key       string
	value     V
	fetchedAt time.Time
}

// New returns an empty cache, or an error when opts are inconsistent.
func New[V any](opts Options) (*Cache[V], error) {
	switch {
	case opts.FreshFor < 0:
		return nil, errors.New("stalecache: FreshFor must not be negative")
	case opts.StaleFor < opts.FreshFor:
		return nil, errors.New("stalecache: StaleFor must be at least FreshFor")
	case opts.MaxEntries <= 0:
		return nil, errors.New("stalecache: MaxEntries must be positive")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ServeStale == nil {
		opts.ServeStale = func(error) bool { return true }
	}
	return &Cache[V]{opts: opts, order: list.New(), entries: make(map[string]*list.Element)}, nil
}

// Get returns the value of key: a fresh stored one, else the result of
// fetch (which is then stored), else, when fetch fails with an error
// ServeStale accepts, a stored value younger than StaleFor marked Stale.
// Otherwise it returns fetch's error.
func (c *Cache[V]) Get(ctx context.Context, key string, fetch func(context.Context) (V, error)) (Result[V], error) {
	stored, age, ok := c.lookup(key)
	if ok && age < c.opts.FreshFor {
		return Result[V]{Value: stored, Age: age}, nil
	}
	v, err := fetch(ctx)
	if err == nil {
		c.store(key, v)
		return Result[V]{Value: v}, nil
	}
	if ok && c.opts.ServeStale(err) {
		return Result[V]{Value: stored, Stale: true, Age: age, FetchErr: err}, nil
	}
	var zero V
	return Result[V]{Value: zero}, err
}

// Put stores v as key's value, fresh from now, as if Get had just
// fetched it (a cache warmed ahead of the first request).
func (c *Cache[V]) Put(key string, v V) { c.store(key, v) }

// Peek returns the stored value of key, fresh or stale, without fetching.
func (c *Cache[V]) Peek(key string) (V, bool) {
	v, _, ok := c.lookup(key)
	return v, ok
}

// Len returns the number of keys stored.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// lookup returns key's stored value and its age, dropping it once it is
// older than StaleFor.
func (c *Cache[V]) lookup(key string) (V, time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.entries[key]
	if !ok {
		return zero, 0, false
	}
	e := el.Value.(*entry[V])
	age := max(c.opts.Now().Sub(e.fetchedAt), 0)
	if age >= c.opts.StaleFor {
		c.order.Remove(el)
		delete(c.entries, key)
		return zero, 0, false
	}
	c.order.MoveToFront(el)
	return e.value, age, true
}

// store keeps v as key's value, evicting the least recently used keys
// beyond MaxEntries.
func (c *Cache[V]) store(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry[V])
		e.value, e.fetchedAt = v, now
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&entry[V]{key: key, value: v, fetchedAt: now})
	for c.order.Len() > c.opts.MaxEntries {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*entry[V]).key)
	}
}
