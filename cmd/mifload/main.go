// Command mifload is the platform's load harness: it runs the seed's load scenario against a
// running API (`make run`, or `mif dev` on other ports) and reports per-endpoint latency
// percentiles, errors by status, achieved against offered rate, and the API's resident memory.
//
//	mifload [flags]            the seed's scenario (open loop by default)
//	mifload pgbench [flags]    GET /interventions/{id} through the API against pgbench on the same SQL
//
// The scenario is the seed's Locust user: list equipements (weight 3), list interventions (3),
// dashboard stats (2), create an intervention (1), with a think time uniform in 0.5–2 s between
// requests. The open-loop driver sends requests at the rate those users produce (users / mean think
// time) whatever the server does — a slow answer never delays the next request, so latencies are
// not flattered (no coordinated omission) — with Poisson arrivals by default. The closed-loop mode
// runs the users themselves (each waits for its answer, then thinks), as Locust does.
//
// It is a separate binary from mif so that the platform does not carry the load library
// (github.com/tsenart/vegeta/v12, MIT) nor the harness.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/mifmaroc/mif/demo"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("mifload: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "pgbench" {
		err = runPgbench(ctx, os.Args[2:], os.Stdout)
	} else {
		err = runScenario(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			log.Print(err)
		}
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// common are the flags of both commands.
type common struct {
	target      string
	allowRemote bool
	password    string
	admin       string
	timeout     time.Duration
	pid         int
	jsonOut     string
	seed        uint64
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.target, "target", envOr("MIF_LOAD_TARGET", "http://127.0.0.1:8000"), "base URL of the API ($MIF_LOAD_TARGET)")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a target that is not this machine")
	fs.StringVar(&c.password, "password", envOr("MIF_LOAD_PASSWORD", demo.Password), "password of the accounts ($MIF_LOAD_PASSWORD; default: the demo password)")
	fs.StringVar(&c.admin, "admin", "admin@mif.ma", "administrator account used to find the other accounts")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "request timeout")
	fs.IntVar(&c.pid, "pid", 0, "process whose RSS is sampled (default: the one listening on the target's port)")
	fs.StringVar(&c.jsonOut, "json", "", "also write a JSON summary to this file (- for standard output)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the random choices (arrivals, tasks, accounts)")
}

func (c *common) targetURL(ctx context.Context) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(c.target, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-target: want http(s)://host:port, got %q", c.target)
	}
	if !c.allowRemote {
		if err := checkLoopback(ctx, u); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// rssOf starts sampling the API's memory, or says why it cannot.
func (c *common) rssOf(target *url.URL) *rssSampler {
	pid := c.pid
	if pid == 0 {
		var err error
		if pid, err = pidListeningOn(targetPort(target)); err != nil {
			log.Printf("API RSS not sampled: %v", err)
			return nil
		}
	}
	return startRSS(pid, 500*time.Millisecond)
}

func writeJSON(path string, v any, stdout io.Writer) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Summary is the machine-readable result of a scenario run (-json).
type Summary struct {
	Started     time.Time         `json:"started"`
	Target      string            `json:"target"`
	Mode        string            `json:"mode"`
	Arrivals    string            `json:"arrivals,omitempty"`
	Users       int               `json:"users"`
	DurationS   float64           `json:"duration_s"`
	ThinkMinS   float64           `json:"think_min_s"`
	ThinkMaxS   float64           `json:"think_max_s"`
	Weights     map[string]int    `json:"weights"`
	Mix         map[string]int    `json:"mix"`
	Accounts    map[string]int    `json:"accounts"`
	Offered     float64           `json:"offered_rate_per_s"`
	Sent        float64           `json:"sent_rate_per_s"`
	Completed   float64           `json:"completed_rate_per_s"`
	Successful  float64           `json:"successful_rate_per_s"`
	DriverLag   float64           `json:"driver_lag_max_ms"`
	LateSends   uint64            `json:"driver_late_sends"`
	Endpoints   []EndpointSummary `json:"endpoints"`
	RSS         *RSS              `json:"api_rss,omitempty"`
	Uptake      *Uptake           `json:"creates_uptake,omitempty"`
	Environment map[string]string `json:"environment,omitempty"`
}

// generator builds the requests of the scenario.
type generator struct {
	base     string
	accounts map[string][]*account
	next     map[string]*atomic.Uint64
	scen     map[string]weighted[endpoint]
	roles    weighted[string]
	equips   []int64
	runID    string
	seq      atomic.Uint64

	mu sync.Mutex // guards r for the open loop's concurrent targeter calls
	r  *rand.Rand
}

// account gives the accounts of a role in turn.
func (g *generator) account(role string) *account {
	accs := g.accounts[role]
	return accs[int(g.next[role].Add(1)-1)%len(accs)]
}

var (
	createTitres = []string{"Fuite hydraulique", "Arrêt intempestif", "Bruit anormal", "Surchauffe moteur", "Défaut capteur", "Vibrations excessives"}
	createPrios  = []string{"basse", "normale", "normale", "normale", "haute", "haute", "critique"}
)

// target fills t for ep as acc; r draws the create's content.
func (g *generator) target(t *vegeta.Target, ep endpoint, acc *account, r *rand.Rand) error {
	t.Method, t.URL, t.Body = ep.Method, g.base+ep.Path, nil
	t.Header = http.Header{"Authorization": {"Bearer " + acc.Token()}, "Accept": {"application/json"}}
	if ep != epCreate {
		return nil
	}
	n := g.seq.Add(1)
	body := map[string]any{
		"titre":             fmt.Sprintf("%s (charge %s-%d)", createTitres[r.IntN(len(createTitres))], g.runID, n),
		"description":       "Intervention créée par le harnais de charge mifload.",
		"type_intervention": []string{"corrective", "corrective", "corrective", "predictive"}[r.IntN(4)],
		"priorite":          createPrios[r.IntN(len(createPrios))],
		"urgence":           r.IntN(20) == 0,
		"equipement_id":     g.equips[r.IntN(len(g.equips))],
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	t.Body = b
	t.Header.Set("Content-Type", "application/json")
	// A retried create (there is none here, but a client should) would reach the same intervention.
	t.Header.Set("Idempotency-Key", "mifload-"+g.runID+"-"+strconv.FormatUint(n, 10))
	return nil
}

// openTargeter picks, for each arrival, a role by the mix, an account of it, and a task.
func (g *generator) openTargeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		g.mu.Lock()
		role := g.roles.pick(g.r)
		ep := g.scen[role].pick(g.r)
		err := g.target(t, ep, g.account(role), g.r)
		g.mu.Unlock()
		return err
	}
}

