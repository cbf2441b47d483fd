package api

import (
	"net/http"
	"testing"

	"github.com/gorilla/mux"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/mail"
)

// TestEveryRouterRouteIsInTheRouteList walks the router itself, not the Routes() list the
// route × role test (TestPermissionsEveryRouteEveryRole) reads: a handler mounted on the router
// directly would bypass s.handle, hence authentication, and that test would never see it. Only the
// documentation assets and the dev mail inbox (mif dev only) are mounted that way.
func TestEveryRouterRouteIsInTheRouteList(t *testing.T) {
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": "routes-secret-routes-secret-0123456789"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	// With a dev mail sink, so that every optional route is mounted.
	s, err := New(Deps{Config: cfg, Log: zap.NewNop(), DevMail: &mail.Sink{}})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, rt := range s.Routes() {
		listed[rt.Method+" "+rt.Path] = true
	}
	outside := map[string]bool{"GET /docs/": true, "GET /dev/mail": true}
	seen := 0
	err = s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
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
				t.Errorf("%s %s is mounted on the router outside s.handle/s.public: no authentication, no permission", m, tpl)
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
	if !listed[http.MethodGet+" /api/v1/users/{id}"] {
		t.Fatal("the route list lacks GET /api/v1/users/{id}")
	}
}
