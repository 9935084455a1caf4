// Package supervisor runs Bazaar's services as separate OS processes on
// one machine: it starts each instance with its own ports and data
// directory, waits until it is ready, publishes the ready instances in the
// local registry that clients resolve service names through, restarts
// crashed instances, and stops every process cleanly, leaving no orphans.
//
// It also operates the running shop: Scale, Kill, Restart (rolling, one
// instance at a time, never below the running count), Upgrade (rebuild,
// then roll onto the new binary), fault rules between services
// (SetFault) and the instances' merged logs (Logs). The methods are safe
// for concurrent use; the control API (internal/control) and the web
// console call them.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/bazaar-shop/bazaar/platform/identity"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Spec describes one service the supervisor runs.
type Spec struct {
	// Name is the service's name ("catalog").
	Name string
	// Binary is the path of the service's executable.
	Binary string
	// HTTPAddr is a fixed HTTP listen address; see GRPCAddr.
	HTTPAddr string
	// HTTP gives each instance an HTTP listener of its own, on a free
	// port picked like its gRPC and admin ones (BAZAAR_HTTP_ADDR): the
	// storefront's instances, behind the edge (internal/edge).
	HTTP bool
	// Env is extra environment for the process ("KEY=value").
	Env []string
	// Args are the process's command-line arguments.
	Args []string
	// GRPCAddr is a fixed main listen address; "" picks a free port. A
	// service with a fixed address (GRPCAddr or HTTPAddr) runs as one
	// instance: it cannot be scaled, and Restart stops the old instance
	// before it starts the new one.
	GRPCAddr string
	// Restart restarts the instance, with backoff, when it exits on its
	// own (a crash, kill -9).
	Restart bool
	// Version is the version stamped into Binary when it was built ("" if
	// unknown). The supervisor reports it for every instance of Binary.
	Version string
}

// fixedAddress reports whether the spec's instances listen on an address
// that two of them cannot share.
func (s Spec) fixedAddress() bool { return s.GRPCAddr != "" || s.HTTPAddr != "" }

// Config is how the supervisor runs instances.
type Config struct {
	// DataDir holds every service's data directory, the registry file and
	// the logs.
	DataDir string
	// Host is the loopback address instances listen on.
	Host string
	// ReadyTimeout bounds how long an instance may take to become ready.
	ReadyTimeout time.Duration
	// StopTimeout bounds how long an instance may drain after SIGTERM
	// before it is killed.
	StopTimeout time.Duration
	// ProbeEvery is the period of readiness probes of running instances.
	ProbeEvery time.Duration
	// LeaveDelay is how long an instance that is being retired (scale
	// down, rolling restart) keeps running after it left the registry,
	// so clients stop picking it before it gets SIGTERM. Default 1s;
	// keep it above the registry resolver's poll (250ms).
	LeaveDelay time.Duration
	// Build builds a new binary of a service for Upgrade; nil makes
	// Upgrade fail.
	Build Builder
	// Logger receives the supervisor's own events.
	Logger *slog.Logger
	// PKI, when set, gives every instance its service's mTLS identity:
	// a certificate issued (or renewed) by this authority before the
	// instance starts, passed as BAZAAR_TLS_CERT, _KEY and _CA.
	PKI *identity.Authority
}

// Builder builds a fresh binary of service into a new path, leaving the
// binaries that running instances use untouched, and returns the new
// binary's path and the version stamped into it.
type Builder func(ctx context.Context, service string) (binary, version string, err error)

// Supervisor owns a set of running instances. Its methods are safe for
// concurrent use.
type Supervisor struct {
	cfg    Config
	client *http.Client
	began  time.Time

	publishMu sync.Mutex     // one publish at a time: snapshot and write together
	watchers  sync.WaitGroup // watch goroutines; added to under mu while not closing

	mu        sync.Mutex
	instances map[string]*Instance // by instance id; a crashed one stays until replaced
	services  map[string]*service  // by name
	faults    []registry.Fault     // sorted by From, To
	closing   bool                 // StopAll began: no more restarts
	wake      chan struct{}        // closed by StopAll, ends restart waits
}

// service is what the supervisor knows of one service besides its
// instances.
type service struct {
	name string
	spec Spec          // new instances start from it; guarded by Supervisor.mu
	next int           // number of the last instance started; guarded by Supervisor.mu
	ops  chan struct{} // holds a token while Scale, Restart or Upgrade runs
}

