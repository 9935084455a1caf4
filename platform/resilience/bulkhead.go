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
	if max <= 0 {
		return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
	}
	slots := make(chan struct{}, max)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		select {
		case slots <- struct{}{}:
		default:
			return status.Errorf(codes.ResourceExhausted, "bulkhead: %d calls to %s already in flight", max, upstream)
		}
		defer func() { <-slots }()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
