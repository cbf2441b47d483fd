package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mifmaroc/mif/telemetry"
)

// metrics are the server's Prometheus collectors, in a registry of its own (no global state:
// two servers in one test process count separately).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	refused  *prometheus.CounterVec // admission.go
}

func newMetrics(tel *telemetry.Telemetry) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mif_http_requests_total", Help: "HTTP requests by route template, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mif_http_request_duration_seconds", Help: "HTTP request duration by route template and method.",
			Buckets: telemetry.Buckets,
		}, []string{"method", "route"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mif_http_overloaded_total", Help: "Requests refused with 503 overloaded by the admission limit, by class (read, write).",
		}, []string{"class"}),
	}
	if tel != nil {
		m.registry = tel.Registry() // the process's one registry (Temporal, business, pool, runtime)
	} else {
		m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m.registry.MustRegister(m.requests, m.duration, m.refused)
	return m
}

// instrument counts matched requests by their route template (never the raw path: ids would
// make the series unbounded).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := routeLabel(r) // metrics_route.go
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(r.Method, route).Observe(time.Since(start).Seconds())
	})
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// overloaded counts a request refused by the admission limit.
func (m *metrics) overloaded(read bool) {
	class := "write"
	if read {
		class = "read"
	}
	m.refused.WithLabelValues(class).Inc()
}
