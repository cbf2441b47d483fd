// Package config reads the platform's configuration from environment variables into one typed
// struct: defaults first, then the environment, then validation. A bad value stops start-up with
// a message that names the variable. Every variable is listed in the README.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Config is the whole configuration. It is built once in cmd/mif and passed down.
type Config struct {
	DatabaseURL    string
	DBMaxOpenConns int
	HTTPAddr       string
	// DebugAddr is the loopback address of the pprof listener (empty: none).
	DebugAddr string
	PublicURL string
	// FrontendURL is the web frontend's base URL: e-mails link to its /interventions/{id} pages.
	FrontendURL string
	CORSOrigins []string
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed when finding the
	// client's address (brute-force limits, audit); empty trusts nobody.
	TrustedProxies  []netip.Prefix
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string // json or console

	Temporal  Temporal
	JWT       JWT
	SMTP      SMTP
	SLA       SLA
	Workflows Workflows
	Webhooks  Webhooks
	Planning  Planning
	Identity  Identity
	Telemetry Telemetry
	Admission Admission
	ReadCache ReadCache
	// PrincipalCache keeps each request's principal in memory, forgotten at once on every
	// replica when the account changes (LISTEN/NOTIFY); off, every request reads it.
	PrincipalCache bool

	FernetKeys []string
	DataDir    string
	// NotificationGroupWindow: notifications of one event that arrive within this time of each
	// other read as one digest in the inbox (GET /notifications/groupes).
	NotificationGroupWindow time.Duration
	// StreamsPerUser caps the notification streams one account holds open on one API replica;
	// one more is refused (429) until one closes.
	StreamsPerUser int
	Documents      Documents

	BootstrapAdminEmail    string
	BootstrapAdminPassword string
}

// Temporal says where the Temporal cluster is. An empty Address in dev mode means "start a dev
// server as a child process".
type Temporal struct {
	Address   string
	Namespace string
	TaskQueue string
	CLIPath   string
	UIPort    int
	Port      int
	// WorkflowWait bounds how long an API request waits on Temporal (a start, an update, a
	// query): past it the client gets 503 workflow_unavailable with Retry-After. It stays well
	// under the HTTP server's WriteTimeout, so a client always gets an answer.
	WorkflowWait time.Duration
	// OutboxInterval is how often the worker's relay looks for interventions created while
	// Temporal could not be reached (MIF_OUTBOX_INTERVAL).
	OutboxInterval time.Duration
	// Worker sizes the worker (MIF_WORKER_*): how many workflows it keeps in memory between
	// their tasks, and how many tasks it runs at once.
	Worker Worker
}

// Worker bounds what one worker process takes on: its memory (the sticky cache of workflows kept
// between tasks; one evicted replays its history at its next task) and its CPU (tasks run at once;
// the rest wait, durably, in Temporal's task queue). Zero leaves the SDK's default.
type Worker struct {
	CacheSize     int // MIF_WORKER_CACHE_SIZE
	WorkflowTasks int // MIF_WORKER_WORKFLOW_TASKS
	Activities    int // MIF_WORKER_ACTIVITIES (local activities too)
}

// JWT configures our own access tokens.
type JWT struct {
	Algorithm      string // RS256 or HS256
	PrivateKeyFile string
	Secret         string
	Issuer         string
	Audience       string
	AccessTTL      time.Duration
	RefreshTTL     time.Duration
}

// SMTP configures outgoing mail. An empty Addr disables e-mail (in-app notifications remain).
type SMTP struct {
	Addr     string
	Username string
	Password string
	From     string
	StartTLS bool
}

// SLA holds the default resolution deadline per priority, used when neither the intervention
// nor its contract gives one.
type SLA struct {
	Critique time.Duration
	Haute    time.Duration
	Normale  time.Duration
	Basse    time.Duration
	// CriticiteA caps the default deadline of work on equipment of criticality A (0: no cap).
	CriticiteA time.Duration
}

// ByPriorite gives the default resolution delay of each priority.
func (s SLA) ByPriorite() map[domain.Priorite]time.Duration {
	return map[domain.Priorite]time.Duration{
		domain.PrioriteCritique: s.Critique, domain.PrioriteHaute: s.Haute,
		domain.PrioriteNormale: s.Normale, domain.PrioriteBasse: s.Basse,
	}
}

