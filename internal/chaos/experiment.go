// Package chaos runs Bazaar's fault experiments against a running shop:
// each one measures the standard workload before a fault (the baseline),
// during it and after it, checks what must hold (journeys that do not need
// the faulty component keep their success rate and latency, the shop is
// back to its baseline soon after the fault ends, and the order flow's
// invariants hold), and prints the measured outcome. The fault matrix of
// docs/resilience.md is the list of Matrix.
package chaos

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bazaar-shop/bazaar/internal/load"
)

// Kind is what an experiment does to the shop.
type Kind string

// The kinds of fault.
const (
	// Kill kill -9s a service (or the event bus): every instance, or one
	// when it runs several (see Experiment.Instance); the supervisor
	// restarts them.
	Kill Kind = "kill"
	// Pause stops a service's processes (SIGSTOP) for the fault window,
	// then continues them (SIGCONT): a hang, not a crash. Like Kill, it
	// hits one instance of a service that runs several.
	Pause Kind = "pause"
	// Latency adds 200 ms to every call from one service to another.
	Latency Kind = "latency"
	// Blackhole makes calls from one service to another go unanswered
	// until their deadline.
	Blackhole Kind = "blackhole"
	// Errors makes a service answer 30% of one caller's calls with
	// UNAVAILABLE: the retry storm experiment.
	Errors Kind = "errors"
	// DiskFull fills the file system of a service's data directory.
	DiskFull Kind = "disk-full"
	// Overload drives the shop at three times its measured capacity.
	Overload Kind = "overload"
)

// Experiment is one row of the fault matrix.
type Experiment struct {
	// Kind is the fault.
	Kind Kind `json:"kind"`
	// Service is the faulty component (Kill, Pause, DiskFull), or the
	// callee of a faulty call path (Latency, Blackhole, Errors).
	Service string `json:"service,omitempty"`
	// From is the caller of a faulty call path.
	From string `json:"from,omitempty"`
	// Instance, for Kill and Pause, is the one instance hit when the
	// component runs several ("storefront-1"): Run picks it. A fault of
	// one replica of several is what a balancer in front of them must
	// hide: no journey needs that instance. Empty: every instance.
	Instance string `json:"instance,omitempty"`
}

// Name is the experiment as `bazaar chaos` takes it: "kill:orders",
// "latency:storefront->pricing", "overload".
func (e Experiment) Name() string {
	switch {
	case e.Kind == Overload:
		return string(e.Kind)
	case e.From != "":
		return fmt.Sprintf("%s:%s->%s", e.Kind, e.From, e.Service)
	}
	return fmt.Sprintf("%s:%s", e.Kind, e.Service)
}

// components are the processes of a local shop an experiment can target:
// the services and the event bus.
func components() []string {
	return []string{
		"storefront", "accounts", "catalog", "pricing", "cart", "inventory",
		"orders", "payment", "shipping", "notifications", "recommendations", "nats",
	}
}

// callPaths returns the services caller calls synchronously (BLUEPRINT
// §2): the paths that path faults apply to.
func callPaths(caller string) []string {
	return map[string][]string{
		"storefront":      {"accounts", "catalog", "pricing", "cart", "inventory", "orders", "recommendations", "notifications", "shipping"},
		"orders":          {"catalog", "pricing", "shipping", "inventory", "payment"},
		"cart":            {"catalog"},
		"recommendations": {"catalog"},
	}[caller]
}

// Parse reads an experiment name (see Name).
func Parse(name string) (Experiment, error) {
	kind, target, _ := strings.Cut(strings.TrimSpace(name), ":")
	e := Experiment{Kind: Kind(kind)}
	switch e.Kind {
	case Overload:
		if target != "" {
			return e, fmt.Errorf("experiment %q: overload takes no target", name)
		}
		return e, nil
	case Kill, Pause, DiskFull:
		e.Service = target
		if !slices.Contains(components(), target) {
			return e, fmt.Errorf("experiment %q: unknown component %q (want one of %s)", name, target, strings.Join(components(), ", "))
		}
		if e.Kind == DiskFull && target == "storefront" {
			return e, fmt.Errorf("experiment %q: the storefront keeps no data", name)
		}
		return e, nil
	case Latency, Blackhole, Errors:
		from, to, ok := strings.Cut(target, "->")
		if !ok {
			return e, fmt.Errorf("experiment %q: want %s:FROM->TO", name, kind)
		}
		e.From, e.Service = strings.TrimSpace(from), strings.TrimSpace(to)
		if !slices.Contains(callPaths(e.From), e.Service) {
			return e, fmt.Errorf("experiment %q: %s does not call %s", name, e.From, e.Service)
		}
		return e, nil
	}
	return e, fmt.Errorf("experiment %q: unknown kind %q (want kill, pause, latency, blackhole, errors, disk-full or overload)", name, kind)
}

