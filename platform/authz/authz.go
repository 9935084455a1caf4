// Package authz decides which service identities may call which gRPC
// methods. Each service's table (Policy) names, per method, the callers
// allowed; a server interceptor enforces it, reading the caller from its
// verified mTLS certificate (platform/identity), never from metadata.
// The tables should stay in step with the NetworkPolicy of the
// Kubernetes manifests, which allow the same edges at the network level.
// Health checking and reflection are open to every verified caller;
// everything not in the table is refused with PERMISSION_DENIED.
package authz

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/bazaar-shop/bazaar/platform/identity"
)

// Rules are one service's table: method name ("Charge") to the
// identities that may call it ("orders"). A method of "*" applies to
// every method without its own entry.
type Rules map[string][]string

// openServices are the gRPC services every verified caller may use.
var openServices = []string{"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}

// Allowed reports whether caller may call fullMethod
// ("/bazaar.payment.v1.PaymentService/Charge") of the service whose rules
// are r.
func (r Rules) Allowed(caller, fullMethod string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return false
	}
	if slices.Contains(openServices, svc) {
		return true
	}
	callers, ok := r[method]
	if !ok {
		callers = r["*"]
	}
	return slices.Contains(callers, caller)
}

// Unary returns the interceptor that enforces r on unary calls: a caller
// without a verified identity is UNAUTHENTICATED, one the table does not
// name for the method PERMISSION_DENIED.
func Unary(service string, r Rules) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := check(ctx, service, r, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Stream returns the interceptor that enforces r on streaming calls
// (health watches, reflection).
func Stream(service string, r Rules) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := check(ss.Context(), service, r, info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

func check(ctx context.Context, service string, r Rules, fullMethod string) error {
	caller, err := identity.PeerService(ctx)
	if err != nil {
		return status.Error(codes.Unauthenticated, "no verified client identity")
	}
	if !r.Allowed(caller, fullMethod) {
		return status.Errorf(codes.PermissionDenied, "%s may not call %s of %s", identity.ID(caller), fullMethod, service)
	}
	return nil
}