// New returns a supervisor for cfg, with defaults for unset durations.
func New(cfg Config) (*Supervisor, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("supervisor: empty data directory")
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("supervisor: data directory %s: %w", cfg.DataDir, err)
	}
	cfg.DataDir = abs
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 15 * time.Second
	}
	if cfg.ProbeEvery <= 0 {
		cfg.ProbeEvery = time.Second
	}
	if cfg.LeaveDelay <= 0 {
		cfg.LeaveDelay = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{cfg.DataDir, filepath.Join(cfg.DataDir, "logs")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("supervisor: create %s: %w", d, err)
		}
	}
	s := &Supervisor{
		cfg:       cfg,
		client:    &http.Client{Timeout: 2 * time.Second},
		began:     time.Now(),
		instances: map[string]*Instance{},
		services:  map[string]*service{},
		wake:      make(chan struct{}),
	}
	// A registry left by a previous run that did not stop cleanly names
	// processes that are gone: start from an empty one.
	if err := s.publish(); err != nil {
		return nil, err
	}
	return s, nil
}

// RegistryPath is the file the supervisor publishes ready instances in.
func (s *Supervisor) RegistryPath() string { return RegistryPath(s.cfg.DataDir) }

// RegistryPath is the registry file of the data directory dir.
func RegistryPath(dir string) string { return filepath.Join(dir, "registry.json") }

// DataDir is the absolute data directory.
func (s *Supervisor) DataDir() string { return s.cfg.DataDir }

// Start starts a new instance of spec and waits until it is ready, then
// publishes it in the registry. An instance that exits or does not become
// ready in time is stopped and reported as an error, with the tail of its
// log. The spec becomes the one Scale and Restart start the service's
// next instances from.
func (s *Supervisor) Start(ctx context.Context, spec Spec) (*Instance, error) {
	if spec.Name == "" || spec.Binary == "" {
		return nil, fmt.Errorf("start: %w: a spec needs a name and a binary", ErrInvalid)
	}
	s.mu.Lock()
	svc, ok := s.services[spec.Name]
	if !ok {
		svc = &service{name: spec.Name, ops: make(chan struct{}, 1)}
		s.services[spec.Name] = svc
	}
	svc.spec = spec
	s.mu.Unlock()
	return s.startNew(ctx, svc)
}

// startNew starts one more instance of svc, with a new id and fresh ports,
// from the service's current spec.
func (s *Supervisor) startNew(ctx context.Context, svc *service) (*Instance, error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w", svc.name, ErrStopping)
	}
	svc.next++
	seq, spec := svc.next, svc.spec
	s.mu.Unlock()
	return s.launch(ctx, fmt.Sprintf("%s-%d", svc.name, seq), seq, spec, nil)
}

// launch starts instance id of spec (replacing prev after a crash), waits
// until it is ready and publishes it. When a restart fails, the failed
// instance stays supervised (exited) and is returned with the error, so
// the next attempt replaces it; errRetired reports that the instance was
// retired meanwhile and must not come back.
func (s *Supervisor) launch(ctx context.Context, id string, seq int, spec Spec, prev *Instance) (*Instance, error) {
	if prev != nil && !s.replaceable(prev) { // spare a process start
		return nil, fmt.Errorf("restart %s: %w", id, errRetired)
	}
	inst, err := startInstance(s.cfg, id, spec, prev)
	if err != nil {
		return nil, err
	}
	inst.seq = seq
	s.mu.Lock()
	switch {
	case s.closing:
		s.mu.Unlock()
		_ = s.stopInstance(inst)
		return nil, fmt.Errorf("start %s: %w", id, ErrStopping)
	case prev != nil && !s.replaceableLocked(prev):
		s.mu.Unlock()
		_ = s.stopInstance(inst)
		return nil, fmt.Errorf("restart %s: %w", id, errRetired)
	}
	s.instances[id] = inst
	s.mu.Unlock()
	s.cfg.Logger.Info("instance started", "instance", id, "pid", inst.PID(), "grpc", inst.GRPCAddr, "admin", inst.AdminAddr, "http", inst.HTTPAddr, "version", spec.Version)

	if err := s.waitReady(ctx, inst); err != nil {
		_ = s.terminate(inst)
		s.mu.Lock()
		defer s.mu.Unlock()
		retired := inst.stopping()
		keep := prev != nil && !retired && !s.closing && s.instances[id] == inst
		if !keep && s.instances[id] == inst {
			delete(s.instances, id)
		}
		err = fmt.Errorf("start %s: %w\n%s", id, err, inst.LogTail(20))
		switch {
		case retired:
			return nil, fmt.Errorf("%w (%w)", err, errRetired)
		case keep:
			return inst, err
		default:
			return nil, err
		}
	}
	inst.setReady(true)
	if err := s.publish(); err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("instance ready", "instance", id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closing { // else StopAll, which waits for the watchers, stops it
		s.watchers.Go(func() { s.watch(inst) })
	}
	return inst, nil
}

// replaceable reports whether a restart may still replace prev: it is
// the current holder of its id and was not retired.
func (s *Supervisor) replaceable(prev *Instance) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replaceableLocked(prev)
}

