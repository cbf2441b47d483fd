// Package apitest runs the whole platform in-process for API tests: a fresh PostgreSQL database
// (cloned from the migrated template) with the demo data set, a real Temporal dev server shared by
// the test binary, a worker on a private task queue, and the HTTP server. Every response that a
// test reads is validated against the OpenAPI document.
//
// Envs share nothing but the dev server (each has its own database, task queue, SMTP sink,
// metrics registry and configuration, given through options, never the process environment),
// so tests that use them call t.Parallel(). Each Env reserves envConns connections of the test
// binary's PostgreSQL budget (internal/testdb): when the budget is spent, New waits for another
// test to finish, so any number of parallel tests stays within the server's max_connections.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/devenv"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/migrations"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
	"github.com/mifmaroc/mif/workflows"
)

// Env is one running platform.
type Env struct {
	URL      string
	Config   *config.Config
	Store    *storage.Store
	Temporal client.Client // for tests that inspect workflows
	// Workflows is what the API holds: one client-side type per workflow.
	Workflows *orchestration.Client
	Server    *api.Server
	Tokens    *authn.Tokens
	// Passwords is what the Env's server hashes and checks passwords with: bcrypt at its lowest
	// cost (internal/testpasswords); the demo accounts' hash is of this cost too.
	Passwords *authn.Passwords
	Log       *zap.Logger
	// Telemetry is the platform's registry and tracer provider, as cmd/mif builds them (traces
	// leave only when the Env was given OTEL_EXPORTER_OTLP_* variables).
	Telemetry *telemetry.Telemetry
	// Mail is a real SMTP server in-process: the worker's notification e-mails arrive here.
	Mail *mail.Sink

	t      testing.TB
	router routers.Router
	mu     sync.Mutex // guards users: a test's goroutines may ask for tokens at once
	users  map[string]domain.User
}

// The connections one Env holds at most: its pool, and the LISTEN connections of its server's
// notification hub and principal cache. A test that opens more to the Env's database says so (WithConns).
const (
	envPool  = 4
	envConns = envPool + 2
)

// Option adjusts an Env before it starts.
type Option func(*envOptions)

type envOptions struct {
	env        map[string]string
	dbURL      string // a database of the test's own (a throwaway cluster), migrated here
	temporal   string // a Temporal frontend of the test's own
	noWorker   bool
	activities func(*activities.Activities)
	extraConns int
}

// WithEnv sets configuration variables (as the environment would).
func WithEnv(k, v string) Option { return func(o *envOptions) { o.env[k] = v } }

// WithConns reserves n more connections of the connection budget for the Env's database: those
// the test opens itself beside the Env's (pgbench clients, a pool of its own).
func WithConns(n int) Option { return func(o *envOptions) { o.extraConns += n } }

// WithDatabase runs the Env on a database of the test's own (e.g. a throwaway PostgreSQL cluster
// the test stops and starts), migrated and seeded here, instead of one cloned from the shared
// cluster's template.
func WithDatabase(url string) Option { return func(o *envOptions) { o.dbURL = url } }

// WithTemporal runs the Env against a Temporal frontend of the test's own (e.g. a dev server the
// test kills and restarts) instead of the binary's shared one.
func WithTemporal(address string) Option { return func(o *envOptions) { o.temporal = address } }

// WithoutWorker starts no worker (to test what happens while workers are down).
func WithoutWorker() Option { return func(o *envOptions) { o.noWorker = true } }

// WithActivities lets a test change the activities' dependencies before the worker starts.
func WithActivities(f func(*activities.Activities)) Option {
	return func(o *envOptions) { o.activities = f }
}