// Matrix is the fault matrix of docs/resilience.md: kill -9 of every
// component, a 10 s pause of each service, latency and a blackhole
// between the storefront and each dependency and between orders and
// payment, a retry storm on the busiest paths, a full disk under orders,
// and overload.
func Matrix() []Experiment {
	var m []Experiment
	for _, c := range components() {
		m = append(m, Experiment{Kind: Kill, Service: c})
	}
	for _, c := range components() {
		m = append(m, Experiment{Kind: Pause, Service: c})
	}
	paths := []Experiment{{From: "orders", Service: "payment"}}
	for _, to := range callPaths("storefront") {
		paths = append(paths, Experiment{From: "storefront", Service: to})
	}
	for _, k := range []Kind{Latency, Blackhole} {
		for _, p := range paths {
			m = append(m, Experiment{Kind: k, From: p.From, Service: p.Service})
		}
	}
	m = append(m,
		Experiment{Kind: Errors, From: "storefront", Service: "catalog"},
		Experiment{Kind: Errors, From: "orders", Service: "payment"},
		Experiment{Kind: DiskFull, Service: "orders"},
		Experiment{Kind: Overload},
	)
	return m
}

// needs lists, per component, the journeys of the standard workload that
// cannot complete without it (the written degradations of
// docs/architecture.md). Catalog answers come from the storefront's
// stale-while-error cache, but cart checks a product before adding it and
// orders prices the order from the catalog. Inventory, payment, shipping
// and the bus delay an order, they do not fail it.
func needs(component string) []load.Op {
	switch component {
	case "storefront":
		return allJourneys()
	case "accounts":
		return []load.Op{load.OpSignIn}
	case "catalog":
		return []load.Op{load.OpAddToCart, load.OpCheckout}
	case "pricing":
		return []load.Op{load.OpCheckout}
	case "cart":
		return []load.Op{load.OpAddToCart, load.OpViewCart, load.OpCheckout}
	case "orders":
		return []load.Op{load.OpCheckout}
	}
	return nil
}

// touches lists, per service, the journeys that call it on their way
// (directly from the storefront or further down, synchronously): they may
// be slower, or degraded, while it is faulty. A journey that does not touch
// a service must not notice it at all.
func touches(service string) []load.Op {
	switch service {
	case "storefront":
		return allJourneys()
	case "catalog":
		return []load.Op{load.OpHome, load.OpCurrency, load.OpProduct, load.OpAddToCart, load.OpViewCart, load.OpCheckout, load.OpSearch}
	case "pricing":
		// Add-to-cart answers with the cart priced in the shopper's
		// currency; the matrix's pause of pricing showed it waiting on
		// the conversion's deadline.
		return []load.Op{load.OpHome, load.OpCurrency, load.OpProduct, load.OpAddToCart, load.OpViewCart, load.OpCheckout, load.OpSearch}
	case "accounts":
		return []load.Op{load.OpSignIn, load.OpCheckout}
	case "cart":
		// Sign-in moves the guest cart into the user's (MergeCarts); the
		// matrix's pause of cart showed sign-ins waiting on it.
		return allJourneys()
	case "inventory", "recommendations":
		return []load.Op{load.OpProduct}
	case "orders", "shipping":
		return []load.Op{load.OpCheckout}
	}
	return nil // payment, notifications and the bus are off every journey's path
}

func allJourneys() []load.Op {
	var ops []load.Op
	for _, w := range load.StandardMix() {
		ops = append(ops, w.Op)
	}
	return ops
}

// The groups each experiment's workload is split into.
const (
	// groupIndependent: journeys that do not touch the faulty component.
	// They must keep >= 99.9% success and p99 <= 2x the baseline.
	groupIndependent = "independent"
	// groupDegraded: journeys that touch it but can do without it (a
	// fallback, a stale copy, an order left pending). They must keep
	// >= 99.9% success; they may be slower, up to the dependency's
	// deadline.
	groupDegraded = "degraded"
	// groupDependent: journeys that cannot complete without it. They must
	// fail fast, with a clear answer, or complete later.
	groupDependent = "dependent"
)

// Groups splits the standard workload by how the experiment's fault may
// affect each journey.
func (e Experiment) Groups() []load.Group {
	var dependent, touched []load.Op
	switch e.Kind {
	case Overload:
		return []load.Group{
			{Name: groupCritical, Ops: []load.Op{load.OpCheckout}},
			{Name: groupBrowsing, Ops: without(allJourneys(), load.OpCheckout)},
		}
	case Latency:
		touched = touchedBy(e)
	case DiskFull:
		dependent, touched = writers(e.Service), writers(e.Service)
	default:
		// Orders' calls to payment only delay orders; the other replicas
		// of a service stand in for one that is down or hung.
		if e.From != "orders" && e.Instance == "" {
			dependent = needs(e.Service)
		}
		touched = touchedBy(e)
	}
	var degraded, independent []load.Op
	for _, op := range allJourneys() {
		switch {
		case slices.Contains(dependent, op):
		case slices.Contains(touched, op):
			degraded = append(degraded, op)
		default:
			independent = append(independent, op)
		}
	}
	return []load.Group{
		{Name: groupIndependent, Ops: independent},
		{Name: groupDegraded, Ops: degraded},
		{Name: groupDependent, Ops: dependent},
	}
}

// The groups of the overload experiment.
const (
	groupCritical = "critical"
	groupBrowsing = "browsing"
)

// touchedBy is the journeys a fault on e's component or call path reaches.
func touchedBy(e Experiment) []load.Op {
	if e.From == "orders" {
		return touches("orders")
	}
	return touches(e.Service)
}

// writers is the journeys that write to a service's database.
func writers(service string) []load.Op {
	if service == "orders" {
		return []load.Op{load.OpCheckout}
	}
	return needs(service)
}

func without(ops []load.Op, drop load.Op) []load.Op {
	return slices.DeleteFunc(slices.Clone(ops), func(o load.Op) bool { return o == drop })
}
