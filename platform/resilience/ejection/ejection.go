// Package ejection is a gRPC load balancing policy: round robin over the
// ready, healthy instances of a service, that ejects an instance after
// consecutive failures and lets it back on its own once it answers again.
//
// grpc-go's own outlier detection is registered only by its xDS package
// (BLUEPRINT §11: 24 MB of binary for one feature), and client-side health
// checking alone misses an instance that is hung (SIGSTOP, a full disk, a
// deadlock) but still holds its TCP connection and its last SERVING status.
// This policy catches those from the calls themselves:
//
//   - FailuresToEject consecutive calls failing UNAVAILABLE,
//     DEADLINE_EXCEEDED, INTERNAL or UNKNOWN eject the instance for
//     BaseEjection, doubling with each ejection in a row up to MaxEjection;
//   - when its time is up the instance is on probation: one call at a time
//     goes to it (the probe); success restores it fully, failure ejects it
//     again for longer;
//   - RESOURCE_EXHAUSTED (load shedding) and CANCELLED do not count: an
//     overloaded instance is healthy, and ejecting it would pour its load
//     onto the others;
//   - when every instance is ejected, calls fail at once with UNAVAILABLE
//     (a circuit breaker per instance) instead of each waiting for its
//     deadline; the probes keep going.
//
// Balancers are installed through grpc-go's global registry, which grpc-go
// fills from init functions. Bazaar has no init side effects, so a
// program's entry point calls Register once, before any goroutine dials
// (daemon.Main for service binaries, the CLI's main, TestMain in tests).
// A channel whose program did not register it falls back to plain
// round_robin, the next entry of the service config.
package ejection

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/base"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Name is the policy's name in a service config's loadBalancingConfig.
const Name = "bazaar_ejecting_round_robin"

// Defaults of the policy.
const (
	FailuresToEject = 5
	BaseEjection    = 500 * time.Millisecond
	MaxEjection     = 5 * time.Second
)

// Register installs the policy in grpc-go's balancer registry. Call it
// from a program's entry point before any channel is created: grpc-go's
// registry is not safe for concurrent use.
func Register() { balancer.Register(Builder{Now: time.Now}) }

// Builder builds one ejecting balancer per channel; each channel keeps its
// own view of its instances.
type Builder struct {
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

// Name returns the policy's name.
func (Builder) Name() string { return Name }

// Build returns a balancer for one channel: grpc-go's base balancer (which
// manages SubConns and client-side health checks) with an ejecting picker.
func (b Builder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	pb := &pickerBuilder{now: b.Now, hosts: map[balancer.SubConn]*host{}}
	return endpointAddresses{base.NewBalancerBuilder(Name, pb, base.Config{HealthCheck: true}).Build(cc, opts)}
}

// endpointAddresses hands the base balancer, which reads only the
// resolver's flat address list, the addresses of the resolver's endpoints
// (what the registry and DNS resolvers of grpc-go now produce).
type endpointAddresses struct {
	balancer.Balancer
}

// UpdateClientConnState fills the address list from the endpoints.
func (b endpointAddresses) UpdateClientConnState(s balancer.ClientConnState) error {
	if len(s.ResolverState.Addresses) == 0 {
		for _, ep := range s.ResolverState.Endpoints {
			s.ResolverState.Addresses = append(s.ResolverState.Addresses, ep.Addresses...)
		}
	}
	return b.Balancer.UpdateClientConnState(s)
}

// pickerBuilder keeps each instance's failure record across pickers (a
// picker is rebuilt every time an instance's connectivity changes).
type pickerBuilder struct {
	now func() time.Time

	mu    sync.Mutex
	hosts map[balancer.SubConn]*host
}

// Build returns a picker over the ready instances. An instance that left
// the ready set loses its record: it returns as a new connection.
func (pb *pickerBuilder) Build(info base.PickerBuildInfo) balancer.Picker {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	for sc := range pb.hosts {
		if _, ok := info.ReadySCs[sc]; !ok {
			delete(pb.hosts, sc)
		}
	}
	p := &picker{now: pb.now}
	for sc := range info.ReadySCs {
		h := pb.hosts[sc]
		if h == nil {
			h = &host{}
			pb.hosts[sc] = h
		}
		p.scs = append(p.scs, sc)
		p.hosts = append(p.hosts, h)
		p.done = append(p.done, [2]func(balancer.DoneInfo){
			func(di balancer.DoneInfo) { h.record(p.now(), false, di.Err) },
			func(di balancer.DoneInfo) { h.record(p.now(), true, di.Err) },
		})
	}
	return p
}

// picker is round robin over instances that are not ejected.
type picker struct {
	now   func() time.Time
	scs   []balancer.SubConn
	hosts []*host
	// done are each host's Done callbacks, for an ordinary call and for a
	// probe, made once here rather than on every pick.
	done [][2]func(balancer.DoneInfo)
	next atomic.Uint32
}

// Pick returns the next instance that may take a call.
func (p *picker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	n := len(p.scs)
	if n == 0 {
		return balancer.PickResult{}, balancer.ErrNoSubConnAvailable
	}
	now := p.now()
	start := int(p.next.Add(1))
	for i := range n {
		k := (start + i) % n
		h := p.hosts[k]
		probe, ok := h.admit(now)
		if !ok {
			continue
		}
		done := p.done[k][0]
		if probe {
			done = p.done[k][1]
		}
		return balancer.PickResult{SubConn: p.scs[k], Done: done}, nil
	}
	return balancer.PickResult{}, status.Errorf(codes.Unavailable,
		"all %d instance(s) ejected after consecutive failures; each is probed again within %v", n, MaxEjection)
}

// host is one instance's failure record.
type host struct {
	mu           sync.Mutex
	failures     int       // consecutive failures while healthy
	ejections    int       // ejections in a row; > 0 means on probation once ejectedUntil passes
	ejectedUntil time.Time // no calls before then
	probing      bool      // the one probation call is in flight
}

// admit reports whether the instance may take a call now, and whether
// that call is its probation probe.
func (h *host) admit(now time.Time) (probe, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case now.Before(h.ejectedUntil):
		return false, false
	case h.ejections == 0:
		return false, true
	case h.probing:
		return false, false
	default:
		h.probing = true
		return true, true
	}
}

// record counts a finished call.
func (h *host) record(now time.Time, probe bool, err error) {
	failed := countsAsFailure(err)
	h.mu.Lock()
	defer h.mu.Unlock()
	if probe {
		h.probing = false
		if failed {
			h.eject(now)
		} else {
			h.ejections, h.failures = 0, 0
		}
		return
	}
	if h.ejections > 0 {
		return // a call from before the ejection; only the probe decides now
	}
	if !failed {
		h.failures = 0
		return
	}
	h.failures++
	if h.failures >= FailuresToEject {
		h.eject(now)
	}
}

// eject takes the instance out for a time that doubles with each ejection
// in a row. Caller holds mu.
func (h *host) eject(now time.Time) {
	d := BaseEjection << min(h.ejections, 10)
	h.ejections++
	h.ejectedUntil = now.Add(min(d, MaxEjection))
	h.failures = 0
}

// countsAsFailure reports whether err says the instance is unwell, as
// opposed to the call being refused, cancelled or wrong.
func countsAsFailure(err error) bool {
	if err == nil {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.Unknown:
		return true
	default:
		return false
	}
}

// String describes the record, for test failures.
func (h *host) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("failures=%d ejections=%d until=%v probing=%v", h.failures, h.ejections, h.ejectedUntil, h.probing)
}
