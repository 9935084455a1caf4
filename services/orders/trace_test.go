package orders

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bazaar-shop/bazaar/platform/events"
)

// Every saga step runs in the trace of the checkout that placed the
// order, even though it runs later, in the background, maybe after a
// restart: the console shows one checkout from the storefront to payment.
func TestSagaStepsJoinTheCheckoutTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e := newEnv(t)
	e.deps.Events = events.Telemetry{Tracer: tp, Propagator: propagation.TraceContext{}}
	svc, _ := e.open()

	ctx, checkout := tp.Tracer("test").Start(context.Background(), "checkout")
	resp, err := svc.handler.PlaceOrder(ctx, request("traced"))
	checkout.End()
	if err != nil {
		t.Fatal(err)
	}
	run(t, svc)
	e.waitFinal(resp.GetOrderId())

	steps := map[string]bool{}
	for _, sp := range rec.Ended() {
		if sp.Name() == "saga reserve" || sp.Name() == "saga charge" || sp.Name() == "saga commit" {
			steps[sp.Name()] = true
			if sp.SpanContext().TraceID() != checkout.SpanContext().TraceID() {
				t.Errorf("%s is in trace %s, want the checkout's %s", sp.Name(), sp.SpanContext().TraceID(), checkout.SpanContext().TraceID())
			}
		}
	}
	if len(steps) != 3 {
		t.Errorf("saga step spans = %v, want reserve, charge and commit", steps)
	}
}
