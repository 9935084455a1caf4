// Package telemetry provides a service's observability: a structured JSON
// logger that carries trace ids, OpenTelemetry tracing with W3C trace context,
// and Prometheus RED metrics for gRPC and HTTP on a private registry.
//
// Nothing here touches the global OpenTelemetry or Prometheus state: every
// provider, propagator and registry is owned by one Telemetry value and passed
// explicitly to the instrumentation that uses it.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configures New.
type Options struct {
	Service   string     // service name, e.g. "catalog"; required
	Version   string     // service version, e.g. "v0.3.1"
	Instance  string     // instance id, e.g. "catalog-1"; defaults to the host name
	LogLevel  slog.Level // minimum level logged
	LogOutput io.Writer  // where JSON log lines go; defaults to os.Stderr
	// OTLPEndpoint is the OTLP/gRPC collector ("host:port", plaintext, or a
	// "http://" / "https://" URL). Empty means spans are created but not exported.
	OTLPEndpoint string
}

// Telemetry holds a service's logger, tracer provider, propagator and metrics
// registry. Create it with New and release it with Shutdown.
type Telemetry struct {
	// Logger writes JSON lines with service, instance and version attributes
	// and the trace_id and span_id of the span active in the logging context.
	Logger *slog.Logger
	// Registry holds the Go, process, gRPC and HTTP metrics of the service.
	Registry *prometheus.Registry
	// Tracer creates the service's spans.
	Tracer trace.TracerProvider
	// Propagator injects and extracts W3C trace context and baggage.
	Propagator propagation.TextMapPropagator

	provider      *sdktrace.TracerProvider
	serverMetrics *rpcMetrics
	clientMetrics *rpcMetrics
	httpMetrics   *httpMetrics
}

// New builds the telemetry of one service instance.
func New(ctx context.Context, opts Options) (*Telemetry, error) {
	if opts.Service == "" {
		return nil, errors.New("new telemetry: service name is required")
	}
	if opts.Instance == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("new telemetry: default instance from host name: %w", err)
		}
		opts.Instance = host
	}
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}

	provider, err := newTracerProvider(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("new telemetry: %w", err)
	}
	t := &Telemetry{
		Logger:     newLogger(opts),
		Registry:   prometheus.NewRegistry(),
		Tracer:     provider,
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		provider:   provider,
	}
	if err := t.registerMetrics(); err != nil {
		return nil, errors.Join(fmt.Errorf("new telemetry: %w", err), provider.Shutdown(ctx))
	}
	return t, nil
}

// Shutdown flushes the spans not yet exported and stops the exporter. The
// logger and registry stay usable.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown telemetry: %w", err)
	}
	return nil
}
