package registry

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/resolver"
)

// Scheme is the gRPC target scheme served by the registry resolver:
// "registry:///catalog" resolves to the ready instances of "catalog".
const Scheme = "registry"

// DefaultPoll is how often the resolver stats the registry file when
// NewResolverBuilder is given no interval. A stat is cheap; the file is
// re-read only when it changed.
const DefaultPoll = 250 * time.Millisecond

// NewResolverBuilder returns a gRPC resolver builder for the "registry"
// scheme backed by the registry file at path, checked every poll
// (DefaultPoll when poll <= 0). Pass it to grpc.NewClient with
// grpc.WithResolvers; nothing is registered globally.
//
// A resolver pushes the gRPC addresses of its service's instances whenever
// the file's identity, size or modification time change, and at once on
// ResolveNow. While the file cannot be read or parsed it reports the error
// with ReportError and pushes no addresses, so the channel keeps the last
// good ones (gRPC's round_robin and pick_first ignore a resolver error once
// they hold a good update); before any good read, calls fail with the error.
// A readable file with no instance of the service pushes an empty list, so
// calls fail fast with UNAVAILABLE.
func NewResolverBuilder(path string, poll time.Duration) resolver.Builder {
	return NewWatcher(path).ResolverBuilder(poll)
}

// ResolverBuilder is NewResolverBuilder for the watcher's file: its
// resolvers read the file through w, so w always holds the snapshot they
// last read.
func (w *Watcher) ResolverBuilder(poll time.Duration) resolver.Builder {
	if poll <= 0 {
		poll = DefaultPoll
	}
	return &builder{file: w, poll: poll}
}

type builder struct {
	file *Watcher
	poll time.Duration
}

// Scheme returns "registry".
func (b *builder) Scheme() string { return Scheme }

// Build starts watching the registry file for the service named by target.
func (b *builder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	service := target.Endpoint()
	if service == "" || strings.Contains(service, "/") {
		return nil, fmt.Errorf("registry resolver: target %q: want %s:///<service>", target.URL.String(), Scheme)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &fileResolver{
		file:    b.file,
		service: service,
		cc:      cc,
		now:     make(chan struct{}, 1),
		cancel:  cancel,
	}
	r.wg.Add(1)
	go r.run(ctx, b.poll)
	return r, nil
}

// fileResolver is the resolver of one channel: one goroutine that polls
// the file.
type fileResolver struct {
	file    *Watcher
	service string
	cc      resolver.ClientConn
	now     chan struct{} // ResolveNow requests, buffered 1
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// Owned by the run goroutine.
	pushed []string // addresses last accepted by cc; nil after an error
}

// ResolveNow asks for an immediate re-read of the file.
func (r *fileResolver) ResolveNow(resolver.ResolveNowOptions) {
	select {
	case r.now <- struct{}{}:
	default: // a re-read is already pending
	}
}

// Close stops the polling goroutine and waits for it to exit.
func (r *fileResolver) Close() {
	r.cancel()
	r.wg.Wait()
}

func (r *fileResolver) run(ctx context.Context, poll time.Duration) {
	defer r.wg.Done()
	ticker := time.NewTicker(poll)
	defer ticker.Stop()

	last := stat(r.file.Path())
	r.refresh()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.now:
			last = stat(r.file.Path())
			r.refresh()
		case <-ticker.C:
			cur := stat(r.file.Path())
			if !sameFile(last, cur) {
				r.refresh()
			}
			last = cur
		}
	}
}

// refresh re-reads the file and pushes the service's addresses if they
// differ from the last pushed ones.
func (r *fileResolver) refresh() {
	snap, err := r.file.Load()
	if err != nil {
		r.pushed = nil
		r.cc.ReportError(fmt.Errorf("registry resolver for %q: %w", r.service, err))
		return
	}
	addrs := grpcAddrs(snap.Of(r.service))
	if r.pushed != nil && slices.Equal(addrs, r.pushed) {
		return
	}
	endpoints := make([]resolver.Endpoint, len(addrs))
	for i, a := range addrs {
		endpoints[i] = resolver.Endpoint{Addresses: []resolver.Address{{Addr: a}}}
	}
	if err := r.cc.UpdateState(resolver.State{Endpoints: endpoints}); err != nil {
		// The balancer rejected the update (for example an empty list):
		// push again on the next change or ResolveNow.
		r.pushed = nil
		return
	}
	r.pushed = addrs
}

// grpcAddrs returns the sorted, distinct gRPC addresses of instances; never nil.
func grpcAddrs(instances []Instance) []string {
	addrs := make([]string, 0, len(instances))
	for _, in := range instances {
		addrs = append(addrs, in.GRPCAddr)
	}
	slices.Sort(addrs)
	return slices.Compact(addrs)
}

// stat returns the file's info, or nil when it cannot be stat'ed.
func stat(path string) os.FileInfo {
	info, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return info
}

// sameFile reports whether a and b describe the same, unchanged file: the
// same inode (Write renames a new file in), size and modification time.
func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