// New starts a platform for t; everything is stopped and dropped when t ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	dataDir := t.TempDir() // nothing a test writes lands in the source tree
	o := envOptions{env: map[string]string{
		"MIF_JWT_ALGORITHM": "HS256",
		"MIF_JWT_SECRET":    "test-secret-test-secret-test-secret-0123",
		"MIF_LOG_LEVEL":     "warn",
		"MIF_DATA_DIR":      dataDir,
		"MIF_DOCUMENTS_DIR": filepath.Join(dataDir, "documents"),
		"FERNET_KEYS":       testFernetKey(t),
		// Tests change accounts with SQL of their own and send the next request at once: the
		// principal cache would learn of it by a notification a moment later (the cache's
		// tests, in authn, wait for it). WithEnv("MIF_PRINCIPAL_CACHE", "true") turns it on.
		"MIF_PRINCIPAL_CACHE": "false",
		// Likewise for the answers of the cached reads (lists, dashboard), which tests read right
		// after writing rows with SQL; WithEnv("MIF_READ_CACHE_TTL", "1m") turns it on.
		"MIF_READ_CACHE_TTL": "0",
		// Tests that race many writes at once (stock, idempotency) wait for their turn instead of
		// being refused as overload, which is the admission tests' subject (admission_test.go).
		"MIF_ADMISSION_WAIT":      "1m",
		"MIF_ADMISSION_READ_WAIT": "1m",
	}}
	for _, opt := range opts {
		opt(&o)
	}
	sink, err := mail.StartSink("127.0.0.1:0", mail.SinkOptions{})
	if err != nil {
		t.Fatalf("apitest: SMTP sink: %v", err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	if _, set := o.env["MIF_SMTP_ADDR"]; !set {
		o.env["MIF_SMTP_ADDR"] = sink.Addr()
		o.env["MIF_SMTP_STARTTLS"] = "false"
	}
	// Reserved from the binary's connection budget until t ends (New may wait here).
	dbURL := o.dbURL
	if dbURL == "" {
		dbURL = testdb.NewURL(t, testdb.Conns(envConns+o.extraConns))
	}
	o.env["DATABASE_URL"] = dbURL
	if o.temporal == "" {
		o.temporal = sharedTemporal(t)
	}
	o.env["TEMPORAL_ADDRESS"] = o.temporal
	o.env["MIF_TEMPORAL_TASK_QUEUE"] = "test-" + uuid.NewString()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) { v, ok := o.env[k]; return v, ok })
	if err != nil {
		t.Fatalf("apitest: config: %v", err)
	}
	ctx := context.Background()
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	tel, err := telemetry.New(ctx, cfg.Telemetry, log)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	db, err := storage.Open(ctx, cfg.DatabaseURL, envPool, storage.WithTracing(tel.TracerProvider()))
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	store := storage.New(db)
	if o.dbURL != "" {
		if err := migrations.Up(ctx, db.DB); err != nil {
			t.Fatalf("apitest: %v", err)
		}
	}
	if err := tel.RegisterDatabase(db.DB, store.BusinessMetrics); err != nil {
		t.Fatalf("apitest: %v", err)
	}
	if err := demo.SeedWithPasswordHash(ctx, store, testpasswords.DemoHash(t)); err != nil {
		t.Fatalf("apitest: demo data: %v", err)
	}

	tc, err := orchestration.Dial(ctx, cfg.Temporal, log, tel.TemporalClientOptions)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(tc.Close)
	if !o.noWorker {
		acts, err := workerActivities(cfg, store, log, tel)
		if err != nil {
			t.Fatalf("apitest: %v", err)
		}
		if o.activities != nil {
			o.activities(acts)
		}
		w := orchestration.NewWorker(tc, cfg.Temporal.TaskQueue, acts)
		if err := w.Start(); err != nil {
			t.Fatalf("apitest: worker: %v", err)
		}
		t.Cleanup(w.Stop)
	}

	tokens, err := authn.NewTokens(cfg.JWT, "")
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	wf := orchestration.NewClient(tc, cfg, log)
	// The outbox relay runs beside the worker in `mif worker`; here it runs whatever the worker
	// option (it only needs PostgreSQL and the Temporal frontend).
	relayCtx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		orchestration.RunOutboxRelay(relayCtx, store, wf.Interventions, cfg.Temporal.OutboxInterval, log.Named("outbox"))
	}()
	t.Cleanup(func() { stopRelay(); <-relayDone })
	pw := testpasswords.Passwords() // bcrypt at its lowest cost: see internal/testpasswords
	srv, err := api.New(api.Deps{Config: cfg, Store: store, Workflows: wf, Tokens: tokens, Authz: az, Log: log, Telemetry: tel, Passwords: pw})
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	router, err := contractRouter()
	if err != nil {
		t.Fatalf("apitest: openapi router: %v", err)
	}
	e := &Env{URL: hs.URL, Config: cfg, Store: store, Temporal: tc, Workflows: wf, Server: srv, Tokens: tokens, Passwords: pw, Log: log, Telemetry: tel, Mail: sink,
		t: t, router: router, users: map[string]domain.User{}}
	return e
}

