package server

import (
	"context"
	"math/rand/v2"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// FaultRules is where InjectErrors finds the rule in force;
// *registry.Watcher in the daemon.
type FaultRules interface {
	Fault(from, to string) (registry.Fault, bool)
}

// InjectErrors is the server interceptor that applies the error half of
// the fault rule for calls from the caller (named in metadata
// registry.CallerHeader) to service: that share of calls is answered
// UNAVAILABLE before any work, as a sick instance would. The rule is read
// on every call, so adding or clearing it takes effect at once. Health
// checks are never failed.
func InjectErrors(rules FaultRules, service string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		callers := metadata.ValueFromIncomingContext(ctx, registry.CallerHeader)
		if len(callers) == 0 || strings.HasPrefix(info.FullMethod, "/grpc.health.v1.Health/") {
			return handler(ctx, req)
		}
		f, ok := rules.Fault(callers[0], service)
		if ok && f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
			return nil, status.Errorf(codes.Unavailable, "injected fault: %s answers %.3g%% of calls from %s with errors", service, f.ErrorRate*100, callers[0])
		}
		return handler(ctx, req)
	}
}
