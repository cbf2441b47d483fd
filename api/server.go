// Package api is the REST API: a gorilla/mux router, one file per resource, the middleware every
// request goes through, and the OpenAPI document that is its contract.
package api

import (
	"net/http"

	"github.com/gorilla/mux"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/notify"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
)

// Deps are what the API needs; cmd/mif builds them once.
type Deps struct {
	Config   *config.Config
	Store    *storage.Store
	Temporal client.Client
	Tokens   *authn.Tokens
	Authz    *authz.Authorizer
	Log      *zap.Logger
	// Documents, Notifications and DevMail are optional: nil Documents and Notifications are built
	// from Config; DevMail set (dev mode) exposes GET /dev/mail (documents.go).
	Documents     *documents.Vault
	Notifications *notify.Hub
	DevMail       *mail.Sink
	// Telemetry (optional) gives the process's metrics registry and HTTP tracing; nil serves
	// the API's own metrics only, untraced.
	Telemetry *telemetry.Telemetry
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg      *config.Config
	store    *storage.Store
	temporal client.Client
	tokens   *authn.Tokens
	authz    *authz.Authorizer
	log      *zap.Logger
	ident    *identity // authentication endpoints' state (auth.go)
	dl       delivery  // documents, real-time notifications, dev mail (documents.go)

	router  *mux.Router
	routes  []Route
	metrics *metrics
	tel     *telemetry.Telemetry
}

// Route is one registered endpoint and the permission it demands. Public routes need no token.
type Route struct {
	Method string
	Path   string // as registered, below the router root (e.g. /api/v1/interventions/{id})
	Perm   authz.Permission
	Public bool
}

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: d.Config, store: d.Store, temporal: d.Temporal, tokens: d.Tokens, authz: d.Authz, log: d.Log, tel: d.Telemetry}
	if err := s.initDelivery(d); err != nil {
		return nil, err
	}
	s.router = mux.NewRouter()
	s.metrics = newMetrics(s.tel)
	s.router.Use(s.metrics.instrument)
	s.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, r, http.StatusNotFound, "aucune route pour "+r.URL.Path)
	})
	s.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, r, http.StatusMethodNotAllowed, "méthode "+r.Method+" non permise sur "+r.URL.Path)
	})
	s.registerRoutes()
	s.docsRoutes(doc)
	return s, nil
}

// Handler is the whole HTTP stack: middleware around the router.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.router
	h = trimSlash(h)
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

// Routes lists every registered route (for tests and the OpenAPI contract check).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// routeOption adjusts one route's registration.
type routeOption func(*routeConfig)

type routeConfig struct{ maxBody int64 }

// withMaxBody raises (or lowers) the request body limit of one route, e.g. uploads.
func withMaxBody(n int64) routeOption { return func(c *routeConfig) { c.maxBody = n } }

// handle registers a route behind authentication and the permission check.
func (s *Server) handle(method, path string, perm authz.Permission, h http.HandlerFunc, opts ...routeOption) {
	if perm == "" {
		panic("api: route " + method + " " + path + " declares no permission")
	}
	s.register(Route{Method: method, Path: path, Perm: perm}, s.authenticate(s.authorize(perm, h)), opts)
}

// public registers a route that answers without a token (health, docs, login, JWKS).
func (s *Server) public(method, path string, h http.HandlerFunc, opts ...routeOption) {
	s.register(Route{Method: method, Path: path, Public: true}, h, opts)
}

func (s *Server) register(rt Route, h http.Handler, opts []routeOption) {
	c := routeConfig{maxBody: s.cfg.MaxBodyBytes}
	for _, o := range opts {
		o(&c)
	}
	s.routes = append(s.routes, rt)
	s.router.Handle(rt.Path, limitBody(c.maxBody, h)).Methods(rt.Method)
}

// registerRoutes is the one place where every endpoint and its permission is declared.
func (s *Server) registerRoutes() {
	const v1 = "/api/v1"
	s.public(http.MethodGet, v1+"/health", s.health)
	s.public(http.MethodGet, v1+"/health/db", s.healthDB)
	s.public(http.MethodGet, v1+"/health/ready", s.healthReady)
	s.registerMetricsRoute()
	s.public(http.MethodGet, "/.well-known/jwks.json", s.jwks)

	s.registerAuthRoutes()
	s.registerDocumentRoutes() // documents, rapport.pdf, admin key rotation, notification stream, /dev/mail
	s.registerUserRoutes()
	s.registerWorkflowRoutes() // lifecycle transitions and planning generation (issue 5)
	s.registerResourceRoutes() // before /interventions/{id}: /interventions/overdue and /mine are literal paths

	s.handle(http.MethodPost, v1+"/interventions", "interventions:create", s.createIntervention)
	s.handle(http.MethodGet, v1+"/interventions/{id}", "interventions:read", getByID(s, s.store.GetInterventionDetail))
}
