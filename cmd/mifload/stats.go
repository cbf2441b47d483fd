package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sample is one request's outcome.
type sample struct {
	endpoint string
	start    time.Time
	latency  time.Duration
	code     int    // 0 when no answer came (transport error, timeout)
	err      string // transport error, when code is 0
	location string // a create's Location (201, 202): where its workflow's uptake is checked
}

// Latencies is a summary of latencies, in milliseconds for the JSON output.
type Latencies struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// EndpointSummary is what one endpoint (or all of them) did.
type EndpointSummary struct {
	Endpoint   string         `json:"endpoint"`
	Requests   int            `json:"requests"`
	Successes  int            `json:"successes"`
	Rate       float64        `json:"rate_per_s"` // completed requests per second of the run
	Latency    Latencies      `json:"latency"`
	Statuses   map[string]int `json:"statuses"`         // by HTTP status code
	Transport  map[string]int `json:"transport_errors"` // no HTTP answer, by error
	SuccessLat Latencies      `json:"success_latency"`  // successful requests only
	ErrorShare float64        `json:"error_share"`      // failed / requests
}

// percentile is the nearest-rank percentile q (0 < q ≤ 1) of sorted values: the smallest value
// with at least q of the values at or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// round2 rounds to hundredths, as the figures are reported.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// perSecond is n over d, in hundredths.
func perSecond(n int, d time.Duration) float64 { return round2(float64(n) / d.Seconds()) }

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

func summarizeLatencies(lat []time.Duration) Latencies {
	if len(lat) == 0 {
		return Latencies{}
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return Latencies{
		P50: ms(percentile(sorted, 0.50)), P95: ms(percentile(sorted, 0.95)), P99: ms(percentile(sorted, 0.99)),
		Max: ms(sorted[len(sorted)-1]), Mean: ms(sum / time.Duration(len(sorted))),
	}
}

// success: a 2xx answer (the scenario expects 200 and 201).
func success(code int) bool { return code >= 200 && code < 300 }

// summarize groups samples by endpoint (in the order of names, then any other) plus "all",
// with rates over the run's duration.
func summarize(samples []sample, names []string, duration time.Duration) []EndpointSummary {
	by := map[string][]sample{}
	for _, s := range samples {
		by[s.endpoint] = append(by[s.endpoint], s)
	}
	order := slices.Clone(names)
	var extra []string
	for name := range by {
		if !slices.Contains(order, name) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	order = append(order, extra...)
	var out []EndpointSummary
	for _, name := range order {
		if len(by[name]) > 0 {
			out = append(out, summarizeOne(name, by[name], duration))
		}
	}
	return append(out, summarizeOne("all", samples, duration))
}

func summarizeOne(name string, samples []sample, duration time.Duration) EndpointSummary {
	s := EndpointSummary{Endpoint: name, Requests: len(samples), Statuses: map[string]int{}, Transport: map[string]int{}}
	lat := make([]time.Duration, 0, len(samples))
	var ok []time.Duration
	for _, x := range samples {
		lat = append(lat, x.latency)
		if x.code == 0 {
			s.Transport[shortError(x.err)]++
			continue
		}
		s.Statuses[strconv.Itoa(x.code)]++
		if success(x.code) {
			s.Successes++
			ok = append(ok, x.latency)
		}
	}
	s.Latency, s.SuccessLat = summarizeLatencies(lat), summarizeLatencies(ok)
	if duration > 0 {
		s.Rate = perSecond(len(samples), duration)
	}
	if len(samples) > 0 {
		s.ErrorShare = math.Round(float64(len(samples)-s.Successes)/float64(len(samples))*1e4) / 1e4
	}
	return s
}

// shortError keeps the gist of a transport error (addresses and ports vary per request).
func shortError(e string) string {
	switch {
	case strings.Contains(e, "Client.Timeout") || strings.Contains(e, "deadline exceeded") || strings.Contains(e, "timeout"):
		return "timeout"
	case strings.Contains(e, "connection refused"):
		return "connection refused"
	case strings.Contains(e, "connection reset"):
		return "connection reset"
	case strings.Contains(e, "EOF"):
		return "connection closed (EOF)"
	case strings.Contains(e, "too many open files"):
		return "too many open files (driver)"
	case e == "":
		return "unknown"
	}
	if len(e) > 80 {
		return e[:80]
	}
	return e
}

func printTable(w io.Writer, rows []EndpointSummary) {
	fmt.Fprintf(w, "%-24s %8s %8s %9s %9s %9s %9s %9s  %s\n", "endpoint", "requests", "rate/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms", "errors")
	for _, r := range rows {
		fmt.Fprintf(w, "%-24s %8d %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f  %s\n", r.Endpoint, r.Requests, r.Rate,
			r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max, r.Latency.Mean, errorText(r))
	}
}

// errorText lists the failures of a row: non-2xx statuses and transport errors, by count.
func errorText(r EndpointSummary) string {
	var parts []string
	codes := make([]string, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if n, _ := strconv.Atoi(c); !success(n) {
			parts = append(parts, fmt.Sprintf("%s×%d", c, r.Statuses[c]))
		}
	}
	errs := make([]string, 0, len(r.Transport))
	for e := range r.Transport {
		errs = append(errs, e)
	}
	sort.Strings(errs)
	for _, e := range errs {
		parts = append(parts, fmt.Sprintf("%s×%d", e, r.Transport[e]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
