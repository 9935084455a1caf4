package client

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// faultRules is where injectFaults finds the rule in force;
// *registry.Watcher in Dial.
type faultRules interface {
	Fault(from, to string) (registry.Fault, bool)
}

// injectFaults applies the network half of the registry's fault rule for
// calls from service from to service to, if there is one, before a unary
// call leaves the process: a blackhole waits for the call's deadline and
// fails DEADLINE_EXCEEDED; a latency waits (a deadline that passes first
// ends the call). A rule's error rate is the callee's to apply
// (server.InjectErrors), so the caller's retries, retry budget and
// ejection meet real error answers.
// It runs after callPolicy, so every call has a deadline. The rule is
// looked up on every call, so a rule the supervisor adds or clears takes
// effect as soon as the resolver has read the file.
func injectFaults(rules faultRules, from, to string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		f, ok := rules.Fault(from, to)
		if !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		if f.Blackhole {
			<-ctx.Done()
			return status.FromContextError(ctx.Err()).Err()
		}
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-ctx.Done():
				t.Stop()
				return status.FromContextError(ctx.Err()).Err()
			case <-t.C:
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
