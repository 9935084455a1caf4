package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/telemetry"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// startEcho serves handler over bufconn with tel's server options and
// returns a client connection made with tel's dial options.
func startEcho(t *testing.T, tel *telemetry.Telemetry, handler echoFunc) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(tel.ServerOptions()...)
	srv.RegisterService(echoServiceDesc(), handler)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	dial := func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	opts := append([]grpc.DialOption{
		grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, tel.DialOptions()...)
	conn, err := grpc.NewClient("passthrough:///bufnet", opts...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestGRPCMetricsAfterCall(t *testing.T) {
	tel := newTestTelemetry(t, &bytes.Buffer{})
	conn := startEcho(t, tel, func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		if in.GetValue() == "" {
			return nil, status.Error(codes.InvalidArgument, "empty message")
		}
		return in, nil
	})
	if _, err := callEcho(t.Context(), conn, "hi"); err != nil {
		t.Fatalf("echo: %v", err)
	}
	if _, err := callEcho(t.Context(), conn, ""); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("echo empty: err = %v, want InvalidArgument", err)
	}

	tests := []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"grpc_server_handled_total", map[string]string{"grpc_method": "Echo", "grpc_code": "OK"}, 1},
		{"grpc_server_handled_total", map[string]string{"grpc_method": "Echo", "grpc_code": "InvalidArgument"}, 1},
		{"grpc_client_handled_total", map[string]string{"grpc_method": "Echo", "grpc_code": "OK"}, 1},
		{"grpc_client_handled_total", map[string]string{"grpc_method": "Echo", "grpc_code": "InvalidArgument"}, 1},
		{"grpc_server_started_total", map[string]string{"grpc_service": "bazaar.test.v1.EchoService"}, 2},
		{"grpc_server_handling_seconds", map[string]string{"grpc_method": "Echo"}, 2},
		{"grpc_client_handling_seconds", map[string]string{"grpc_method": "Echo"}, 2},
	}
	for _, tt := range tests {
		if got := metricValue(t, tel.Registry, tt.metric, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, got, tt.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !hasMetric(t, tel.Registry, name) {
			t.Errorf("registry has no %s", name)
		}
	}
}

func TestTraceIDPropagatesClientToServer(t *testing.T) {
	var logs bytes.Buffer
	tel := newTestTelemetry(t, &logs)
	serverSpan := make(chan trace.SpanContext, 1)
	conn := startEcho(t, tel, func(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		serverSpan <- trace.SpanContextFromContext(ctx)
		tel.Logger.InfoContext(ctx, "handled")
		return in, nil
	})

	ctx, span := tel.Tracer.Tracer("test").Start(t.Context(), "client-op")
	_, err := callEcho(ctx, conn, "hi")
	span.End()
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	got := <-serverSpan
	want := span.SpanContext()
	if !got.IsValid() || got.TraceID() != want.TraceID() {
		t.Fatalf("server trace id = %s, want client's %s", got.TraceID(), want.TraceID())
	}
	if got.SpanID() == want.SpanID() {
		t.Errorf("server span id %s equals the client span's: want a child span", got.SpanID())
	}

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("server log line is not JSON: %v: %s", err, logs.String())
	}
	if line["trace_id"] != want.TraceID().String() {
		t.Errorf("server log trace_id = %v, want %s", line["trace_id"], want.TraceID())
	}
}

// metricValue sums the counter values or histogram sample counts of the
// series of name whose labels include labels.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	var sum float64
	for _, m := range gather(t, reg, name) {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func hasMetric(t *testing.T, reg *prometheus.Registry, name string) bool {
	t.Helper()
	return len(gather(t, reg, name)) > 0
}

func gather(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	matched := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			matched++
		}
	}
	return matched == len(want)
}

// TestGRPCMetricsCarryTraceExemplars: the server's handled counter and
// handling-time histogram link to a sampled trace that went through them,
// and a series' exemplar is kept for a while rather than replaced on every
// call.
func TestGRPCMetricsCarryTraceExemplars(t *testing.T) {
	tel := newTestTelemetry(t, &bytes.Buffer{})
	conn := startEcho(t, tel, func(_ context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
		return in, nil
	})
	var first trace.TraceID
	traces := map[string]bool{}
	for i := range 3 {
		ctx, span := tel.Tracer.Tracer("test").Start(t.Context(), "client-op")
		if i == 0 {
			first = span.SpanContext().TraceID()
		}
		traces[span.SpanContext().TraceID().String()] = true
		_, err := callEcho(ctx, conn, "hi")
		span.End()
		if err != nil {
			t.Fatalf("echo: %v", err)
		}
	}
	for _, m := range gather(t, tel.Registry, "grpc_server_handled_total") {
		if !hasLabels(m, map[string]string{"grpc_method": "Echo", "grpc_code": "OK"}) {
			continue
		}
		if got := exemplarTrace(m.GetCounter().GetExemplar()); got != first.String() {
			t.Errorf("grpc_server_handled_total exemplar trace_id = %q, want the first call's %s", got, first)
		}
	}
	found := false
	for _, m := range gather(t, tel.Registry, "grpc_server_handling_seconds") {
		for _, b := range m.GetHistogram().GetBucket() {
			if ex := b.GetExemplar(); ex != nil {
				found = true
				if got := exemplarTrace(ex); !traces[got] {
					t.Errorf("grpc_server_handling_seconds bucket %v exemplar trace_id = %q, want one of the calls'", b.GetUpperBound(), got)
				}
			}
		}
	}
	if !found {
		t.Error("grpc_server_handling_seconds has no exemplar")
	}
}

// exemplarTrace is the trace_id label of ex, "" if none.
func exemplarTrace(ex *dto.Exemplar) string {
	for _, l := range ex.GetLabel() {
		if l.GetName() == "trace_id" {
			return l.GetValue()
		}
	}
	return ""
}
