// Package supervisor runs Bazaar's services as separate OS processes on
// one machine: it starts each instance with its own ports and data
// directory, waits until it is ready, publishes the ready instances in the
// local registry that clients resolve service names through, and stops
// every process cleanly, leaving no orphans.
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
	"sort"
	"sync"
	"time"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// Spec describes one service the supervisor runs.
type Spec struct {
	// Name is the service's name ("catalog").
	Name string
	// Binary is the path of the service's executable.
	Binary string
	// HTTPAddr is the public HTTP listen address, for edge services only.
	HTTPAddr string
	// Env is extra environment for the process ("KEY=value").
	Env []string
	// Args are the process's command-line arguments.
	Args []string
	// GRPCAddr is a fixed main listen address; "" picks a free port.
	GRPCAddr string
	// Restart restarts the instance, with backoff, when it exits on its
	// own (a crash, kill -9).
	Restart bool
}

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
	// Logger receives the supervisor's own events.
	Logger *slog.Logger
}

// Supervisor owns a set of running instances. Its methods are safe for
// concurrent use.
type Supervisor struct {
	cfg    Config
	client *http.Client

	mu        sync.Mutex
	instances map[string]*Instance // by instance id
	next      map[string]int       // next instance number per service
	closing   bool                 // StopAll began: no more restarts
	wake      chan struct{}        // closed by StopAll, ends restart waits
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
		instances: map[string]*Instance{},
		next:      map[string]int{},
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
// log.
func (s *Supervisor) Start(ctx context.Context, spec Spec) (*Instance, error) {
	s.mu.Lock()
	s.next[spec.Name]++
	id := fmt.Sprintf("%s-%d", spec.Name, s.next[spec.Name])
	s.mu.Unlock()

	return s.launch(ctx, id, spec, nil)
}

// launch starts instance id of spec (replacing prev after a crash), waits
// until it is ready and publishes it.
func (s *Supervisor) launch(ctx context.Context, id string, spec Spec, prev *Instance) (*Instance, error) {
	inst, err := startInstance(s.cfg, id, spec, prev)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = s.stopInstance(inst)
		return nil, fmt.Errorf("start %s: supervisor is stopping", id)
	}
	s.instances[id] = inst
	s.mu.Unlock()
	s.cfg.Logger.Info("instance started", "instance", id, "pid", inst.PID(), "grpc", inst.GRPCAddr, "admin", inst.AdminAddr)

	if err := s.waitReady(ctx, inst); err != nil {
		_ = s.stopInstance(inst)
		s.mu.Lock()
		delete(s.instances, id)
		s.mu.Unlock()
		return nil, fmt.Errorf("start %s: %w\n%s", id, err, inst.LogTail(20))
	}
	inst.setReady(true)
	if err := s.publish(); err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("instance ready", "instance", id)
	go s.watch(inst)
	return inst, nil
}

// waitReady polls the instance's /readyz until it answers 200, the
// instance exits, ctx ends or the ready timeout passes.
func (s *Supervisor) waitReady(ctx context.Context, inst *Instance) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.probe(ctx, inst) == nil {
			return nil
		}
		select {
		case <-inst.Done():
			return fmt.Errorf("exited before it was ready: %v", inst.ExitErr())
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", s.cfg.ReadyTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// probe asks the instance's admin /readyz.
func (s *Supervisor) probe(ctx context.Context, inst *Instance) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+inst.AdminAddr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
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
// it answers again.
func (s *Supervisor) watch(inst *Instance) {
	tick := time.NewTicker(s.cfg.ProbeEvery)
	defer tick.Stop()
	for {
		select {
		case <-inst.Done():
			s.mu.Lock()
			if s.instances[inst.ID] == inst {
				delete(s.instances, inst.ID)
			}
			s.mu.Unlock()
			if err := s.publish(); err != nil {
				s.cfg.Logger.Error("publish registry", "err", err)
			}
			if !inst.stopping() {
				s.cfg.Logger.Warn("instance exited", "instance", inst.ID, "err", inst.ExitErr())
				if inst.spec.Restart {
					s.restart(inst)
				}
			}
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ProbeEvery)
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
// same addresses. It gives up only when the supervisor stops.
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
		inst, err := s.launch(context.Background(), prev.ID, prev.spec, prev)
		if err == nil {
			s.cfg.Logger.Warn("instance restarted", "instance", inst.ID, "pid", inst.PID(), "restarts", inst.restarts)
			return
		}
		s.cfg.Logger.Error("restart failed", "instance", prev.ID, "err", err)
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			return
		}
		prev = &Instance{ID: prev.ID, Service: prev.Service, GRPCAddr: prev.GRPCAddr, AdminAddr: prev.AdminAddr,
			spec: prev.spec, restarts: prev.restarts + 1, started: time.Now()}
	}
}

// restartBackoff is the wait before restart attempt n (0-based): 500ms
// doubling to at most 15s, with ±20% jitter so crashed replicas do not
// return in lockstep.
func restartBackoff(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 5), 15*time.Second)
	return d - d/5 + time.Duration(rand.Int64N(int64(d)/5*2+1))
}

// Instances returns the running instances, sorted by id.
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

// publish writes the ready instances to the registry file.
func (s *Supervisor) publish() error {
	s.mu.Lock()
	var snap registry.Snapshot
	for _, in := range s.instances {
		if in.Ready() && !in.stopping() {
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

// StopAll stops every instance, in the reverse order of start: each leaves
// the registry, gets SIGTERM, may drain for the stop timeout, and is then
// killed. It returns once every process has exited.
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
	var errs []error
	for _, in := range insts {
		if err := s.stopInstance(in); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopInstance drains then, if need be, kills one instance.
func (s *Supervisor) stopInstance(in *Instance) error {
	in.markStopping()
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
