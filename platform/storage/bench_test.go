package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkQueryRow is a hot path's read, one row by key on SQLite: with
// no instrumentation, and with WithTracing for a caller that is not traced
// (most calls: the statement makes no span) and for one that is; each
// parsed on every call (DB.QueryRowContext) and prepared once (Q).
func BenchmarkQueryRow(b *testing.B) {
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	traced, span := tp.Tracer("bench").Start(context.Background(), "rpc")
	defer span.End()
	benchmarks := []struct {
		name string
		ctx  context.Context
		opts []Option
	}{
		{"plain", context.Background(), nil},
		{"tracing-untraced-call", context.Background(), []Option{WithTracing(tp)}},
		{"tracing-traced-call", traced, []Option{WithTracing(tp)}},
	}
	for _, bm := range benchmarks {
		for _, prepared := range []bool{false, true} {
			name := bm.name
			if prepared {
				name += "-prepared"
			}
			b.Run(name, func(b *testing.B) { benchmarkQueryRow(b, bm.ctx, prepared, bm.opts) })
		}
	}
}

// benchmarkQueryRow runs the read of BenchmarkQueryRow.
func benchmarkQueryRow(b *testing.B, ctx context.Context, prepared bool, opts []Option) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), os.DirFS("testdata/migrations"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO items (id, qty) VALUES ('a', 7)`); err != nil {
		b.Fatal(err)
	}
	queryRow := db.QueryRowContext
	if prepared {
		queryRow = db.Q(nil).QueryRowContext
	}
	b.ReportAllocs()
	for b.Loop() {
		var qty int
		if err := queryRow(ctx, `SELECT qty FROM items WHERE id = ?`, "a").Scan(&qty); err != nil {
			b.Fatal(err)
		}
	}
}
