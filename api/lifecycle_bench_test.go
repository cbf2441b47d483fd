package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/internal/apitest"
)

// BenchmarkLifecycleLatency measures the API latency of create and of each transition against the
// real dev server (in-memory SQLite, worker in-process, PostgreSQL on localhost), and reports p50
// and p95 per operation. One iteration is one intervention taken through its whole life:
//
//	go test ./api/ -run '^$' -bench BenchmarkLifecycleLatency -benchtime 50x
func BenchmarkLifecycleLatency(b *testing.B) {
	env := apitest.New(b)
	// normale: no escalation child; urgente: haute + urgence, with its EscalationWorkflow.
	for _, kind := range []string{"normale", "urgente"} {
		b.Run(kind, func(b *testing.B) { benchLifecycle(b, env, kind == "urgente") })
	}
}

func benchLifecycle(b *testing.B, env *apitest.Env, urgent bool) {
	resp, tech := env.Token(apitest.Responsable), env.Token(apitest.Technicien)
	marie := technicienID(&testing.T{}, env, apitest.Technicien)
	ops := []string{"create", "assign", "start", "pause", "resume", "complete"}
	lat := map[string][]time.Duration{}
	pause, _ := time.ParseDuration(os.Getenv("BENCH_PAUSE"))
	do := func(op, method, path, token string, body any) []byte {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, env.URL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if pause > 0 {
			time.Sleep(pause)
		}
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		lat[op] = append(lat[op], time.Since(t0))
		if res.StatusCode >= 300 {
			b.Fatalf("%s: %d %s", op, res.StatusCode, out)
		}
		return out
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := newIntervention(fmt.Sprintf("Bench %d", i))
		if !urgent {
			body["priorite"], body["urgence"] = "normale", false
		}
		var created struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(do("create", "POST", "/api/v1/interventions", resp, body), &created); err != nil {
			b.Fatal(err)
		}
		base := "/api/v1/interventions/" + apitest.ID(created.ID)
		do("assign", "PUT", base+"/assign", resp, map[string]any{"technicien_id": marie,
			"date_planifiee": time.Now().Add(time.Duration(i+1) * time.Hour).UTC(), "duree_estimee": 60})
		do("start", "POST", base+"/start", tech, map[string]any{})
		do("pause", "POST", base+"/pause", tech, map[string]any{})
		do("resume", "POST", base+"/resume", tech, map[string]any{})
		do("complete", "POST", base+"/complete", tech, map[string]any{"rapport": "ok"})
	}
	b.StopTimer()
	for _, op := range ops {
		d := lat[op]
		slices.Sort(d)
		p := func(q float64) float64 {
			return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
		}
		b.ReportMetric(p(0.50), op+"-p50-ms")
		b.ReportMetric(p(0.95), op+"-p95-ms")
	}
}
