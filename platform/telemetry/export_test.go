package telemetry_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/telemetry"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// fakeCollector records the spans an OTLP exporter sends it.
type fakeCollector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans map[string]string // span name -> service.name of its resource
}

func (c *fakeCollector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans[s.GetName()] = service
			}
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (c *fakeCollector) serviceOf(span string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.spans[span]
	return s, ok
}

func TestShutdownFlushesSpansToCollector(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	collector := &fakeCollector{spans: map[string]string{}}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, collector)
	go srv.Serve(lis)
	defer srv.Stop()

	tel, err := telemetry.New(t.Context(), telemetry.Options{
		Service: "pricing", Instance: "pricing-1", LogOutput: &bytes.Buffer{},
		OTLPEndpoint: lis.Addr().String(),
	})
	if err != nil {
		t.Fatalf("new telemetry: %v", err)
	}
	_, span := tel.Tracer.Tracer("test").Start(t.Context(), "convert")
	span.End()
	if _, ok := collector.serviceOf("convert"); ok {
		t.Fatalf("span exported before Shutdown: the batcher should still hold it")
	}
	if err := tel.Shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	service, ok := collector.serviceOf("convert")
	if !ok {
		t.Fatalf("collector did not receive span %q after Shutdown", "convert")
	}
	if service != "pricing" {
		t.Errorf("span resource service.name = %q, want pricing", service)
	}
}
