package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/workflows"
)

// BenchmarkCreateThroughput sends creates from concurrent clients (BENCH_CLIENTS, default 16)
// against the real dev server, worker in-process, and reports the rate answered (creates/s), the
// rate of workflows that have run their create (started/s: every workflow answers its state query
// — the sustained rate through Temporal), and the latency of the answers:
//
//	go test ./api/ -run '^$' -bench BenchmarkCreateThroughput -benchtime 300x
func BenchmarkCreateThroughput(b *testing.B) {
	env := apitest.New(b)
	tok := env.Token(apitest.Responsable)
	clients, _ := strconv.Atoi(os.Getenv("BENCH_CLIENTS"))
	if clients <= 0 {
		clients = 16
	}
	var (
		mu    sync.Mutex
		lat   []time.Duration
		wfIDs []string
		seq   atomic.Int64
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.SetParallelism((clients + 1) / 2) // RunParallel runs GOMAXPROCS × parallelism goroutines (2 cores here)
	b.ResetTimer()
	began := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := newIntervention(fmt.Sprintf("Débit %d", seq.Add(1)))
			body["priorite"], body["urgence"], body["date_limite"] = "normale", false, nil
			raw, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", env.URL+"/api/v1/interventions", bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			d := time.Since(t0)
			var created struct {
				WorkflowID string `json:"workflow_id"`
			}
			if res.StatusCode != http.StatusCreated || json.Unmarshal(out, &created) != nil {
				b.Errorf("create: %d %s", res.StatusCode, out)
				return
			}
			mu.Lock()
			lat, wfIDs = append(lat, d), append(wfIDs, created.WorkflowID)
			mu.Unlock()
		}
	})
	answered := time.Since(began)
	// Every workflow has run its create once it answers its query with the row.
	ctx := context.Background()
	work := make(chan string)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				err := poll.Wait(func() error {
					v, err := env.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryState)
					var st workflows.InterventionState
					if err == nil {
						err = v.Get(&st)
					}
					if err == nil && !st.Cree {
						err = fmt.Errorf("%s: not created yet", id)
					}
					return err
				}, poll.Timeout(2*time.Minute))
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, id := range wfIDs {
		work <- id
	}
	close(work)
	wg.Wait()
	drained := time.Since(began)
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/answered.Seconds(), "creates/s")
	b.ReportMetric(float64(len(wfIDs))/drained.Seconds(), "started/s")
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.95), "p95-ms")
}
