package storage

import (
	"context"
	"os"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bazaar-shop/bazaar/platform/storage/storagetest"
)

// With tracing, a statement run for a traced caller is a child span of
// it; a statement with no traced caller makes no span.
func TestWithTracingSpansTracedStatementsOnly(t *testing.T) {
	storagetest.Run(t, testWithTracingSpansTracedStatementsOnly)
}

func testWithTracingSpansTracedStatementsOnly(t *testing.T, engine string) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	db, err := Open(context.Background(), storagetest.DSN(t, engine, "svc"), os.DirFS("testdata/migrations"), WithTracing(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO items (id, qty) VALUES ('untraced', 1)`); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for untraced statements (migrations, a poll), want 0", n)
	}
	if _, err := db.Q(nil).ExecContext(context.Background(), `INSERT INTO items (id, qty) VALUES (?, 1)`, "untraced-prepared"); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for untraced statements (migrations, a poll), want 0", n)
	}
	// A traced statement is a child span carrying its text, whether run
	// as it is or prepared (Q).
	runs := []struct {
		name string
		exec func(ctx context.Context) error
	}{
		{"unprepared", func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `INSERT INTO items (id, qty) VALUES ('traced', 2)`)
			return err
		}},
		{"prepared", func(ctx context.Context) error {
			_, err := db.Q(nil).ExecContext(ctx, `INSERT INTO items (id, qty) VALUES (?, 2)`, "traced-prepared")
			return err
		}},
	}
	for _, run := range runs {
		ctx, parent := tp.Tracer("test").Start(context.Background(), "rpc")
		if err := run.exec(ctx); err != nil {
			t.Fatalf("%s: %v", run.name, err)
		}
		parent.End()
		var found bool
		for _, sp := range rec.Ended() {
			if sp.Parent().SpanID() == parent.SpanContext().SpanID() {
				for _, a := range sp.Attributes() {
					if strings.Contains(a.Value.AsString(), "INSERT INTO items") {
						found = true
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no child span carrying the statement; spans: %d", run.name, len(rec.Ended()))
		}
	}
}
