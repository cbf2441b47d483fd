package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Telemetry configures traces, metrics and how long a process waits for its dependencies.
//
// Traces follow the standard OpenTelemetry variables, so the usual deployment tooling works
// unchanged: they are off unless an OTLP endpoint is given (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turns
// them off again. The exporter itself still reads the variables this struct does not carry
// (OTEL_EXPORTER_OTLP_HEADERS, _CERTIFICATE, _TIMEOUT, _COMPRESSION).
type Telemetry struct {
	// TracesEndpoint is the full URL spans are sent to; empty means tracing is off.
	TracesEndpoint string
	// TracesProtocol is "http/protobuf" (the specification's default) or "grpc".
	TracesProtocol string
	// ServiceName is the service.name resource attribute (OTEL_SERVICE_NAME).
	ServiceName string
	// ResourceAttributes are the extra resource attributes of OTEL_RESOURCE_ATTRIBUTES.
	ResourceAttributes map[string]string
	// Sampler is one of the specification's names (OTEL_TRACES_SAMPLER) and SamplerArg its
	// ratio (OTEL_TRACES_SAMPLER_ARG) for the traceidratio samplers.
	Sampler    string
	SamplerArg float64

	// BusinessMetricsInterval is the longest a scrape serves cached business gauges before they
	// are recomputed (one aggregate query per interval at most, whatever the scrape rate); 0
	// recomputes them on every scrape.
	BusinessMetricsInterval time.Duration
	// StartupTimeout bounds how long start-up keeps retrying PostgreSQL and Temporal (they may
	// still be starting, e.g. in docker compose or a Kubernetes rollout) before giving up.
	StartupTimeout time.Duration
}

// TracingEnabled says whether spans are exported.
func (t Telemetry) TracingEnabled() bool { return t.TracesEndpoint != "" }

var samplers = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

func (r *reader) telemetry() Telemetry {
	t := Telemetry{
		ServiceName:             r.str("OTEL_SERVICE_NAME", "mif"),
		Sampler:                 r.oneOf("OTEL_TRACES_SAMPLER", "parentbased_always_on", samplers...),
		SamplerArg:              1,
		BusinessMetricsInterval: r.duration("MIF_METRICS_REFRESH_INTERVAL", 30*time.Second),
		StartupTimeout:          r.duration("MIF_STARTUP_TIMEOUT", 2*time.Minute),
	}
	if s := r.str("OTEL_TRACES_SAMPLER_ARG", ""); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > 1 {
			r.fail("OTEL_TRACES_SAMPLER_ARG", fmt.Sprintf("must be a ratio between 0 and 1, got %q", s))
		} else {
			t.SamplerArg = f
		}
	}
	t.ResourceAttributes = r.resourceAttributes("OTEL_RESOURCE_ATTRIBUTES")
	if t.BusinessMetricsInterval < 0 || t.BusinessMetricsInterval > time.Hour {
		r.fail("MIF_METRICS_REFRESH_INTERVAL", "must be between 0s and 1h")
	}
	if t.StartupTimeout < 0 || t.StartupTimeout > time.Hour {
		r.fail("MIF_STARTUP_TIMEOUT", "must be between 0s (one attempt) and 1h")
	}

	off := r.boolean("OTEL_SDK_DISABLED", false)
	switch exp := strings.ToLower(r.str("OTEL_TRACES_EXPORTER", "otlp")); exp {
	case "otlp":
	case "none":
		off = true
	default:
		r.fail("OTEL_TRACES_EXPORTER", fmt.Sprintf("only otlp (or none) is supported, got %q", exp))
	}
	protoVar := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	proto := r.str(protoVar, "")
	if proto == "" {
		protoVar = "OTEL_EXPORTER_OTLP_PROTOCOL"
		proto = r.str(protoVar, "http/protobuf")
	}
	switch proto {
	case "http/protobuf", "grpc":
		t.TracesProtocol = proto
	default:
		r.fail(protoVar, fmt.Sprintf("must be http/protobuf or grpc, got %q", proto))
	}
	name, endpoint := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", r.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	generic := false
	if endpoint == "" {
		name, endpoint, generic = "OTEL_EXPORTER_OTLP_ENDPOINT", r.str("OTEL_EXPORTER_OTLP_ENDPOINT", ""), true
	}
	if endpoint == "" || off {
		return t
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, fmt.Sprintf("must be an http:// or https:// URL, got %q", endpoint))
		return t
	}
	// The specification: over HTTP the generic endpoint is a base to which the signal's path is
	// appended; the per-signal endpoint is used as it is. gRPC has no path.
	if generic && t.TracesProtocol == "http/protobuf" {
		u.Path = strings.TrimRight(u.Path, "/") + "/v1/traces"
	}
	t.TracesEndpoint = u.String()
	return t
}

// resourceAttributes parses "key=value,key2=value2" (values percent-encoded, as the
// specification says).
func (r *reader) resourceAttributes(name string) map[string]string {
	out := map[string]string{}
	for _, item := range r.list(name, "") {
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			r.fail(name, fmt.Sprintf("%q is not key=value", item))
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		out[k] = v
	}
	return out
}
