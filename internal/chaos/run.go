package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/bazaar-shop/bazaar/internal/load"
	"github.com/bazaar-shop/bazaar/platform/registry"
)

// The faults' sizes and what must hold, as the issue of the fault matrix
// sets them.
const (
	// InjectedLatency is the delay of a Latency experiment.
	InjectedLatency = 200 * time.Millisecond
	// InjectedErrorRate is the share of calls an Errors experiment fails.
	InjectedErrorRate = 0.3
	// OverloadFactor is how far above capacity Overload drives the shop.
	OverloadFactor = 3
	// MinSuccess is the success rate journeys that can do without the
	// faulty component must keep.
	MinSuccess = 0.999
	// MaxSlowdown bounds an independent journey's p99 against its
	// baseline.
	MaxSlowdown = 2
	// LatencyFloor is the smallest p99 the slowdown is measured against:
	// below it, a 2x change is scheduling noise on a loaded machine.
	LatencyFloor = 10 * time.Millisecond
	// FailFast bounds the p99 of journeys that need the faulty component:
	// they must get an answer, even a refusal, within it.
	FailFast = 3 * time.Second
	// MaxRecovery is how soon after the fault ends the shop must be back
	// to its baseline.
	MaxRecovery = 30 * time.Second
	// healthyRun is how many healthy seconds in a row count as recovered.
	healthyRun = 3
)

// Options are the settings of one experiment.
type Options struct {
	// Rate is the arrival rate of the standard workload, operations/s.
	Rate float64
	// Workers bounds the operations in flight.
	Workers int
	// Baseline, Fault and Recover are how long the workload runs before,
	// during and after the fault.
	Baseline, Fault, Recover time.Duration
	// Capacity is the shop's measured capacity (operations/s), for
	// Overload, which runs the fault window at OverloadFactor times it.
	Capacity float64
	// Seed makes the workload reproducible.
	Seed uint64
	// Progress, when set, gets a line per second and per phase.
	Progress io.Writer
	// Verify checks the order flow's invariants once the shop is back,
	// and returns the violations.
	Verify func(ctx context.Context) ([]string, error)
}

func (o Options) validate(e Experiment) error {
	switch {
	case o.Rate <= 0 || o.Workers <= 0:
		return errors.New("rate and workers must be positive")
	case o.Baseline <= 0 || o.Fault <= 0 || o.Recover <= 0:
		return errors.New("baseline, fault and recover must be positive")
	case e.Kind == Overload && o.Capacity <= 0:
		return errors.New("overload needs the measured capacity")
	case o.Verify == nil:
		return errors.New("no invariant check")
	}
	return nil
}

// Outcome is what an experiment measured and what it concluded.
type Outcome struct {
	// Experiment is the experiment's name.
	Experiment string `json:"experiment"`
	// Instance is the one instance a kill or a pause hit, when the
	// component ran several; empty when it hit them all.
	Instance string `json:"instance,omitempty"`
	// Baseline, During and After are the workload's results in each phase.
	Baseline *load.Result `json:"baseline"`
	During   *load.Result `json:"during"`
	After    *load.Result `json:"after"`
	// RecoverySeconds is how long after the fault ended the shop was back
	// to its baseline (no errors, p99 within MaxSlowdown of the baseline);
	// ErrorFreeSeconds how long until it answered without errors. Both -1
	// if it was not by the end of the run.
	RecoverySeconds  int `json:"recovery_seconds"`
	ErrorFreeSeconds int `json:"error_free_seconds"`
	// Retries is, for Errors, what the failing service saw before and
	// during the fault: calls made by its callers and attempts served.
	Retries *Retries `json:"retries,omitempty"`
	// Violations are the order-flow invariants found broken afterwards.
	Violations []string `json:"violations"`
	// Checks are what must hold, each with what was measured.
	Checks []Check `json:"checks"`
}

// Retries counts calls and attempts to the service an Errors experiment
// fails.
type Retries struct {
	BaselineCalls    float64 `json:"baseline_calls"`
	BaselineAttempts float64 `json:"baseline_attempts"`
	Calls            float64 `json:"calls"`
	Attempts         float64 `json:"attempts"`
}

// Amplification is the attempts per call during the fault (0 if no call).
func (r *Retries) Amplification() float64 {
	if r == nil || r.Calls <= 0 {
		return 0
	}
	return r.Attempts / r.Calls
}

// Check is one thing that must hold, and whether it did.
type Check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
	// Timing marks a check of latency: a performance claim, which depends
	// on what else the machine runs. The CI suite asserts the others and
	// records these; docs/resilience.md has them measured on a quiet
	// machine.
	Timing bool `json:"timing,omitempty"`
}

// Passed reports whether every check held.
func (o *Outcome) Passed() bool {
	for _, c := range o.Checks {
		if !c.Pass {
			return false
		}
	}
	return len(o.Checks) > 0
}

