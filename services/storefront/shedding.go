package storefront

import (
	"net/http"
	"strings"

	"github.com/bazaar-shop/bazaar/platform/resilience"
)

// routePriority is the priority of the requests to a route pattern. The
// purchase path is critical: putting something in the cart and checking
// out. Under overload it is shed last, and its calls carry the priority to
// every service behind it (cart, orders, and orders' catalog, pricing and
// shipping calls). A checkout needs its add-to-cart: the fault matrix's
// overload row saw checkouts fail as often as browsing while adding to
// the cart was shed as browsing.
func routePriority(pattern string) resilience.Priority {
	switch pattern {
	case "POST /checkout", "/api/v1/checkout", "POST /cart/items", "/api/v1/cart/items":
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
