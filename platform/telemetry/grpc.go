package telemetry

import (
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"
)

// ServerOptions returns the options that trace and measure a gRPC server:
// an OpenTelemetry stats handler (W3C context extracted from metadata) and
// interceptors counting RPCs by service, method and code, with a
// handling-time histogram.
func (t *Telemetry) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(t.otelgrpcOptions()...)),
		grpc.ChainUnaryInterceptor(t.serverMetrics.unaryServer()),
		grpc.ChainStreamInterceptor(t.serverMetrics.streamServer()),
	}
}

// DialOptions returns the options that trace and measure a gRPC client:
// an OpenTelemetry stats handler (W3C context injected into metadata) and
// interceptors counting calls by service, method and code, with a
// handling-time histogram.
func (t *Telemetry) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(t.otelgrpcOptions()...)),
		grpc.WithChainUnaryInterceptor(t.clientMetrics.unaryClient()),
		grpc.WithChainStreamInterceptor(t.clientMetrics.streamClient()),
	}
}

// InitializeGRPCMetrics creates the zero-valued series of every method
// registered on srv, so that rates and error ratios exist before the first
// call. Call it after registering the services.
func (t *Telemetry) InitializeGRPCMetrics(srv *grpc.Server) {
	t.serverMetrics.initialize(srv)
}

// otelgrpcOptions passes the Telemetry's own provider and propagator, never
// the global ones. otelgrpc's OpenTelemetry metrics are switched off: RED
// metrics come from Prometheus.
func (t *Telemetry) otelgrpcOptions() []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(t.Tracer),
		otelgrpc.WithPropagators(t.Propagator),
		otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
	}
}
