package registry

import (
	"context"
	"sync"
	"time"
)

// Watcher is one registry file as one client sees it. The resolvers it
// builds (ResolverBuilder) read the file through it, and it keeps the last
// good snapshot they read, so the rest of the client, such as the fault
// interceptor of platform/client, shares their view of the file without
// reading it again. Its methods are safe for concurrent use.
type Watcher struct {
	path string

	mu   sync.Mutex
	snap Snapshot // last good read; never modified, only replaced
}

// NewWatcher returns a watcher of the registry file at path. It holds an
// empty snapshot until the first good Load.
func NewWatcher(path string) *Watcher { return &Watcher{path: path} }

// Path is the registry file's path.
func (w *Watcher) Path() string { return w.path }

// Load reads the file now (see Read). A good snapshot replaces the
// watcher's current one and is returned; on an error the current one is
// kept, as the resolvers keep their last good addresses.
func (w *Watcher) Load() (Snapshot, error) {
	snap, err := Read(w.path)
	if err != nil {
		return Snapshot{}, err
	}
	w.mu.Lock()
	w.snap = snap
	w.mu.Unlock()
	return snap, nil
}

// Current returns the last good snapshot read. Callers must not modify it.
func (w *Watcher) Current() Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.snap
}

// Fault returns the rule of the last good snapshot for calls from service
// from to service to.
func (w *Watcher) Fault(from, to string) (Fault, bool) {
	return w.Current().Fault(from, to)
}

// Follow keeps w current until ctx ends: it stats the file every poll
// (DefaultPoll when poll <= 0) and reloads it when it changed. It is for
// processes that read the file without a resolver, such as a server
// applying fault rules; resolvers keep their watcher current themselves.
func (w *Watcher) Follow(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = DefaultPoll
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	last := stat(w.path)
	_, _ = w.Load() // an unreadable file keeps the empty snapshot: no rules
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if cur := stat(w.path); !sameFile(last, cur) {
				last = cur
				_, _ = w.Load()
			}
		}
	}
}
