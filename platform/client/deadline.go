package client

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/bazaar-shop/bazaar/platform/registry"
	"github.com/bazaar-shop/bazaar/platform/resilience"
)

// callPolicy is the interceptor of Bazaar's per-call client policy, in
// order: a default deadline for unary calls without one, the hop budget
// (as resilience.ClientBudget), the caller's name and priority in
// metadata (as resilience.PropagatePriority) and the bulkhead (as
// resilience.Bulkhead). It is one interceptor rather than five because
// every link of grpc-go's interceptor chain costs a closure on every call.
//
// The default deadline is given here rather than as a per-method
// "timeout" in the service config so that a caller's longer deadline wins
// (the service config timeout would cap it). Streams are left alone: they
// may be long-lived by design.
func callPolicy(opts Options, upstream string) grpc.UnaryClientInterceptor {
	limit := resilience.NewInFlightLimit(upstream, opts.MaxInFlight)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, opts.DefaultTimeout)
			defer cancel()
		}
		if err := resilience.CheckHopBudget(ctx, method); err != nil {
			return err
		}
		ctx = withCallMetadata(ctx, opts.From)
		if err := limit.Acquire(); err != nil {
			return err
		}
		defer limit.Release()
		return invoker(ctx, method, req, reply, cc, callOpts...)
	}
}

// withCallMetadata returns ctx with what every call sends added to its
// outgoing metadata, in one step: the calling service's name
// (registry.CallerHeader, for the callee's fault rules; nothing when from
// is "") and the priority of the call's context (resilience.PriorityHeader,
// nothing for Default).
func withCallMetadata(ctx context.Context, from string) context.Context {
	p := resilience.PriorityFrom(ctx)
	switch {
	case p != resilience.Default && from != "":
		return metadata.AppendToOutgoingContext(ctx, registry.CallerHeader, from, resilience.PriorityHeader, p.String())
	case p != resilience.Default:
		return metadata.AppendToOutgoingContext(ctx, resilience.PriorityHeader, p.String())
	case from != "":
		return metadata.AppendToOutgoingContext(ctx, registry.CallerHeader, from)
	default:
		return ctx
	}
}
