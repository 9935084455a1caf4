package storefront

import (
	"net/http"
	"strings"

	"github.com/bazaar-shop/bazaar/platform/resilience"
)

// routePriority is the priority of the requests to a route pattern. The
// routes that take money or make an order are critical: under overload
// they are shed last, and their calls carry the priority to every service
// behind them (orders, and its catalog, pricing and shipping calls).
func routePriority(pattern string) resilience.Priority {
	switch pattern {
	case "POST /checkout", "/api/v1/checkout":
		return resilience.Critical
	default:
		return resilience.Default
	}
}

// admit wraps a route's handler: its requests carry the route's priority,
// and when the storefront is overloaded (Deps.Shedder) a request beyond
// its capacity is refused before any work with 503 and Retry-After.
// Static files, images and health probes are not wrapped: they are cheap,
// and a shed probe would take a healthy replica out of its balancer.
func (s *Storefront) admit(pattern string, h http.Handler) http.Handler {
	if s.deps.Shedder != nil {
		h = resilience.ShedHTTP(s.deps.Shedder, nil, s.refuseOverloaded, h)
	}
	if p := routePriority(pattern); p != resilience.Default {
		h = withPriority(p, h) // outside: ShedHTTP reads it
	}
	return h
}

// withPriority gives the request's context priority p.
func withPriority(p resilience.Priority, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(resilience.WithPriority(r.Context(), p)))
	})
}

// refuseOverloaded answers a shed request: 503, Retry-After 1 s, as JSON
// under /api/ and as a page elsewhere.
func (s *Storefront) refuseOverloaded(w http.ResponseWriter, r *http.Request, err error) {
	s.log.DebugContext(r.Context(), "request shed", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "1")
	f := failure{http.StatusServiceUnavailable, "overloaded", "The shop is very busy right now. Please try again in a moment."}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeAPIError(w, r, f)
		return
	}
	s.renderFailure(w, r, f)
}
