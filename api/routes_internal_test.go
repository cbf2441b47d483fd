package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/mail"
)

// TestEveryRouterRouteIsInTheRouteList walks the router itself, not the Routes() list the
// route × role test (TestPermissionsEveryRouteEveryRole) reads: a handler mounted on the router
// directly would bypass the route table, hence authentication, and that test would never see it. Only the
// documentation assets and the dev mail inbox (mif dev only) are mounted that way.
func TestEveryRouterRouteIsInTheRouteList(t *testing.T) {
	// With a dev mail sink, so that every optional route is mounted.
	s := newRouteTestServer(t, &mail.Sink{})
	listed := map[string]bool{}
	for _, rt := range s.Routes() {
		listed[rt.Method+" "+rt.Path] = true
	}
	outside := map[string]bool{"GET /docs/": true, "GET /dev/mail": true}
	seen := 0
	err := s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := r.GetPathTemplate()
		if err != nil {
			return nil // a route without a path template matches nothing we serve
		}
		methods, err := r.GetMethods()
		if err != nil || len(methods) == 0 {
			t.Errorf("%s: mounted for every method", tpl)
			return nil
		}
		for _, m := range methods {
			seen++
			if !listed[m+" "+tpl] && !outside[m+" "+tpl] {
				t.Errorf("%s %s is mounted on the router outside the route table: no authentication, no permission", m, tpl)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < len(listed) {
		t.Fatalf("walked %d routes, %d listed", seen, len(listed))
	}
	if !listed[http.MethodGet+" /api/v1/users/{id:[0-9]+}"] {
		t.Fatal("the route list lacks GET /api/v1/users/{id:[0-9]+}")
	}
}

// TestRouteTableOrderDoesNotMatter: every path variable of the table is constrained, and no
// request path of one line is matched by another line of the same method, so the table could be
// in any order (as the router tries routes in order, an unconstrained {id} would swallow
// /users/me if declared first).
func TestRouteTableOrderDoesNotMatter(t *testing.T) {
	s := newRouteTestServer(t, nil)
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	table := s.routeTable(newDocHandlers(doc))
	bare := regexp.MustCompile(`\{[^}:]+\}`)
	variable := regexp.MustCompile(`\{[^}]+\}`)
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, a := range table {
		if bare.MatchString(a.Path) {
			t.Errorf("%s %s: a path variable without a pattern", a.Method, a.Path)
		}
		// A request for a: ids that exist nowhere (digits), the literal segments as they are.
		path := variable.ReplaceAllString(a.Path, "987654")
		for _, b := range table {
			if b.Method != a.Method || b.Path == a.Path {
				continue
			}
			only := mux.NewRouter()
			only.Handle(b.Path, ok).Methods(b.Method)
			var m mux.RouteMatch
			if only.Match(httptest.NewRequest(a.Method, path, nil), &m) {
				t.Errorf("%s %s (a request for %s) is also matched by %s", a.Method, path, a.Path, b.Path)
			}
		}
		var m mux.RouteMatch
		if !s.router.Match(httptest.NewRequest(a.Method, path, nil), &m) || m.Route == nil {
			t.Errorf("%s %s: not routed", a.Method, path)
			continue
		}
		if tpl, _ := m.Route.GetPathTemplate(); tpl != a.Path {
			t.Errorf("%s %s routed to %s, want %s", a.Method, path, tpl, a.Path)
		}
	}
	if len(table) < 40 {
		t.Fatalf("only %d lines in the route table", len(table))
	}
}

// newRouteTestServer builds a server without database or Temporal: enough to mount its routes.
func newRouteTestServer(t *testing.T, devMail *mail.Sink) *Server {
	t.Helper()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": "routes-secret-routes-secret-0123456789"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Config: cfg, Log: zap.NewNop(), DevMail: devMail})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
