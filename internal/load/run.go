package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

// LateAfter is how far behind its intended start an operation may begin
// before it counts as late (all workers were busy).
const LateAfter = 10 * time.Millisecond

// Doer performs operations; worker is the index (0..Workers-1) of the
// worker running it, so a Doer may keep per-worker state such as a
// shopper's cookie jar without locking.
type Doer interface {
	Do(ctx context.Context, worker int, op Op) error
}

// DoerFunc adapts a function to Doer.
type DoerFunc func(ctx context.Context, worker int, op Op) error

// Do calls f.
func (f DoerFunc) Do(ctx context.Context, worker int, op Op) error { return f(ctx, worker, op) }

// Options are the settings of one run.
type Options struct {
	// Rate is the arrival rate, operations per second.
	Rate float64
	// Duration is how long operations arrive.
	Duration time.Duration
	// Workers bounds how many operations run at once.
	Workers int
	// Seed makes the sequence of operations reproducible.
	Seed uint64
	// Progress, when not nil, gets a line every second.
	Progress io.Writer
	// Groups, when set, are sets of operations whose latencies are also
	// recorded together (Result.Groups), such as the journeys that do not
	// need a faulty service.
	Groups []Group
	// CPU, when set, reads the CPU time (seconds) the system under load
	// has used so far; Run reads it before and after to report
	// Result.CPUSeconds.
	CPU func() (float64, error)
}

// Group names a set of operations reported together.
type Group struct {
	Name string
	Ops  []Op
}

func (o Options) validate() error {
	switch {
	case o.Rate <= 0:
		return fmt.Errorf("rate %v: must be positive", o.Rate)
	case o.Duration <= 0:
		return fmt.Errorf("duration %v: must be positive", o.Duration)
	case o.Workers <= 0:
		return fmt.Errorf("workers %d: must be positive", o.Workers)
	}
	return nil
}

// job is one scheduled operation.
type job struct {
	op       Op
	intended time.Time
}

// Run drives d open-loop: operations drawn from mix arrive every 1/Rate
// seconds for Duration, each at its intended start time, and run on a pool
// of Workers. When every worker is busy an operation waits (it is never
// skipped) and its latency, measured from its intended start, includes
// the wait. Cancelling ctx stops arrivals; operations cut short by it are
// not recorded.
func Run(ctx context.Context, d Doer, mix *Mix, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("run load: %w", err)
	}
	cpu0, cpuErr := readCPU(o.CPU)
	start := time.Now()
	c := newCollector(start, o.Groups)
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, d, w, jobs, c)
		}()
	}
	stopProgress := startProgress(o.Progress, c, start)
	schedule(ctx, mix, o, start, jobs)
	close(jobs)
	wg.Wait()
	stopProgress()
	r := c.result(o)
	if cpu1, err := readCPU(o.CPU); o.CPU != nil && cpuErr == nil && err == nil {
		r.CPUSeconds = cpu1 - cpu0
		if r.Total.Count > 0 {
			r.CPUPer1000 = 1000 * r.CPUSeconds / float64(r.Total.Count)
		}
	}
	return r, nil
}

func readCPU(f func() (float64, error)) (float64, error) {
	if f == nil {
		return 0, nil
	}
	return f()
}

// schedule sends one job per arrival until Duration has passed or ctx is
// done. A send blocks while every worker is busy; the job keeps its
// intended start.
func schedule(ctx context.Context, mix *Mix, o Options, start time.Time, jobs chan<- job) {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	interval := float64(time.Second) / o.Rate
	n := int(o.Rate * o.Duration.Seconds())
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := range n {
		at := start.Add(time.Duration(float64(i) * interval))
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		select {
		case <-ctx.Done():
			return
		case jobs <- job{op: mix.Pick(rng), intended: at}:
		}
	}
}

// work runs jobs on behalf of worker w until jobs is closed.
func work(ctx context.Context, d Doer, w int, jobs <-chan job, c *collector) {
	for j := range jobs {
		began := time.Now()
		err := d.Do(ctx, w, j.op)
		end := time.Now()
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			continue
		}
		c.add(j.op, j.intended, end, err, began.Sub(j.intended) > LateAfter)
	}
}

// startProgress writes a line to w every second until the returned
// function is called; with a nil w it does nothing.
func startProgress(w io.Writer, c *collector, start time.Time) func() {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var prev int64
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				count, errs, p99 := c.progress()
				fmt.Fprintf(w, "%4.0fs  %6.1f ops/s  %d ops  %d errors  p99 %v\n",
					now.Sub(start).Seconds(), float64(count-prev), count, errs, p99)
				prev = count
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
