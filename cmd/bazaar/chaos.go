package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bazaar-shop/bazaar/internal/chaos"
	"github.com/bazaar-shop/bazaar/internal/load"
	"github.com/bazaar-shop/bazaar/internal/supervisor"
	"github.com/bazaar-shop/bazaar/internal/verify"
)

const chaosUsage = "bazaar chaos [flags] EXPERIMENT\n" +
	"       bazaar chaos list      (the fault matrix)\n" +
	"EXPERIMENT is kill:SERVICE, pause:SERVICE, disk-full:SERVICE, latency:FROM->TO,\n" +
	"blackhole:FROM->TO, errors:FROM->TO or overload; SERVICE may be nats. Quote -> in a shell."

// chaosConfig is the settings of `bazaar chaos`.
type chaosConfig struct {
	data                     string
	rate, capacity           float64
	workers                  int
	baseline, fault, recover time.Duration
	grace                    time.Duration
	jsonPath, svgPath        string
	seed                     uint64
	list                     bool
	experiment               chaos.Experiment
}

func parseChaos(args []string, stdout io.Writer) (chaosConfig, error) {
	var c chaosConfig
	fs := opFlags("chaos", &c.data)
	fs.Float64Var(&c.rate, "rate", 50, "arrival rate of the standard workload, operations per second")
	fs.Float64Var(&c.capacity, "capacity", 0, "overload: the shop's capacity in operations/s (0: measure it first with a short sweep)")
	fs.IntVar(&c.workers, "workers", 64, "virtual shoppers: at most this many operations at once (overload uses 8x)")
	fs.DurationVar(&c.baseline, "baseline", 10*time.Second, "how long to measure before the fault")
	fs.DurationVar(&c.fault, "fault", 10*time.Second, "how long the fault lasts (a kill is instant: this is how long it is watched)")
	fs.DurationVar(&c.recover, "recover", 30*time.Second, "how long to measure after the fault")
	fs.DurationVar(&c.grace, "grace", verify.DefaultGrace, "how long verify lets an order stay PENDING")
	fs.StringVar(&c.jsonPath, "json", "", "write the outcome as JSON to this file")
	fs.StringVar(&c.svgPath, "svg", "", "write a latency-over-time chart (SVG) with the fault window shaded")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the workload's random choices")
	fs.Check("rate", func() bool { return c.rate > 0 && c.rate <= 1e5 }, "must be in (0, 100000]")
	fs.Check("capacity", func() bool { return c.capacity >= 0 && c.capacity <= 1e5 }, "must be in [0, 100000]")
	fs.Check("workers", func() bool { return c.workers > 0 && c.workers <= 1000 }, "must be 1..1000")
	fs.Check("baseline", func() bool { return c.baseline >= time.Second }, "must be at least 1s")
	fs.Check("fault", func() bool { return c.fault >= time.Second }, "must be at least 1s")
	fs.Check("recover", func() bool { return c.recover >= time.Second }, "must be at least 1s")
	fs.Check("grace", func() bool { return c.grace > 0 }, "must be positive")
	pos, err := parseArgs(fs, args, stdout, chaosUsage)
	if err != nil {
		return c, err
	}
	switch {
	case len(pos) != 1:
		return c, usageError(chaosUsage, "want one experiment, got %d arguments", len(pos))
	case pos[0] == "list":
		c.list = true
		return c, nil
	}
	if c.experiment, err = chaos.Parse(pos[0]); err != nil {
		return c, usageError(chaosUsage, "%v", err)
	}
	return c, nil
}

