package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/workflows"
)

func newIntervention(titre string) map[string]any {
	return map[string]any{
		"titre":             titre,
		"description":       "Fuite détectée au niveau du circuit principal",
		"type_intervention": "corrective",
		"priorite":          "haute",
		"urgence":           true,
		"date_limite":       time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"equipement_id":     1,
	}
}

func countRows(t *testing.T, env *apitest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := env.Store.DB().GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFoundationCreateAndGetIntervention(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions/", Token: tok, Body: newIntervention("Réparation fuite hydraulique")})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created domain.InterventionDetail
	res.JSON(t, &created)
	resp := env.User(apitest.Responsable)
	if created.ID == 0 || created.Statut != domain.StatutOuverte || created.Priorite != domain.PrioriteHaute || !created.Urgence {
		t.Fatalf("unexpected row: %+v", created)
	}
	if created.CreateurID == nil || *created.CreateurID != resp.ID {
		t.Fatalf("createur_id = %v, want %d", created.CreateurID, resp.ID)
	}
	if created.Equipement.Nom != "Presse hydraulique PH-001" || created.Equipement.Localisation != "Atelier A" {
		t.Fatalf("equipement not embedded: %+v", created.Equipement)
	}
	if loc := res.Header.Get("Location"); loc != "/api/v1/interventions/"+apitest.ID(created.ID) {
		t.Fatalf("Location = %q", loc)
	}

	got := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(created.ID), Token: tok})
	if got.Status != http.StatusOK {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	var read domain.InterventionDetail
	got.JSON(t, &read)
	if read.ID != created.ID || read.Titre != created.Titre || read.WorkflowID != created.WorkflowID {
		t.Fatalf("read %+v, created %+v", read, created)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'creation'`, created.ID); n != 1 {
		t.Fatalf("historique rows = %d, want 1", n)
	}

	// The workflow runs, is searchable by our attributes (once its first task has read the row:
	// the create answers as soon as the workflow is started), and its query agrees with the row.
	ctx := context.Background()
	poll.Until(t, "the workflow running with its search attributes", func() error {
		desc, err := env.Temporal.DescribeWorkflow(ctx, created.WorkflowID, "")
		if err != nil {
			return err
		}
		info := desc.RawResponse.WorkflowExecutionInfo
		if st := info.Status.String(); st != "Running" {
			t.Fatalf("workflow status %s", st)
		}
		sa := info.SearchAttributes.GetIndexedFields()["MifStatut"]
		var statut string
		if err := converter.GetDefaultDataConverter().FromPayload(sa, &statut); err != nil || statut != "ouverte" {
			return fmt.Errorf("MifStatut search attribute = %q (%v)", statut, err)
		}
		return nil
	})
	q, err := env.Temporal.QueryWorkflow(ctx, created.WorkflowID, "", workflows.QueryState)
	if err != nil {
		t.Fatal(err)
	}
	var state workflows.InterventionState
	if err := q.Get(&state); err != nil || state.InterventionID != created.ID {
		t.Fatalf("query state = %+v (%v)", state, err)
	}
	// The start carried the search attributes (the row was written before it): the first task,
	// which has run (the query answered with the row), had none left to upsert.
	hist := env.Temporal.GetWorkflowHistory(ctx, created.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for hist.HasNext() {
		ev, err := hist.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventType == enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES {
			t.Fatalf("event %d upserts search attributes the start already set", ev.EventId)
		}
	}

	missing := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/999999", Token: tok})
	if missing.Status != http.StatusNotFound {
		t.Fatalf("missing: %d", missing.Status)
	}
	if p := missing.Problem(t); p.Detail == "" {
		t.Fatal("404 without detail")
	}
}

func TestFoundationIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	create := func(token, key string) domain.InterventionDetail {
		t.Helper()
		res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: token,
			Body: newIntervention("Contrôle pression"), Header: map[string]string{"Idempotency-Key": key}})
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var d domain.InterventionDetail
		res.JSON(t, &d)
		return d
	}
	// The keys name workflows in the namespace that every test of the binary shares (and the
	// demo accounts have the same ids in every Env): a run of its own keeps this test's apart.
	run := uuid.NewString()
	a := create(tok, "retry-1/"+run)
	b := create(tok, "retry-1/"+run)
	if a.ID != b.ID || a.WorkflowID != b.WorkflowID {
		t.Fatalf("retried create gave %d then %d", a.ID, b.ID)
	}
	c := create(tok, "retry-2/"+run)
	d := create(env.Token(apitest.Admin), "retry-1/"+run) // keys are scoped to the caller
	if c.ID == a.ID || d.ID == a.ID || c.ID == d.ID {
		t.Fatalf("distinct keys/callers share an intervention: %d %d %d", a.ID, c.ID, d.ID)
	}
	if n := countRows(t, env, `SELECT count(*) FROM interventions`); n != 3 {
		t.Fatalf("interventions = %d, want 3", n)
	}
	bad := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok,
		Body: newIntervention("x"), Header: map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("oversized key: %d", bad.Status)
	}
}

func TestFoundationCreateValidation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name   string
		body   any
		fields []string
	}{
		{"empty object", map[string]any{}, []string{"description", "equipement_id", "titre", "type_intervention"}},
		{"bad enums", map[string]any{"titre": "A", "description": "assez long texte", "type_intervention": "urgent",
			"priorite": "max", "equipement_id": 1}, []string{"priorite", "type_intervention"}},
		{"past deadline", map[string]any{"titre": "A", "description": "assez long texte", "type_intervention": "corrective",
			"equipement_id": 1, "date_limite": past}, []string{"date_limite"}},
		{"titre too long", map[string]any{"titre": strings.Repeat("é", 201), "description": "assez long texte",
			"type_intervention": "corrective", "equipement_id": 1}, []string{"titre"}},
		{"blank titre is trimmed", map[string]any{"titre": "   ", "description": "assez long texte",
			"type_intervention": "corrective", "equipement_id": 1}, []string{"titre"}},
		// A body that does not decode: every member in error at once, and the required ones missing.
		{"unknown field", map[string]any{"titre": "A", "statut": "terminee"}, []string{"description", "equipement_id", "statut", "type_intervention"}},
		{"wrong type", map[string]any{"titre": "A", "equipement_id": "un"}, []string{"description", "equipement_id", "type_intervention"}},
		{"bad date", map[string]any{"titre": "A", "date_limite": "demain"}, []string{"date_limite", "description", "equipement_id", "type_intervention"}},
		{"not json", []byte(`{"titre": `), []string{"body"}},
		{"two objects", []byte(`{} {}`), []string{"body"}},
		{"unknown equipment", map[string]any{"titre": "A", "description": "assez long texte",
			"type_intervention": "corrective", "equipement_id": 4242}, []string{"equipement_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok, Body: tc.body})
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			p := res.Problem(t)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v (%s)", got, tc.fields, p.Detail)
			}
		})
	}
	wrongCT := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok, Body: []byte(`{}`),
		Header: map[string]string{"Content-Type": "text/plain"}})
	if wrongCT.Status != http.StatusUnprocessableEntity {
		t.Fatalf("text/plain body: %d", wrongCT.Status)
	}
	if n := countRows(t, env, `SELECT count(*) FROM interventions`); n != 0 {
		t.Fatalf("invalid creates wrote %d rows", n)
	}
}

// A create whose activity fails in the middle of its transaction writes nothing: a permanent
// failure answers an error and leaves no row and no historique; a transient one is retried and
// ends with exactly one row.
func TestFoundationCreateFailsMidway(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	ctx := context.Background()
	db := env.Store.DB()
	// The intervention row is inserted first, then historique: failing the historique insert
	// fails the activity after half of its writes.
	// Each failed attempt takes a number from test_failures: a sequence is not rolled back with
	// the attempt's transaction, so the test can watch the activity being retried.
	mustExec(t, db, `CREATE SEQUENCE test_failures`)
	mustExec(t, db, `CREATE FUNCTION fail_historique() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM nextval('test_failures');
		RAISE EXCEPTION 'historique indisponible' USING ERRCODE = (SELECT code FROM test_failure); END $$`)
	mustExec(t, db, `CREATE TABLE test_failure (code text)`)
	mustExec(t, db, `INSERT INTO test_failure VALUES ('23514')`) // check_violation: not retryable
	mustExec(t, db, `CREATE TRIGGER fail_historique BEFORE INSERT ON historique FOR EACH ROW EXECUTE FUNCTION fail_historique()`)

	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok, Body: newIntervention("Panne permanente")})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("permanent failure: %d %s", res.Status, res.Body)
	}
	if strings.Contains(string(res.Body), "historique indisponible") || strings.Contains(string(res.Body), "INSERT") {
		t.Fatalf("database error leaked: %s", res.Body)
	}
	if n := countRows(t, env, `SELECT count(*) FROM interventions`); n != 0 {
		t.Fatalf("half-written create left %d rows", n)
	}

	// Transient: a connection-class error is retried; lift the failure while the activity retries
	// (once it has failed three times).
	failures := func() (int, error) {
		var n int
		err := db.GetContext(ctx, &n, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM test_failures`)
		return n, err
	}
	before, err := failures()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `UPDATE test_failure SET code = '40001'`) // serialization_failure
	lifted := make(chan error, 1)
	go func() {
		err := poll.Wait(func() error {
			n, err := failures()
			if err == nil && n-before < 3 {
				err = fmt.Errorf("%d failed attempts", n-before)
			}
			return err
		})
		if err == nil {
			_, err = db.ExecContext(ctx, `DROP TRIGGER fail_historique ON historique`)
		}
		lifted <- err
	}()
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok, Body: newIntervention("Panne passagère")})
	if err := <-lifted; err != nil {
		t.Fatalf("lifting the failure after three attempts: %v", err)
	}
	if res.Status != http.StatusCreated {
		t.Fatalf("transient failure: %d %s", res.Status, res.Body)
	}
	if n := countRows(t, env, `SELECT count(*) FROM interventions`); n != 1 {
		t.Fatalf("rows after retries = %d, want 1", n)
	}
	if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention'`); n != 1 {
		t.Fatalf("historique rows after retries = %d, want 1", n)
	}
}