// Run runs experiment e against the shop t, driving it with d.
func Run(ctx context.Context, t Target, d load.Doer, e Experiment, o Options) (*Outcome, error) {
	if err := o.validate(e); err != nil {
		return nil, fmt.Errorf("chaos %s: %w", e.Name(), err)
	}
	mix, err := load.NewMix(load.StandardMix())
	if err != nil {
		return nil, err
	}
	phase := func(name string, rate float64, dur time.Duration) (*load.Result, error) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s: %s, %.0f ops/s for %v\n", e.Name(), name, rate, dur)
		}
		return load.Run(ctx, d, mix, load.Options{Rate: rate, Duration: dur, Workers: o.Workers,
			Seed: o.Seed, Progress: o.Progress, Groups: e.Groups()})
	}
	if e, err = pickInstance(ctx, t, e); err != nil {
		return nil, fmt.Errorf("chaos %s: %w", e.Name(), err)
	}
	out := &Outcome{Experiment: e.Name(), Instance: e.Instance, RecoverySeconds: -1, ErrorFreeSeconds: -1}
	count := calls(ctx, t, e)
	if out.Baseline, err = phase("baseline", o.Rate, o.Baseline); err != nil {
		return nil, err
	}
	var retries Retries
	if e.Kind == Errors {
		if retries.BaselineCalls, retries.BaselineAttempts, err = count(); err != nil {
			return nil, fmt.Errorf("chaos %s: %w", e.Name(), err)
		}
	}
	undo, err := inject(ctx, t, e)
	if err != nil {
		return nil, fmt.Errorf("chaos %s: %w", e.Name(), err)
	}
	// The fault ends on time, even while the workload is stuck on it (a
	// paused storefront holds every shopper), and when the run is cut
	// short.
	end := endOnce(context.WithoutCancel(ctx), undo)
	timer := time.AfterFunc(o.Fault, func() { _ = end() })
	defer func() { timer.Stop(); _ = end() }()
	rate := o.Rate
	if e.Kind == Overload {
		rate = OverloadFactor * o.Capacity
	}
	if out.During, err = phase("fault", rate, o.Fault); err != nil {
		return nil, err
	}
	if e.Kind == Errors {
		if retries.Calls, retries.Attempts, err = count(); err != nil {
			return nil, fmt.Errorf("chaos %s: %w", e.Name(), err)
		}
		out.Retries = &retries
	}
	timer.Stop()
	if err := end(); err != nil {
		return nil, fmt.Errorf("chaos %s: end the fault: %w", e.Name(), err)
	}
	if out.After, err = phase("recovery", o.Rate, o.Recover); err != nil {
		return nil, err
	}
	if out.Violations, err = o.Verify(ctx); err != nil {
		return nil, fmt.Errorf("chaos %s: verify: %w", e.Name(), err)
	}
	limit := slowdownLimit(out.Baseline.Total.P99Ms)
	out.RecoverySeconds = recovery(out, e, func(s load.Second) bool { return s.Errors == 0 && s.P99Ms <= limit })
	out.ErrorFreeSeconds = recovery(out, e, func(s load.Second) bool { return s.Errors == 0 })
	out.Checks = judge(out, e, o)
	return out, nil
}

// pickInstance sets e.Instance for a kill or a pause of a component that
// runs several instances: the oldest one is hit, the others stand in for
// it.
func pickInstance(ctx context.Context, t Target, e Experiment) (Experiment, error) {
	if e.Kind != Kill && e.Kind != Pause {
		return e, nil
	}
	ids, err := t.Instances(ctx, e.Service)
	if err != nil {
		return e, err
	}
	if len(ids) > 1 {
		e.Instance = ids[0]
	}
	return e, nil
}

// inject starts e's fault and returns what ends it (nil for a fault that
// ends by itself: a killed process is restarted by the supervisor).
func inject(ctx context.Context, t Target, e Experiment) (func(context.Context) error, error) {
	fault := registry.Fault{From: e.From, To: e.Service}
	target := e.Service
	if e.Instance != "" {
		target = e.Instance
	}
	switch e.Kind {
	case Kill:
		return nil, t.Kill(ctx, target)
	case Pause:
		resume, err := t.Pause(ctx, target)
		if err != nil {
			return nil, err
		}
		return func(context.Context) error { return resume() }, nil
	case DiskFull:
		free, err := t.FillDisk(ctx, e.Service)
		if err != nil {
			return nil, err
		}
		return func(context.Context) error { return free() }, nil
	case Overload:
		return nil, nil
	case Latency:
		fault.Latency = InjectedLatency
	case Blackhole:
		fault.Blackhole = true
	case Errors:
		fault.ErrorRate = InjectedErrorRate
	}
	if err := t.SetFault(ctx, fault); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return t.ClearFault(ctx, e.From, e.Service) }, nil
}

// endOnce returns a function that ends the fault with undo the first
// time it is called, and returns that call's error every time.
func endOnce(ctx context.Context, undo func(context.Context) error) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			if undo != nil {
				err = undo(ctx)
			}
		})
		return err
	}
}

// calls returns a function that, called at the end of a phase, gives the
// calls made to the experiment's service and the attempts it served since
// the previous call (nothing for experiments other than Errors).
func calls(ctx context.Context, t Target, e Experiment) func() (calls, attempts float64, err error) {
	if e.Kind != Errors {
		return func() (float64, float64, error) { return 0, 0, nil }
	}
	a0, c0, err0 := t.Calls(ctx, e.Service)
	return func() (float64, float64, error) {
		a1, c1, err := t.Calls(ctx, e.Service)
		if err = errors.Join(err0, err); err != nil {
			return 0, 0, err
		}
		calls, attempts := c1-c0, a1-a0
		a0, c0 = a1, c1
		return calls, attempts, nil
	}
}
