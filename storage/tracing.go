package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// OpenOption adjusts how Open connects.
type OpenOption func(*openOptions)

type openOptions struct{ tracer trace.TracerProvider }

// WithTracing records a span for every statement, transaction and commit run on behalf of a
// traced operation (an HTTP request, a workflow activity). Statements outside any trace (the
// business-metrics refresh, the LISTEN connection) start no trace of their own: a root span
// per background query would bury the traces people look for. Spans carry the statement text
// with its $N placeholders, never the arguments.
func WithTracing(tp trace.TracerProvider) OpenOption {
	return func(o *openOptions) { o.tracer = tp }
}

// openDB opens lib/pq, wrapped by otelsql when tracing is asked for.
func openDB(url string, o openOptions) (*sql.DB, error) {
	if o.tracer == nil {
		return sql.Open("postgres", url)
	}
	return otelsql.Open("postgres", url,
		otelsql.WithTracerProvider(o.tracer),
		// Pool figures are published by the Prometheus DB-stats collector; no second copy.
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", "postgresql")),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitConnResetSession: true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			DisableErrSkip:       true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return trace.SpanContextFromContext(ctx).IsValid()
			},
		}))
}
