package api_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// The vocabulary of permissions (see casbin/policy.csv). A route declaring anything else is a typo
// that would silently leave the route to admins only.
var (
	permObjects = map[string]bool{"users": true, "techniciens": true, "interventions": true, "equipements": true,
		"planning": true, "documents": true, "notifications": true, "reports": true, "historique": true,
		"clients": true, "contrats": true, "profile": true, "admin": true}
	permActions = map[string]bool{"read": true, "read_own": true, "create": true, "update": true, "delete": true,
		"update_status": true, "upload": true, "assign": true, "generate": true, "rate": true, "cancel": true,
		"rotate_keys": true}
	// handlerRefines lists the routes whose handler narrows the policy by a business rule, and the
	// roles it refuses with 403 although the policy grants the permission. Keep it short: each
	// entry is a place where the matrix does not read from one file.
	handlerRefines = map[string]map[domain.Role]string{
		// responsable holds interventions:*, but only the client (and admin) rates an intervention.
		"POST /api/v1/interventions/{id:[0-9]+}/evaluation": {domain.RoleResponsable: "only clients rate"},
	}
	// Only these answer without a token: health, docs, JWKS and the authentication endpoints.
	publicRoute = regexp.MustCompile(`^(/api/v1/health(/.*)?|/openapi\.json|/docs(/.*)?|/redoc|/\.well-known/jwks\.json|/api/v1/auth/(login|token|refresh|logout|oidc/login|oidc/callback))$`)
	pathVar     = regexp.MustCompile(`\{[^}]+\}`)
)

// TestPermissionsEveryRouteEveryRole walks every registered route: public ones must be on the
// allow-list; every other one must declare a known permission, answer 401 without a token, and,
// for each role, 403 exactly when the policy refuses that role the route's permission. A route
// added without a permission, or with one the policy does not know, fails here.
func TestPermissionsEveryRouteEveryRole(t *testing.T) {
	env := apitest.New(t)
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[domain.Role]string{
		domain.RoleAdmin: env.Token(apitest.Admin), domain.RoleResponsable: env.Token(apitest.Responsable),
		domain.RoleTechnicien: env.Token(apitest.Technicien), domain.RoleClient: env.Token(apitest.Client),
	}
	routes := env.Server.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, rt := range routes {
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if rt.Public {
				if !publicRoute.MatchString(rt.Path) {
					t.Fatalf("public route outside the allow-list (health, docs, JWKS, auth)")
				}
				return
			}
			obj, act := rt.Perm.Split()
			if !permObjects[obj] || !permActions[act] {
				t.Fatalf("permission %q is not object:action from the policy's vocabulary", rt.Perm)
			}
			// Ids that exist nowhere: an allowed call then answers 404 or 422, never changes data.
			path := pathVar.ReplaceAllString(rt.Path, "987654")
			if st := permProbe(t, env, rt.Method, path, ""); st != http.StatusUnauthorized {
				t.Fatalf("without a token: %d, want 401", st)
			}
			if st := permProbe(t, env, rt.Method, path, "not-a-token"); st != http.StatusUnauthorized {
				t.Fatalf("with a bad token: %d, want 401", st)
			}
			for role, tok := range tokens {
				st := permProbe(t, env, rt.Method, path, tok)
				allowed := az.Allowed(role, rt.Perm)
				switch {
				case st == http.StatusUnauthorized:
					t.Errorf("%s: 401 with a valid token", role)
				case allowed && st == http.StatusForbidden && handlerRefines[rt.Method+" "+rt.Path][role] != "":
				case allowed && st == http.StatusForbidden:
					t.Errorf("%s: 403 although the policy grants %s", role, rt.Perm)
				case !allowed && st != http.StatusForbidden:
					t.Errorf("%s: %d although the policy refuses %s (want 403)", role, st, rt.Perm)
				}
			}
		})
	}
}

// permProbe sends an empty JSON object and returns the status as soon as the headers arrive (a
// streaming route would otherwise never end).
func permProbe(t *testing.T, env *apitest.Env, method, path, token string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var body *bytes.Reader
	if method != http.MethodGet && method != http.MethodHead && method != http.MethodDelete {
		body = bytes.NewReader([]byte("{}"))
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, method, env.URL+path, body)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, env.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if (res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden) &&
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s %s → %d without problem+json", method, path, res.StatusCode)
	}
	return res.StatusCode
}

// TestPermissionsSeedMatrix pins the seed's matrix (section 5) in the shipped policy.
func TestPermissionsSeedMatrix(t *testing.T) {
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	grants := map[domain.Role][]authz.Permission{
		domain.RoleAdmin: {"users:delete", "historique:read", "anything:whatever"},
		domain.RoleResponsable: {"users:read", "users:create", "techniciens:delete", "interventions:assign", "equipements:create",
			"planning:generate", "reports:read", "documents:upload", "clients:create", "contrats:update"},
		domain.RoleTechnicien: {"interventions:read", "interventions:update_status", "equipements:read", "planning:read",
			"documents:upload", "documents:read", "notifications:read", "profile:update"},
		domain.RoleClient: {"interventions:read", "equipements:read", "interventions:rate", "notifications:read", "profile:read"},
	}
	denials := map[domain.Role][]authz.Permission{
		domain.RoleResponsable: {"users:update", "users:delete", "historique:read"},
		domain.RoleTechnicien: {"users:read", "interventions:create", "interventions:assign", "equipements:create",
			"planning:generate", "historique:read", "documents:delete", "clients:read"},
		domain.RoleClient: {"users:read", "interventions:create", "interventions:update_status", "equipements:create",
			"planning:read", "documents:upload", "historique:read", "techniciens:read"},
	}
	for role, perms := range grants {
		for _, p := range perms {
			if !az.Allowed(role, p) {
				t.Errorf("%s should have %s", role, p)
			}
		}
	}
	for role, perms := range denials {
		for _, p := range perms {
			if az.Allowed(role, p) {
				t.Errorf("%s must not have %s", role, p)
			}
		}
	}
}