// classify maps a request back to its endpoint's name.
func classify(base, method, rawURL string) string {
	path := strings.TrimPrefix(rawURL, base)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for _, ep := range append(slices.Clone(scenario), epDetail) {
		if ep.Method == method && (path == ep.Path || (ep == epDetail && strings.HasPrefix(path, ep.Path))) {
			return ep.Name
		}
	}
	return method + " " + path
}

func runScenario(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mifload", flag.ContinueOnError)
	var c common
	c.register(fs)
	users := fs.Int("users", 100, "number of users")
	duration := fs.Duration("duration", 60*time.Second, "how long requests are sent")
	mode := fs.String("mode", "open", "open (arrival rate of the users, no coordinated omission) or closed (virtual users that wait for their answers)")
	arrivals := fs.String("arrivals", "poisson", "open loop: poisson or constant inter-arrival times")
	thinkMin := fs.Duration("think-min", defaultThinkMin, "shortest think time")
	thinkMax := fs.Duration("think-max", defaultThinkMax, "longest think time")
	weightsFlag := fs.String("weights", defaultWeights, "task weights")
	mixFlag := fs.String("mix", defaultRoleMix, "share of the users per role (admin, responsable, technicien, client); technicien and client users do not create")
	perRole := fs.Int("accounts", 3, "accounts logged in per role of the mix")
	maxConns := fs.Int("max-conns", 0, "open loop: most connections to the API (0: as many as requests in flight)")
	uptakeWait := fs.Duration("uptake-wait", 10*time.Minute, "after the run, wait at most this long for the last creates' workflows to run their create, for the rate through Temporal (0: do not measure)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *users < 1 || *duration <= 0 || *thinkMin < 0 || *thinkMax < *thinkMin || *perRole < 1 || fs.NArg() > 0 {
		return errors.New("bad flags: -users ≥ 1, -duration > 0, 0 ≤ -think-min ≤ -think-max, -accounts ≥ 1, no arguments")
	}
	if *mode != "open" && *mode != "closed" {
		return fmt.Errorf("-mode: open or closed, not %q", *mode)
	}
	if *arrivals != "poisson" && *arrivals != "constant" {
		return fmt.Errorf("-arrivals: poisson or constant, not %q", *arrivals)
	}
	weights, err := parseWeights(*weightsFlag, []string{"equipements", "interventions", "dashboard", "create"})
	if err != nil {
		return fmt.Errorf("-weights: %w", err)
	}
	mix, err := parseWeights(*mixFlag, knownRoles)
	if err != nil {
		return fmt.Errorf("-mix: %w", err)
	}
	target, err := c.targetURL(ctx)
	if err != nil {
		return err
	}

	// Set-up, not measured: accounts (one login each), equipment to create on.
	setup := &client{base: target, http: &http.Client{Timeout: 2 * time.Minute}}
	var roles []string
	var roleWeights []int
	for _, r := range knownRoles {
		if mix[r] > 0 {
			roles, roleWeights = append(roles, r), append(roleWeights, mix[r])
		}
	}
	log.Printf("logging in up to %d account(s) per role (%s)…", *perRole, strings.Join(roles, ", "))
	accounts, err := setup.discoverAccounts(ctx, c.admin, c.password, roles, *perRole)
	if err != nil {
		return err
	}
	g := &generator{base: target.String(), accounts: accounts, next: map[string]*atomic.Uint64{}, scen: map[string]weighted[endpoint]{},
		runID: strconv.FormatInt(time.Now().Unix(), 36), r: rand.New(rand.NewPCG(c.seed, 1))}
	if g.roles, err = newWeighted(roles, roleWeights); err != nil {
		return err
	}
	for _, r := range roles {
		g.next[r] = &atomic.Uint64{}
		if g.scen[r], err = roleScenario(r, weights); err != nil {
			return fmt.Errorf("role %s: %w", r, err)
		}
	}
	creator := ""
	for _, r := range creatingRoles {
		if len(accounts[r]) > 0 {
			creator = r
		}
	}
	if weights["create"] > 0 && creator != "" {
		if g.equips, err = setup.equipementIDs(ctx, accounts[creator][0].Token(), 5000); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, accs := range accounts {
		for _, a := range accs {
			go setup.keepFresh(runCtx, a, c.password)
		}
	}

	sum := Summary{Target: target.String(), Mode: *mode, Users: *users, DurationS: duration.Seconds(),
		ThinkMinS: thinkMin.Seconds(), ThinkMaxS: thinkMax.Seconds(), Weights: weights, Mix: mix, Accounts: map[string]int{},
		Offered: round2(offeredRate(*users, *thinkMin, *thinkMax))}
	for r, accs := range accounts {
		sum.Accounts[r] = len(accs)
	}
	for _, k := range []string{"MIF_DB_MAX_OPEN_CONNS", "GOMAXPROCS"} {
		if v := os.Getenv(k); v != "" {
			if sum.Environment == nil {
				sum.Environment = map[string]string{}
			}
			sum.Environment[k] = v
		}
	}
	rss := c.rssOf(target)
	sum.Started = time.Now().UTC()
	var samples []sample
	if *mode == "open" {
		sum.Arrivals = *arrivals
		fmt.Fprintf(out, "open loop: %d users (think %s–%s) → %.2f req/s offered, %s arrivals, for %s against %s\n",
			*users, *thinkMin, *thinkMax, sum.Offered, *arrivals, *duration, target)
		samples, sum.DriverLag, sum.LateSends = g.openLoop(runCtx, sum.Offered, *arrivals, *duration, c.timeout, *maxConns, c.seed)
	} else {
		fmt.Fprintf(out, "closed loop: %d virtual users (think %s–%s; %.2f req/s if the API answered at once), for %s against %s\n",
			*users, *thinkMin, *thinkMax, sum.Offered, *duration, target)
		samples = g.closedLoop(runCtx, *users, *thinkMin, *thinkMax, *duration, c.timeout, c.seed)
	}
	if rss != nil {
		sum.RSS = rss.stop()
	}
	// The accounts' tokens stay fresh until the end (runCtx): the uptake below may wait minutes.
	names := make([]string, len(scenario))
	for i, ep := range scenario {
		names[i] = ep.Name
	}
	sum.Endpoints = summarize(samples, names, *duration)
	all := sum.Endpoints[len(sum.Endpoints)-1]
	sum.Sent = all.Rate
	answered := all.Requests
	for _, n := range all.Transport {
		answered -= n
	}
	sum.Completed = perSecond(answered, *duration)
	sum.Successful = perSecond(all.Successes, *duration)
	if *uptakeWait > 0 && creator != "" {
		// Measured after the report's figures: the wait is not part of the run.
		fmt.Fprintln(out, "waiting for the last creates' workflows to run their create…")
		sum.Uptake, err = measureUptake(ctx, setup, accounts[creator][0].Token, samples, sum.Started.Add(*duration), *uptakeWait)
		if err != nil {
			return err
		}
	}
	report(out, sum)
	if c.jsonOut != "" {
		return writeJSON(c.jsonOut, sum, out)
	}
	return nil
}

func report(out io.Writer, s Summary) {
	fmt.Fprintln(out)
	printTable(out, s.Endpoints)
	fmt.Fprintf(out, "\nrate: offered %.2f/s, sent %.2f/s, answered %.2f/s, successful (2xx) %.2f/s\n", s.Offered, s.Sent, s.Completed, s.Successful)
	if s.Mode == "open" {
		fmt.Fprintf(out, "driver: latest send %.1f ms behind its arrival time, %d sends more than 10 ms late\n", s.DriverLag, s.LateSends)
	}
	if s.RSS != nil {
		fmt.Fprintf(out, "API RSS (pid %d): max %.1f MB, mean %.1f MB over %d samples (peak since start %.1f MB)\n",
			s.RSS.PID, s.RSS.MaxMB, s.RSS.MeanMB, s.RSS.Samples, s.RSS.HWMMB)
	}
	if s.Uptake != nil {
		reportUptake(out, s.Uptake)
	}
}

// openLoop sends the scenario's requests at rate for d with vegeta: a request leaves at its
// arrival time whether or not earlier ones were answered (vegeta starts a worker whenever all are
// busy), so a slow server shows as latency and errors, not as a lower rate.
func (g *generator) openLoop(ctx context.Context, rate float64, arrivals string, d, timeout time.Duration, maxConns int, seed uint64) ([]sample, float64, uint64) {
	opts := []func(*vegeta.Attacker){
		vegeta.Timeout(timeout), vegeta.KeepAlive(true), vegeta.MaxBody(0),
		vegeta.Workers(uint64(min(256, max(8, int(rate))))), vegeta.Connections(max(100, int(rate))),
	}
	if maxConns > 0 {
		opts = append(opts, vegeta.MaxConnections(maxConns))
	}
	atk := vegeta.NewAttacker(opts...)
	var pacer vegeta.Pacer
	var poisson *poissonPacer
	if arrivals == "poisson" {
		poisson = newPoissonPacer(rate, seed)
		pacer = poisson
	} else {
		pacer = vegeta.ConstantPacer{Freq: int(math.Round(rate * 100)), Per: 100 * time.Second}
	}
	go func() {
		<-ctx.Done()
		atk.Stop()
	}()
	var samples []sample
	for res := range atk.Attack(g.openTargeter(), pacer, d, "mifload") {
		samples = append(samples, sample{endpoint: classify(g.base, res.Method, res.URL), start: res.Timestamp,
			latency: res.Latency, code: int(res.Code), err: res.Error, location: res.Headers.Get("Location")})
	}
	if poisson == nil {
		return samples, 0, 0
	}
	return samples, ms(poisson.lagMax), poisson.lagging
}

// closedLoop runs users that each send a request, wait for the answer, think, and again, for d.
// Users start spread over the first think time, as they would arrive.
func (g *generator) closedLoop(ctx context.Context, users int, thinkMin, thinkMax, d, timeout time.Duration, seed uint64) []sample {
	httpc := &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConnsPerHost: users, MaxIdleConns: users, IdleConnTimeout: time.Minute,
	}}
	end := time.Now().Add(d)
	results := make(chan sample, 1024)
	var wg sync.WaitGroup
	for i := range users {
		r := rand.New(rand.NewPCG(seed, uint64(i)+2))
		role := g.roles.pick(r)
		acc := g.account(role)
		scen := g.scen[role]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleep := thinkTime(r, 0, thinkMax)
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(sleep):
				}
				if !time.Now().Before(end) {
					return
				}
				var t vegeta.Target
				ep := scen.pick(r)
				if err := g.target(&t, ep, acc, r); err != nil {
					return
				}
				results <- send(ctx, httpc, &t, ep.Name)
				sleep = thinkTime(r, thinkMin, thinkMax)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var samples []sample
	for s := range results {
		samples = append(samples, s)
	}
	return samples
}

// send runs one request and measures it from just before it leaves to its last byte.
func send(ctx context.Context, httpc *http.Client, t *vegeta.Target, name string) sample {
	req, err := t.Request()
	if err != nil {
		return sample{endpoint: name, start: time.Now(), err: err.Error()}
	}
	start := time.Now()
	res, err := httpc.Do(req.WithContext(ctx))
	if err != nil {
		return sample{endpoint: name, start: start, latency: time.Since(start), err: err.Error()}
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s := sample{endpoint: name, start: start, latency: time.Since(start), code: res.StatusCode, location: res.Header.Get("Location")}
	if err != nil {
		s.code, s.err = 0, err.Error()
	}
	return s
}
