package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// MaxReplicas is the most instances Scale runs of one service.
const MaxReplicas = 16

// Errors the operations wrap, so callers can tell them apart (the control
// API answers 404, 400 and 503).
var (
	// ErrUnknown: no such service, instance or fault rule. The message
	// lists the known ones.
	ErrUnknown = errors.New("unknown")
	// ErrInvalid: the request cannot be carried out as asked.
	ErrInvalid = errors.New("invalid request")
	// ErrStopping: the supervisor is stopping every instance.
	ErrStopping = errors.New("supervisor is stopping")
)

// errRetired ends the restart of a crashed instance that was retired
// (scaled down or replaced) meanwhile.
var errRetired = errors.New("instance was retired")

// Services returns the names of the services started so far, sorted.
func (s *Supervisor) Services() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serviceNames()
}

func (s *Supervisor) serviceNames() []string {
	names := make([]string, 0, len(s.services))
	for n := range s.services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Status describes every supervised instance, sorted by service, then
// from oldest to newest.
func (s *Supervisor) Status() []Info {
	s.mu.Lock()
	insts := make([]*Instance, 0, len(s.instances))
	for _, in := range s.instances {
		insts = append(insts, in)
	}
	s.mu.Unlock()
	sortByAge(insts)
	out := make([]Info, len(insts))
	for i, in := range insts {
		out[i] = in.Info()
	}
	return out
}

func sortByAge(insts []*Instance) {
	sort.Slice(insts, func(i, j int) bool {
		if insts[i].Service != insts[j].Service {
			return insts[i].Service < insts[j].Service
		}
		return insts[i].seq < insts[j].seq
	})
}

// lookup returns the service named name, or an ErrUnknown error that
// lists the known services.
func (s *Supervisor) lookup(name string) (*service, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[name]
	if !ok {
		return nil, fmt.Errorf("%w service %q (known: %s)", ErrUnknown, name, strings.Join(s.serviceNames(), ", "))
	}
	return svc, nil
}

// acquire waits until no other Scale, Restart or Upgrade of svc runs.
func (s *Supervisor) acquire(ctx context.Context, svc *service) (release func(), err error) {
	select {
	case svc.ops <- struct{}{}:
		return func() { <-svc.ops }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the operation in progress on %s: %w", svc.name, ctx.Err())
	}
}

// active returns the instances of service that are not being stopped on
// purpose (crashed ones waiting for their restart included), oldest first.
func (s *Supervisor) active(service string) []*Instance {
	s.mu.Lock()
	var out []*Instance
	for _, in := range s.instances {
		if in.Service == service && !in.stopping() {
			out = append(out, in)
		}
	}
	s.mu.Unlock()
	sortByAge(out)
	return out
}

// Scale runs n instances of service. New instances get fresh ports and
// join the registry once ready; Scale returns when they have. Scaling
// down retires the newest instances: they leave the registry, keep
// serving for the leave delay so clients stop picking them, then get
// SIGTERM, and Scale returns once they have exited. A service with a fixed
// address runs at most one instance.
func (s *Supervisor) Scale(ctx context.Context, service string, n int) error {
	svc, err := s.lookup(service)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	if n < 0 || n > MaxReplicas {
		return fmt.Errorf("scale %s: %w: replicas must be in 0..%d, not %d", service, ErrInvalid, MaxReplicas, n)
	}
	s.mu.Lock()
	spec := svc.spec
	s.mu.Unlock()
	if n > 1 && spec.fixedAddress() {
		return fmt.Errorf("scale %s: %w: it listens on a fixed address (%s) and runs as one instance",
			service, ErrInvalid, strings.Trim(spec.GRPCAddr+" "+spec.HTTPAddr, " "))
	}
	release, err := s.acquire(ctx, svc)
	if err != nil {
		return fmt.Errorf("scale %s: %w", service, err)
	}
	defer release()

	active := s.active(service)
	switch {
	case n > len(active):
		s.cfg.Logger.Info("scaling up", "service", service, "from", len(active), "to", n)
		errs := make([]error, n-len(active))
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = s.startNew(ctx, svc) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("scale %s to %d: %w", service, n, err)
		}
	case n < len(active):
		s.cfg.Logger.Info("scaling down", "service", service, "from", len(active), "to", n)
		if err := s.retire(ids(active[n:])); err != nil {
			return fmt.Errorf("scale %s to %d: %w", service, n, err)
		}
	}
	return nil
}

func ids(insts []*Instance) []string {
	out := make([]string, len(insts))
	for i, in := range insts {
		out[i] = in.ID
	}
	return out
}

// retire stops the instances with the given ids on purpose, in parallel:
// each leaves the registry at once, keeps serving for the leave delay (if
// it was listed) so clients stop picking it, then gets SIGTERM and may
// drain for the stop timeout. A crashed instance waiting for its restart
// is retired too: it will not come back. retire returns once every
// process has exited.
func (s *Supervisor) retire(instanceIDs []string) error {
	var insts []*Instance
	listed := false
	s.mu.Lock()
	for _, id := range instanceIDs {
		// The current holder of the id: a restart may have replaced the
		// process the caller saw. Marked under s.mu, so a restart that
		// has not replaced it yet will not (see launch).
		if in, ok := s.instances[id]; ok {
			listed = listed || in.State() == StateReady
			in.markStopping()
			insts = append(insts, in)
		}
	}
	s.mu.Unlock()
	if err := s.publish(); err != nil {
		s.cfg.Logger.Error("publish registry", "err", err)
	}
	if listed {
		time.Sleep(s.cfg.LeaveDelay)
	}
	errs := make([]error, len(insts))
	var wg sync.WaitGroup
	for i, in := range insts {
		wg.Go(func() { errs[i] = s.terminate(in) })
	}
	wg.Wait()
	s.mu.Lock()
	for _, in := range insts {
		if s.instances[in.ID] == in {
			delete(s.instances, in.ID)
		}
	}
	s.mu.Unlock()
	for _, in := range insts {
		s.cfg.Logger.Info("instance retired", "instance", in.ID)
	}
	return errors.Join(errs...)
}

