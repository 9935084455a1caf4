package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// newTracerProvider returns a provider that samples every new trace and
// follows the caller's decision for continued ones. Spans go to an OTLP/gRPC
// exporter in batches when opts.OTLPEndpoint is set; otherwise they are
// still created, so their ids appear in logs, but they are not exported.
func newTracerProvider(ctx context.Context, opts Options) (*sdktrace.TracerProvider, error) {
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(opts.Service),
		semconv.ServiceVersion(opts.Version),
		semconv.ServiceInstanceID(opts.Instance),
	)
	providerOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if opts.OTLPEndpoint != "" {
		exporter, err := otlptracegrpc.New(ctx, exporterOptions(opts.OTLPEndpoint)...)
		if err != nil {
			return nil, fmt.Errorf("create otlp exporter for %s: %w", opts.OTLPEndpoint, err)
		}
		providerOpts = append(providerOpts, sdktrace.WithBatcher(exporter))
	}
	return sdktrace.NewTracerProvider(providerOpts...), nil
}

// exporterOptions reads endpoint as a URL when it has a scheme ("http://"
// means plaintext, "https://" TLS) and as a plaintext "host:port" otherwise,
// the usual form for a collector beside the service.
func exporterOptions(endpoint string) []otlptracegrpc.Option {
	if strings.Contains(endpoint, "://") {
		return []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(endpoint)}
	}
	return []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure()}
}
