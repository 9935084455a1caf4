package resilience

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Bulkhead is the client interceptor that caps the calls in flight on one
// connection (one upstream service) at max. A call over the cap fails at
// once with RESOURCE_EXHAUSTED instead of queueing: a slow upstream costs
// its callers at most max goroutines and sockets, and their other
// dependencies keep being served. max <= 0 means no cap.
func Bulkhead(upstream string, max int) grpc.UnaryClientInterceptor {
	limit := NewInFlightLimit(upstream, max)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := limit.Acquire(); err != nil {
			return err
		}
		defer limit.Release()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// InFlightLimit is a bulkhead's count of the calls in flight to one
// upstream, for a client that applies it in an interceptor of its own.
// A nil *InFlightLimit has no cap.
type InFlightLimit struct {
	upstream string
	max      int
	slots    chan struct{}
}

// NewInFlightLimit returns a cap of max calls in flight to upstream, or
// nil (no cap) when max <= 0.
func NewInFlightLimit(upstream string, max int) *InFlightLimit {
	if max <= 0 {
		return nil
	}
	return &InFlightLimit{upstream: upstream, max: max, slots: make(chan struct{}, max)}
}

// Acquire takes a slot for a call, or fails at once with
// RESOURCE_EXHAUSTED when all are taken. Release the slot when an
// acquired call ends.
func (l *InFlightLimit) Acquire() error {
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
		return status.Errorf(codes.ResourceExhausted, "bulkhead: %d calls to %s already in flight", l.max, l.upstream)
	}
}

// Release frees the slot of a call that Acquire let through.
func (l *InFlightLimit) Release() {
	if l != nil {
		<-l.slots
	}
}