// HTTPWriteTimeout is the API server's write timeout: a handler still working past it has its
// connection closed without an answer, so every bounded wait (MIF_WORKFLOW_WAIT) stays below it.
const HTTPWriteTimeout = 2 * time.Minute

// MaxWorkflowWait is the longest MIF_WORKFLOW_WAIT accepted: the rest of a request (reads before
// and after the workflow call) must fit in HTTPWriteTimeout too.
const MaxWorkflowWait = time.Minute

// Lookup reads one variable; os.LookupEnv in production, a map in tests.
type Lookup func(name string) (string, bool)

// Mode changes a few defaults: "dev" logs to the console and may start its own Temporal server.
type Mode string

const (
	ModeDev  Mode = "dev"
	ModeProd Mode = "prod"
)

// FromEnv loads the configuration from the process environment.
func FromEnv(mode Mode) (*Config, error) { return Load(mode, os.LookupEnv) }

// Load builds the configuration from lookup, applying defaults and validating every value.
// The returned error lists every bad variable, one per line.
func Load(mode Mode, lookup Lookup) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{
		DatabaseURL:     r.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mif?sslmode=disable"),
		DBMaxOpenConns:  r.intRange("MIF_DB_MAX_OPEN_CONNS", 20, 1, 1000),
		HTTPAddr:        r.str("MIF_HTTP_ADDR", ":8000"),
		DebugAddr:       r.str("MIF_DEBUG_ADDR", ""),
		PublicURL:       r.str("MIF_PUBLIC_URL", "http://localhost:8000"),
		FrontendURL:     strings.TrimRight(r.str("MIF_FRONTEND_URL", "http://localhost:3000"), "/"),
		CORSOrigins:     r.list("MIF_CORS_ORIGINS", "http://localhost:3000,http://localhost:5173"),
		TrustedProxies:  r.prefixes("MIF_TRUSTED_PROXIES"),
		MaxBodyBytes:    int64(r.intRange("MIF_MAX_BODY_BYTES", 1<<20, 1024, 1<<30)),
		ShutdownTimeout: r.duration("MIF_SHUTDOWN_TIMEOUT", 15*time.Second),
		LogLevel:        r.oneOf("MIF_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		FernetKeys:      r.list("FERNET_KEYS", ""),
		DataDir:         r.str("MIF_DATA_DIR", ".data"),

		NotificationGroupWindow: r.duration("MIF_NOTIFICATION_GROUP_WINDOW", 10*time.Minute),
		StreamsPerUser:          r.intRange("MIF_STREAMS_PER_USER", 5, 1, 1000),
	}
	defaultFormat := "json"
	if mode == ModeDev {
		defaultFormat = "console"
	}
	c.LogFormat = r.oneOf("MIF_LOG_FORMAT", defaultFormat, "json", "console")

	defaultTemporal := "127.0.0.1:7233"
	if mode == ModeDev {
		defaultTemporal = "" // dev starts its own server unless told otherwise
	}
	c.Temporal = Temporal{
		Address:   r.str("TEMPORAL_ADDRESS", defaultTemporal),
		Namespace: r.str("TEMPORAL_NAMESPACE", "default"),
		TaskQueue: r.str("MIF_TEMPORAL_TASK_QUEUE", "mif"),
		CLIPath:   r.str("MIF_TEMPORAL_CLI", "bin/temporal"),
		Port:      r.intRange("MIF_TEMPORAL_DEV_PORT", 7233, 1, 65535),
		UIPort:    r.intRange("MIF_TEMPORAL_UI_PORT", 8233, 1, 65535),

		WorkflowWait:   r.duration("MIF_WORKFLOW_WAIT", 5*time.Second),
		OutboxInterval: r.duration("MIF_OUTBOX_INTERVAL", 2*time.Second),
		Worker: Worker{
			CacheSize:     r.intRange("MIF_WORKER_CACHE_SIZE", 300, 10, 1000000),
			WorkflowTasks: r.intRange("MIF_WORKER_WORKFLOW_TASKS", 0, 0, 10000),
			Activities:    r.intRange("MIF_WORKER_ACTIVITIES", 0, 0, 10000),
		},
	}
	if c.Temporal.OutboxInterval < 100*time.Millisecond {
		r.fail("MIF_OUTBOX_INTERVAL", "must be a duration of at least 100ms")
	}
	if c.Temporal.WorkflowWait <= 0 || c.Temporal.WorkflowWait > MaxWorkflowWait {
		r.fail("MIF_WORKFLOW_WAIT", "must be a positive duration of at most "+MaxWorkflowWait.String()+" (under the HTTP write timeout)")
	}
	c.JWT = JWT{
		Algorithm:      r.oneOf("MIF_JWT_ALGORITHM", "RS256", "RS256", "HS256"),
		PrivateKeyFile: r.str("MIF_JWT_PRIVATE_KEY_FILE", ""),
		Secret:         r.secret("MIF_JWT_SECRET"),
		Issuer:         r.str("MIF_JWT_ISSUER", "mif"),
		Audience:       r.str("MIF_JWT_AUDIENCE", "mif-api"),
		AccessTTL:      r.duration("MIF_JWT_ACCESS_TTL", 15*time.Minute),
		RefreshTTL:     r.duration("MIF_JWT_REFRESH_TTL", 7*24*time.Hour),
	}
	c.SMTP = SMTP{
		Addr:     r.str("MIF_SMTP_ADDR", ""),
		Username: r.str("MIF_SMTP_USERNAME", ""),
		Password: r.secret("MIF_SMTP_PASSWORD"),
		From:     r.str("MIF_SMTP_FROM", "MIF Maroc <noreply@mif.ma>"),
		StartTLS: r.boolean("MIF_SMTP_STARTTLS", true),
	}
	c.SLA = SLA{
		Critique: r.duration("MIF_SLA_CRITIQUE", 4*time.Hour),
		Haute:    r.duration("MIF_SLA_HAUTE", 24*time.Hour),
		Normale:  r.duration("MIF_SLA_NORMALE", 72*time.Hour),
		Basse:    r.duration("MIF_SLA_BASSE", 7*24*time.Hour),
		// Issue 14: a machine that stops production gets its work done within a day by default.
		CriticiteA: r.duration("MIF_SLA_CRITICITE_A", 24*time.Hour),
	}
	if c.SLA.CriticiteA < 0 {
		r.fail("MIF_SLA_CRITICITE_A", "must be a duration ≥ 0 (0: no cap)")
	}
	c.Identity = r.identity(mode, c.JWT)
	c.Workflows = r.workflows()
	c.Webhooks = r.webhooks()
	c.Planning = r.planning()
	c.Documents = r.documents(c)
	c.Telemetry = r.telemetry()
	c.Admission = r.admission()
	c.ReadCache = r.readCache()
	c.PrincipalCache = r.boolean("MIF_PRINCIPAL_CACHE", true)
	c.BootstrapAdminEmail = strings.ToLower(r.str("MIF_BOOTSTRAP_ADMIN_EMAIL", ""))
	c.BootstrapAdminPassword = r.secret("MIF_BOOTSTRAP_ADMIN_PASSWORD")

	c.validate(&r, mode)
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration invalide:\n  %s", strings.Join(r.errs, "\n  "))
	}
	return c, nil
}

