package load

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1µs to 60s at 3 significant digits.
const (
	histMinMicros = 1
	histMaxMicros = 60_000_000
	histSigFigs   = 3
	// maxErrorMessages is how many error messages each operation keeps.
	maxErrorMessages = 5
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs)
}

// record adds a latency to h, clamped to the histogram's range.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	us = max(us, histMinMicros)
	us = min(us, histMaxMicros)
	_ = h.RecordValue(us) // in range by construction
}

// opStats is what is known of one operation so far.
type opStats struct {
	hist   *hdrhistogram.Histogram
	count  int64
	errors int64
	msgs   []string
}

// secondStats is what is known of the operations intended to start in one
// second of the run.
type secondStats struct {
	hist   *hdrhistogram.Histogram
	count  int64
	errors int64
}

// groupStats is what is known of one Group so far.
type groupStats struct {
	name    string
	members [numOps]bool
	hist    *hdrhistogram.Histogram
	count   int64
	errors  int64
}

// collector gathers the outcomes of a run; it is safe for concurrent use.
type collector struct {
	mu      sync.Mutex
	start   time.Time
	ops     [numOps]*opStats
	seconds []*secondStats
	groups  []*groupStats
	all     *hdrhistogram.Histogram
	late    int64
	last    time.Time
}

func newCollector(start time.Time, groups []Group) *collector {
	c := &collector{start: start, all: newHistogram(), last: start}
	for i := range c.ops {
		c.ops[i] = &opStats{hist: newHistogram()}
	}
	for _, g := range groups {
		gs := &groupStats{name: g.Name, hist: newHistogram()}
		for _, op := range g.Ops {
			if op >= 0 && op < numOps {
				gs.members[op] = true
			}
		}
		c.groups = append(c.groups, gs)
	}
	return c
}

// add records one operation intended to start at intended, which ended at
// end with err (nil for success), and whether it started late.
func (c *collector) add(op Op, intended, end time.Time, err error, late bool) {
	d := end.Sub(intended)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.ops[op]
	s.count++
	record(s.hist, d)
	record(c.all, d)
	sec := int(intended.Sub(c.start) / time.Second)
	for len(c.seconds) <= sec {
		c.seconds = append(c.seconds, &secondStats{hist: newHistogram()})
	}
	ss := c.seconds[sec]
	ss.count++
	record(ss.hist, d)
	for _, g := range c.groups {
		if g.members[op] {
			g.count++
			record(g.hist, d)
			if err != nil {
				g.errors++
			}
		}
	}
	if err != nil {
		s.errors++
		ss.errors++
		if len(s.msgs) < maxErrorMessages {
			s.msgs = append(s.msgs, err.Error())
		}
	}
	if late {
		c.late++
	}
	if end.After(c.last) {
		c.last = end
	}
}

// progress returns the totals so far: operations, errors and p99.
func (c *collector) progress() (count, errors int64, p99 time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.ops {
		count += s.count
		errors += s.errors
	}
	return count, errors, micros(c.all.ValueAtQuantile(99))
}

func micros(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// ms converts a histogram value in microseconds to milliseconds.
func ms(v int64) float64 { return float64(v) / 1000 }

// result turns the collected outcomes into a Result.
func (c *collector) result(o Options) *Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Result{
		Rate:            o.Rate,
		DurationSeconds: o.Duration.Seconds(),
		Workers:         o.Workers,
		Late:            c.late,
	}
	total := Stats{Op: "total", Count: 0}
	for op, s := range c.ops {
		if s.count == 0 {
			continue
		}
		st := statsOf(Op(op).String(), s.hist, s.count, s.errors)
		st.FirstErrors = append([]string(nil), s.msgs...)
		r.Operations = append(r.Operations, st)
		total.Count += s.count
		total.Errors += s.errors
	}
	r.Total = statsOf("total", c.all, total.Count, total.Errors)
	for _, g := range c.groups {
		r.Groups = append(r.Groups, statsOf(g.name, g.hist, g.count, g.errors))
	}
	elapsed := max(c.last.Sub(c.start), o.Duration)
	r.ElapsedSeconds = elapsed.Seconds()
	if elapsed > 0 {
		r.Achieved = float64(total.Count) / elapsed.Seconds()
	}
	for i, s := range c.seconds {
		r.Series = append(r.Series, Second{
			T: i, Count: s.count, Errors: s.errors,
			P50Ms: ms(s.hist.ValueAtQuantile(50)), P99Ms: ms(s.hist.ValueAtQuantile(99)),
		})
	}
	return r
}

func statsOf(name string, h *hdrhistogram.Histogram, count, errors int64) Stats {
	return Stats{
		Op: name, Count: count, Errors: errors,
		P50Ms: ms(h.ValueAtQuantile(50)), P90Ms: ms(h.ValueAtQuantile(90)),
		P99Ms: ms(h.ValueAtQuantile(99)), P999Ms: ms(h.ValueAtQuantile(99.9)),
		MaxMs: ms(h.Max()),
	}
}
