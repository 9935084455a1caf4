package storefront

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the per-client rate limit (Config.RateLimit, RateBurst,
// RateClients). They are sized so that one machine's `bazaar load` (many
// virtual shoppers, one address) is not throttled; a public deployment
// lowers them.
const (
	DefaultRateLimit   = 100    // requests per second per client
	DefaultRateBurst   = 400    // requests a client may send at once
	DefaultRateClients = 20_000 // clients tracked; the least recently seen is forgotten
)

// clientLimiter is a token bucket per client key, holding at most max
// buckets: the least recently used is dropped (and starts full when that
// client returns), so memory stays bounded whatever the number of
// clients.
type clientLimiter struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	order   *list.List // of *clientBucket, most recently used first
	buckets map[string]*list.Element
}

// clientBucket is one client's token bucket.
type clientBucket struct {
	key string
	lim *rate.Limiter
}

func newClientLimiter(perSecond float64, burst, maxClients int, now func() time.Time) *clientLimiter {
	return &clientLimiter{
		limit: rate.Limit(perSecond), burst: burst, max: maxClients, now: now,
		order: list.New(), buckets: make(map[string]*list.Element),
	}
}

// allow takes a token from key's bucket. When there is none it returns
// false and how long until there will be one.
func (l *clientLimiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	lim := l.bucket(key)
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bucket returns key's bucket, creating it (and forgetting the least
// recently used one when full).
func (l *clientLimiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.buckets[key]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*clientBucket).lim
	}
	if l.order.Len() >= l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.buckets, oldest.Value.(*clientBucket).key)
	}
	b := &clientBucket{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
	l.buckets[key] = l.order.PushFront(b)
	return b.lim
}

// size is the number of clients tracked.
func (l *clientLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// rateKey is the client a request is counted against: its signed session
// when it carries a valid one (each virtual shopper of a load test, each
// browser), else its remote IP address. New sessions are minted only for
// requests without one, so minting is limited per address. The address is
// the TCP peer's: X-Forwarded-For is not trusted, as nothing says which
// proxy set it.
func (s *Storefront) rateKey(r *http.Request) string {
	if sess, ok := s.readSession(r); ok {
		return "s:" + sess.ID
	}
	return "ip:" + clientIP(r)
}

// clientIP is the IP address of r's TCP peer.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimited refuses a client's requests beyond its rate with 429 and
// Retry-After (whole seconds, at least 1), as JSON under /api/ and as a
// page elsewhere. Health probes are never limited.
func (s *Storefront) rateLimited(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := s.limiter.allow(s.rateKey(r))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		f := failure{http.StatusTooManyRequests, "rate_limited", "Too many requests. Please slow down and try again in a moment."}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.writeAPIError(w, r, f)
			return
		}
		s.renderFailure(w, r, f)
	})
}
