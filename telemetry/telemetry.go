// Package telemetry sets up what the platform tells operators about itself: OpenTelemetry traces
// (exported over OTLP, off unless the standard OTEL_* variables ask for them) and the one
// Prometheus registry served at /api/v1/health/metrics, which holds the HTTP metrics, the
// Temporal SDK's metrics, the business gauges, the database pool and the Go runtime.
//
// Nothing here is global: cmd/mif (and the test harness) build one Telemetry per process and pass
// it down, so two platforms in one test binary keep separate traces and metrics.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
)

// Buckets are the histogram boundaries of every duration we publish (HTTP and Temporal SDK):
// from 1 ms, where a local activity or a cached read lands, to 10 s, past which a request has
// failed its users whatever it returns.
var Buckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Telemetry is one process's tracer provider and metrics registry.
type Telemetry struct {
	cfg      config.Telemetry
	log      *zap.Logger
	registry *prometheus.Registry
	meters   *sdkmetric.MeterProvider
	tracer   trace.TracerProvider
	sdkTP    *sdktrace.TracerProvider // nil when tracing is off
	prop     propagation.TextMapPropagator
}

// New builds the registry (with Go runtime and process collectors), the OpenTelemetry meter
// provider that feeds the Temporal SDK's metrics into it, and the tracer provider: an OTLP
// exporter behind a batch processor when cfg.TracesEndpoint is set, a no-op otherwise.
func New(ctx context.Context, cfg config.Telemetry, log *zap.Logger) (*Telemetry, error) {
	t := &Telemetry{
		cfg:      cfg,
		log:      log.Named("telemetry"),
		registry: prometheus.NewRegistry(),
		prop:     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		tracer:   noop.NewTracerProvider(),
	}
	if err := t.registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if err := t.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	// The OpenTelemetry → Prometheus bridge: no scope labels or target_info series (one process,
	// one scope that matters), unit and _total suffixes kept so names say what they measure.
	exporter, err := otelprom.New(otelprom.WithRegisterer(t.registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	t.meters = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter),
		sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: Buckets}})))

	if !cfg.TracingEnabled() {
		return t, nil
	}
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.sdkTP = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg)),
	)
	t.tracer = t.sdkTP
	t.log.Info("tracing on", zap.String("endpoint", cfg.TracesEndpoint), zap.String("protocol", cfg.TracesProtocol),
		zap.String("sampler", cfg.Sampler))
	return t, nil
}

func newExporter(ctx context.Context, cfg config.Telemetry) (*otlptrace.Exporter, error) {
	var (
		exp *otlptrace.Exporter
		err error
	)
	// The URL given wins over the exporter's own reading of the endpoint variables; headers,
	// certificates, timeout and compression are still read from OTEL_EXPORTER_OTLP_* by it.
	if cfg.TracesProtocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(cfg.TracesEndpoint))
	} else {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.TracesEndpoint))
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	return exp, nil
}

func newResource(ctx context.Context, cfg config.Telemetry) (*resource.Resource, error) {
	attrs := make([]attribute.KeyValue, 0, len(cfg.ResourceAttributes)+2)
	for k, v := range cfg.ResourceAttributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs, attribute.String("service.name", cfg.ServiceName))
	if host, err := os.Hostname(); err == nil {
		// Replicas of one service tell themselves apart by their host (container) name.
		attrs = append(attrs, attribute.String("service.instance.id", host))
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

func sampler(cfg config.Telemetry) sdktrace.Sampler {
	switch cfg.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(cfg.SamplerArg)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SamplerArg))
	default: // parentbased_always_on, the specification's default
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// Registry is the process's one Prometheus registry.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// TracerProvider gives tracers: the SDK's when tracing is on, a no-op otherwise (also for a nil
// Telemetry, so that code built without one, as in unit tests, traces nothing).
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t == nil {
		return noop.NewTracerProvider()
	}
	return t.tracer
}

// Propagator carries trace context across HTTP and Temporal: W3C trace context and baggage.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.prop }

// TracingEnabled says whether spans leave the process.
func (t *Telemetry) TracingEnabled() bool { return t.sdkTP != nil }

// ForceFlush exports the spans ended so far (tests, and before a planned stop).
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	if t.sdkTP == nil {
		return nil
	}
	return t.sdkTP.ForceFlush(ctx)
}

// Shutdown flushes and stops the exporters, within ctx.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.sdkTP != nil {
		errs = append(errs, t.sdkTP.Shutdown(ctx))
	}
	errs = append(errs, t.meters.Shutdown(ctx))
	return errors.Join(errs...)
}

// ShutdownTimeout bounds the final flush when the caller has no deadline of its own.
const ShutdownTimeout = 5 * time.Second