func mustExec(t *testing.T, db *sqlx.DB, q string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestFoundationAuthentication(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	path := "/api/v1/interventions/1"
	sign := func(secret string, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	u := env.User(apitest.Responsable)
	now := time.Now()
	valid := jwt.MapClaims{"sub": u.Email, "user_id": u.ID, "role": "responsable", "is_active": true,
		"iss": env.Config.JWT.Issuer, "aud": env.Config.JWT.Audience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "x"}
	secret := env.Config.JWT.Secret
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	cases := map[string]string{
		"missing":        "",
		"garbage":        "not-a-jwt",
		"forged":         sign("another-secret-another-secret-another-1", valid),
		"expired":        sign(secret, with("exp", now.Add(-time.Hour).Unix())),
		"wrong audience": sign(secret, with("aud", "someone-else")),
		"wrong issuer":   sign(secret, with("iss", "evil")),
		"unknown user":   sign(secret, with("user_id", 99999)),
		"alg none": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, valid).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(),
		"before password": sign(secret, with("iat", now.Add(-24*time.Hour).Unix())),
	}
	// The password changed an hour ago: tokens issued before that are refused.
	mustExec(t, env.Store.DB(), `UPDATE users SET password_changed_at = now() - interval '1 hour' WHERE email = '`+u.Email+`'`)
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: tok})
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate header")
			}
		})
	}
	ok := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: sign(secret, valid)})
	if ok.Status != http.StatusNotFound { // authenticated; intervention 1 does not exist
		t.Fatalf("valid token: %d %s", ok.Status, ok.Body)
	}
	mustExec(t, env.Store.DB(), `UPDATE users SET is_active = false WHERE email = '`+u.Email+`'`)
	if res := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: sign(secret, valid)}); res.Status != http.StatusUnauthorized {
		t.Fatalf("deactivated user: %d", res.Status)
	}
}

