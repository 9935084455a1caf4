package console

import (
	"cmp"
	"slices"
	"time"

	"github.com/bazaar-shop/bazaar/internal/observe"
)

// sparkWindow is the history the overview's sparklines show.
const sparkWindow = 2 * time.Minute

// series is a time series in parallel arrays, compact for charts.
type series struct {
	T          []int64   `json:"t"` // unix milliseconds
	Rate       []float64 `json:"rate"`
	ErrorRatio []float64 `json:"error_ratio"`
	P50        []float64 `json:"p50_ms"`
	P99        []float64 `json:"p99_ms"`
	CPU        []float64 `json:"cpu"`
	RSS        []float64 `json:"rss_bytes"`
}

func toSeries(pts []observe.Point) series {
	s := series{
		T: make([]int64, len(pts)), Rate: make([]float64, len(pts)), ErrorRatio: make([]float64, len(pts)),
		P50: make([]float64, len(pts)), P99: make([]float64, len(pts)), CPU: make([]float64, len(pts)), RSS: make([]float64, len(pts)),
	}
	for i, p := range pts {
		s.T[i], s.Rate[i], s.ErrorRatio[i] = p.Time.UnixMilli(), p.Rate, p.ErrorRatio
		s.P50[i], s.P99[i], s.CPU[i], s.RSS[i] = p.P50, p.P99, p.CPU, p.RSS
	}
	return s
}

// instanceView is an instance with what the scraper knows of it.
type instanceView struct {
	InstanceInfo
	UptimeSeconds float64                `json:"uptime_s"`
	Scrape        *observe.InstanceStats `json:"scrape,omitempty"`
}

// serviceView is a service with its instances and signals.
type serviceView struct {
	Name string `json:"name"`
	// Kind is "service" or "bus" (the event bus, which does not scale).
	Kind string `json:"kind"`
	// Layer is the service's depth in the topology (for ordering).
	Layer int `json:"layer"`
	// Health is "ok" (every instance ready), "degraded" (some), "down"
	// (none) or "stopped" (no instance).
	Health   string `json:"health"`
	Ready    int    `json:"ready"`
	Total    int    `json:"total"`
	Version  string `json:"version"` // "mixed" when the instances differ
	Restarts int    `json:"restarts"`
	// Measured reports whether Signals hold a measurement.
	Measured  bool           `json:"measured"`
	Signals   observe.Point  `json:"signals"`
	Series    series         `json:"series"`
	Instances []instanceView `json:"instances"`
}

// overview is the state of the whole shop.
type overview struct {
	Time     time.Time     `json:"time"`
	Services []serviceView `json:"services"`
	Actions  []Action      `json:"actions"`
	Faults   int           `json:"faults"`
}

// instances returns the operator's instances by id, with versions filled
// from the logs when the operator has none, and remembers their services.
func (c *Console) instances() []InstanceInfo {
	list := slices.Clone(c.cfg.Operator.Instances())
	for i := range list {
		if list[i].Version == "" {
			list[i].Version = c.cfg.Logs.Version(list[i].ID)
		}
	}
	slices.SortFunc(list, func(a, b InstanceInfo) int { return cmp.Compare(a.ID, b.ID) })
	c.mu.Lock()
	for _, in := range list {
		c.known[in.Service] = true
	}
	c.mu.Unlock()
	return list
}

// services lists every service known, with its instances.
func (c *Console) services(withSeries bool) []serviceView {
	now := c.cfg.Now()
	byService := map[string][]InstanceInfo{}
	for _, in := range c.instances() {
		byService[in.Service] = append(byService[in.Service], in)
	}
	layers, kinds := map[string]int{}, map[string]string{}
	for _, n := range c.cfg.Metrics.Topology().Nodes {
		layers[n.Name], kinds[n.Name] = n.Layer, n.Kind
	}
	c.mu.Lock()
	names := make([]string, 0, len(c.known))
	for n := range c.known {
		names = append(names, n)
	}
	c.mu.Unlock()

	out := make([]serviceView, 0, len(names))
	for _, name := range names {
		v := serviceView{Name: name, Kind: cmp.Or(kinds[name], "service"), Layer: cmp.Or(layers[name], 2), Instances: []instanceView{}}
		for _, in := range byService[name] {
			iv := instanceView{InstanceInfo: in, UptimeSeconds: now.Sub(in.Started).Seconds()}
			if st, ok := c.cfg.Metrics.Instance(in.ID); ok {
				iv.Scrape = &st
			}
			v.Instances = append(v.Instances, iv)
			v.Total++
			v.Restarts += in.Restarts
			if in.Ready {
				v.Ready++
			}
			switch {
			case v.Version == "":
				v.Version = in.Version
			case in.Version != "" && in.Version != v.Version:
				v.Version = "mixed"
			}
		}
		v.Health = health(v.Ready, v.Total)
		v.Signals, v.Measured = c.cfg.Metrics.Current(name)
		if withSeries {
			v.Series = toSeries(c.cfg.Metrics.Series(name, now.Add(-sparkWindow)))
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b serviceView) int { return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Name, b.Name)) })
	return out
}

func health(ready, total int) string {
	switch {
	case total == 0:
		return "stopped"
	case ready == total:
		return "ok"
	case ready == 0:
		return "down"
	}
	return "degraded"
}

func (c *Console) overview() overview {
	return overview{
		Time:     c.cfg.Now(),
		Services: c.services(true),
		Actions:  c.actions.recent(),
		Faults:   len(c.cfg.Operator.Faults()),
	}
}

// serviceNames lists the known services, sorted.
func (c *Console) serviceNames() []string {
	c.instances()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.known))
	for n := range c.known {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
