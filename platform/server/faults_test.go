package server

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/bazaar-shop/bazaar/platform/registry"
)

// rules is a fixed set of fault rules.
type rules []registry.Fault

func (rs rules) Fault(from, to string) (registry.Fault, bool) {
	for _, f := range rs {
		if f.From == from && f.To == to {
			return f, true
		}
	}
	return registry.Fault{}, false
}

func TestInjectErrorsFailsTheRuleShareOfCalls(t *testing.T) {
	tests := []struct {
		name     string
		caller   string
		method   string
		rate     float64
		min, max int // failures of 200 calls
	}{
		// Binomial(200, 0.3): outside 30..90 with probability below 1e-8.
		{"30% of the caller's calls", "orders", "/bazaar.payment.v1.PaymentService/Charge", 0.3, 30, 90},
		{"every call", "orders", "/bazaar.payment.v1.PaymentService/Charge", 1, 200, 200},
		{"another caller is spared", "storefront", "/bazaar.payment.v1.PaymentService/Charge", 1, 0, 0},
		{"no caller named", "", "/bazaar.payment.v1.PaymentService/Charge", 1, 0, 0},
		{"health checks are spared", "orders", "/grpc.health.v1.Health/Check", 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic := InjectErrors(rules{{From: "orders", To: "payment", ErrorRate: tt.rate}}, "payment")
			handled, failed := 0, 0
			for range 200 {
				ctx := context.Background()
				if tt.caller != "" {
					ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(registry.CallerHeader, tt.caller))
				}
				_, err := ic(ctx, nil, &grpc.UnaryServerInfo{FullMethod: tt.method}, func(context.Context, any) (any, error) {
					handled++
					return nil, nil
				})
				switch status.Code(err) {
				case codes.OK:
				case codes.Unavailable:
					failed++
				default:
					t.Fatalf("call: %v", err)
				}
			}
			if failed < tt.min || failed > tt.max {
				t.Errorf("%d of 200 calls failed, want %d..%d", failed, tt.min, tt.max)
			}
			if handled != 200-failed {
				t.Errorf("handler ran %d times, want %d (failed calls do no work)", handled, 200-failed)
			}
		})
	}
}