// runChaos is `bazaar chaos`: one experiment of the fault matrix against
// the running shop, under the standard workload, then `bazaar verify`.
// It exits 1 when a check fails.
func runChaos(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseChaos(args, stdout)
	if err != nil {
		return err
	}
	if c.list {
		for _, e := range chaos.Matrix() {
			fmt.Fprintln(stdout, e.Name())
		}
		return nil
	}
	ctl, err := openShop(c.data)
	if err != nil {
		return err
	}
	target, err := storefrontURL(loadConfig{data: c.data})
	if err != nil {
		return err
	}
	workers := c.workers
	if c.experiment.Kind == chaos.Overload {
		workers *= 8 // an open-loop overload needs the shoppers to arrive
	}
	shop, err := load.NewShop(ctx, target, workers, c.seed)
	if err != nil {
		return err
	}
	if c.experiment.Kind == chaos.Overload && c.capacity == 0 {
		if c.capacity, err = measureCapacity(ctx, shop, c, stderr); err != nil {
			return err
		}
	}
	out, err := chaos.Run(ctx, chaos.NewLocalShop(ctl, c.data), shop, c.experiment, chaos.Options{
		Rate: c.rate, Workers: workers, Baseline: c.baseline, Fault: c.fault, Recover: c.recover,
		Capacity: c.capacity, Seed: c.seed, Progress: stderr,
		Verify: func(ctx context.Context) ([]string, error) { return verifyShop(ctx, c.data, c.grace) },
	})
	if err != nil {
		return err
	}
	if err := out.WriteText(stdout); err != nil {
		return err
	}
	if c.jsonPath != "" {
		if err := writeFile(c.jsonPath, out.WriteJSON); err != nil {
			return err
		}
	}
	if c.svgPath != "" {
		series, marks := timeline(out, c.experiment)
		if err := writeFile(c.svgPath, func(w io.Writer) error { return load.WriteSVG(w, series, marks) }); err != nil {
			return err
		}
	}
	if !out.Passed() {
		return &verify.ExitError{Code: 1, Err: fmt.Errorf("%s: a check failed (see above)", c.experiment.Name())}
	}
	return nil
}

// measureCapacity finds the highest rate the shop sustains (p99 <= 50 ms,
// errors < 0.1%) with a short doubling sweep.
func measureCapacity(ctx context.Context, shop *load.Shop, c chaosConfig, progress io.Writer) (float64, error) {
	mix, err := load.NewMix(load.StandardMix())
	if err != nil {
		return 0, err
	}
	var rates []float64
	for r := c.rate; r <= 3200; r *= 2 {
		rates = append(rates, r)
	}
	fmt.Fprintf(progress, "measuring capacity: sweep %v ops/s, 3s each\n", rates)
	rows, err := load.Sweep(ctx, shop, mix, load.Options{Duration: 3 * time.Second, Workers: c.workers * 8, Seed: c.seed,
		Groups: []load.Group{load.ExceptSignIn()}}, rates)
	if err != nil {
		return 0, fmt.Errorf("measure capacity: %w", err)
	}
	// Sign-in's password hashing sets the whole mix's p99 long before the
	// shop runs out of capacity; judged on it, "3x capacity" is a load
	// the shop serves without shedding.
	best, ok := load.BestRateExceptSignIn(rows)
	if !ok {
		best, ok = load.BestRate(rows)
	}
	if !ok {
		return 0, errors.New("measure capacity: the shop sustains none of the sweep's rates; give -capacity")
	}
	fmt.Fprintf(progress, "capacity: %.0f ops/s; overload at %dx\n", best, chaos.OverloadFactor)
	return best, nil
}

// verifyShop runs the invariants of `bazaar verify` and returns the
// violations found.
func verifyShop(ctx context.Context, data string, grace time.Duration) ([]string, error) {
	creds, err := operatorCredentials(data)
	if err != nil {
		return nil, err
	}
	clients, closeAll, err := verify.Dial(supervisor.RegistryPath(data), creds)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	rep, err := verify.Run(ctx, clients, verify.Options{Grace: grace, Wait: grace + 30*time.Second})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range rep.Violations() {
		out = append(out, fmt.Sprintf("%s %s: %s", v.Invariant, v.Subject, v.Detail))
	}
	return out, nil
}

// timeline joins an outcome's three phases into one series for the chart,
// and the window of the fault.
func timeline(out *chaos.Outcome, e chaos.Experiment) (*load.Result, []load.Mark) {
	r := &load.Result{Rate: out.Baseline.Rate}
	var t int
	for _, p := range []*load.Result{out.Baseline, out.During, out.After} {
		for _, s := range p.Series {
			s.T = t
			r.Series = append(r.Series, s)
			t++
		}
		r.DurationSeconds += p.DurationSeconds
	}
	start := float64(len(out.Baseline.Series))
	end := start + float64(len(out.During.Series))
	if e.Kind == chaos.Kill {
		end = start + 1 // the kill is an instant; its aftermath shows as it is
	}
	return r, []load.Mark{{Start: start, End: end}}
}
