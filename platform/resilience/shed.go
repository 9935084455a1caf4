package resilience

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultMinLimit is the default ShedConfig.MinLimit. The fault matrix
// showed 8 too low: with the CPU busy elsewhere (eleven services and the
// load generator share two cores), a dependency's 300 ms timeout at
// 30 requests/s keeps 9 calls in flight, and the storefront shed
// add-to-cart while pricing restarted. A real queue under overload grows
// far past 32 within a fraction of a second.
const DefaultMinLimit = 32

// ShedConfig tunes a Shedder. Zero fields take the defaults shown.
type ShedConfig struct {
	// CPUThreshold is the utilisation at or above which the Shedder starts
	// to shed (default 0.8). Below it nothing is ever shed, so a slow
	// dependency (latency that costs no CPU here) never causes shedding.
	CPUThreshold float64
	// Window is how far back completions are remembered (default 1 s), in
	// Buckets slices (default 10).
	Window  time.Duration
	Buckets int
	// MinLimit is the lowest in-flight limit ever enforced (default
	// DefaultMinLimit), so a server that has just started is not starved
	// while it learns, and calls waiting on a slow dependency while the
	// machine is busy with other work are not mistaken for a queue.
	MinLimit int
	// CPU measures utilisation (default ProcCPU).
	CPU CPU
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// priorityShare is the share of the estimated in-flight capacity that
// calls of priority p may use while overloaded: sheddable work gets half of
// it, default work all of it, critical work twice as much, so under
// overload recommendations go first and checkout last.
func priorityShare(p Priority) float64 {
	switch p {
	case Sheddable:
		return 0.5
	case Critical:
		return 2
	default:
		return 1
	}
}

// shedCoolDown keeps the in-flight test on for this long after a shed, even
// if a CPU sample dips, so shedding does not flap every sample.
const shedCoolDown = time.Second

// Shedder is adaptive load shedding in the manner of the BBR limiter of
// Kratos (and of TCP BBR): the capacity of a server is estimated from what
// it has just done, by Little's law, as the most calls it completed in one
// bucket of the window times the shortest average latency of a bucket.
// While the CPU is saturated, a call that would put more calls in flight
// than that estimate (scaled by its priority's share) is refused at once,
// before any work: cheap, early, and never for a server that is merely
// waiting on a slow dependency.
type Shedder struct {
	cfg ShedConfig
	dur time.Duration // of one bucket

	mu       sync.Mutex
	inflight int
	buckets  []bucket
	cur      int // index of the bucket in progress
	lastShed time.Time
}

// bucket is what completed in one slice of the window.
type bucket struct {
	start  time.Time
	passed int64
	rtSum  time.Duration
}

// NewShedder returns a Shedder with cfg's zero fields defaulted.
func NewShedder(cfg ShedConfig) *Shedder {
	if cfg.CPUThreshold == 0 {
		cfg.CPUThreshold = 0.8
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	if cfg.Buckets <= 0 {
		cfg.Buckets = 10
	}
	if cfg.MinLimit <= 0 {
		cfg.MinLimit = DefaultMinLimit
	}
	if cfg.CPU == nil {
		cfg.CPU = NewProcCPU()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Shedder{cfg: cfg, dur: cfg.Window / time.Duration(cfg.Buckets), buckets: make([]bucket, cfg.Buckets)}
	s.buckets[0].start = cfg.Now()
	return s
}

// OverloadError is the refusal of a shed call.
type OverloadError struct {
	Priority Priority
	InFlight int
	Limit    int
}

// Error says what was refused and why.
func (e *OverloadError) Error() string {
	return fmt.Sprintf("overloaded: %s work refused with %d calls in flight (limit %d for this priority); retry later", e.Priority, e.InFlight, e.Limit)
}

// Admit decides whether a call of priority p may start. When it may, done
// must be called once the call ends; when not, the error is an
// *OverloadError and nothing was counted.
func (s *Shedder) Admit(p Priority) (done func(), err error) {
	start, err := s.admit(p)
	if err != nil {
		return nil, err
	}
	return func() { s.finish(start) }, nil
}

// admit is Admit without the done function (a closure to allocate): when
// it admits, it returns the call's start, and finish(start) must be
// called once the call ends.
func (s *Shedder) admit(p Priority) (start time.Time, err error) {
	now := s.cfg.Now()
	s.mu.Lock()
	s.roll(now)
	if s.overloaded(now) {
		limit := int(math.Ceil(float64(s.limit()) * priorityShare(p)))
		if s.inflight >= limit {
			s.lastShed = now
			n := s.inflight
			s.mu.Unlock()
			return time.Time{}, &OverloadError{Priority: p, InFlight: n, Limit: limit}
		}
	}
	s.inflight++
	s.mu.Unlock()
	return now, nil
}

// overloaded reports whether the in-flight test applies now. Caller holds mu.
func (s *Shedder) overloaded(now time.Time) bool {
	if !s.lastShed.IsZero() && now.Sub(s.lastShed) < shedCoolDown {
		return true
	}
	return s.cfg.CPU.Usage() >= s.cfg.CPUThreshold
}

// finish records a call that started at start. It is the only place
// completions are counted, so refused calls never raise the estimate.
func (s *Shedder) finish(start time.Time) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
	s.roll(now)
	b := &s.buckets[s.cur]
	b.passed++
	b.rtSum += now.Sub(start)
}

// roll moves the bucket in progress forward to now, clearing buckets that
// fell out of the window. Caller holds mu.
func (s *Shedder) roll(now time.Time) {
	start := s.buckets[s.cur].start
	steps := int(now.Sub(start) / s.dur)
	if steps <= 0 {
		return
	}
	steps = min(steps, len(s.buckets))
	for range steps {
		s.cur = (s.cur + 1) % len(s.buckets)
		s.buckets[s.cur] = bucket{}
	}
	// Align to the grid so buckets keep their length.
	s.buckets[s.cur].start = start.Add(now.Sub(start) / s.dur * s.dur)
}

// limit is the estimated in-flight capacity: max completions of a finished
// bucket times the least average latency of one, over the bucket length.
// Caller holds mu.
func (s *Shedder) limit() int {
	var maxPass int64
	minRT := time.Duration(math.MaxInt64)
	for i, b := range s.buckets {
		if i == s.cur || b.passed == 0 {
			continue
		}
		maxPass = max(maxPass, b.passed)
		minRT = min(minRT, b.rtSum/time.Duration(b.passed))
	}
	if maxPass == 0 {
		return s.cfg.MinLimit
	}
	est := int(math.Ceil(float64(maxPass) * float64(minRT) / float64(s.dur)))
	return max(est, s.cfg.MinLimit)
}

// InFlight returns the calls admitted and not yet done.
func (s *Shedder) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// healthPrefix is the health service's method prefix: health checks are
// never shed, or an overloaded instance would look dead and be dropped
// by every client at once.
const healthPrefix = "/grpc.health.v1.Health/"

// ShedUnary is the server interceptor that asks s before any work and
// answers RESOURCE_EXHAUSTED (which clients never retry) when refused.
func ShedUnary(s *Shedder) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return s.shed(ctx, priorityFromIncoming(ctx), req, info, handler)
	}
}

