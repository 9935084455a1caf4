package telemetry_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestHTTPMiddlewareMetricsAndSpans(t *testing.T) {
	tel := newTestTelemetry(t, &bytes.Buffer{})
	seen := make(chan trace.SpanContext, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen <- trace.SpanContextFromContext(r.Context())
		w.Write([]byte("item " + r.PathValue("id")))
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		seen <- trace.SpanContextFromContext(r.Context())
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(tel.HTTPMiddleware(mux))
	defer srv.Close()

	const parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	tests := []struct {
		name        string
		method      string
		path        string
		traceparent string
		wantCode    int
		wantRoute   string
		wantTrace   string // "" when the handler is not reached
	}{
		{"routed with parent", http.MethodGet, "/items/42", "00-" + parentTrace + "-00f067aa0ba902b7-01", 200, "/items/{id}", parentTrace},
		{"second id same route", http.MethodGet, "/items/43", "", 200, "/items/{id}", "new"},
		{"server error", http.MethodPost, "/fail", "", 500, "/fail", "new"},
		{"unrouted", http.MethodGet, "/nope/123", "", 404, "other", ""},
		{"odd method", "BREW", "/items/1", "", 405, "other", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.traceparent != "" {
				req.Header.Set("traceparent", tt.traceparent)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantTrace != "" {
				sc := <-seen
				if !sc.IsValid() {
					t.Fatalf("handler saw no span")
				}
				if tt.wantTrace != "new" && sc.TraceID().String() != tt.wantTrace {
					t.Errorf("trace id = %s, want %s from traceparent", sc.TraceID(), tt.wantTrace)
				}
				if tt.wantTrace == "new" && sc.TraceID().String() == parentTrace {
					t.Errorf("request without traceparent reused trace %s", parentTrace)
				}
			}
		})
	}

	want := map[[3]string]float64{} // method, route, code -> requests
	for _, tt := range tests {
		want[[3]string{methodLabel(tt.method), tt.wantRoute, strconv.Itoa(tt.wantCode)}]++
	}
	for key, n := range want {
		labels := map[string]string{"method": key[0], "route": key[1], "code": key[2]}
		if got := metricValue(t, tel.Registry, "http_requests_total", labels); got != n {
			t.Errorf("http_requests_total%v = %v, want %v", labels, got, n)
		}
	}
	if got := metricValue(t, tel.Registry, "http_request_duration_seconds", map[string]string{"method": "GET", "route": "/items/{id}"}); got != 2 {
		t.Errorf("http_request_duration_seconds count for GET /items/{id} = %v, want 2", got)
	}
}

// methodLabel is the label the middleware gives a method.
func methodLabel(m string) string {
	if m == "BREW" {
		return "_OTHER"
	}
	return m
}
