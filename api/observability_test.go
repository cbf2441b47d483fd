package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mifmaroc/mif/deploy"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/otlptest"
	"github.com/mifmaroc/mif/internal/poll"
)

// scrape reads /api/v1/health/metrics and parses it as Prometheus does.
func scrape(t *testing.T, env *apitest.Env) map[string]*dto.MetricFamily {
	t.Helper()
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health/metrics"})
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d %s", res.Status, res.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// sample finds the value of the series of family name whose labels include want; ok is false
// when there is none. Histograms answer their count.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.GetUntyped() != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

func mustSample(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	v, ok := sample(fams, name, want)
	if !ok {
		t.Fatalf("no series %s%v in the metrics output", name, want)
	}
	return v
}

// exposedNames lists the names a Prometheus server would store from this output (histograms
// and summaries as their _bucket/_sum/_count series).
func exposedNames(fams map[string]*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for name, f := range fams {
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			out[name], out[name+"_sum"], out[name+"_count"] = true, true, true
		default:
			out[name] = true
		}
	}
	return out
}

// lifecycle takes a new intervention from creation to completion through the API, with the
// given extra headers on every request (a traceparent, for the trace test).
func lifecycle(t *testing.T, env *apitest.Env, header map[string]string) domain.InterventionDetail {
	t.Helper()
	marie := technicienID(t, env, apitest.Technicien)
	body := newIntervention("Observabilité: fuite vérin")
	body["urgence"] = false // no escalation child: the trace and the figures stay about one workflow
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: env.Token(apitest.Responsable), Body: body, Header: header})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var in domain.InterventionDetail
	res.JSON(t, &in)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	for _, s := range []struct {
		who, method, path string
		body              any
	}{
		{apitest.Responsable, "PUT", base + "/assign", map[string]any{"technicien_id": marie}},
		{apitest.Technicien, "POST", base + "/start", nil},
		{apitest.Technicien, "POST", base + "/complete", map[string]any{"rapport": "Joint remplacé", "temps_passe": 45}},
	} {
		r := env.Do(t, apitest.Request{Method: s.method, Path: s.path, Token: env.Token(s.who), Body: s.body, Header: header})
		if r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", s.method, s.path, r.Status, r.Body)
		}
	}
	return in
}