// shed is ShedUnary's work for a call of priority p.
func (s *Shedder) shed(ctx context.Context, p Priority, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if strings.HasPrefix(info.FullMethod, healthPrefix) {
		return handler(ctx, req)
	}
	start, err := s.admitCall(p, info.FullMethod)
	if err != nil {
		return nil, err
	}
	defer s.finish(start)
	return handler(ctx, req)
}

// admitCall is admit for a gRPC call of method, refused with
// RESOURCE_EXHAUSTED (which clients never retry).
func (s *Shedder) admitCall(p Priority, method string) (start time.Time, err error) {
	start, err = s.admit(p)
	if err != nil {
		return start, status.Errorf(codes.ResourceExhausted, "%s: %v", method, err)
	}
	return start, nil
}

// ServerUnary is the server interceptors ShedUnary(s), ServerBudget and
// ReceivePriority, in that order, as one: what every service's gRPC
// server runs, without the cost of three links in grpc-go's interceptor
// chain (a closure each, on every call) and with the caller's priority
// read once.
func ServerUnary(s *Shedder) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		p := priorityFromIncoming(ctx)
		if !strings.HasPrefix(info.FullMethod, healthPrefix) {
			start, err := s.admitCall(p, info.FullMethod)
			if err != nil {
				return nil, err
			}
			defer s.finish(start)
		}
		if p != Default {
			ctx = WithPriority(ctx, p)
		}
		return serveInBudget(ctx, req, info, handler)
	}
}

// ShedHTTP is middleware that asks s before any work, with the priority in
// the request's context (RoutePriorities), and calls reject instead of next
// when refused: reject should answer 503 with a Retry-After header.
// exempt requests (health probes) are never shed.
func ShedHTTP(s *Shedder, exempt func(*http.Request) bool, reject func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt != nil && exempt(r) {
			next.ServeHTTP(w, r)
			return
		}
		done, err := s.Admit(PriorityFrom(r.Context()))
		if err != nil {
			reject(w, r, err)
			return
		}
		defer done()
		next.ServeHTTP(w, r)
	})
}
