package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // the database/sql driver, to read the id range
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/mifmaroc/mif/storage"
)

// pgbenchScript is the custom pgbench script: the two statements the API runs for one
// GET /api/v1/interventions/{id} (principal lookup, then the detail), with the same parameters —
// a random id over the data set, the account's id and a token id.
func pgbenchScript(minID, maxID int64) string {
	principal, detail := storage.RequestStatements()
	return fmt.Sprintf("\\set id random(%d, %d)\n%s;\n%s;\n", minID, maxID,
		pgbenchParams(principal, map[string]string{"$1": ":uid", "$2": ":jti"}),
		pgbenchParams(detail, map[string]string{"$1": ":id"}))
}

// pgbenchParams puts pgbench variables in place of the $n placeholders, and the statement on
// one line (pgbench reads a statement up to its semicolon, but keeps scripts readable this way).
func pgbenchParams(sql string, vars map[string]string) string {
	// Longest placeholders first, so that $1 does not eat the start of $10.
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if len(keys[j]) > len(keys[i]) {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	for _, k := range keys {
		sql = strings.ReplaceAll(sql, k, vars[k])
	}
	return strings.Join(strings.Fields(sql), " ")
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// parseTPS reads the throughput out of pgbench's report.
func parseTPS(report string) (float64, error) {
	m := tpsLine.FindStringSubmatch(report)
	if m == nil {
		return 0, errors.New("no \"tps = … (without initial connection time)\" line in pgbench's output")
	}
	return strconv.ParseFloat(m[1], 64)
}

// Comparison is the machine-readable result of `mifload pgbench`.
type Comparison struct {
	Started       time.Time       `json:"started"`
	Target        string          `json:"target"`
	Clients       int             `json:"clients"`
	Pool          int             `json:"pool"`
	DurationS     float64         `json:"duration_s"`
	IDs           [2]int64        `json:"id_range"`
	API           EndpointSummary `json:"api"`
	APIRate       float64         `json:"api_answered_per_s"` // 200 and 404 (both statements ran)
	PgbenchTPS    float64         `json:"pgbench_tps"`
	Ratio         float64         `json:"ratio"`
	PgbenchScript string          `json:"pgbench_script"`
	RSS           *RSS            `json:"api_rss,omitempty"`
}

func runPgbench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mifload pgbench", flag.ContinueOnError)
	var c common
	c.register(fs)
	db := fs.String("db", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mif?sslmode=disable"), "the API's database ($DATABASE_URL)")
	clients := fs.Int("clients", 100, "concurrent API clients, without think time")
	pool := fs.Int("pool", 0, "pgbench clients = the API's connection pool (default $MIF_DB_MAX_OPEN_CONNS, else 20)")
	jobs := fs.Int("jobs", 2, "pgbench threads")
	duration := fs.Duration("duration", 30*time.Second, "length of each of the two runs")
	pgbenchBin := fs.String("pgbench", "pgbench", "pgbench executable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pool == 0 {
		*pool = 20
		if v, err := strconv.Atoi(os.Getenv("MIF_DB_MAX_OPEN_CONNS")); err == nil && v > 0 {
			*pool = v
		}
	}
	if *clients < 1 || *pool < 1 || *duration < time.Second || fs.NArg() > 0 {
		return errors.New("bad flags: -clients ≥ 1, -pool ≥ 1, -duration ≥ 1s")
	}
	bin, err := exec.LookPath(*pgbenchBin)
	if err != nil {
		return fmt.Errorf("pgbench not found (Debian: postgresql-contrib; `make loadtest-vs-pgbench` installs it): %w", err)
	}
	target, err := c.targetURL(ctx)
	if err != nil {
		return err
	}
	conn, err := sql.Open("postgres", *db)
	if err != nil {
		return err
	}
	defer conn.Close()
	var minID, maxID sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT min(id), max(id) FROM interventions`).Scan(&minID, &maxID); err != nil {
		return fmt.Errorf("id range of %s: %w", *db, err)
	}
	if !minID.Valid {
		return errors.New("no intervention in the database: generate some first (mif demo --volume N)")
	}

	setup := &client{base: target, http: &http.Client{Timeout: time.Minute}}
	acc, err := setup.login(ctx, "responsable@mif.ma", c.password)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go setup.keepFresh(runCtx, acc, c.password)

	cmp := Comparison{Started: time.Now().UTC(), Target: target.String(), Clients: *clients, Pool: *pool, DurationS: duration.Seconds(),
		IDs: [2]int64{minID.Int64, maxID.Int64}, PgbenchScript: pgbenchScript(minID.Int64, maxID.Int64)}

	// 1. The API: clients requests in flight at all times (vegeta at maximum rate with a fixed
	// number of workers), ids drawn uniformly over the data set.
	fmt.Fprintf(out, "API: GET /api/v1/interventions/{id}, %d clients without think time, %s, ids %d–%d\n", *clients, *duration, minID.Int64, maxID.Int64)
	rss := c.rssOf(target)
	atk := vegeta.NewAttacker(vegeta.Timeout(c.timeout), vegeta.KeepAlive(true), vegeta.MaxBody(0),
		vegeta.Workers(uint64(*clients)), vegeta.MaxWorkers(uint64(*clients)), vegeta.Connections(*clients))
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(c.seed, 3))
	span := maxID.Int64 - minID.Int64 + 1
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		id := minID.Int64 + r.Int64N(span)
		mu.Unlock()
		t.Method, t.URL = http.MethodGet, target.String()+epDetail.Path+strconv.FormatInt(id, 10)
		t.Header = http.Header{"Authorization": {"Bearer " + acc.Token()}, "Accept": {"application/json"}}
		return nil
	}
	var samples []sample
	for res := range atk.Attack(targeter, vegeta.ConstantPacer{}, *duration, "mifload-detail") {
		samples = append(samples, sample{endpoint: epDetail.Name, start: res.Timestamp, latency: res.Latency, code: int(res.Code), err: res.Error})
	}
	if rss != nil {
		cmp.RSS = rss.stop()
	}
	rows := summarize(samples, []string{epDetail.Name}, *duration)
	cmp.API = rows[0]
	// A 404 (an id the sequence skipped) ran both statements too, as pgbench's empty detail does.
	cmp.APIRate = perSecond(cmp.API.Successes+cmp.API.Statuses["404"], *duration)
	printTable(out, rows[:1])

	// 2. PostgreSQL alone: the same two statements, as many clients as the API has connections.
	dir, err := os.MkdirTemp("", "mifload-pgbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "detail.sql")
	if err := os.WriteFile(script, []byte(cmp.PgbenchScript), 0o600); err != nil {
		return err
	}
	pgArgs := []string{"-n", "-M", "extended", "-c", strconv.Itoa(*pool), "-j", strconv.Itoa(min(*jobs, *pool)),
		"-T", strconv.Itoa(int(duration.Seconds())), "-f", script,
		"-D", "uid=" + strconv.FormatInt(acc.UserID, 10), "-D", "jti=mifload-pgbench", *db}
	fmt.Fprintf(out, "\npgbench: the same two statements, %d clients (the API's pool), %d threads, extended protocol (as lib/pq), %s\n",
		*pool, min(*jobs, *pool), *duration)
	cmd := exec.CommandContext(ctx, bin, pgArgs...)
	report, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgbench: %w\n%s", err, report)
	}
	if cmp.PgbenchTPS, err = parseTPS(string(report)); err != nil {
		return fmt.Errorf("%w\n%s", err, report)
	}
	fmt.Fprintf(out, "\nAPI %.1f requests/s answered (200 or 404), pgbench %.1f transactions/s (principal + detail each)\n", cmp.APIRate, cmp.PgbenchTPS)
	if cmp.PgbenchTPS > 0 {
		cmp.Ratio = math.Round(cmp.APIRate/cmp.PgbenchTPS*1000) / 1000
		fmt.Fprintf(out, "ratio API / PostgreSQL alone: %.1f %%\n", cmp.Ratio*100)
	}
	if cmp.RSS != nil {
		fmt.Fprintf(out, "API RSS (pid %d) during its run: max %.1f MB, mean %.1f MB\n", cmp.RSS.PID, cmp.RSS.MaxMB, cmp.RSS.MeanMB)
	}
	if failed := cmp.API.Requests - cmp.API.Successes - cmp.API.Statuses["404"]; failed > 0 {
		log.Printf("%d of %d API requests failed (%s)", failed, cmp.API.Requests, errorText(cmp.API))
	}
	if c.jsonOut != "" {
		return writeJSON(c.jsonOut, cmp, out)
	}
	return nil
}
