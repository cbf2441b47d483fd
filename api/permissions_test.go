package api_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

// The vocabulary of permissions is authz.Objects and authz.Actions (policy lines are checked
// against it too). A route declaring anything else is a typo that would silently leave the route
// to admins only.
var (
	// handlerRefines lists the routes whose handler narrows the policy by a business rule, and the
	// roles it refuses with 403 although the policy grants the permission. Keep it short: each
	// entry is a place where the matrix does not read from one file.
	handlerRefines = map[string]map[domain.Role]string{
		// responsable holds interventions:*, but only the client (and admin) rates an intervention.
		"POST /api/v1/interventions/{id:[0-9]+}/evaluation": {domain.RoleResponsable: "only clients rate"},
	}
	// Only these answer without a token: health, docs, JWKS and the authentication endpoints.
	publicRoute = regexp.MustCompile(`^(/api/v1/health(/.*)?|/api/v1/metrics|/openapi\.json|/docs(/.*)?|/redoc|/\.well-known/jwks\.json|/api/v1/auth/(login|token|refresh|logout|oidc/login|oidc/callback))$`)
	pathVar     = regexp.MustCompile(`\{[^}]+\}`)
)

// TestPermissionsEveryRouteEveryRole walks every registered route: public ones must be on the
// allow-list; every other one must declare a known permission, answer 401 without a token, and,
// for each role, 403 exactly when the policy refuses that role the route's permission. A route
// added without a permission, or with one the policy does not know, fails here.
func TestPermissionsEveryRouteEveryRole(t *testing.T) {
	t.Parallel()
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
			if obj == "*" || act == "*" || !authz.KnownObject(obj) || !authz.KnownAction(act) {
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
				case st >= 500:
					// An id that exists nowhere is a 404 (or 422), never a server error.
					t.Errorf("%s: %d on an id that does not exist", role, st)
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
	t.Parallel()
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

// ownScopedElsewhere names the read_own routes whose answer is not a list of the route's objects,
// and the test that proves their scoping. Every other read_own route is probed below.
var ownScopedElsewhere = map[string]string{
	"GET /api/v1/dashboard/stats":            "TestDashboardAPI (a client's dashboard covers its equipment only; a technicien's is its own work)",
	"GET /api/v1/dashboard/kpi":              "TestDashboardAPI (the client's report covers its machines)",
	"GET /api/v1/techniciens/competences":    "the skill catalogue, not technicien profiles",
	"GET /api/v1/filters/interventions":      "TestInterventionFilterValuesAreScopedToTheCaller (each client's menus count its own interventions only)",
	"GET /api/v1/actifs/arbre":               "TestAssetHierarchy (a client's tree holds its sites and equipment only)",
	"GET /api/v1/kpis/couts-pieces":          "TestKPIsOfPartsAndAssets (a client's costs cover its own interventions)",
	"GET /api/v1/kpis/fiabilite":             "TestKPIsOfPartsAndAssets (a client's classes count its own equipment)",
	"GET /api/v1/kpis/conformite-preventive": "TestKPIsOfPartsAndAssets (scoped like the dashboard's preventive compliance)",
	"GET /api/v1/equipements/export":         "TestCSVExport (a client's export holds its own equipment only)",
	"GET /api/v1/clients/export":             "TestCSVExport (the list's scoping, as CSV)",
	"GET /api/v1/sites/export":               "TestCSVExport (the list's scoping, as CSV)",
	"GET /api/v1/techniciens/export":         "TestCSVExport (the list's scoping, as CSV)",
	"GET /api/v1/interventions/export":       "TestCSVExport (a client's export holds its own interventions only)",
}

// TestPermissionsOwnershipEveryRoute walks every GET route that a role reaches only through a
// read_own permission (the policy opens the route, SQL must narrow the rows) and probes it with
// another owner's object: a route with an id answers 404 (never 403, never the data), a list
// leaves the object out although an administrator's list shows it. A read_own route added
// without a foreign fixture below, or whose handler forgets the ownership filter, fails here.
func TestPermissionsOwnershipEveryRoute(t *testing.T) {
	t.Parallel()
	e := newDocEnv(t)
	ctx := context.Background()
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := e.Store.Q().GetContext(ctx, &id, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	// Laiterie du Souss's objects, out of reach of Cimenterie Atlas's account (apitest.Client).
	souss := one(`SELECT client_id FROM users WHERE email = $1`, apitest.Client2)
	soussEquipement := one(`SELECT ce.equipement_id FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
		WHERE c.client_id = $1 ORDER BY 1 LIMIT 1`, souss)
	var nom string
	if err := e.Store.Q().GetContext(ctx, &nom, `SELECT nom FROM equipements WHERE id = $1`, soussEquipement); err != nil {
		t.Fatal(err)
	}
	soussIntervention := e.intervention(t, nom, apitest.Technicien2)
	// Overdue, so that /interventions/overdue lists it for those who may see it.
	mustExec(t, e.Store.DB(), `UPDATE interventions SET date_limite = now() - interval '2 days' WHERE id = `+apitest.ID(soussIntervention))
	r := e.upload(t, upload{file: pdfBytes("rapport souss"), name: "souss.pdf", token: e.Token(apitest.Responsable),
		fields: map[string]string{"intervention_id": apitest.ID(soussIntervention), "type_document": "rapport"}})
	var doc storage.Document
	r.JSON(t, &doc)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	foreign := map[domain.Role]map[string]int64{
		domain.RoleClient: {
			"clients": souss, "contrats": one(`SELECT id FROM contrats WHERE client_id = $1 ORDER BY id LIMIT 1`, souss),
			"equipements": soussEquipement, "interventions": soussIntervention, "documents": doc.ID,
			"sites":     one(`SELECT id FROM sites WHERE client_id = $1 ORDER BY id LIMIT 1`, souss),
			"actifs":    soussEquipement,
			"compteurs": one(`INSERT INTO compteurs (equipement_id, nom, unite) VALUES ($1, 'Heures de marche', 'h') RETURNING id`, soussEquipement),
			"zones": one(`INSERT INTO zones (site_id, nom) SELECT id, 'Zone de la laiterie' FROM sites WHERE client_id = $1
				ORDER BY id LIMIT 1 RETURNING id`, souss),
			"demandes": one(`INSERT INTO demandes (client_id, equipement_id, description, urgence)
				VALUES ($1, $2, 'Fuite sur la cuve de la laiterie', 'normale') RETURNING id`, souss, soussEquipement),
		},
		// Technicien (Marie Dubois) sees its own profile only; the other technicien's is foreign.
		domain.RoleTechnicien: {"techniciens": one(`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`, apitest.Technicien2)},
	}
	tokens := map[domain.Role]string{
		domain.RoleResponsable: e.Token(apitest.Responsable), domain.RoleTechnicien: e.Token(apitest.Technicien),
		domain.RoleClient: e.Token(apitest.Client),
	}
	admin := e.Token(apitest.Admin)
	probed := 0
	for _, rt := range e.Server.Routes() {
		if rt.Public || rt.Method != http.MethodGet {
			continue
		}
		for role, tok := range tokens {
			if !az.OwnOnly(role, rt.Perm) {
				continue
			}
			key := rt.Method + " " + rt.Path
			t.Run(string(role)+" "+key, func(t *testing.T) {
				if _, ok := ownScopedElsewhere[key]; ok {
					return
				}
				seg, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/api/v1/"), "/")
				id, ok := foreign[role][seg]
				if !ok {
					t.Fatalf("no foreign %s fixture for %s: add one, or name the test that proves this route's scoping in ownScopedElsewhere", seg, role)
				}
				probed++
				if pathVar.MatchString(rt.Path) {
					path := pathVar.ReplaceAllString(rt.Path, apitest.ID(id))
					if res := e.Do(t, apitest.Request{Method: "GET", Path: path, Token: tok}); res.Status != http.StatusNotFound {
						t.Fatalf("%s %s: %d, want 404: %.300s", role, path, res.Status, res.Body)
					}
					// The object exists: the 404 above is the ownership filter, not a missing row.
					if res := e.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/" + seg + "/" + apitest.ID(id), Token: admin}); res.Status != http.StatusOK {
						t.Fatalf("admin GET /api/v1/%s/%d: %d (the fixture must exist for the 404 to mean anything)", seg, id, res.Status)
					}
					return
				}
				listHas := func(token string) bool {
					res := e.Do(t, apitest.Request{Method: "GET", Path: rt.Path + "?limit=200", Token: token})
					if res.Status != http.StatusOK {
						t.Fatalf("%s: %d %.300s", rt.Path, res.Status, res.Body)
					}
					return slices.Contains(ids(t, res), id)
				}
				if listHas(tok) {
					t.Fatalf("%s lists another owner's %s %d", role, seg, id)
				}
				if rt.Path != "/api/v1/interventions/mine" && !listHas(admin) {
					t.Fatalf("the admin's list lacks %s %d: the probe proves nothing", seg, id)
				}
			})
		}
	}
	if probed < 15 {
		t.Fatalf("only %d read_own probes: the walk lost routes", probed)
	}

	// Writes a role may make on its own objects only: another owner's object is not found.
	note := one(`INSERT INTO notifications (titre, message, destinataire_id) VALUES ('Rappel', 'Entretien prévu', $1) RETURNING id`,
		e.User(apitest.Client2).ID)
	for _, w := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/interventions/" + apitest.ID(soussIntervention) + "/evaluation", map[string]any{"note": 5}},
		{"PUT", "/api/v1/notifications/" + apitest.ID(note) + "/read", nil},
		{"DELETE", "/api/v1/notifications/" + apitest.ID(note), nil},
	} {
		if res := e.Do(t, apitest.Request{Method: w.method, Path: w.path, Token: tokens[domain.RoleClient], Body: w.body}); res.Status != http.StatusNotFound {
			t.Errorf("client %s %s on another owner's object: %d, want 404: %.300s", w.method, w.path, res.Status, res.Body)
		}
	}
	var lue bool
	if err := e.Store.Q().GetContext(ctx, &lue, `SELECT lue FROM notifications WHERE id = $1`, note); err != nil || lue {
		t.Fatalf("another user's notification was touched (lue=%v, %v)", lue, err)
	}
}

// TestPermissionsDocumentedInOpenAPI: the contract tells the truth about authentication. A route
// behind a token requires the bearer scheme and documents 401, and 403 when some role is refused;
// a public route says `security: []`.
func TestPermissionsDocumentedInOpenAPI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{"MIF_JWT_ALGORITHM": "HS256", "MIF_JWT_SECRET": "contract-secret-contract-secret-0123456"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Config: cfg, Log: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.NewDefault()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[routeKey(method, path)] = op
		}
	}
	for _, rt := range srv.Routes() {
		op := ops[routeKey(rt.Method, rt.Path)]
		if op == nil {
			continue // TestContractRoutesMatchOpenAPI reports it
		}
		name := rt.Method + " " + rt.Path
		sec := doc.Security
		if op.Security != nil {
			sec = *op.Security
		}
		if rt.Public {
			if len(sec) != 0 {
				t.Errorf("%s is public but the contract demands a token", name)
			}
			continue
		}
		if len(sec) == 0 {
			t.Errorf("%s needs a token but the contract says security: []", name)
		}
		if op.Responses.Value("401") == nil {
			t.Errorf("%s: 401 not documented", name)
		}
		refused := false
		for _, role := range domain.Roles {
			refused = refused || !az.Allowed(role, rt.Perm)
		}
		if refused && op.Responses.Value("403") == nil {
			t.Errorf("%s: 403 not documented although the policy refuses some role", name)
		}
	}
}