// contractHost is the server of the OpenAPI document the answers are checked against: requests
// are matched as if sent there, so one router serves every Env of the binary.
const contractHost = "mif.apitest"

// contractRouter loads the OpenAPI document and its router once per test binary (half a second
// under the race detector, for each of dozens of Envs otherwise). Both are only read afterwards.
var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	// kin-openapi reads text/csv as comma-separated records of equal length; our exports are
	// French spreadsheets (';', decimal commas) documented as text: check them as such.
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	doc, err := api.OpenAPI()
	if err != nil {
		return nil, err
	}
	doc.Servers = openapi3.Servers{{URL: "http://" + contractHost}}
	return gorillamux.NewRouter(doc)
})

// NewWorker starts another worker on the Env's task queue (e.g. after a simulated crash).
func (e *Env) NewWorker(t testing.TB) worker.Worker {
	acts, err := workerActivities(e.Config, e.Store, e.Log, e.Telemetry)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	w := orchestration.NewWorker(e.Temporal, e.Config.Temporal.TaskQueue, acts)
	if err := w.Start(); err != nil {
		t.Fatalf("apitest: worker: %v", err)
	}
	return w
}

// workerActivities builds the activities as `mif` does: document vault and SMTP mailer from the
// configuration, traced by tel.
func workerActivities(cfg *config.Config, store *storage.Store, log *zap.Logger, tel *telemetry.Telemetry) (*activities.Activities, error) {
	vault, err := documents.Open(cfg.Documents.Dir, cfg.FernetKeys)
	if err != nil {
		return nil, err
	}
	vault.SetTracerProvider(tel.TracerProvider())
	acts := &activities.Activities{Store: store, Log: log, Config: cfg, Documents: vault}
	if cfg.SMTP.Addr != "" {
		sender, err := mail.NewSender(cfg.SMTP)
		if err != nil {
			return nil, err
		}
		sender.SetTracerProvider(tel.TracerProvider())
		if acts.Mail, err = activities.NewMailer(sender, cfg.FrontendURL, cfg.Workflows.Timezone, cfg.Documents.DigestWindow); err != nil {
			return nil, err
		}
	}
	return acts, nil
}

// User returns a demo account by e-mail.
func (e *Env) User(email string) domain.User {
	e.t.Helper()
	e.mu.Lock()
	u, ok := e.users[email]
	e.mu.Unlock()
	if ok {
		return u
	}
	u, err := e.Store.GetUserByLogin(context.Background(), email)
	if err != nil {
		e.t.Fatalf("apitest: user %s: %v", email, err)
	}
	e.mu.Lock()
	e.users[email] = u
	e.mu.Unlock()
	return u
}

// Token issues an access token for a demo account without going through login (login has its
// own tests; bcrypt under the race detector would dominate every test's time).
func (e *Env) Token(email string) string {
	e.t.Helper()
	tok, err := e.Tokens.Issue(e.User(email))
	if err != nil {
		e.t.Fatalf("apitest: token: %v", err)
	}
	return tok
}

// Demo accounts, one per role.
const (
	Admin       = "admin@mif.ma"
	Responsable = "responsable@mif.ma"
	Technicien  = "technicien@mif.ma"
	Technicien2 = "technicien2@mif.ma"
	Client      = "client@cimatlas.ma"
	Client2     = "client@laiteriesouss.ma"
)

// Response is an HTTP answer already validated against the OpenAPI document.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("apitest: decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem+json body.
func (r *Response) Problem(t testing.TB) api.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("apitest: want problem+json, got %q: %s", ct, r.Body)
	}
	var p api.Problem
	r.JSON(t, &p)
	return p
}

// Request is an HTTP request to send.
type Request struct {
	Method  string
	Path    string
	Token   string
	Body    any // marshalled to JSON unless it is a []byte or io.Reader
	Header  map[string]string
	NoCheck bool // skip OpenAPI validation (only for deliberately undocumented answers)
}

