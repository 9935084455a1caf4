package observe

import (
	"cmp"
	"slices"
)

// EdgeNode is the topology node standing for the shop's clients (browsers,
// the load generator), upstream of the edge services.
const EdgeNode = "edge"

// maxLayer bounds the depth of the layered layout (and ends the layering
// of call cycles).
const maxLayer = 8

// Topology is who calls whom now, with the traffic of each call.
type Topology struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is a service, the event bus, or the clients.
type Node struct {
	Name string `json:"name"`
	// Kind is "edge" (the clients), "service" or "bus".
	Kind string `json:"kind"`
	// Layer orders the nodes from the clients (0) down the call chain to
	// the bus (last): a callee is below its deepest caller.
	Layer int `json:"layer"`
	// Signals are the node's current golden signals; for the bus, Rate is
	// the events published per second.
	Signals Point `json:"signals"`
}

// Edge is traffic from one node to another over the last few scrapes.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Kind is "http", "grpc" or "event".
	Kind string `json:"kind"`
	// Rate is calls (or events) per second, ErrorRatio the failed share
	// (0..1), P99 the 99th percentile latency in milliseconds (0 without
	// traffic).
	Rate       float64 `json:"rate"`
	ErrorRatio float64 `json:"error_ratio"`
	P99        float64 `json:"p99_ms"`
}

// Topology returns the current topology: every service scraped or seen
// in a call, and every edge measured in the last few scrapes.
func (s *Scraper) Topology() Topology {
	s.mu.Lock()
	defer s.mu.Unlock()
	var topo Topology
	keys := map[EdgeKey]bool{}
	for _, t := range s.recent {
		for k := range t.edges {
			keys[k] = true
		}
	}
	for k := range keys {
		p, _ := s.smoothed(func(t tick) *accum { return t.edges[k] })
		topo.Edges = append(topo.Edges, Edge{From: k.From, To: k.To, Kind: k.Kind, Rate: p.Rate, ErrorRatio: p.ErrorRatio, P99: p.P99})
	}
	slices.SortFunc(topo.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Kind, b.Kind))
	})
	topo.Nodes = s.nodes(topo.Edges)
	return topo
}

// nodes lists and layers the nodes of edges and of the targets; s.mu is
// held.
func (s *Scraper) nodes(edges []Edge) []Node {
	kinds := map[string]string{}
	public := map[string]bool{}
	for _, t := range s.targets {
		kinds[t.Service] = "service"
		if t.Public {
			public[t.Service] = true
		}
	}
	for _, e := range edges {
		for _, n := range []string{e.From, e.To} {
			if kinds[n] == "" {
				kinds[n] = "service"
			}
		}
		if e.Kind == "http" {
			public[e.To] = true
		}
	}
	if len(public) > 0 {
		kinds[EdgeNode] = "edge"
	}
	if _, ok := kinds[s.cfg.Bus]; ok {
		kinds[s.cfg.Bus] = "bus"
	}
	layers := layer(kinds, public, edges)
	out := make([]Node, 0, len(kinds))
	for name, kind := range kinds {
		n := Node{Name: name, Kind: kind, Layer: layers[name]}
		n.Signals, _ = s.smoothed(func(t tick) *accum { return t.services[name] })
		if kind == "bus" {
			n.Signals.Rate = s.publishRate()
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b Node) int { return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Name, b.Name)) })
	return out
}

// publishRate is the events published per second by all services,
// averaged over the recent ticks that measured anything; s.mu is held.
func (s *Scraper) publishRate() float64 {
	sum, n := 0.0, 0
	for _, t := range s.recent {
		if len(t.services) == 0 {
			continue
		}
		n++
		for _, r := range t.published {
			sum += r
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// layer places the clients at 0, public services at 1, every other service
// one below its deepest gRPC caller (at least 2), and the bus below all.
func layer(kinds map[string]string, public map[string]bool, edges []Edge) map[string]int {
	layers := map[string]int{}
	for n, k := range kinds {
		switch {
		case k == "edge":
			layers[n] = 0
		case public[n]:
			layers[n] = 1
		case k == "service":
			layers[n] = 2
		}
	}
	for range kinds {
		changed := false
		for _, e := range edges {
			if e.Kind != "grpc" || e.From == e.To || kinds[e.To] != "service" || public[e.To] {
				continue
			}
			if want := min(layers[e.From]+1, maxLayer); want > layers[e.To] {
				layers[e.To] = want
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	deepest := 1
	for _, l := range layers {
		deepest = max(deepest, l)
	}
	for n, k := range kinds {
		if k == "bus" {
			layers[n] = deepest + 1
		}
	}
	return layers
}