func (s *Supervisor) replaceableLocked(prev *Instance) bool {
	return s.instances[prev.ID] == prev && !prev.stopping()
}

// waitReady polls the instance's /readyz until it answers 200, the
// instance exits, ctx ends or the ready timeout passes.
func (s *Supervisor) waitReady(ctx context.Context, inst *Instance) error {
	return AwaitReady(ctx, s.client, inst.AdminAddr, s.cfg.ReadyTimeout, inst.Done(), inst.ExitErr)
}

// probe asks the instance's admin /readyz.
func (s *Supervisor) probe(ctx context.Context, inst *Instance) error {
	return Probe(ctx, s.client, inst.AdminAddr)
}

// AwaitReady polls the /readyz of the admin listener at admin until it
// answers 200. It fails when exited closes first (with exitErr's account
// of why), when ctx ends, or after timeout.
func AwaitReady(ctx context.Context, hc *http.Client, admin string, timeout time.Duration, exited <-chan struct{}, exitErr func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if Probe(ctx, hc, admin) == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready: %v", exitErr())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// Probe asks the admin listener at admin for /readyz: nil when it
// answers 200.
func Probe(ctx context.Context, hc *http.Client, admin string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz answered %s", resp.Status)
	}
	return nil
}

// watch keeps the registry true for one instance: it leaves the registry
// when it stops answering its readiness probe or exits, and rejoins when
// it answers again. A crashed instance of a spec with Restart stays
// supervised, exited, until its restart replaces it.
func (s *Supervisor) watch(inst *Instance) {
	tick := time.NewTicker(s.cfg.ProbeEvery)
	defer tick.Stop()
	for {
		select {
		case <-inst.Done():
			crashed := !inst.stopping()
			s.mu.Lock()
			if s.instances[inst.ID] == inst && !(crashed && inst.spec.Restart) {
				delete(s.instances, inst.ID)
			}
			s.mu.Unlock()
			if err := s.publish(); err != nil {
				s.cfg.Logger.Error("publish registry", "err", err)
			}
			if crashed {
				s.cfg.Logger.Warn("instance exited", "instance", inst.ID, "err", inst.ExitErr())
				if inst.spec.Restart {
					s.restart(inst)
				}
			}
			return
		case <-tick.C:
			if inst.stopping() {
				continue // draining on purpose: out of the registry already
			}
			// A probe may take up to a second even when probes are more
			// frequent: one slow answer is no reason to leave the registry.
			ctx, cancel := context.WithTimeout(context.Background(), max(s.cfg.ProbeEvery, time.Second))
			err := s.probe(ctx, inst)
			cancel()
			if inst.setReady(err == nil) {
				s.cfg.Logger.Warn("instance readiness changed", "instance", inst.ID, "ready", err == nil, "err", err)
				if err := s.publish(); err != nil {
					s.cfg.Logger.Error("publish registry", "err", err)
				}
			}
		}
	}
}

