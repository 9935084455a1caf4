package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	tracer trace.TracerProvider
}

// WithTracing makes a span, with tp, for every SQL statement run on behalf
// of a traced operation (a call, an event): the statement's text, its
// duration and its error show in the operation's trace. Statements with no
// traced caller, such as background polls, make no span, so an idle
// service does not flood the trace store.
func WithTracing(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracer = tp }
}

// open opens the database/sql handle, instrumented when tracing is on.
func (o options) open(driverName, dsn string) (*sql.DB, error) {
	if o.tracer == nil {
		return sql.Open(driverName, dsn)
	}
	return otelsql.Open(driverName, dsn, o.tracing(driverName)...)
}

// openConnector opens a database/sql handle on c, instrumented when
// tracing is on.
func (o options) openConnector(driverName string, c driver.Connector) *sql.DB {
	if o.tracer == nil {
		return sql.OpenDB(c)
	}
	return otelsql.OpenDB(c, o.tracing(driverName)...)
}

// tracing is the otelsql configuration of WithTracing. It makes spans
// only: Bazaar exports no SQL metrics, so otelsql records its
// per-statement duration histogram into a no-op MeterProvider instead of
// the global one (otelsql v0.44 has no switch to skip the recording).
func (o options) tracing(driverName string) []otelsql.Option {
	return []otelsql.Option{
		otelsql.WithTracerProvider(o.tracer),
		otelsql.WithMeterProvider(noop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", systemName(driverName))),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitConnResetSession: true,
			OmitConnPrepare:      true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}),
	}
}

// systemName is the OpenTelemetry db.system.name of a database/sql driver.
func systemName(driverName string) string {
	if driverName == "pgx" {
		return "postgresql"
	}
	return driverName
}
