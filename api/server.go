// Package api is the REST API: a gorilla/mux router, one file per resource, the middleware every
// request goes through, and the OpenAPI document that is its contract.
package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/notify"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/readcache"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
)

// Deps are what the API needs; cmd/mif builds them once.
type Deps struct {
	Config *config.Config
	Store  *storage.Store
	// Workflows is how handlers reach the workflows (nil: no Temporal, readiness says so).
	Workflows *orchestration.Client
	Tokens    *authn.Tokens
	Authz     *authz.Authorizer
	Log       *zap.Logger
	// Documents, Notifications and DevMail are optional: nil Documents and Notifications are built
	// from Config; DevMail set (dev mode) exposes GET /dev/mail (routes.go).
	Documents     *documents.Vault
	Notifications *notify.Hub
	DevMail       *mail.Sink
	// Telemetry (optional) gives the process's metrics registry and HTTP tracing; nil serves
	// the API's own metrics only, untraced.
	Telemetry *telemetry.Telemetry
	// Passwords hashes and checks passwords (nil: authn.DefaultPasswords, bcrypt at
	// authn.BcryptCost; internal/apitest passes a cheaper one).
	Passwords *authn.Passwords
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg    *config.Config
	store  *storage.Store
	wf     *orchestration.Client
	tokens *authn.Tokens
	pw     *authn.Passwords
	authz  *authz.Authorizer
	log    *zap.Logger
	ident  *identity // authentication endpoints' state (auth.go)
	dl     delivery  // documents, real-time notifications, dev mail (documents.go)

	router    *mux.Router
	routes    []Route
	metrics   *metrics
	tel       *telemetry.Telemetry
	admission *admission       // admission.go
	readCache *readcache.Cache // readcache.go
}

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	spec, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, store: d.Store, wf: d.Workflows, tokens: d.Tokens, pw: d.Passwords, authz: d.Authz, log: d.Log, tel: d.Telemetry}
	if s.pw == nil {
		s.pw = authn.DefaultPasswords()
	}
	if err := s.initDelivery(d); err != nil {
		return nil, err
	}
	s.admission = newAdmission(s.cfg.Admission)
	if s.store != nil {
		s.readCache = readcache.New(s.cfg.DatabaseURL, s.cfg.ReadCache.TTL, s.cfg.ReadCache.MaxBytes, s.log.Named("readcache"))
	}
	s.router = mux.NewRouter()
	s.metrics = newMetrics(s.tel)
	s.registerReadCacheMetrics()
	s.router.Use(s.metrics.instrument)
	s.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, r, http.StatusNotFound, "aucune route pour "+r.URL.Path)
	})
	s.router.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	s.ident = s.newIdentity() // the session service behind the authentication endpoints (auth.go)
	s.mount(newDocHandlers(spec))
	return s, nil
}

// methodNotAllowed answers 405 with Allow listing the methods the route table has for the path
// (RFC 9110 requires it), found by asking the router about each method.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		other := r.WithContext(r.Context()) // a shallow copy: only the method differs
		other.Method = m
		var match mux.RouteMatch
		if s.router.Match(other, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	problem(w, r, http.StatusMethodNotAllowed, "méthode "+r.Method+" non permise sur "+r.URL.Path+"; permises: "+strings.Join(allowed, ", "))
}

// Handler is the whole HTTP stack: middleware around the router.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.router
	h = rejectInvalidText(h)
	h = trimSlash(h)
	h = s.admit(h) // admission.go: bounded in-flight reads and writes, 503 overloaded past them
	h = s.cors(h)
	h = s.securityHeaders(h)
	h = s.accessLog(h)
	h = s.clientAddress(h)
	h = withRequestID(h)
	if s.tel != nil {
		h = s.tel.HTTPHandler(h) // outermost: the span covers everything, its trace id reaches the logs
	}
	return h
}

// Close releases what the server holds besides its handlers: the LISTEN connections of the
// principal cache and of the read cache.
func (s *Server) Close() {
	s.readCache.Close()
	if s.ident != nil && s.ident.cache != nil {
		s.ident.cache.Close()
	}
}

// Routes lists every registered route (for tests and the OpenAPI contract check).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }
