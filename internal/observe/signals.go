package observe

import (
	"errors"
	"math"
	"slices"
	"time"
)

// Point is the golden signals of one service over one scrape interval (or,
// from Current, over the last few).
type Point struct {
	Time time.Time `json:"t"`
	// Rate is requests served per second, ErrorRate the failed ones
	// (gRPC codes other than OK, HTTP 5xx), ErrorRatio their share (0..1).
	Rate       float64 `json:"rate"`
	ErrorRate  float64 `json:"error_rate"`
	ErrorRatio float64 `json:"error_ratio"`
	// P50 and P99 are latency quantiles in milliseconds, from the
	// histogram buckets filled during the interval; 0 without requests.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	// CPU is in cores, RSS in bytes, summed over the instances.
	CPU float64 `json:"cpu"`
	RSS float64 `json:"rss_bytes"`
	// Instances is how many instances were measured.
	Instances int `json:"instances"`
}

// EdgeKey names one edge of the topology.
type EdgeKey struct {
	From, To string
	// Kind is "http" (clients to an edge service), "grpc" or "event"
	// (producer to consumer).
	Kind string
}

// tick is what one scrape measured, by service and by edge.
type tick struct {
	at        time.Time
	services  map[string]*accum
	edges     map[EdgeKey]*accum
	published map[string]float64 // events published per second, by producer
}

// accum sums the measures of several instances over one interval.
type accum struct {
	rate, errRate, cpu, rss float64
	latency                 histogram
	instances               int
}

func (a *accum) add(t traffic, dt float64) {
	a.rate += t.total / dt
	a.errRate += t.errors / dt
	a.latency = a.latency.plus(t.latency)
}

// point turns accumulated measures into a Point.
func (a *accum) point(at time.Time) Point {
	p := Point{Time: at, Rate: a.rate, ErrorRate: a.errRate, CPU: a.cpu, RSS: a.rss, Instances: a.instances}
	if a.rate > 0 {
		p.ErrorRatio = min(a.errRate/a.rate, 1)
	}
	p.P50 = millis(a.latency.quantile(0.5))
	p.P99 = millis(a.latency.quantile(0.99))
	return p
}

// millis converts seconds to milliseconds, NaN to 0.
func millis(sec float64) float64 {
	if math.IsNaN(sec) {
		return 0
	}
	return sec * 1000
}

// record folds one scrape's results into the state; s.mu is held.
func (s *Scraper) record(now time.Time, results []scrapeResult) {
	t := tick{at: now, services: map[string]*accum{}, edges: map[EdgeKey]*accum{}, published: map[string]float64{}}
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.target.Instance] = true
		st := s.instances[r.target.Instance]
		if st == nil {
			st = &instanceState{}
			s.instances[r.target.Instance] = st
		}
		st.target = r.target
		st.stats = InstanceStats{Instance: r.target.Instance, Service: r.target.Service, Scraped: now}
		if r.err != nil {
			st.stats.Error = r.err.Error()
			st.stats.NoMetrics = errors.Is(r.err, errNoMetrics)
			continue
		}
		st.stats.Up = true
		if dt := now.Sub(st.at).Seconds(); !st.at.IsZero() && dt > 0 {
			t.addInstance(r.target, r.sample.minus(st.last), dt, &st.stats)
		}
		st.last, st.at = r.sample, now
	}
	for id := range s.instances {
		if !seen[id] {
			delete(s.instances, id)
		}
	}
	s.appendTick(t)
}

// addInstance adds one instance's delta d over dt seconds to the tick.
func (t *tick) addInstance(target Target, d sample, dt float64, stats *InstanceStats) {
	svc := t.accum(target.Service)
	svc.add(d.served, dt)
	svc.cpu += d.cpu / dt
	svc.rss += d.rss
	svc.instances++
	*stats = InstanceStats{
		Instance: stats.Instance, Service: stats.Service, Up: true, Scraped: stats.Scraped,
		Rate: d.served.total / dt, ErrorRate: d.served.errors / dt, CPU: d.cpu / dt, RSS: d.rss,
	}
	if d.served.total > 0 {
		stats.ErrorRatio = d.served.errors / d.served.total
	}
	if target.Public || d.http.total > 0 {
		t.edge(EdgeKey{From: EdgeNode, To: target.Service, Kind: "http"}).add(d.http, dt)
	}
	for callee, tr := range d.calls {
		t.edge(EdgeKey{From: target.Service, To: callee, Kind: "grpc"}).add(tr, dt)
	}
	for producer, tr := range d.consumed {
		t.edge(EdgeKey{From: producer, To: target.Service, Kind: "event"}).add(tr, dt)
	}
	t.published[target.Service] += d.published / dt
}

func (t *tick) accum(service string) *accum {
	a := t.services[service]
	if a == nil {
		a = &accum{}
		t.services[service] = a
	}
	return a
}

func (t *tick) edge(k EdgeKey) *accum {
	a := t.edges[k]
	if a == nil {
		a = &accum{}
		t.edges[k] = a
	}
	return a
}

// appendTick adds a tick's points to the series and keeps it among the
// recent ticks; s.mu is held.
func (s *Scraper) appendTick(t tick) {
	cutoff := t.at.Add(-s.cfg.Window)
	for svc, a := range t.services {
		s.series[svc] = append(s.series[svc], a.point(t.at))
	}
	for svc, pts := range s.series {
		i := 0
		for i < len(pts) && pts[i].Time.Before(cutoff) {
			i++
		}
		switch {
		case i == len(pts):
			delete(s.series, svc)
		case i > 0:
			s.series[svc] = slices.Clone(pts[i:])
		}
	}
	s.recent = append(s.recent, t)
	if len(s.recent) > s.cfg.Smooth {
		s.recent = slices.Clone(s.recent[len(s.recent)-s.cfg.Smooth:])
	}
}

// Series returns the points of service since the given time, oldest first.
func (s *Scraper) Series(service string, since time.Time) []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	pts := s.series[service]
	i, _ := slices.BinarySearchFunc(pts, since, func(p Point, t time.Time) int { return p.Time.Compare(t) })
	return slices.Clone(pts[i:])
}

// Current returns the golden signals of service averaged over the last few
// scrapes, and whether any of them measured it.
func (s *Scraper) Current(service string) (Point, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.smoothed(func(t tick) *accum { return t.services[service] })
}

// smoothed averages the accumulators pick finds in the recent ticks; s.mu
// is held.
func (s *Scraper) smoothed(pick func(tick) *accum) (Point, bool) {
	var sum accum
	n := 0
	var at time.Time
	for _, t := range s.recent {
		a := pick(t)
		if a == nil {
			continue
		}
		n++
		at = t.at
		sum.rate += a.rate
		sum.errRate += a.errRate
		sum.cpu += a.cpu
		sum.rss += a.rss
		sum.instances += a.instances
		sum.latency = sum.latency.plus(a.latency)
	}
	if n == 0 {
		return Point{}, false
	}
	f := float64(n)
	avg := accum{rate: sum.rate / f, errRate: sum.errRate / f, cpu: sum.cpu / f, rss: sum.rss / f,
		instances: int(math.Round(float64(sum.instances) / f)), latency: sum.latency}
	return avg.point(at), true
}

// Services lists the services scraped or measured, sorted.
func (s *Scraper) Services() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := map[string]bool{}
	for _, t := range s.targets {
		set[t.Service] = true
	}
	for svc := range s.series {
		set[svc] = true
	}
	out := make([]string, 0, len(set))
	for svc := range set {
		out = append(out, svc)
	}
	slices.Sort(out)
	return out
}

// Instance returns the latest scrape of instance id.
func (s *Scraper) Instance(id string) (InstanceStats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.instances[id]
	if !ok {
		return InstanceStats{}, false
	}
	return st.stats, true
}
