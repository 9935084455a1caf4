package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/bazaar-shop/bazaar/platform/telemetry"
)

func newTestTelemetry(t *testing.T, out *bytes.Buffer) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(t.Context(), telemetry.Options{
		Service: "catalog", Version: "v1.2.3", Instance: "catalog-1",
		LogLevel: slog.LevelInfo, LogOutput: out,
	})
	if err != nil {
		t.Fatalf("new telemetry: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return tel
}

func TestNewRejectsMissingService(t *testing.T) {
	_, err := telemetry.New(t.Context(), telemetry.Options{LogOutput: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "service") {
		t.Fatalf("New without service: err = %v, want an error naming the service", err)
	}
}

func TestLoggerWritesJSONWithTrace(t *testing.T) {
	tests := []struct {
		name      string
		withSpan  bool
		log       func(ctx context.Context, l *slog.Logger)
		wantLines int
		wantAttrs map[string]any // top-level attributes expected on the line
	}{
		{
			name:      "no span, no trace ids",
			log:       func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "hello", "k", "v") },
			wantLines: 1,
			wantAttrs: map[string]any{"msg": "hello", "k": "v", "service": "catalog", "instance": "catalog-1", "version": "v1.2.3"},
		},
		{
			name:      "span adds trace ids",
			withSpan:  true,
			log:       func(ctx context.Context, l *slog.Logger) { l.InfoContext(ctx, "hello") },
			wantLines: 1,
			wantAttrs: map[string]any{"msg": "hello", "service": "catalog"},
		},
		{
			name:     "trace ids stay top level under groups",
			withSpan: true,
			log: func(ctx context.Context, l *slog.Logger) {
				l.With("a", 1).WithGroup("req").With("id", "r1").InfoContext(ctx, "grouped", "n", 2)
			},
			wantLines: 1,
			wantAttrs: map[string]any{"a": float64(1), "req": map[string]any{"id": "r1", "n": float64(2)}},
		},
		{
			name: "group without span",
			log: func(ctx context.Context, l *slog.Logger) {
				l.WithGroup("req").InfoContext(ctx, "grouped", "n", 2)
			},
			wantLines: 1,
			wantAttrs: map[string]any{"req": map[string]any{"n": float64(2)}},
		},
		{
			name:      "below level is dropped",
			withSpan:  true,
			log:       func(ctx context.Context, l *slog.Logger) { l.DebugContext(ctx, "hidden") },
			wantLines: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			tel := newTestTelemetry(t, &out)
			ctx := t.Context()
			wantTrace, wantSpan := "", ""
			if tt.withSpan {
				c, s := tel.Tracer.Tracer("test").Start(ctx, "op")
				defer s.End()
				ctx = c
				wantTrace, wantSpan = s.SpanContext().TraceID().String(), s.SpanContext().SpanID().String()
			}
			tt.log(ctx, tel.Logger)

			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if out.Len() == 0 {
				lines = nil
			}
			if len(lines) != tt.wantLines {
				t.Fatalf("got %d lines, want %d: %q", len(lines), tt.wantLines, out.String())
			}
			if tt.wantLines == 0 {
				return
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
				t.Fatalf("line is not JSON: %v: %s", err, lines[0])
			}
			for k, want := range tt.wantAttrs {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, want) {
					t.Errorf("%s = %s, want %s", k, g, mustJSON(t, want))
				}
			}
			if got["trace_id"] != nilIfEmpty(wantTrace) || got["span_id"] != nilIfEmpty(wantSpan) {
				t.Errorf("trace_id, span_id = %v, %v; want %q, %q", got["trace_id"], got["span_id"], wantTrace, wantSpan)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nilIfEmpty maps "" to the nil a missing JSON key decodes to.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
