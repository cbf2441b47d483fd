package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// HTTPHandler wraps the whole HTTP stack in a server span, continuing the caller's trace when a
// traceparent header comes in. The span is named after the method until the router knows the
// route template, which then renames it (api/metrics.go). HTTP metrics stay the API's own
// (mif_http_*), so otelhttp's are not recorded.
func (t *Telemetry) HTTPHandler(next http.Handler) http.Handler {
	if t.sdkTP == nil {
		return next
	}
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithTracerProvider(t.tracer),
		otelhttp.WithPropagators(t.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// TraceID is the id of the trace ctx belongs to, or "" outside any trace (tracing off); logs
// and problem+json answers carry it beside the request id. An unsampled trace keeps its id: the
// caller that started it may have recorded its own part.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
