package telemetry

import (
	"context"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// newLogger returns a JSON logger that tags every line with the service
// identity and the trace of the context it is given.
func newLogger(opts Options) *slog.Logger {
	json := slog.NewJSONHandler(opts.LogOutput, &slog.HandlerOptions{Level: opts.LogLevel})
	return slog.New(newTraceHandler(json)).With(
		slog.String("service", opts.Service),
		slog.String("instance", opts.Instance),
		slog.String("version", opts.Version),
	)
}

// traceHandler adds trace_id and span_id, taken from the span active in the
// record's context, to every record. The ids stay at the top level of the
// line even when the logger has open groups.
type traceHandler struct {
	// base is the handler before the first group was opened: the trace
	// attributes are added to it.
	base slog.Handler
	// grouped holds the WithGroup and WithAttrs calls made after the first
	// group, replayed on top of base when a record carries a trace.
	grouped []func(slog.Handler) slog.Handler
	// current is base with grouped applied.
	current slog.Handler
}

func newTraceHandler(h slog.Handler) *traceHandler {
	return &traceHandler{base: h, current: h}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *traceHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.current.Enabled(ctx, level)
}

// Handle adds the trace ids of ctx's span, if any, and passes r on.
func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.current.Handle(ctx, r)
	}
	ids := []slog.Attr{
		slog.String("trace_id", sc.TraceID().String()),
		slog.String("span_id", sc.SpanID().String()),
	}
	if len(h.grouped) == 0 {
		r = r.Clone()
		r.AddAttrs(ids...)
		return h.current.Handle(ctx, r)
	}
	withIDs := h.base.WithAttrs(ids)
	for _, apply := range h.grouped {
		withIDs = apply(withIDs)
	}
	return withIDs.Handle(ctx, r)
}

// WithAttrs returns a handler whose records also carry attrs.
func (h *traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.grouped) == 0 {
		return newTraceHandler(h.base.WithAttrs(attrs))
	}
	return h.then(func(next slog.Handler) slog.Handler { return next.WithAttrs(attrs) })
}

// WithGroup returns a handler that nests later attributes under name.
func (h *traceHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.then(func(next slog.Handler) slog.Handler { return next.WithGroup(name) })
}

// then returns a copy of h with one more grouped step.
func (h *traceHandler) then(apply func(slog.Handler) slog.Handler) *traceHandler {
	return &traceHandler{
		base:    h.base,
		grouped: append(slices.Clip(h.grouped), apply),
		current: apply(h.current),
	}
}