// Kill sends SIGKILL to target: an instance id ("cart-2") or every
// instance of a service ("cart"). It does not wait; the restart policy
// brings killed instances back (the registry drops them as soon as the
// supervisor sees them exit). It returns the ids of the killed instances.
// Instances that are draining or already exited are left alone.
func (s *Supervisor) Kill(target string) ([]string, error) {
	s.mu.Lock()
	var victims []*Instance
	if in, ok := s.instances[target]; ok {
		victims = append(victims, in)
	} else if _, ok := s.services[target]; ok {
		for _, in := range s.instances {
			if in.Service == target {
				victims = append(victims, in)
			}
		}
	} else {
		known := s.serviceNames()
		s.mu.Unlock()
		return nil, fmt.Errorf("kill: %w service or instance %q (services: %s)", ErrUnknown, target, strings.Join(known, ", "))
	}
	s.mu.Unlock()
	sortByAge(victims)
	var killed []string
	var errs []error
	for _, in := range victims {
		if st := in.State(); st == StateExited || st == StateDraining {
			continue
		}
		if err := in.kill(); err != nil {
			errs = append(errs, err)
			continue
		}
		s.cfg.Logger.Warn("instance killed", "instance", in.ID, "pid", in.PID())
		killed = append(killed, in.ID)
	}
	if err := errors.Join(errs...); err != nil {
		return killed, fmt.Errorf("kill %s: %w", target, err)
	}
	if len(killed) == 0 {
		return nil, fmt.Errorf("kill %s: %w: no running instance", target, ErrInvalid)
	}
	return killed, nil
}

// Restart replaces every instance of service, one at a time (a rolling
// restart): it starts a replacement with fresh ports, waits until it is
// ready and in the registry, then retires the old instance (registry
// first, the leave delay, SIGTERM, exit). The service never runs fewer
// ready instances than before. A service with a fixed address cannot run
// two instances at once: its instance is stopped first, then started
// again (a short outage). On an error the instances not yet replaced keep
// running.
func (s *Supervisor) Restart(ctx context.Context, service string) error {
	svc, err := s.lookup(service)
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	release, err := s.acquire(ctx, svc)
	if err != nil {
		return fmt.Errorf("restart %s: %w", service, err)
	}
	defer release()
	return s.roll(ctx, svc)
}

// roll is the rolling restart of svc onto its current spec.
func (s *Supervisor) roll(ctx context.Context, svc *service) error {
	olds := s.active(svc.name)
	s.cfg.Logger.Info("rolling restart", "service", svc.name, "instances", len(olds))
	for i, old := range olds {
		if err := s.replace(ctx, svc, old); err != nil {
			return fmt.Errorf("restart %s: replaced %d of %d instances: %w", svc.name, i, len(olds), err)
		}
	}
	return nil
}

// replace starts a new instance of svc in place of old.
func (s *Supervisor) replace(ctx context.Context, svc *service, old *Instance) error {
	s.mu.Lock()
	fixed := svc.spec.fixedAddress()
	s.mu.Unlock()
	if fixed {
		if err := s.retire([]string{old.ID}); err != nil {
			return err
		}
		_, err := s.startNew(ctx, svc)
		return err
	}
	if _, err := s.startNew(ctx, svc); err != nil {
		return err
	}
	return s.retire([]string{old.ID})
}

// Upgrade builds a new binary of service with the configured Builder, into
// a new path (running instances keep their file), and rolls every
// instance onto it (see Restart). It returns the new version. If the
// rollout fails, new instances start from the previous binary again; the
// instances already replaced keep the new one (Status shows each one's
// version).
func (s *Supervisor) Upgrade(ctx context.Context, service string) (string, error) {
	svc, err := s.lookup(service)
	if err != nil {
		return "", fmt.Errorf("upgrade: %w", err)
	}
	if s.cfg.Build == nil {
		return "", fmt.Errorf("upgrade %s: %w: this supervisor cannot build binaries (started without the source)", service, ErrInvalid)
	}
	release, err := s.acquire(ctx, svc)
	if err != nil {
		return "", fmt.Errorf("upgrade %s: %w", service, err)
	}
	defer release()

	s.cfg.Logger.Info("building", "service", service)
	binary, version, err := s.cfg.Build(ctx, service)
	if err != nil {
		return "", fmt.Errorf("upgrade %s: %w", service, err)
	}
	s.mu.Lock()
	previous := svc.spec
	svc.spec.Binary, svc.spec.Version = binary, version
	s.mu.Unlock()
	s.cfg.Logger.Info("upgrading", "service", service, "version", version, "binary", binary)
	if err := s.roll(ctx, svc); err != nil {
		s.mu.Lock()
		svc.spec.Binary, svc.spec.Version = previous.Binary, previous.Version
		s.mu.Unlock()
		return "", fmt.Errorf("upgrade %s to %s: %w", service, version, err)
	}
	return version, nil
}