func (c *Config) validate(r *reader, mode Mode) {
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		r.fail("DATABASE_URL", "must be a postgres:// URL")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		r.fail("MIF_HTTP_ADDR", "must be host:port or :port")
	}
	if c.DebugAddr != "" && !loopbackAddr(c.DebugAddr) {
		// Profiles reveal memory contents and cost CPU: never reachable from the network.
		r.fail("MIF_DEBUG_ADDR", "must be a loopback host:port (127.0.0.1:6060, [::1]:6060 or localhost:6060)")
	}
	if c.Temporal.Address != "" {
		if _, _, err := net.SplitHostPort(c.Temporal.Address); err != nil {
			r.fail("TEMPORAL_ADDRESS", "must be host:port")
		}
	}
	if c.Temporal.Namespace == "" {
		r.fail("TEMPORAL_NAMESPACE", "must not be empty")
	}
	if c.Temporal.TaskQueue == "" {
		r.fail("MIF_TEMPORAL_TASK_QUEUE", "must not be empty")
	}
	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		r.fail("MIF_PUBLIC_URL", "must be an absolute URL")
	}
	if u, err := url.Parse(c.FrontendURL); err != nil || u.Scheme == "" || u.Host == "" {
		r.fail("MIF_FRONTEND_URL", "must be an absolute URL")
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			r.fail("MIF_CORS_ORIGINS", fmt.Sprintf("%q is not an origin (scheme://host[:port])", o))
		}
	}
	switch c.JWT.Algorithm {
	case "HS256":
		if len(c.JWT.Secret) < 32 {
			r.fail("MIF_JWT_SECRET", "HS256 needs a secret of at least 32 bytes")
		}
	case "RS256":
		// dev generates a key pair under MIF_DATA_DIR when none is given.
		if c.JWT.PrivateKeyFile == "" && mode != ModeDev {
			r.fail("MIF_JWT_PRIVATE_KEY_FILE", "required with RS256 (or set MIF_JWT_ALGORITHM=HS256 and MIF_JWT_SECRET)")
		}
	}
	if c.JWT.AccessTTL < time.Minute || c.JWT.AccessTTL > 24*time.Hour {
		r.fail("MIF_JWT_ACCESS_TTL", "must be between 1m and 24h")
	}
	if c.JWT.RefreshTTL < c.JWT.AccessTTL {
		r.fail("MIF_JWT_REFRESH_TTL", "must be longer than MIF_JWT_ACCESS_TTL")
	}
	if c.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Addr); err != nil {
			r.fail("MIF_SMTP_ADDR", "must be host:port")
		}
	}
	for name, d := range map[string]time.Duration{
		"MIF_SLA_CRITIQUE": c.SLA.Critique, "MIF_SLA_HAUTE": c.SLA.Haute,
		"MIF_SLA_NORMALE": c.SLA.Normale, "MIF_SLA_BASSE": c.SLA.Basse,
	} {
		if d <= 0 {
			r.fail(name, "must be a positive duration")
		}
	}
	if (c.BootstrapAdminEmail == "") != (c.BootstrapAdminPassword == "") {
		r.fail("MIF_BOOTSTRAP_ADMIN_EMAIL", "and MIF_BOOTSTRAP_ADMIN_PASSWORD must be set together")
	}
	if c.BootstrapAdminEmail != "" && !strings.Contains(c.BootstrapAdminEmail, "@") {
		r.fail("MIF_BOOTSTRAP_ADMIN_EMAIL", "must be an e-mail address")
	}
}

