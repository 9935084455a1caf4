package resilience

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Deadline budgets. gRPC sends the caller's deadline with every call; these
// make each hop spend it well.
const (
	// MinHopBudget is the least time left for which a call is still sent:
	// with less, no server could do the work and answer in time, so the
	// call fails at once instead of loading the server for nothing.
	MinHopBudget = 2 * time.Millisecond
	// maxServerReserve caps the part of its caller's deadline a server
	// keeps for itself to answer in (a tenth of what is left, at most this).
	maxServerReserve = 20 * time.Millisecond
)

// ClientBudget is the client interceptor that refuses to send a call whose
// deadline leaves less than MinHopBudget, answering DEADLINE_EXCEEDED at
// once.
func ClientBudget() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := CheckHopBudget(ctx, method); err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// CheckHopBudget is ClientBudget's test: the DEADLINE_EXCEEDED error a
// call of method with ctx gets when its deadline leaves less than
// MinHopBudget, nil when the call may be sent.
func CheckHopBudget(ctx context.Context, method string) error {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < MinHopBudget {
			return status.Errorf(codes.DeadlineExceeded, "%s not sent: %v of the deadline left, less than the %v a hop needs", method, left.Round(time.Microsecond), MinHopBudget)
		}
	}
	return nil
}

// ServerBudget is the server interceptor that does no work for a call whose
// deadline has already passed (it may have waited in a queue, or the
// caller's clock ran out on the way), and gives the handler its caller's
// deadline minus a small reserve (a tenth of what is left, at most 20 ms),
// so the handler's own downstream calls end in time for it to answer with
// their real error rather than let its caller time out blind.
func ServerBudget() grpc.UnaryServerInterceptor {
	return serveInBudget
}

// serveInBudget is ServerBudget's interceptor.
func serveInBudget(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, status.Errorf(codes.DeadlineExceeded, "%s: the caller's deadline passed before work began", info.FullMethod)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return handler(ctx, req)
	}
	reserve := min(time.Until(dl)/10, maxServerReserve)
	ctx, cancel := context.WithDeadline(ctx, dl.Add(-reserve))
	defer cancel()
	return handler(ctx, req)
}
