package main

import (
	"context"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOfferedRate(t *testing.T) {
	for _, c := range []struct {
		users    int
		lo, hi   time.Duration
		want     float64
		scenario string
	}{
		{100, 500 * time.Millisecond, 2 * time.Second, 80, "the seed's 100 users"},
		{1000, 500 * time.Millisecond, 2 * time.Second, 800, "ten times the seed"},
		{10, time.Second, time.Second, 10, "fixed think time"},
		{3, 0, 2 * time.Second, 3, "mean of one second"},
	} {
		if got := offeredRate(c.users, c.lo, c.hi); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: %v req/s, want %v", c.scenario, got, c.want)
		}
	}
	if !math.IsInf(offeredRate(5, 0, 0), 1) {
		t.Error("no think time must mean no limit")
	}
}

func TestWeightedPickFollowsWeights(t *testing.T) {
	w, err := roleScenario("responsable", map[string]int{"equipements": 3, "interventions": 3, "dashboard": 2, "create": 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 90000
	got := map[string]int{}
	for range n {
		got[w.pick(r).Name]++
	}
	want := map[string]float64{epEquipements.Name: 3.0 / 9, epInterventions.Name: 3.0 / 9, epDashboard.Name: 2.0 / 9, epCreate.Name: 1.0 / 9}
	for name, share := range want {
		if math.Abs(float64(got[name])/n-share) > 0.01 {
			t.Errorf("%s: %.3f of the picks, want %.3f", name, float64(got[name])/n, share)
		}
	}
	// Roles that may not create read with the same relative weights and never create.
	for _, role := range []string{"technicien", "client"} {
		w, err := roleScenario(role, map[string]int{"equipements": 3, "interventions": 3, "dashboard": 2, "create": 1})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for range n {
			got[w.pick(r).Name]++
		}
		if got[epCreate.Name] != 0 {
			t.Errorf("%s created %d times", role, got[epCreate.Name])
		}
		if math.Abs(float64(got[epDashboard.Name])/n-2.0/8) > 0.01 {
			t.Errorf("%s: dashboard %.3f, want 0.25", role, float64(got[epDashboard.Name])/n)
		}
	}
	if _, err := newWeighted([]string{"a", "b"}, []int{0, 0}); err == nil {
		t.Error("all-zero weights accepted")
	}
	if _, err := roleScenario("client", map[string]int{"create": 1}); err == nil {
		t.Error("a client with only creates has nothing to do, and must be refused")
	}
}

func TestParseWeights(t *testing.T) {
	w, err := parseWeights(defaultWeights, []string{"equipements", "interventions", "dashboard", "create"})
	if err != nil || w["equipements"] != 3 || w["interventions"] != 3 || w["dashboard"] != 2 || w["create"] != 1 {
		t.Fatalf("default weights: %v, %v", w, err)
	}
	for _, bad := range []string{"", "create", "create=-1", "create=x", "delete=1", "create=1,,=2"} {
		if _, err := parseWeights(bad, []string{"create"}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPoissonPacer(t *testing.T) {
	const rate = 80.0
	p := newPoissonPacer(rate, 7)
	const n = 20000
	last := p.arrival(n - 1)
	if got := float64(n) / last.Seconds(); math.Abs(got-rate)/rate > 0.03 {
		t.Errorf("mean rate %.1f/s, want %.0f", got, rate)
	}
	// Arrivals grow, and the pacer never skips one: behind schedule it says go now.
	p = newPoissonPacer(rate, 7)
	prev := time.Duration(-1)
	for i := range uint64(1000) {
		a := p.arrival(i)
		if a < prev {
			t.Fatalf("arrival %d at %s before the previous %s", i, a, prev)
		}
		prev = a
	}
	q, first := newPoissonPacer(rate, 7), newPoissonPacer(rate, 7).arrival(0)
	wait, stop := q.Pace(0, 0)
	if stop || wait != first {
		t.Errorf("first pace: wait %s stop %v, want %s", wait, stop, first)
	}
	wait, _ = q.Pace(time.Hour, 5)
	if wait >= 0 || q.lagMax < 59*time.Minute || q.lagging != 1 {
		t.Errorf("behind schedule: wait %s, lag %s, %d late", wait, q.lagMax, q.lagging)
	}
	// Gaps are exponential: their spread is their mean (a constant pacer would have none).
	r := newPoissonPacer(rate, 9)
	var sum, sq float64
	for range n {
		g := r.gap().Seconds()
		sum += g
		sq += g * g
	}
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	if math.Abs(sd/mean-1) > 0.05 {
		t.Errorf("gap sd/mean %.3f, want 1 (Poisson arrivals)", sd/mean)
	}
}

func TestThinkTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sum time.Duration
	const n = 20000
	for range n {
		d := thinkTime(r, defaultThinkMin, defaultThinkMax)
		if d < defaultThinkMin || d > defaultThinkMax {
			t.Fatalf("think time %s out of range", d)
		}
		sum += d
	}
	if mean := sum / n; mean < 1200*time.Millisecond || mean > 1300*time.Millisecond {
		t.Errorf("mean think time %s, want 1.25 s", mean)
	}
}

func TestPercentile(t *testing.T) {
	var v []time.Duration
	for i := 1; i <= 100; i++ {
		v = append(v, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.95: 95, 0.99: 99, 1: 100, 0.001: 1} {
		if got := percentile(v, q); got != want*time.Millisecond {
			t.Errorf("p%v = %s, want %s", q*100, got, want*time.Millisecond)
		}
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("one value: %s", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("no value: %s", got)
	}
	// Nearest rank: 10 values, p95 is the 10th (no interpolation that would invent a value).
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 1000}
	if got := percentile(ten, 0.95); got != 1000 {
		t.Errorf("p95 of ten values: %s, want the largest", got)
	}
}

func TestSummarize(t *testing.T) {
	var samples []sample
	add := func(ep string, n int, lat time.Duration, code int, err string) {
		for range n {
			samples = append(samples, sample{endpoint: ep, latency: lat, code: code, err: err})
		}
	}
	add(epEquipements.Name, 90, 10*time.Millisecond, 200, "")
	add(epEquipements.Name, 10, 300*time.Millisecond, 200, "")
	add(epCreate.Name, 8, 50*time.Millisecond, 201, "")
	add(epCreate.Name, 1, 2*time.Second, 503, "")
	add(epCreate.Name, 1, 30*time.Second, 0, `Post "http://127.0.0.1:8000/api/v1/interventions": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)
	rows := summarize(samples, []string{epEquipements.Name, epInterventions.Name, epCreate.Name}, 10*time.Second)
	if len(rows) != 3 || rows[0].Endpoint != epEquipements.Name || rows[1].Endpoint != epCreate.Name || rows[2].Endpoint != "all" {
		t.Fatalf("rows: %+v", rows)
	}
	eq, cr, all := rows[0], rows[1], rows[2]
	if eq.Requests != 100 || eq.Successes != 100 || eq.Latency.P50 != 10 || eq.Latency.P95 != 300 || eq.Latency.P99 != 300 || eq.Rate != 10 {
		t.Errorf("equipements: %+v", eq)
	}
	if cr.Requests != 10 || cr.Successes != 8 || cr.Statuses["503"] != 1 || cr.Statuses["201"] != 8 || cr.Transport["timeout"] != 1 ||
		cr.ErrorShare != 0.2 || cr.Latency.Max != 30000 || cr.SuccessLat.Max != 50 {
		t.Errorf("create: %+v", cr)
	}
	if all.Requests != 110 || all.Successes != 108 || all.Latency.P99 != 2000 {
		t.Errorf("all: %+v", all)
	}
	if got := errorText(cr); got != "503×1, timeout×1" {
		t.Errorf("errors: %q", got)
	}
}

func TestRefreshAt(t *testing.T) {
	issued := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if got := refreshAt(issued, issued.Add(15*time.Minute)); !got.Equal(issued.Add(12 * time.Minute)) {
		t.Errorf("15-minute token refreshed at %s", got.Sub(issued))
	}
	if got := refreshAt(issued, issued.Add(3*time.Minute)); !got.Equal(issued.Add(2 * time.Minute)) {
		t.Errorf("3-minute token refreshed at %s, want a minute before its end", got.Sub(issued))
	}
	if got := refreshAt(issued, issued.Add(30*time.Second)); !got.Equal(issued) {
		t.Errorf("nearly expired token refreshed at %s, want at once", got.Sub(issued))
	}
}

func TestClassify(t *testing.T) {
	base := "http://127.0.0.1:8000"
	for u, want := range map[string]string{
		base + "/api/v1/equipements":            epEquipements.Name,
		base + "/api/v1/interventions?limit=50": epInterventions.Name,
		base + "/api/v1/dashboard/stats":        epDashboard.Name,
		base + "/api/v1/interventions/123":      epDetail.Name,
	} {
		if got := classify(base, "GET", u); got != want {
			t.Errorf("%s: %q, want %q", u, got, want)
		}
	}
	if got := classify(base, "POST", base+"/api/v1/interventions"); got != epCreate.Name {
		t.Errorf("create: %q", got)
	}
	if got := classify(base, "DELETE", base+"/x"); got != "DELETE /x" {
		t.Errorf("unknown: %q", got)
	}
}

func TestLoopbackOnly(t *testing.T) {
	ctx := context.Background()
	for _, ok := range []string{"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.0.0.5"} {
		u, _ := url.Parse(ok)
		if err := checkLoopback(ctx, u); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.1.2.3:8000", "http://192.168.0.1", "http://[2001:db8::1]:80", "http://0.0.0.0:8000"} {
		u, _ := url.Parse(bad)
		if err := checkLoopback(ctx, u); err == nil || !strings.Contains(err.Error(), "allow-remote") {
			t.Errorf("%s accepted: %v", bad, err)
		}
	}
}

func TestProcParsing(t *testing.T) {
	status := "Name:\tmif\nVmPeak:\t 1500000 kB\nVmHWM:\t  180224 kB\nVmRSS:\t  123456 kB\nThreads:\t12\n"
	if n, ok := readStatusKB(status, "VmRSS"); !ok || n != 123456 {
		t.Errorf("VmRSS %d %v", n, ok)
	}
	if n, ok := readStatusKB(status, "VmHWM"); !ok || n != 180224 {
		t.Errorf("VmHWM %d %v", n, ok)
	}
	if _, ok := readStatusKB(status, "VmSwap"); ok {
		t.Error("missing field found")
	}
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7777 1 0000000000000000 100 0 0 10 0
`
	got := listeningInodes([]string{tcp}, 8000)
	if len(got) != 1 || !got["4242"] {
		t.Errorf("listening on 8000: %v (an established connection or another port must not count)", got)
	}
}

func TestPgbenchScript(t *testing.T) {
	s := pgbenchScript(10, 99)
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 3 || lines[0] != `\set id random(10, 99)` {
		t.Fatalf("script:\n%s", s)
	}
	if !strings.Contains(lines[1], "FROM users u") || !strings.Contains(lines[1], "u.id = :uid") || !strings.Contains(lines[1], "r.jti = :jti") {
		t.Errorf("principal statement: %s", lines[1])
	}
	if !strings.Contains(lines[2], "FROM interventions i") || !strings.Contains(lines[2], "i.id = :id") {
		t.Errorf("detail statement: %s", lines[2])
	}
	if strings.Contains(s, "$") {
		t.Errorf("a placeholder is left: %s", s)
	}
	if got := pgbenchParams("a = $1 AND b = $10", map[string]string{"$1": ":x", "$10": ":y"}); got != "a = :x AND b = :y" {
		t.Errorf("placeholders: %q", got)
	}
	tps, err := parseTPS("latency average = 8.077 ms\ninitial connection time = 20.1 ms\ntps = 2476.219815 (without initial connection time)\n")
	if err != nil || tps != 2476.219815 {
		t.Errorf("tps %v %v", tps, err)
	}
	if _, err := parseTPS("pgbench: error: connection refused"); err == nil {
		t.Error("a failed run parsed")
	}
}
