package registry

import "sync"

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
