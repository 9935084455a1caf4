package resilience

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Priority is how much a call matters to the shop when there is not
// capacity for everything. The zero value is Default.
type Priority int

// Priorities, from first shed to last.
const (
	// Sheddable work is optional: recommendations, prefetches.
	Sheddable Priority = iota - 1
	// Default is browsing: pages, searches, carts.
	Default
	// Critical is work that takes money or makes an order: checkout and
	// the order saga.
	Critical
)

// PriorityHeader is the gRPC metadata key (and HTTP header) that carries a
// call's priority between processes.
const PriorityHeader = "bazaar-priority"

// String names p as it travels in metadata.
func (p Priority) String() string {
	switch p {
	case Sheddable:
		return "sheddable"
	case Critical:
		return "critical"
	default:
		return "default"
	}
}

// ParsePriority reads a priority's name; anything unknown is Default, so a
// caller cannot raise its own priority with a typo.
func ParsePriority(s string) Priority {
	switch s {
	case "sheddable":
		return Sheddable
	case "critical":
		return Critical
	default:
		return Default
	}
}

type priorityKey struct{}

// WithPriority returns ctx carrying p for the calls made with it.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority ctx carries, Default if none.
func PriorityFrom(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// PropagatePriority is the client interceptor that sends the context's
// priority to the server in metadata (nothing for Default).
func PropagatePriority() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if p := PriorityFrom(ctx); p != Default {
			ctx = metadata.AppendToOutgoingContext(ctx, PriorityHeader, p.String())
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// priorityFromIncoming returns the priority the caller sent in metadata.
func priorityFromIncoming(ctx context.Context) Priority {
	if vs := metadata.ValueFromIncomingContext(ctx, PriorityHeader); len(vs) > 0 {
		return ParsePriority(vs[0])
	}
	return Default
}

// ReceivePriority is the server interceptor that puts the caller's
// priority into the handler's context, so the handler's own calls carry
// it on (PropagatePriority).
func ReceivePriority() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if p := priorityFromIncoming(ctx); p != Default {
			ctx = WithPriority(ctx, p)
		}
		return handler(ctx, req)
	}
}