// restart starts a crashed instance again after a backoff that doubles
// with each crash in a row (from 500ms up to 15s, with jitter), on the
// same addresses. It gives up when the supervisor stops or the instance
// is retired (scaled down, replaced by a rolling restart).
func (s *Supervisor) restart(prev *Instance) {
	attempt := prev.restarts
	if time.Since(prev.started) > 30*time.Second {
		attempt = 0 // it ran a good while: start the backoff over
	}
	for ; ; attempt++ {
		delay := restartBackoff(attempt)
		s.cfg.Logger.Warn("restarting instance", "instance", prev.ID, "in", delay.Round(time.Millisecond), "restarts", prev.restarts)
		select {
		case <-s.wake:
			return
		case <-time.After(delay):
		}
		inst, err := s.launch(context.Background(), prev.ID, prev.seq, prev.spec, prev)
		switch {
		case err == nil:
			s.cfg.Logger.Warn("instance restarted", "instance", inst.ID, "pid", inst.PID(), "restarts", inst.restarts)
			return
		case errors.Is(err, errRetired), errors.Is(err, ErrStopping):
			s.cfg.Logger.Info("restart abandoned", "instance", prev.ID, "reason", err)
			return
		}
		s.cfg.Logger.Error("restart failed", "instance", prev.ID, "err", err)
		if inst != nil {
			prev = inst // the failed attempt stands for the instance now
		}
	}
}

// restartBackoff is the wait before restart attempt n (0-based): 500ms
// doubling to at most 15s, with ±20% jitter so crashed replicas do not
// return in lockstep.
func restartBackoff(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 5), 15*time.Second)
	return d - d/5 + time.Duration(rand.Int64N(int64(d)/5*2+1))
}

// Instances returns the supervised instances, sorted by id: starting,
// ready, unready, draining, and crashed ones waiting for their restart.
func (s *Supervisor) Instances() []*Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Instance, 0, len(s.instances))
	for _, in := range s.instances {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// publish writes the ready instances and the fault rules to the registry
// file. Publishes are serialized, so the file never goes back to an older
// state than one already written.
func (s *Supervisor) publish() error {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()
	s.mu.Lock()
	snap := registry.Snapshot{Faults: slices.Clone(s.faults)}
	for _, in := range s.instances {
		if in.State() == StateReady {
			snap.Instances = append(snap.Instances, in.Record())
		}
	}
	s.mu.Unlock()
	sort.Slice(snap.Instances, func(i, j int) bool { return snap.Instances[i].ID < snap.Instances[j].ID })
	if err := registry.Write(s.RegistryPath(), snap); err != nil {
		return fmt.Errorf("publish registry: %w", err)
	}
	return nil
}

// StopAll stops every instance: all leave the registry, then all but the
// first started get SIGTERM together, then the first (the event bus); each
// may drain for the stop timeout and is then killed. It returns once every process has exited and the supervisor's
// own goroutines have ended; later operations fail with ErrStopping.
func (s *Supervisor) StopAll() error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.wake)
	}
	s.mu.Unlock()
	insts := s.Instances()
	sort.Slice(insts, func(i, j int) bool { return insts[i].started.After(insts[j].started) })
	for _, in := range insts {
		in.markStopping()
	}
	if err := s.publish(); err != nil {
		s.cfg.Logger.Error("publish registry", "err", err)
	}
	// Everything but the first instance started (the event bus, which the
	// others may still be publishing to while they drain) stops at once,
	// each draining its own in-flight work; then the first.
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, in := range insts {
		if i == len(insts)-1 {
			break
		}
		wg.Go(func() {
			if err := s.stopInstance(in); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n := len(insts); n > 0 {
		if err := s.stopInstance(insts[n-1]); err != nil {
			errs = append(errs, err)
		}
	}
	s.watchers.Wait()
	return errors.Join(errs...)
}

// stopInstance marks one instance as stopping on purpose (it will not be
// restarted), then terminates it.
func (s *Supervisor) stopInstance(in *Instance) error {
	in.markStopping()
	return s.terminate(in)
}

// terminate sends SIGTERM, lets the instance drain for the stop timeout,
// then kills it; it returns once the process has exited.
func (s *Supervisor) terminate(in *Instance) error {
	if err := in.signalTerm(); err != nil {
		return fmt.Errorf("stop %s: %w", in.ID, err)
	}
	select {
	case <-in.Done():
		s.cfg.Logger.Info("instance stopped", "instance", in.ID)
		return nil
	case <-time.After(s.cfg.StopTimeout):
	}
	s.cfg.Logger.Warn("instance did not drain in time; killing", "instance", in.ID, "timeout", s.cfg.StopTimeout)
	if err := in.kill(); err != nil {
		return fmt.Errorf("kill %s: %w", in.ID, err)
	}
	<-in.Done()
	return nil
}