// loopbackAddr reports whether addr is host:port with a loopback host.
func loopbackAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// reader reads variables and collects every error instead of stopping at the first.
type reader struct {
	lookup Lookup
	errs   []string
}

func (r *reader) fail(name, msg string) { r.errs = append(r.errs, name+": "+msg) }

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// secret reads NAME, or the content of the file named by NAME_FILE (Docker/Kubernetes secrets).
func (r *reader) secret(name string) string {
	if path := r.str(name+"_FILE", ""); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			r.fail(name+"_FILE", "cannot read file: "+err.Error())
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	v, _ := r.lookup(name)
	return v
}

func (r *reader) list(name, def string) []string {
	var out []string
	for _, p := range strings.Split(r.str(name, def), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// prefixes reads a comma-separated list of CIDR prefixes or single addresses.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range r.list(name, "") {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			r.fail(name, fmt.Sprintf("%q is neither an IP address nor a CIDR prefix", item))
			continue
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out
}

func (r *reader) intRange(name string, def, lo, hi int) int {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be an integer between %d and %d, got %q", lo, hi, s))
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be a duration such as 90s, 15m or 4h, got %q", s))
		return def
	}
	return d
}

func (r *reader) boolean(name string, def bool) bool {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail(name, fmt.Sprintf("must be true or false, got %q", s))
		return def
	}
	return b
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	s := r.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a
		}
	}
	r.fail(name, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), s))
	return def
}
