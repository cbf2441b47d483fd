package telemetry

import (
	"fmt"

	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.uber.org/zap"
)

// TemporalClientOptions sets the Temporal SDK's metrics handler and, when tracing is on, its
// OpenTelemetry tracing interceptor. Workers built from the client inherit both (the interceptor
// is also a worker interceptor), so one trace runs from the HTTP request through the
// Update-With-Start, the workflow run, its update handlers and its activities.
//
// The SDK's metrics reach Prometheus through OpenTelemetry with their own names plus a unit or
// _total suffix: temporal_workflow_task_schedule_to_start_latency_seconds,
// temporal_activity_execution_latency_seconds, temporal_sticky_cache_size, temporal_num_pollers,
// temporal_request_total... (README, Observability).
func (t *Telemetry) TemporalClientOptions(o *client.Options) error {
	o.MetricsHandler = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                t.meters.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true, // counters as Prometheus counters (_total), rate() works
		// The default panics; a metric that cannot be recorded must not take a worker down.
		OnError: func(err error) { t.log.Warn("temporal metric", zap.Error(err)) },
	})
	if t.sdkTP == nil {
		return nil
	}
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.tracer.Tracer("go.temporal.io/sdk"),
		TextMapPropagator: t.prop,
	})
	if err != nil {
		return fmt.Errorf("telemetry: temporal tracing interceptor: %w", err)
	}
	o.Interceptors = append([]interceptor.ClientInterceptor{ti}, o.Interceptors...)
	return nil
}