// Do sends req and validates the answer against the OpenAPI document.
func (e *Env) Do(t testing.TB, req Request) *Response {
	t.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case io.Reader:
		body = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apitest: marshal: %v", err)
		}
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(req.Method, e.URL+req.Path, body)
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(hr.WithContext(ctx))
	if err != nil {
		t.Fatalf("apitest: %s %s: %v", req.Method, req.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("apitest: read body: %v", err)
	}
	out := &Response{Status: res.StatusCode, Header: res.Header, Body: raw}
	if !req.NoCheck {
		e.validate(t, hr, out)
	}
	return out
}

// validate checks the answer against the contract: the route exists, the status is documented
// and the body matches its schema.
func (e *Env) validate(t testing.TB, req *http.Request, res *Response) {
	t.Helper()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = "http", contractHost, contractHost
	// Paths answer with and without a trailing slash; the document lists them without.
	if p := req.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		req.URL.Path = strings.TrimRight(p, "/")
	}
	route, params, err := e.router.FindRoute(req)
	if err != nil {
		if res.Status == http.StatusNotFound || res.Status == http.StatusMethodNotAllowed {
			return // an unknown path or method is not the contract's business
		}
		t.Fatalf("apitest: %s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.Status,
		Header: res.Header,
		Body:   io.NopCloser(bytes.NewReader(res.Body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("apitest: %s %s → %d does not match the OpenAPI document: %v\nbody: %s",
			req.Method, req.URL.Path, res.Status, err, truncate(res.Body))
	}
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// testFernetKey is one Fernet key per test binary, for the document vaults of every Env.
func testFernetKey(t testing.TB) string {
	k, err := fernetKey()
	if err != nil {
		t.Fatalf("apitest: fernet key: %v", err)
	}
	return k
}

var fernetKey = sync.OnceValues(documents.GenerateKey)

var (
	temporalOnce sync.Once
	temporalSrv  *devenv.TemporalServer
	temporalErr  error
)

// sharedTemporal starts one in-memory dev server per test binary (Main stops it).
func sharedTemporal(t testing.TB) string {
	t.Helper()
	temporalOnce.Do(func() {
		bin := os.Getenv("MIF_TEMPORAL_CLI")
		if bin == "" {
			bin = filepath.Join(moduleRoot(), "bin", "temporal")
		}
		port, err := freePort()
		if err != nil {
			temporalErr = err
			return
		}
		temporalSrv, temporalErr = devenv.StartTemporal(context.Background(), devenv.TemporalOptions{
			BinPath: bin, Port: port, UIPort: -1, SearchAttributes: workflows.SearchAttributeTypes(),
		})
	})
	if temporalErr != nil {
		t.Fatalf("apitest: Temporal dev server: %v", temporalErr)
	}
	return temporalSrv.Address()
}

// Main runs the package's tests, then stops the shared Temporal dev server and the test database
// container, if any. Call it from TestMain (returning from TestMain exits with m.Run's code).
func Main(m *testing.M) {
	defer func() {
		if temporalSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = temporalSrv.Stop(ctx)
		}
	}()
	testdb.Main(m)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func moduleRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// ID formats an id for a path.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Names of the Temporal objects that the namespace holds once, whatever the task queue: their
// IDs are fixed by the platform, so the parallel tests of a binary (which share the dev server's
// namespace) take turns on them with Exclusive.
const (
	// Schedules: the cron Schedules and the notification digest's (orchestration.Schedules).
	Schedules = "Temporal Schedules"
	// KeyRotation: the document key rotation, a singleton workflow (workflows.KeyRotationWorkflowID).
	KeyRotation = "Temporal workflow " + workflows.KeyRotationWorkflowID
)

// exclusive holds one lock per name for the test binary.
var exclusive sync.Map // name → *sync.Mutex

// Exclusive makes t the only test of the binary that uses name (Schedules, KeyRotation) until t
// ends. Everything else an Env holds is its own; call it after New, so that a test never waits
// for the connection budget while holding a name.
func Exclusive(t testing.TB, name string) {
	t.Helper()
	m, _ := exclusive.LoadOrStore(name, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	t.Cleanup(mu.Unlock)
}
