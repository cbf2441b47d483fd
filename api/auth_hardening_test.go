package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/internal/apitest"
)

// Findings of the outside audit on the identity area (issue 13), end to end.

// TestAuthSessionsEnd: a session ends at its absolute lifetime (MIF_SESSION_MAX_LIFETIME, counted
// from the login) and after its idle timeout (MIF_SESSION_IDLE_TIMEOUT), with a detail that says
// which.
func TestAuthSessionsEnd(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithEnv("MIF_SESSION_IDLE_TIMEOUT", "1h"))
	old := authPair(t, env, apitest.Responsable, demo.Password)
	idle := authPair(t, env, apitest.Technicien, demo.Password)
	mustExec(t, env.Store.DB(), `UPDATE refresh_tokens SET family_started_at = now() - interval '30 days 1 minute'
		WHERE user_id = (SELECT id FROM users WHERE email = '`+apitest.Responsable+`')`)
	mustExec(t, env.Store.DB(), `UPDATE refresh_tokens SET created_at = now() - interval '61 minutes'
		WHERE user_id = (SELECT id FROM users WHERE email = '`+apitest.Technicien+`')`)
	res := authRefresh(t, env, old.RefreshToken)
	if res.Status != http.StatusUnauthorized || !strings.Contains(res.Problem(t).Detail, "durée maximale de 30 jours") {
		t.Fatalf("past the absolute lifetime: %d %s", res.Status, res.Body)
	}
	res = authRefresh(t, env, idle.RefreshToken)
	if res.Status != http.StatusUnauthorized || !strings.Contains(res.Problem(t).Detail, "1 h sans activité") {
		t.Fatalf("past the idle timeout: %d %s", res.Status, res.Body)
	}
	// A session within both limits rotates; its new token keeps the login's start.
	fresh := authPair(t, env, apitest.Client, demo.Password)
	if res := authRefresh(t, env, fresh.RefreshToken); res.Status != http.StatusOK {
		t.Fatalf("fresh session: %d %s", res.Status, res.Body)
	}
	var spread int
	if err := env.Store.DB().Get(&spread, `SELECT count(DISTINCT family_started_at) FROM refresh_tokens
		WHERE user_id = (SELECT id FROM users WHERE email = $1)`, apitest.Client); err != nil || spread != 1 {
		t.Fatalf("family start copied by the rotation: %d distinct values (%v)", spread, err)
	}
}

// TestAuthLoginRefusesControlCharactersAndInvalidUTF8: a NUL byte or invalid UTF-8 in a login
// field is a 422 naming the field, never a 500 (PostgreSQL refuses both in text: 22021), in JSON
// and in the OAuth2 form; a client-chosen User-Agent cannot break the session's row either.
func TestAuthLoginRefusesControlCharactersAndInvalidUTF8(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	jsonLogin := func(body string) *apitest.Response {
		return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: []byte(body),
			Header: map[string]string{"Content-Type": "application/json"}})
	}
	field := func(name string, res *apitest.Response, want string) {
		t.Helper()
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", name, res.Status, res.Body)
		}
		p := res.Problem(t)
		if len(p.Errors) == 0 || p.Errors[0].Field != want || !strings.Contains(p.Errors[0].Message, "invalides") {
			t.Fatalf("%s: %+v", name, p)
		}
	}
	field("json e-mail with NUL", jsonLogin(`{"email":"admin\u0000@mif.ma","password":"x"}`), "email")
	field("json username with NUL", jsonLogin(`{"username":"m.dubois\u0000","password":"x"}`), "username")
	field("json password with NUL", jsonLogin(`{"email":"admin@mif.ma","password":"Mif\u0000Maroc#2026"}`), "password")
	for path, vals := range map[string]string{
		"/api/v1/auth/token": "username=admin%00%40mif.ma&password=x",
		"/api/v1/auth/login": "username=%FF%FEadmin&password=x",
	} {
		res := env.Do(t, apitest.Request{Method: "POST", Path: path, Body: strings.NewReader(vals),
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		field("form "+vals, res, "username")
	}
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/token", Body: strings.NewReader("username=admin%40mif.ma&password=%FF"),
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	field("form password", res, "password")
	// Invalid UTF-8 inside a JSON string is replaced by U+FFFD when decoding: no account has such
	// a name, so the answer is a refusal, never a 500.
	if res := jsonLogin("{\"email\":\"admin\xff@mif.ma\",\"password\":\"x\"}"); res.Status != http.StatusUnauthorized && res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("json with invalid UTF-8: %d %s", res.Status, res.Body)
	}
	// A refresh token, a current or new password with such bytes: refused, never a 500.
	field("refresh token with NUL", env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Body: []byte(`{"refresh_token":"rt_\u0000\u0000"}`),
		Header: map[string]string{"Content-Type": "application/json"}}), "refresh_token")
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/change-password", Token: env.Token(apitest.Technicien),
		Body: []byte(`{"old_password":"` + demo.Password + `","new_password":"Atlas#Presse\u00002026"}`), Header: map[string]string{"Content-Type": "application/json"}})
	field("new password with NUL", res, "new_password")
	// The User-Agent is stored with the session: bytes PostgreSQL refuses are made storable.
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": apitest.Responsable, "password": demo.Password},
		Header: map[string]string{"User-Agent": "curl/8 \xff\xfe" + strings.Repeat("é", 200)}})
	if res.Status != http.StatusOK {
		t.Fatalf("login with a binary User-Agent: %d %s", res.Status, res.Body)
	}
}
