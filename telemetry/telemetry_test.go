package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/internal/otlptest"
	"github.com/mifmaroc/mif/telemetry"
)

func load(t *testing.T, env map[string]string) config.Telemetry {
	t.Helper()
	c, err := config.Load(config.ModeDev, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return c.Telemetry
}

func TestTracingIsOffWithoutAnEndpoint(t *testing.T) {
	tel, err := telemetry.New(context.Background(), load(t, nil), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	if tel.TracingEnabled() {
		t.Fatal("tracing on without OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := telemetry.TraceID(r.Context()); id != "" {
			t.Errorf("a trace id without tracing: %s", id)
		}
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	tel.HTTPHandler(h).ServeHTTP(rec, req)
}

// Both OTLP protocols reach a real receiver, with the service name and the caller's trace kept.
func TestSpansReachTheReceiver(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		start    func(testing.TB) *otlptest.Receiver
	}{{"http/protobuf", otlptest.StartHTTP}, {"grpc", otlptest.StartGRPC}} {
		t.Run(tc.protocol, func(t *testing.T) {
			rcv := tc.start(t)
			tel, err := telemetry.New(context.Background(), load(t, map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.Endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL": tc.protocol,
				"OTEL_SERVICE_NAME":           "mif-unit",
				"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment=test",
			}), zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			var seen string
			h := tel.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = telemetry.TraceID(r.Context())
			}))
			req := httptest.NewRequest("GET", "/api/v1/health", nil)
			req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			h.ServeHTTP(httptest.NewRecorder(), req)
			if seen != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Fatalf("the handler saw trace %q, want the caller's", seen)
			}
			if err := tel.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := rcv.WaitFor(t, 10*time.Second, "the server span", func(s []otlptest.Span) bool { return len(s) > 0 })
			s := spans[0]
			if s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.ParentSpanID != "00f067aa0ba902b7" || s.Kind != "SPAN_KIND_SERVER" || s.Service != "mif-unit" {
				t.Fatalf("span %+v", s)
			}
		})
	}
}

func TestSamplerAlwaysOffExportsNothingButKeepsTheTraceID(t *testing.T) {
	rcv := otlptest.StartHTTP(t)
	tel, err := telemetry.New(context.Background(), load(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.Endpoint,
		"OTEL_TRACES_SAMPLER":         "traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0",
	}), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	var seen string
	h := tel.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = telemetry.TraceID(r.Context()) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if seen == "" {
		t.Fatal("an unsampled request has no trace id for its logs")
	}
	_ = tel.ForceFlush(context.Background())
	// The ratio 0 sampler drops every root span: give the exporter a moment, then check.
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.Spans()); n != 0 {
		t.Fatalf("ratio 0 exported %d spans", n)
	}
}

func TestHistogramBucketsResolveMillisecondsToTenSeconds(t *testing.T) {
	if b := telemetry.Buckets; b[0] != 0.001 || b[len(b)-1] != 10 {
		t.Fatalf("buckets %v", b)
	}
	for i := 1; i < len(telemetry.Buckets); i++ {
		if telemetry.Buckets[i] <= telemetry.Buckets[i-1] {
			t.Fatalf("buckets not increasing: %v", telemetry.Buckets)
		}
	}
}

func TestTelemetryConfiguration(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		endpoint string
		protocol string
	}{
		{map[string]string{}, "", "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318/v1/traces", "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/base/"}, "http://collector:4318/base/v1/traces", "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://x.example/custom"}, "https://x.example/custom", "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http://collector:4317", "grpc"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, "", "http/protobuf"},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, "", "http/protobuf"},
	} {
		c := load(t, tc.env)
		if c.TracesEndpoint != tc.endpoint || c.TracesProtocol != tc.protocol {
			t.Errorf("%v: endpoint %q protocol %q, want %q %q", tc.env, c.TracesEndpoint, c.TracesProtocol, tc.endpoint, tc.protocol)
		}
	}
	c := load(t, map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,team=ma%20int"})
	if c.ResourceAttributes["team"] != "ma int" || c.ResourceAttributes["deployment.environment"] != "prod" || c.ServiceName != "mif" {
		t.Errorf("resource %v service %q", c.ResourceAttributes, c.ServiceName)
	}
	_, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT":  "collector:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL":  "thrift",
			"OTEL_TRACES_SAMPLER":          "sometimes",
			"OTEL_TRACES_SAMPLER_ARG":      "2",
			"OTEL_TRACES_EXPORTER":         "zipkin",
			"MIF_METRICS_REFRESH_INTERVAL": "-1s",
			"MIF_STARTUP_TIMEOUT":          "forever",
		}[k]
		return v, ok
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_SAMPLER",
		"OTEL_TRACES_SAMPLER_ARG", "OTEL_TRACES_EXPORTER", "MIF_METRICS_REFRESH_INTERVAL", "MIF_STARTUP_TIMEOUT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
