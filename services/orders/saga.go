package orders

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// runSagas advances due orders until ctx ends: it wakes on a new order,
// when a worker finishes, or every PollInterval, claims as many due orders
// as it has free workers, and runs each in its own goroutine. When ctx
// ends it waits for the workers and gives their leases back.
func (s *Service) runSagas(ctx context.Context) {
	var wg sync.WaitGroup
	free := make(chan struct{}, s.cfg.Workers)
	for range s.cfg.Workers {
		free <- struct{}{}
	}
	ticker := time.NewTicker(s.cfg.PollInterval)
	defer ticker.Stop()
	for {
		s.claimAndRun(ctx, &wg, free)
		select {
		case <-ctx.Done():
			wg.Wait()
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if err := s.store.releaseLeases(rctx, s.owner); err != nil {
				s.logger.WarnContext(rctx, "saga runner: could not give leases back; they run out by themselves", "err", err)
			}
			cancel()
			return
		case <-s.wake:
		case <-ticker.C:
		}
	}
}

// claimAndRun claims due orders for the free workers and starts them.
func (s *Service) claimAndRun(ctx context.Context, wg *sync.WaitGroup, free chan struct{}) {
	n := len(free)
	if n == 0 || ctx.Err() != nil {
		return
	}
	ids, err := s.store.claim(ctx, s.owner, n)
	if err != nil {
		if ctx.Err() == nil {
			s.logger.ErrorContext(ctx, "saga runner: claim failed", "err", err)
		}
		return
	}
	for _, id := range ids {
		<-free
		wg.Go(func() {
			defer func() {
				free <- struct{}{}
				s.kick()
			}()
			s.advance(ctx, id)
		})
	}
}

// advance runs the saga of order id, which this runner has claimed, step
// after step until it is done, a step must be retried later, or the lease
// is lost.
func (s *Service) advance(ctx context.Context, id string) {
	for ctx.Err() == nil {
		g, o, err := s.store.saga(ctx, id, s.owner)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, errLeaseLost) {
				s.logger.ErrorContext(ctx, "saga: load failed; retrying when the lease runs out", "order", id, "err", err)
			}
			return
		}
		if g.Step == stepDone {
			return
		}
		err = s.tracedStep(ctx, g, o)
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil:
			return // stopping: the step runs again on the next start
		case errors.Is(err, errLeaseLost):
			s.logger.WarnContext(ctx, "saga: another runner took the order", "order", id, "step", g.Step)
			return
		}
		s.retryLater(ctx, g, err)
		return
	}
}

// tracedStep runs one step in a span of the checkout's trace, so the
// calls it makes and the events it publishes show under the checkout that
// placed the order, however late the step runs.
func (s *Service) tracedStep(ctx context.Context, g *saga, o *order) error {
	parent := s.propagator().Extract(ctx, g.Trace)
	ctx, span := s.tracer().Tracer("bazaar/orders").Start(parent, "saga "+string(g.Step),
		trace.WithAttributes(attribute.String("order.id", o.ID), attribute.Int("saga.attempt", g.Attempts+1)))
	defer span.End()
	err := s.runStep(ctx, g, o)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

func (s *Service) propagator() propagation.TextMapPropagator {
	if s.deps.Events.Propagator != nil {
		return s.deps.Events.Propagator
	}
	return propagation.TraceContext{}
}

func (s *Service) tracer() trace.TracerProvider {
	if s.deps.Events.Tracer != nil {
		return s.deps.Events.Tracer
	}
	return noop.NewTracerProvider()
}

// retryLater schedules a failed step again after a backoff.
func (s *Service) retryLater(ctx context.Context, g *saga, cause error) {
	attempts := g.Attempts + 1
	delay := backoff(attempts, s.cfg.MinBackoff, s.cfg.MaxBackoff)
	level := s.logger.WarnContext
	if permanent(cause) {
		// Nothing but a fix on the other side (or here) ends this; keep
		// trying, loudly.
		level = s.logger.ErrorContext
	}
	level(ctx, "saga step failed; will retry", "order", g.OrderID, "step", g.Step, "attempt", attempts, "retry_in", delay, "err", cause)
	if err := s.store.retryLater(ctx, g.OrderID, s.owner, g.Step, attempts, s.now().Add(delay), cause.Error()); err != nil && ctx.Err() == nil {
		s.logger.ErrorContext(ctx, "saga: could not schedule retry; retrying when the lease runs out", "order", g.OrderID, "err", err)
	}
}

// backoff is the wait before attempt n+1 after n failures: lo doubled
// n-1 times, capped at hi, then jittered to between half and all of it.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}
