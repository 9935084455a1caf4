package telemetry

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
)

// registerMetrics creates the Go, process, gRPC and HTTP collectors and
// registers them on t.Registry.
func (t *Telemetry) registerMetrics() error {
	t.serverMetrics = newServerMetrics()
	t.clientMetrics = newClientMetrics()
	t.httpMetrics = newHTTPMetrics()
	all := append(t.serverMetrics.collectors(), t.clientMetrics.collectors()...)
	all = append(all, t.httpMetrics.collectors()...)
	all = append(all, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range all {
		if err := t.Registry.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// latencyBuckets are histogram bounds in seconds, from half a millisecond
// (a loopback RPC) to ten seconds (a deadline).
func latencyBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// exemplarFromContext links a metric sample to the sampled trace of ctx.
func exemplarFromContext(ctx context.Context) prometheus.Labels {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return nil
	}
	return prometheus.Labels{"trace_id": sc.TraceID().String()}
}