// TestMetricsFollowTheLifecycle drives an intervention from creation to completion and reads
// the metrics endpoint as Prometheus would: business gauges move with what was done, the Temporal
// SDK's worker and client series are there for our task queue, route labels are plain templates,
// and every metric that a Grafana dashboard or an alert rule names exists.
func TestMetricsFollowTheLifecycle(t *testing.T) {
	t.Parallel()
	// Recomputed on every scrape here, so the figures can be compared right after each step.
	env := apitest.New(t, apitest.WithEnv("MIF_METRICS_REFRESH_INTERVAL", "0s"))
	before := scrape(t, env)
	ouverte := map[string]string{"statut": "ouverte", "priorite": "haute"}
	terminee := map[string]string{"statut": "terminee", "priorite": "haute"}
	ouverteBefore := mustSample(t, before, "mif_interventions", ouverte)
	termineeBefore := mustSample(t, before, "mif_interventions", terminee)

	in := lifecycle(t, env, nil)

	after := scrape(t, env)
	if got := mustSample(t, after, "mif_interventions", terminee); got != termineeBefore+1 {
		t.Errorf("mif_interventions%v = %v, want %v", terminee, got, termineeBefore+1)
	}
	if got := mustSample(t, after, "mif_interventions", ouverte); got != ouverteBefore {
		t.Errorf("mif_interventions%v = %v, want %v (the new one went through)", ouverte, got, ouverteBefore)
	}
	var total float64
	for _, m := range after["mif_interventions"].GetMetric() {
		total += m.GetGauge().GetValue()
	}
	if want := float64(countRows(t, env, `SELECT count(*) FROM interventions`)); total != want {
		t.Errorf("sum of mif_interventions = %v, the table holds %v", total, want)
	}
	for name, query := range map[string]string{
		"mif_interventions_overdue": `SELECT count(*) FROM interventions WHERE en_retard AND statut NOT IN ('terminee', 'annulee')`,
		"mif_sla_breaches_total":    `SELECT count(*) FROM interventions WHERE en_retard`,
		"mif_emails_waiting":        `SELECT count(*) FROM notifications WHERE email_statut = 'en_attente'`,
	} {
		// The e-mails of the completion are sent (or queued) by activities still running: read
		// both sides again until they meet.
		if err := poll.Wait(func() error {
			if got, want := mustSample(t, scrape(t, env), name, nil), float64(countRows(t, env, query)); got != want {
				return fmt.Errorf("%s = %v, the database says %v", name, got, want)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	for _, lvl := range []string{"1", "2"} {
		mustSample(t, after, "mif_interventions_escalated", map[string]string{"niveau": lvl})
	}

	// HTTP: the completion is counted under its plain route template.
	route := map[string]string{"method": "POST", "route": "/api/v1/interventions/{id}/complete", "status": "200"}
	if got := mustSample(t, after, "mif_http_requests_total", route); got != 1 {
		t.Errorf("mif_http_requests_total%v = %v, want 1", route, got)
	}
	for _, m := range after["mif_http_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "route" && strings.ContainsAny(lp.GetValue(), ":[]+") {
				t.Errorf("route label carries a pattern: %q", lp.GetValue())
			}
		}
	}
	for _, name := range []string{"mif_http_request_duration_seconds", "temporal_workflow_task_schedule_to_start_latency_seconds"} {
		var bounds []float64
		for _, b := range after[name].GetMetric()[0].GetHistogram().GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) {
				bounds = append(bounds, b.GetUpperBound())
			}
		}
		if len(bounds) == 0 || bounds[0] != 0.001 || bounds[len(bounds)-1] != 10 {
			t.Errorf("%s buckets %v, want 0.001 to 10", name, bounds)
		}
	}

	// Temporal SDK, for this platform's task queue: the worker polled and ran workflow tasks and
	// (local) activities; the client started the workflow and made updates.
	tq := map[string]string{"task_queue": env.Config.Temporal.TaskQueue}
	for _, name := range []string{
		"temporal_workflow_task_schedule_to_start_latency_seconds",
		"temporal_workflow_task_execution_latency_seconds",
		"temporal_local_activity_execution_latency_seconds",
	} {
		if got := mustSample(t, after, name, tq); got < 1 {
			t.Errorf("%s%v counted %v observations, want at least 1", name, tq, got)
		}
	}
	if got := mustSample(t, after, "temporal_num_pollers", map[string]string{"task_queue": env.Config.Temporal.TaskQueue, "poller_type": "workflow_task"}); got < 1 {
		t.Errorf("temporal_num_pollers for workflow tasks = %v, want ≥ 1 while the worker runs", got)
	}
	mustSample(t, after, "temporal_sticky_cache_size", nil)
	// Updates and Update-With-Start are long requests for the SDK (they wait for the handler).
	if got := mustSample(t, after, "temporal_long_request_total", map[string]string{"operation": "UpdateWorkflowExecution"}); got < 3 {
		t.Errorf("temporal_long_request_total for updates = %v, want ≥ 3 (assign, start, complete)", got)
	}
	// The create starts its workflow without waiting for it (the row is written by the API).
	if got := mustSample(t, after, "temporal_request_total", map[string]string{"operation": "StartWorkflowExecution"}); got < 1 {
		t.Errorf("temporal_request_total for the create's start = %v, want ≥ 1", got)
	}
	if got := mustSample(t, after, "temporal_local_activity_total", map[string]string{"activity_type": "CreateIntervention"}); got != 1 {
		t.Errorf("temporal_local_activity_total{activity_type=CreateIntervention} = %v, want 1", got)
	}
	if got := mustSample(t, after, "go_sql_open_connections", map[string]string{"db_name": "mif"}); got < 1 {
		t.Errorf("go_sql_open_connections = %v, want ≥ 1", got)
	}
	if got := mustSample(t, after, "temporal_workflow_task_schedule_to_start_latency_seconds", tq); got == 0 {
		t.Errorf("no schedule-to-start observation")
	}

	t.Run("every metric of the dashboards and alert rules exists", func(t *testing.T) {
		uses, err := deploy.MetricUses()
		if err != nil {
			t.Fatal(err)
		}
		if len(uses) < 20 {
			t.Fatalf("only %d metric uses found in dashboards and rules: the extraction is broken", len(uses))
		}
		// The follow-up activities (e-mails) may still be on their way: scrape until every name is
		// there or the time is up.
		var missing []string
		var exposed map[string]bool
		_ = poll.Wait(func() error { // a timeout leaves missing non-empty, reported below
			exposed, missing = exposedNames(scrape(t, env)), nil
			for _, u := range uses {
				if !exposed[u.Metric] && !deploy.PrometheusOwn[u.Metric] {
					missing = append(missing, fmt.Sprintf("%s (in %s)", u.Metric, u.Where))
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("%d metrics missing", len(missing))
			}
			return nil
		})
		if len(missing) > 0 {
			names := make([]string, 0, len(exposed))
			for n := range exposed {
				if strings.HasPrefix(n, "mif_") || strings.HasPrefix(n, "temporal_") {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			t.Fatalf("not in the metrics output: %s\nexposed: %s", strings.Join(missing, ", "), strings.Join(names, " "))
		}
	})
	_ = in
}

// TestOneTraceFromRequestToSQL sends a traceparent with every request of an intervention's life
// (as a browser instrumented for one user action would) to a platform exporting over OTLP/HTTP to
// an in-process receiver: the whole story is one trace, from the HTTP server spans through the
// workflow's start, the workflow run, its update handlers and activities, down to SQL, the
// e-mails sent and the report encrypted.
func TestOneTraceFromRequestToSQL(t *testing.T) {
	t.Parallel()
	rcv := otlptest.StartHTTP(t)
	env := apitest.New(t,
		apitest.WithEnv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.Endpoint),
		apitest.WithEnv("OTEL_SERVICE_NAME", "mif-test"))
	traceID, parent := randomHex(16), randomHex(8)
	header := map[string]string{"traceparent": "00-" + traceID + "-" + parent + "-01"}

	in := lifecycle(t, env, header)

	// A refused request carries the trace id beside the request id.
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions/" + apitest.ID(in.ID) + "/start",
		Token: env.Token(apitest.Technicien), Header: header})
	if p := res.Problem(t); res.Status != http.StatusConflict || p.TraceID != traceID || p.RequestID == "" {
		t.Fatalf("refused start: %d, trace_id %q (want %q), request_id %q", res.Status, p.TraceID, traceID, p.RequestID)
	}

	has := func(spans []otlptest.Span, kind, prefix string) bool {
		return slices.ContainsFunc(spans, func(s otlptest.Span) bool {
			return (kind == "" || s.Kind == kind) && strings.HasPrefix(s.Name, prefix)
		})
	}
	want := []struct{ kind, prefix string }{
		{"SPAN_KIND_SERVER", "POST /api/v1/interventions"},
		{"SPAN_KIND_SERVER", "PUT /api/v1/interventions/{id}/assign"},
		{"SPAN_KIND_SERVER", "POST /api/v1/interventions/{id}/complete"},
		{"", "StartWorkflow:"},
		{"", "RunWorkflow:InterventionWorkflow"},
		{"", "UpdateWorkflow:"},
		{"", "HandleUpdate:"},
		{"", "StartActivity:"},
		{"", "RunActivity:"},
		{"SPAN_KIND_CLIENT", "sql."},
		{"SPAN_KIND_CLIENT", "smtp.send"}, // the notification e-mails
		{"", "documents.put"},             // the encrypted report of the completion
	}
	spans := rcv.WaitFor(t, 30*time.Second, "the lifecycle's spans in one trace", func(all []otlptest.Span) bool {
		_ = env.Telemetry.ForceFlush(t.Context())
		tr := filter(all, traceID)
		for _, w := range want {
			if !has(tr, w.kind, w.prefix) {
				return false
			}
		}
		return true
	})
	tr := filter(spans, traceID)
	if os.Getenv("MIF_TEST_DUMP_SPANS") != "" {
		for _, s := range tr {
			t.Logf("%s %-55s scope=%s parent=%s", s.Kind, s.Name, s.Scope, s.ParentSpanID)
		}
	}

	// One tree: every span's parent is in the trace, except the server spans, whose parent is the
	// caller's span from the traceparent header.
	ids := map[string]bool{parent: true}
	for _, s := range tr {
		ids[s.SpanID] = true
	}
	for _, s := range tr {
		if !ids[s.ParentSpanID] {
			t.Errorf("span %q has parent %s outside the trace", s.Name, s.ParentSpanID)
		}
		if s.Service != "mif-test" {
			t.Errorf("span %q from service %q", s.Name, s.Service)
		}
	}
	// SQL spans hang under the HTTP requests (reads) and under the activities (writes).
	byID := map[string]otlptest.Span{}
	for _, s := range tr {
		byID[s.SpanID] = s
	}
	underActivity := false
	for _, s := range tr {
		if !strings.HasPrefix(s.Name, "sql.") {
			continue
		}
		for p := byID[s.ParentSpanID]; p.SpanID != ""; p = byID[p.ParentSpanID] {
			if strings.HasPrefix(p.Name, "RunActivity:") {
				underActivity = true
			}
		}
		if s.Attributes["db.query.text"] == "" && s.Attributes["db.statement"] == "" && !strings.Contains(s.Name, "commit") &&
			!strings.Contains(s.Name, "begin") && !strings.Contains(s.Name, "rollback") {
			t.Errorf("SQL span %q without its statement: %v", s.Name, s.Attributes)
		}
	}
	if !underActivity {
		t.Errorf("no SQL span under an activity span")
	}
	// Nothing of this story leaked into another trace: the other spans received are background
	// work (schedules, pollers), never a server span of our requests.
	for _, s := range spans {
		if s.TraceID != traceID && s.Kind == "SPAN_KIND_SERVER" {
			t.Errorf("server span %q in another trace %s", s.Name, s.TraceID)
		}
	}
}

func filter(spans []otlptest.Span, traceID string) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
