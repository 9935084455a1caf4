package observe

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// startReceiver serves a receiver on a free loopback port for the test.
func startReceiver(t *testing.T, store *TraceStore) *Receiver {
	t.Helper()
	r, err := NewReceiver("127.0.0.1:0", store)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Serve() }()
	t.Cleanup(func() {
		r.Stop(time.Second)
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return r
}

// exportingProvider is a tracer provider of service that exports every
// span, as it ends, to the receiver at addr with the real OTLP exporter.
func exportingProvider(t *testing.T, addr, service, instance string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.instance.id", instance),
		attribute.String("service.version", "v1.2.3"),
	)
	return sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSyncer(exp))
}

func TestReceiverStoresExportedTrace(t *testing.T) {
	store := NewTraceStore(TraceLimits{})
	r := startReceiver(t, store)
	ctx := context.Background()

	orders := exportingProvider(t, r.Addr(), "orders", "orders-1")
	inventory := exportingProvider(t, r.Addr(), "inventory", "inventory-1")
	ctx, root := orders.Tracer("test").Start(ctx, "bazaar.orders.v1.OrdersService/PlaceOrder", trace.WithSpanKind(trace.SpanKindServer))
	_, call := orders.Tracer("test").Start(ctx, "bazaar.inventory.v1.InventoryService/Reserve",
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("rpc.method", "Reserve"), attribute.Int("attempt", 2)))
	_, served := inventory.Tracer("test").Start(trace.ContextWithSpanContext(ctx, call.SpanContext()), "bazaar.inventory.v1.InventoryService/Reserve",
		trace.WithSpanKind(trace.SpanKindServer))
	served.SetStatus(codes.Error, "out of stock")
	served.End()
	call.End()
	root.End()
	for _, p := range []*sdktrace.TracerProvider{orders, inventory} {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatalf("shutdown exporter: %v", err)
		}
	}

	traceID := root.SpanContext().TraceID().String()
	spans, ok := store.Trace(traceID)
	if !ok {
		t.Fatalf("trace %s not stored; have %d traces", traceID, store.Len())
	}
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3: %+v", len(spans), spans)
	}
	byID := map[string]Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	gotRoot := byID[root.SpanContext().SpanID().String()]
	gotCall := byID[call.SpanContext().SpanID().String()]
	gotServed := byID[served.SpanContext().SpanID().String()]
	checks := []struct {
		name      string
		got, want any
	}{
		{"root service", gotRoot.Service, "orders"},
		{"root instance", gotRoot.Instance, "orders-1"},
		{"root version", gotRoot.Version, "v1.2.3"},
		{"root kind", gotRoot.Kind, "server"},
		{"root parent", gotRoot.ParentID, ""},
		{"call kind", gotCall.Kind, "client"},
		{"call parent", gotCall.ParentID, gotRoot.SpanID},
		{"call attributes", gotCall.Attributes, []Attribute{{"rpc.method", "Reserve"}, {"attempt", "2"}}},
		{"served service", gotServed.Service, "inventory"},
		{"served parent", gotServed.ParentID, gotCall.SpanID},
		{"served status", gotServed.Status, "error"},
		{"served status message", gotServed.StatusMessage, "out of stock"},
		{"root status", gotRoot.Status, "unset"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if gotRoot.Duration <= 0 || gotRoot.Start.IsZero() || gotRoot.End().Before(gotServed.End()) {
		t.Errorf("root timing: start %v duration %v, served ends %v", gotRoot.Start, gotRoot.Duration, gotServed.End())
	}

	recent := store.Recent(TraceFilter{}, 10)
	if len(recent) != 1 {
		t.Fatalf("recent: %d traces, want 1", len(recent))
	}
	want := TraceSummary{TraceID: traceID, Root: "bazaar.orders.v1.OrdersService/PlaceOrder", Service: "orders",
		Spans: 3, Errors: 1, Services: []string{"inventory", "orders"}}
	got := recent[0]
	if got.TraceID != want.TraceID || got.Root != want.Root || got.Service != want.Service ||
		got.Spans != want.Spans || got.Errors != want.Errors || strings.Join(got.Services, ",") != "inventory,orders" {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
}

func TestReceiverRejectsOversizedExport(t *testing.T) {
	store := NewTraceStore(TraceLimits{})
	r := startReceiver(t, store)
	conn, err := grpc.NewClient(r.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	big := &collectortracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: make([]byte, 16), SpanId: make([]byte, 8), Name: strings.Repeat("x", maxExportBytes+1),
		}}}},
	}}}
	_, err = collectortracepb.NewTraceServiceClient(conn).Export(context.Background(), big)
	if status.Code(err) != grpccodes.ResourceExhausted {
		t.Fatalf("oversized export: got %v, want ResourceExhausted", err)
	}
	if store.Len() != 0 {
		t.Errorf("oversized export stored %d traces", store.Len())
	}
}

func TestReceiverListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "nonsense"} {
		_, err := NewReceiver(addr, NewTraceStore(TraceLimits{}))
		if err == nil {
			t.Errorf("NewReceiver(%q) accepted a non-loopback address", addr)
		}
	}
	r, err := NewReceiver("localhost:0", NewTraceStore(TraceLimits{}))
	if err != nil {
		t.Fatalf("NewReceiver(localhost:0): %v", err)
	}
	r.Stop(time.Second)
	if err := r.Serve(); err != nil {
		t.Errorf("Serve after Stop = %v, want nil", err)
	}
}
