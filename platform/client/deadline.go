package client

import (
	"context"
	"time"

	"google.golang.org/grpc"
)

// defaultDeadline gives unary calls without a deadline one of d. It is an
// interceptor rather than a per-method "timeout" in the service config so
// that a caller's longer deadline wins (the service config timeout would cap
// it). Streams are left alone: they may be long-lived by design.
func defaultDeadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