func TestFoundationClientScope(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	if res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: env.Token(apitest.Client),
		Body: newIntervention("Demande client")}); res.Status != http.StatusForbidden {
		t.Fatalf("client create: %d", res.Status)
	}
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: env.Token(apitest.Responsable),
		Body: newIntervention("Presse de la cimenterie")})
	var d domain.InterventionDetail
	res.JSON(t, &d)
	path := "/api/v1/interventions/" + apitest.ID(d.ID)
	// Equipment 1 is under Cimenterie Atlas' contract: its client sees it, the other client does not.
	if res := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: env.Token(apitest.Client)}); res.Status != http.StatusOK {
		t.Fatalf("own client: %d", res.Status)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: env.Token(apitest.Client2)}); res.Status != http.StatusNotFound {
		t.Fatalf("other client: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: path, Token: env.Token(apitest.Technicien)}); res.Status != http.StatusOK {
		t.Fatalf("technicien: %d", res.Status)
	}
}

func TestFoundationHTTPHygiene(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, p := range []string{"/api/v1/health", "/api/v1/health/", "/api/v1/health/db", "/api/v1/health/ready/"} {
		res := env.Do(t, apitest.Request{Method: "GET", Path: p})
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", p, res.Status, res.Body)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("%s: security headers missing: %v", p, res.Header)
		}
	}
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health", Header: map[string]string{"X-Request-ID": "abc-123"}})
	if res.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("request id not echoed: %q", res.Header.Get("X-Request-ID"))
	}
	res = env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health", Header: map[string]string{"X-Request-ID": "bad id with spaces"}})
	if id := res.Header.Get("X-Request-ID"); len(id) != 24 {
		t.Fatalf("generated request id %q", id)
	}
	pre := env.Do(t, apitest.Request{Method: "OPTIONS", Path: "/api/v1/interventions", NoCheck: true, Header: map[string]string{
		"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}})
	if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", pre.Status, pre.Header)
	}
	evil := env.Do(t, apitest.Request{Method: "OPTIONS", Path: "/api/v1/interventions", NoCheck: true, Header: map[string]string{
		"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}})
	if evil.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("foreign origin allowed")
	}
	big := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: env.Token(apitest.Responsable),
		Body: []byte(`{"titre":"` + strings.Repeat("a", 2<<20) + `"}`)})
	if big.Status != http.StatusUnprocessableEntity || !strings.Contains(big.Problem(t).Detail, "volumineux") {
		t.Fatalf("oversized body: %d %s", big.Status, big.Body[:min(len(big.Body), 300)])
	}
	unknown := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/nothing-here"})
	if unknown.Status != http.StatusNotFound || unknown.Problem(t).Status != 404 {
		t.Fatalf("unknown route: %d", unknown.Status)
	}
}

func TestFoundationMetrics(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/424242", Token: tok})
	env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health"})
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/health/metrics"})
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d", res.Status)
	}
	body := string(res.Body)
	for _, want := range []string{
		`mif_http_requests_total{method="GET",route="/api/v1/interventions/{id}",status="404"} 1`,
		`mif_http_requests_total{method="GET",route="/api/v1/health",status="200"} 1`,
		`mif_http_request_duration_seconds_bucket{method="GET",route="/api/v1/health"`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "424242") {
		t.Error("raw paths leak into metric labels")
	}
}

func TestFoundationUnknownQueryParameter(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tok := env.Token(apitest.Responsable)
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions?statu=ouverte&limit=5", Token: tok})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("misspelt filter: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "statu" {
		t.Fatalf("errors: %+v", p.Errors)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions?statut=ouverte&_=1732630000", Token: tok}); res.Status != http.StatusOK {
		t.Fatalf("known filter with a cache buster: %d %s", res.Status, res.Body)
	}
}
