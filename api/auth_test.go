package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/storage"
)

// authLogin signs in with JSON {email, password} and returns the answer.
func authLogin(t *testing.T, env *apitest.Env, email, password string) *apitest.Response {
	t.Helper()
	return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: map[string]string{"email": email, "password": password}})
}

// authPair signs in and returns the token pair, failing the test unless it succeeds.
func authPair(t *testing.T, env *apitest.Env, email, password string) api.TokenResponse {
	t.Helper()
	res := authLogin(t, env, email, password)
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, res.Status, res.Body)
	}
	var tr api.TokenResponse
	res.JSON(t, &tr)
	return tr
}

func authForm(path string, vals url.Values) apitest.Request {
	return apitest.Request{Method: "POST", Path: path, Body: strings.NewReader(vals.Encode()),
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
}

func authMe(t *testing.T, env *apitest.Env, token string) int {
	t.Helper()
	return env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: token}).Status
}

func authRefresh(t *testing.T, env *apitest.Env, refresh string) *apitest.Response {
	t.Helper()
	return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]string{"refresh_token": refresh}})
}

func TestAuthLoginReturnsTheSeedShape(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tr := authPair(t, env, apitest.Technicien, demo.Password)
	if tr.TokenType != "bearer" || tr.ExpiresIn != 900 || tr.AccessToken == "" || !strings.HasPrefix(tr.RefreshToken, "rt_") {
		t.Fatalf("token answer %+v", tr)
	}
	if tr.User.Email != apitest.Technicien || tr.User.Role != domain.RoleTechnicien || tr.User.Nom != "Dubois" || tr.User.Prenom != "Marie" {
		t.Fatalf("user %+v", tr.User)
	}
	c, err := env.Tokens.Verify(tr.AccessToken)
	if err != nil || c.ID == "" || c.Issuer == "" || len(c.Audience) != 1 || c.Subject != apitest.Technicien || c.Role != domain.RoleTechnicien {
		t.Fatalf("claims %+v %v", c, err)
	}
	// The refresh token is stored hashed, never in clear.
	stored, err := env.Store.GetRefreshToken(context.Background(), authn.HashRefreshToken(tr.RefreshToken))
	if err != nil || stored.UserID != tr.User.ID || stored.ExpiresAt.Sub(stored.CreatedAt) < 7*24*time.Hour-time.Minute {
		t.Fatalf("stored refresh token %+v %v", stored, err)
	}
	var clear int
	if err := env.Store.DB().Get(&clear, `SELECT count(*) FROM refresh_tokens WHERE token_hash = $1`, tr.RefreshToken); err != nil || clear != 0 {
		t.Fatalf("refresh token stored in clear (%d, %v)", clear, err)
	}
	if authMe(t, env, tr.AccessToken) != http.StatusOK {
		t.Fatal("the access token does not open /auth/me")
	}

	// The OAuth2 password form, on /auth/login and on its /auth/token alias, with an e-mail or a
	// username.
	mustExec(t, env.Store.DB(), `UPDATE users SET username = 'm.dubois' WHERE email = '`+apitest.Technicien+`'`)
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/token"} {
		for _, name := range []string{apitest.Technicien, "M.Dubois"} {
			res := env.Do(t, authForm(path, url.Values{"username": {name}, "password": {demo.Password}, "grant_type": {"password"}}))
			if res.Status != http.StatusOK {
				t.Fatalf("%s form login as %s: %d %s", path, name, res.Status, res.Body)
			}
		}
	}
	// JSON with a username.
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/token", Body: map[string]string{"username": "m.dubois", "password": demo.Password}})
	if res.Status != http.StatusOK {
		t.Fatalf("json username login: %d %s", res.Status, res.Body)
	}
}

func TestAuthLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	known := authLogin(t, env, apitest.Responsable, "Wrong#Password1")
	unknown := authLogin(t, env, "personne@mif.ma", "Wrong#Password1")
	if known.Status != http.StatusUnauthorized || unknown.Status != http.StatusUnauthorized {
		t.Fatalf("statuses %d %d", known.Status, unknown.Status)
	}
	if known.Problem(t).Detail != unknown.Problem(t).Detail {
		t.Fatalf("details differ: %q vs %q", known.Problem(t).Detail, unknown.Problem(t).Detail)
	}
	if res := authLogin(t, env, "", ""); res.Status != http.StatusUnprocessableEntity || len(res.Problem(t).Errors) != 2 {
		t.Fatalf("empty login: %d %s", res.Status, res.Body)
	}
	// A deactivated account cannot sign in, even with its password.
	mustExec(t, env.Store.DB(), `UPDATE users SET is_active = false WHERE email = '`+apitest.Client+`'`)
	if res := authLogin(t, env, apitest.Client, demo.Password); res.Status != http.StatusUnauthorized {
		t.Fatalf("inactive account: %d", res.Status)
	}
}

func retryAfter(t *testing.T, res *apitest.Response) int {
	t.Helper()
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("want 429, got %d %s", res.Status, res.Body)
	}
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	return n
}

// TestAuthBruteForceProtection uses delays of minutes, so that the seconds a slow machine spends
// on bcrypt between two requests never change the outcome.
func TestAuthBruteForceProtection(t *testing.T) {
	t.Parallel()
	env := apitest.New(t,
		apitest.WithEnv("MIF_LOGIN_WINDOW", "1h"), apitest.WithEnv("MIF_LOGIN_LOCK_DURATION", "30m"),
		apitest.WithEnv("MIF_LOGIN_FREE_ATTEMPTS", "2"), apitest.WithEnv("MIF_LOGIN_LOCK_THRESHOLD", "5"),
		apitest.WithEnv("MIF_LOGIN_BASE_DELAY", "10m"), apitest.WithEnv("MIF_LOGIN_MAX_DELAY", "20m"),
		apitest.WithEnv("MIF_LOGIN_IP_FREE_ATTEMPTS", "6"), apitest.WithEnv("MIF_LOGIN_IP_LOCK_THRESHOLD", "8"))
	ctx := context.Background()
	now := time.Now()
	record := func(who string, n int, at time.Time) {
		for range n {
			// Another address, so that only the account's counter moves.
			if err := env.Store.RecordLoginAttempt(ctx, who, "10.0.0.9", false, at); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Failures whose delay (20 min for the 3rd) is over do not block, and a success clears the
	// account's slate.
	record(apitest.Responsable, 3, now.Add(-50*time.Minute))
	authPair(t, env, apitest.Responsable, demo.Password)
	if res := authLogin(t, env, apitest.Responsable, "Wrong#Password1"); res.Status != http.StatusUnauthorized {
		t.Fatalf("after a success: %d", res.Status)
	}

	// Five failures lock the account for the lock duration, even for the right password.
	record(apitest.Client, 5, now.Add(-time.Minute))
	if n := retryAfter(t, authLogin(t, env, apitest.Client, demo.Password)); n < 25*60 || n > 30*60 {
		t.Fatalf("lock Retry-After %d", n)
	}

	// Two failures, then a delay: the same for a known and an unknown account.
	for _, who := range []string{apitest.Admin, "inconnu@mif.ma"} {
		for i := range 2 {
			if res := authLogin(t, env, who, "Wrong#Password1"); res.Status != http.StatusUnauthorized {
				t.Fatalf("%s failure %d: %d", who, i, res.Status)
			}
		}
		res := authLogin(t, env, who, demo.Password)
		if n := retryAfter(t, res); n < 9*60 || n > 10*60 {
			t.Fatalf("%s: Retry-After %d", who, n)
		}
		if !strings.Contains(res.Problem(t).Detail, "réessayez") {
			t.Fatalf("detail %q", res.Problem(t).Detail)
		}
	}

	// The address has now failed 6 times (1 + 2 + 2 + this one): every account is held back.
	if res := authLogin(t, env, apitest.Technicien, "Wrong#Password1"); res.Status != http.StatusUnauthorized {
		t.Fatalf("6th failure from the address: %d", res.Status)
	}
	retryAfter(t, authLogin(t, env, apitest.Technicien2, demo.Password))
}

// TestAuthBruteForceCountsPerAccount: the e-mail and the username of one account share one
// counter, so alternating them does not double an attacker's guesses.
func TestAuthBruteForceCountsPerAccount(t *testing.T) {
	t.Parallel()
	env := apitest.New(t,
		apitest.WithEnv("MIF_LOGIN_WINDOW", "1h"), apitest.WithEnv("MIF_LOGIN_LOCK_DURATION", "30m"),
		apitest.WithEnv("MIF_LOGIN_FREE_ATTEMPTS", "2"), apitest.WithEnv("MIF_LOGIN_LOCK_THRESHOLD", "5"),
		apitest.WithEnv("MIF_LOGIN_BASE_DELAY", "10m"), apitest.WithEnv("MIF_LOGIN_MAX_DELAY", "20m"))
	mustExec(t, env.Store.DB(), `UPDATE users SET username = 'm.dubois' WHERE email = '`+apitest.Technicien+`'`)
	if res := authLogin(t, env, "  Technicien@MIF.ma ", "Wrong#Password1"); res.Status != http.StatusUnauthorized {
		t.Fatalf("1st failure: %d", res.Status)
	}
	res := env.Do(t, authForm("/api/v1/auth/token", url.Values{"username": {"M.Dubois"}, "password": {"Wrong#Password1"}}))
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("2nd failure: %d", res.Status)
	}
	// Third attempt, by username this time and with the right password: held back all the same.
	res = env.Do(t, authForm("/api/v1/auth/token", url.Values{"username": {"m.dubois"}, "password": {demo.Password}}))
	if n := retryAfter(t, res); n < 9*60 || n > 10*60 {
		t.Fatalf("Retry-After %d", n)
	}

	// The old password of /auth/change-password is a guess too: a stolen access token does not
	// buy unlimited guesses, and they count against the login as well.
	tok := env.Token(apitest.Technicien2)
	change := func(oldPw string) *apitest.Response {
		return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/change-password", Token: tok,
			Body: map[string]string{"old_password": oldPw, "new_password": "Atlas#Presse2026"}})
	}
	for i := range 2 {
		if res := change("Wrong#Password1"); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong old password %d: %d %s", i, res.Status, res.Body)
		}
	}
	if n := retryAfter(t, change(demo.Password)); n < 9*60 || n > 10*60 {
		t.Fatalf("change-password Retry-After %d", n)
	}
	retryAfter(t, authLogin(t, env, apitest.Technicien2, demo.Password))
}

func TestAuthRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	first := authPair(t, env, apitest.Responsable, demo.Password)

	res := authRefresh(t, env, first.RefreshToken)
	if res.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.Status, res.Body)
	}
	var second api.TokenResponse
	res.JSON(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.ExpiresIn != 900 {
		t.Fatalf("rotation %+v", second)
	}
	if authMe(t, env, second.AccessToken) != http.StatusOK {
		t.Fatal("new access token refused")
	}
	// The seed's form: the refresh token in the Authorization header.
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/refresh", Token: second.RefreshToken})
	if res.Status != http.StatusOK {
		t.Fatalf("refresh by header: %d %s", res.Status, res.Body)
	}
	var third api.TokenResponse
	res.JSON(t, &third)

	// Presenting a rotated token again: refused, and the whole family is revoked.
	if res := authRefresh(t, env, first.RefreshToken); res.Status != http.StatusUnauthorized {
		t.Fatalf("reuse: %d", res.Status)
	}
	if res := authRefresh(t, env, third.RefreshToken); res.Status != http.StatusUnauthorized {
		t.Fatalf("family not revoked: %d", res.Status)
	}
	stored, err := env.Store.GetRefreshToken(context.Background(), authn.HashRefreshToken(third.RefreshToken))
	if err != nil || stored.RevokedAt == nil {
		t.Fatalf("latest token of the family: %+v %v", stored, err)
	}
	// Another session of the same user is a different family and survives.
	other := authPair(t, env, apitest.Responsable, demo.Password)
	if res := authRefresh(t, env, other.RefreshToken); res.Status != http.StatusOK {
		t.Fatalf("other session: %d", res.Status)
	}
	for name, req := range map[string]apitest.Request{
		"unknown": {Method: "POST", Path: "/api/v1/auth/refresh", Body: map[string]string{"refresh_token": "rt_nope-nope-nope-nope-nope"}},
		"missing": {Method: "POST", Path: "/api/v1/auth/refresh"},
		"access":  {Method: "POST", Path: "/api/v1/auth/refresh", Token: other.AccessToken},
	} {
		if res := env.Do(t, req); res.Status != http.StatusUnauthorized && res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", name, res.Status)
		}
	}
	// An expired refresh token is refused.
	mustExec(t, env.Store.DB(), `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'`)
	if res := authRefresh(t, env, other.RefreshToken); res.Status != http.StatusUnauthorized {
		t.Fatalf("expired: %d", res.Status)
	}
	// And purged by the housekeeping job's storage method.
	n, err := env.Store.PurgeExpiredRefreshTokens(context.Background(), time.Now())
	if err != nil || n < 4 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func TestAuthLogout(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := authPair(t, env, apitest.Technicien, demo.Password)
	b := authPair(t, env, apitest.Technicien, demo.Password)
	me := func(token string) int {
		return env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: token}).Status
	}
	// Logging out a session ends its refresh family and the access token presented with it.
	if res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: a.AccessToken,
		Body: map[string]string{"refresh_token": a.RefreshToken}}); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	if st := me(a.AccessToken); st != http.StatusUnauthorized {
		t.Fatalf("access token after its logout: %d", st)
	}
	if st := me(b.AccessToken); st != http.StatusOK {
		t.Fatalf("the other session's access token: %d", st)
	}
	if res := authRefresh(t, env, a.RefreshToken); res.Status != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", res.Status)
	}
	if res := authRefresh(t, env, b.RefreshToken); res.Status != http.StatusOK {
		t.Fatalf("the other session must survive: %d", res.Status)
	}
	// Logging out with only an access token ends every session of the account.
	c := authPair(t, env, apitest.Technicien, demo.Password)
	if res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/logout", Token: c.AccessToken}); res.Status != http.StatusNoContent {
		t.Fatalf("logout everywhere: %d", res.Status)
	}
	if res := authRefresh(t, env, c.RefreshToken); res.Status != http.StatusUnauthorized {
		t.Fatalf("refresh after logout everywhere: %d", res.Status)
	}
	for _, tok := range []string{b.AccessToken, c.AccessToken} {
		if st := me(tok); st != http.StatusUnauthorized {
			t.Fatalf("access token after logout everywhere: %d", st)
		}
	}
}

func TestAuthChangePassword(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := authPair(t, env, apitest.Technicien, demo.Password)
	b := authPair(t, env, apitest.Technicien, demo.Password)
	change := func(token, oldPw, newPw string) *apitest.Response {
		return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/change-password", Token: token,
			Body: map[string]string{"old_password": oldPw, "new_password": newPw}})
	}
	if res := change(a.AccessToken, "Wrong#Password1", "Atlas#Presse2026"); res.Status != http.StatusUnprocessableEntity ||
		res.Problem(t).Errors[0].Field != "old_password" {
		t.Fatalf("wrong old password: %d %s", res.Status, res.Body)
	}
	res := change(a.AccessToken, demo.Password, "short")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("weak password: %d", res.Status)
	}
	if p := res.Problem(t); len(p.Errors) < 3 || p.Errors[0].Field != "new_password" {
		t.Fatalf("every failed rule must be listed: %+v", p.Errors)
	}
	if res := change(a.AccessToken, demo.Password, "Technicien#2026x"); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("password containing the e-mail's local part: %d", res.Status)
	}
	res = change(a.AccessToken, demo.Password, "Atlas#Presse2026")
	if res.Status != http.StatusOK {
		t.Fatalf("change: %d %s", res.Status, res.Body)
	}
	var fresh api.TokenResponse
	res.JSON(t, &fresh)

	// Every earlier session is over, the new pair works.
	if authMe(t, env, a.AccessToken) != http.StatusUnauthorized || authMe(t, env, b.AccessToken) != http.StatusUnauthorized {
		t.Fatal("access tokens issued before the change still work")
	}
	if authRefresh(t, env, b.RefreshToken).Status != http.StatusUnauthorized {
		t.Fatal("refresh token of another session survived")
	}
	if authMe(t, env, fresh.AccessToken) != http.StatusOK || authRefresh(t, env, fresh.RefreshToken).Status != http.StatusOK {
		t.Fatal("the new pair does not work")
	}
	if authLogin(t, env, apitest.Technicien, demo.Password).Status != http.StatusUnauthorized {
		t.Fatal("old password still accepted")
	}
	authPair(t, env, apitest.Technicien, "Atlas#Presse2026")
	h, err := env.Store.ListHistorique(context.Background(), "user", fresh.User.ID)
	if err != nil || len(h) == 0 || h[len(h)-1].Action != "changement_mot_de_passe" {
		t.Fatalf("historique %+v %v", h, err)
	}
}

func TestAuthRevokedAndExpiredAccessTokens(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	u := env.User(apitest.Technicien)
	expired, err := env.Tokens.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	if authMe(t, env, expired) != http.StatusUnauthorized {
		t.Fatal("expired token accepted")
	}
	tok := env.Token(apitest.Technicien)
	if authMe(t, env, tok) != http.StatusOK {
		t.Fatal("valid token refused")
	}
	// A password change (even within the same second as the token) makes earlier tokens useless.
	mustExec(t, env.Store.DB(), `UPDATE users SET password_changed_at = clock_timestamp() WHERE email = '`+apitest.Technicien+`'`)
	if authMe(t, env, tok) != http.StatusUnauthorized {
		t.Fatal("token issued before the password change accepted")
	}
	// A deactivated account's tokens are refused at once.
	tok2 := env.Token(apitest.Client)
	mustExec(t, env.Store.DB(), `UPDATE users SET is_active = false WHERE email = '`+apitest.Client+`'`)
	if authMe(t, env, tok2) != http.StatusUnauthorized {
		t.Fatal("deactivated account's token accepted")
	}
}

func TestAuthMeAndPermissions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	var me domain.UserProfile
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: env.Token(apitest.Technicien)})
	res.JSON(t, &me)
	if me.Email != apitest.Technicien || me.FullName != "Marie Dubois" || me.Technicien == nil ||
		me.Technicien.Specialite != "Hydraulique" || len(me.Technicien.Competences) != 3 {
		t.Fatalf("technicien /me: %s", res.Body)
	}
	res = env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/users/me", Token: env.Token(apitest.Client)})
	me = domain.UserProfile{}
	res.JSON(t, &me)
	if me.Role != domain.RoleClient || me.Client == nil || me.Client.Nom != "Cimenterie Atlas" || me.Technicien != nil {
		t.Fatalf("client /me: %s", res.Body)
	}
	if strings.Contains(string(res.Body), "password") {
		t.Fatal("the password hash leaks")
	}

	var perms api.PermissionsResponse
	env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/permissions", Token: env.Token(apitest.Technicien)}).JSON(t, &perms)
	has := func(method, path string) bool {
		for _, e := range perms.Endpoints {
			if e.Method == method && e.Path == path {
				return true
			}
		}
		return false
	}
	if perms.Role != domain.RoleTechnicien || !has("GET", "/api/v1/interventions/{id}") || has("GET", "/api/v1/users") || has("POST", "/api/v1/interventions") {
		t.Fatalf("technicien permissions: %+v", perms)
	}
	found := false
	for _, p := range perms.Permissions {
		found = found || p == "interventions:update_status"
	}
	if !found {
		t.Fatalf("policy lines: %v", perms.Permissions)
	}
	env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/permissions", Token: env.Token(apitest.Admin)}).JSON(t, &perms)
	if len(perms.Permissions) != 1 || perms.Permissions[0] != "*:*" || !has("DELETE", "/api/v1/users/{id}") {
		t.Fatalf("admin permissions: %+v", perms.Permissions)
	}
}

// --- OIDC, end to end against an in-process provider (github.com/oauth2-proxy/mockoidc) ---

// oidcMockUser adds the role claim to mockoidc's user.
type oidcMockUser struct {
	mockoidc.MockUser
	role any
}

func (u *oidcMockUser) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	base, err := u.MockUser.Claims(scope, c)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	m := jwt.MapClaims{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if u.role != nil {
		m["mif_role"] = u.role
	}
	return m, nil
}

// oidcProvider is a running mock provider whose token endpoint can tamper with the ID token.
type oidcProvider struct {
	*mockoidc.MockOIDC
	mu     sync.Mutex
	tamper func(idToken string) string
}

func newOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{MockOIDC: m}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			fn := p.tamper
			p.mu.Unlock()
			if r.URL.Path != mockoidc.TokenEndpoint || fn == nil {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := map[string]any{}
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if s, ok := body["id_token"].(string); ok {
				body["id_token"] = fn(s)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			_ = json.NewEncoder(w).Encode(body)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

func (p *oidcProvider) setTamper(fn func(string) string) {
	p.mu.Lock()
	p.tamper = fn
	p.mu.Unlock()
}

// claimsOf reads a JWT's claims without checking it (the test is the attacker here).
func claimsOf(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func oidcEnv(t *testing.T, p *oidcProvider, extra ...apitest.Option) *apitest.Env {
	t.Helper()
	opts := []apitest.Option{
		apitest.WithEnv("MIF_OIDC_ISSUER", p.Issuer()), apitest.WithEnv("MIF_OIDC_CLIENT_ID", p.ClientID),
		apitest.WithEnv("MIF_OIDC_CLIENT_SECRET", p.ClientSecret),
		// The test drives the browser itself: the redirect URL only has to be absolute.
		apitest.WithEnv("MIF_OIDC_REDIRECT_URL", "http://127.0.0.1:1/api/v1/auth/oidc/callback"),
		apitest.WithEnv("MIF_OIDC_ACCEPT_PROVIDER_TOKENS", "true"),
	}
	return apitest.New(t, append(opts, extra...)...)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}

// oidcStart plays the browser: /auth/oidc/login, then the provider's authorize endpoint. It
// returns the code and state the provider sends back, and our browser-binding cookie.
func oidcStart(t *testing.T, env *apitest.Env, p *oidcProvider, u mockoidc.User) (code, state string, cookie *http.Cookie) {
	t.Helper()
	p.QueueUser(u)
	res, err := noRedirect.Get(env.URL + "/api/v1/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("oidc login: %d", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == "mif_oidc" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 {
		t.Fatalf("browser-binding cookie %+v", cookie)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), p.AuthorizationEndpoint()) || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request %s", loc)
	}
	res, err = noRedirect.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("provider answer %d %v", res.StatusCode, err)
	}
	return back.Query().Get("code"), back.Query().Get("state"), cookie
}

func oidcCallback(t *testing.T, env *apitest.Env, code, state string, cookie *http.Cookie) *apitest.Response {
	t.Helper()
	h := map[string]string{}
	if cookie != nil {
		h["Cookie"] = cookie.Name + "=" + cookie.Value
	}
	return env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/oidc/callback?" + url.Values{"code": {code}, "state": {state}}.Encode(), Header: h})
}

func TestAuthOIDC(t *testing.T) {
	t.Parallel()
	p := newOIDCProvider(t)
	env := oidcEnv(t, p)
	ctx := context.Background()
	verified := func(sub, email string, role any) *oidcMockUser {
		return &oidcMockUser{MockUser: mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: true}, role: role}
	}

	// Happy path: an existing account matched by its verified e-mail, then linked.
	code, state, cookie := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, "admin"))
	res := oidcCallback(t, env, code, state, cookie)
	if res.Status != http.StatusOK {
		t.Fatalf("callback: %d %s", res.Status, res.Body)
	}
	var tr api.TokenResponse
	res.JSON(t, &tr)
	if tr.User.Email != apitest.Responsable || tr.User.Role != domain.RoleResponsable || tr.RefreshToken == "" || authMe(t, env, tr.AccessToken) != http.StatusOK {
		t.Fatalf("token pair %+v", tr)
	}
	if u, err := env.Store.GetUserByOIDCSubject(ctx, p.Issuer()+"|sub-resp"); err != nil || u.Email != apitest.Responsable {
		t.Fatalf("subject not linked: %v", err)
	}

	t.Run("replayed state", func(t *testing.T) {
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusBadRequest {
			t.Fatalf("replay: %d %s", res.Status, res.Body)
		}
	})
	t.Run("state from another browser", func(t *testing.T) {
		code, state, _ := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, &http.Cookie{Name: "mif_oidc", Value: "someone-else"}); res.Status != http.StatusBadRequest {
			t.Fatalf("foreign cookie: %d", res.Status)
		}
		code, state, _ = oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, nil); res.Status != http.StatusBadRequest {
			t.Fatalf("no cookie: %d", res.Status)
		}
	})
	t.Run("provisioning never grants admin", func(t *testing.T) {
		code, state, cookie := oidcStart(t, env, p, verified("sub-new-1", "nouveau.sso@cimatlas.ma", "admin"))
		res := oidcCallback(t, env, code, state, cookie)
		var tr api.TokenResponse
		res.JSON(t, &tr)
		if res.Status != http.StatusOK || tr.User.Role != domain.RoleClient || tr.User.Email != "nouveau.sso@cimatlas.ma" {
			t.Fatalf("provisioned: %d %s", res.Status, res.Body)
		}
		code, state, cookie = oidcStart(t, env, p, verified("sub-new-2", "tech.sso@mif.ma", []any{"technicien"}))
		res = oidcCallback(t, env, code, state, cookie)
		res.JSON(t, &tr)
		if res.Status != http.StatusOK || tr.User.Role != domain.RoleTechnicien {
			t.Fatalf("technicien claim: %d %s", res.Status, res.Body)
		}
		if prof, err := env.Store.GetUserProfile(ctx, tr.User.ID); err != nil || prof.Technicien == nil {
			t.Fatalf("technicien profile not created: %v", err)
		}
	})
	t.Run("unverified e-mail", func(t *testing.T) {
		u := verified("sub-unverified", apitest.Admin, nil)
		u.EmailVerified = false
		code, state, cookie := oidcStart(t, env, p, u)
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("unverified e-mail matched an account: %d %s", res.Status, res.Body)
		}
	})
	t.Run("account linked to another identity", func(t *testing.T) {
		// A second identity of the provider with the same verified e-mail does not take over the
		// account linked at the first login.
		code, state, cookie := oidcStart(t, env, p, verified("sub-resp-bis", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("second identity: %d %s", res.Status, res.Body)
		}
		if _, err := env.Store.GetUserByOIDCSubject(ctx, p.Issuer()+"|sub-resp-bis"); err == nil {
			t.Fatal("the second identity was linked")
		}
	})
	t.Run("deactivated account", func(t *testing.T) {
		mustExec(t, env.Store.DB(), `UPDATE users SET is_active = false WHERE email = '`+apitest.Technicien2+`'`)
		defer mustExec(t, env.Store.DB(), `UPDATE users SET is_active = true WHERE email = '`+apitest.Technicien2+`'`)
		code, state, cookie := oidcStart(t, env, p, verified("sub-tech2", apitest.Technicien2, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("deactivated account: %d %s", res.Status, res.Body)
		}
		if _, err := env.Store.GetUserByOIDCSubject(ctx, p.Issuer()+"|sub-tech2"); err == nil {
			t.Fatal("a deactivated account was linked")
		}
	})
	t.Run("forged ID token", func(t *testing.T) {
		rogue, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		kid, _ := p.Keypair.KeyID()
		p.setTamper(func(raw string) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claimsOf(t, raw))
			tok.Header["kid"] = kid
			s, err := tok.SignedString(rogue)
			if err != nil {
				t.Error(err)
			}
			return s
		})
		defer p.setTamper(nil)
		code, state, cookie := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("forged token: %d %s", res.Status, res.Body)
		}
	})
	t.Run("wrong audience", func(t *testing.T) {
		p.setTamper(func(raw string) string {
			c := claimsOf(t, raw)
			c["aud"] = "another-client"
			s, err := p.Keypair.SignJWT(c)
			if err != nil {
				t.Error(err)
			}
			return s
		})
		defer p.setTamper(nil)
		code, state, cookie := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong audience: %d %s", res.Status, res.Body)
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		p.setTamper(func(raw string) string {
			c := claimsOf(t, raw)
			c["nonce"] = "replayed-from-another-login"
			s, _ := p.Keypair.SignJWT(c)
			return s
		})
		defer p.setTamper(nil)
		code, state, cookie := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong nonce: %d %s", res.Status, res.Body)
		}
	})
	t.Run("expired ID token", func(t *testing.T) {
		// The provider's clock is an hour behind: it issues tokens that expired 50 minutes ago.
		p.FastForward(-time.Hour)
		defer p.FastForward(time.Hour)
		code, state, cookie := oidcStart(t, env, p, verified("sub-resp", apitest.Responsable, nil))
		if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusUnauthorized {
			t.Fatalf("expired token: %d %s", res.Status, res.Body)
		}
	})
	t.Run("provider access tokens", func(t *testing.T) {
		providerToken := func(u mockoidc.User) string {
			p.QueueUser(u)
			authURL := p.AuthorizationEndpoint() + "?" + url.Values{"scope": {"openid email"}, "state": {"s"}, "client_id": {p.ClientID},
				"response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:1/cb"}}.Encode()
			res, err := noRedirect.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			back, _ := url.Parse(res.Header.Get("Location"))
			res, err = http.PostForm(p.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
				"client_id": {p.ClientID}, "client_secret": {p.ClientSecret}, "redirect_uri": {"http://127.0.0.1:1/cb"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.AccessToken == "" {
				t.Fatalf("provider token: %v", err)
			}
			return body.AccessToken
		}
		linked := providerToken(verified("sub-resp", apitest.Responsable, nil))
		res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/me", Token: linked})
		var me domain.UserProfile
		res.JSON(t, &me)
		if res.Status != http.StatusOK || me.Email != apitest.Responsable {
			t.Fatalf("provider token of a linked account: %d %s", res.Status, res.Body)
		}
		if authMe(t, env, providerToken(verified("sub-stranger", "stranger@example.com", nil))) != http.StatusUnauthorized {
			t.Fatal("provider token of an unknown subject accepted")
		}
		// An expired provider token of a linked account: refused.
		p.FastForward(-time.Hour)
		expired := providerToken(verified("sub-resp", apitest.Responsable, nil))
		p.FastForward(time.Hour)
		if authMe(t, env, expired) != http.StatusUnauthorized {
			t.Fatal("expired provider token accepted")
		}
		// A forged one (signed with another key, the provider's kid): refused.
		rogue, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		forgedTok := jwt.NewWithClaims(jwt.SigningMethodRS256, claimsOf(t, linked))
		forgedTok.Header["kid"], _ = p.Keypair.KeyID()
		forged, err := forgedTok.SignedString(rogue)
		if err != nil {
			t.Fatal(err)
		}
		if authMe(t, env, forged) != http.StatusUnauthorized {
			t.Fatal("forged provider token accepted")
		}
		// Without the option, the same token is refused.
		env2 := oidcEnv(t, p, apitest.WithEnv("MIF_OIDC_ACCEPT_PROVIDER_TOKENS", "false"))
		if _, err := env2.Store.CreateOIDCUser(ctx, storage.NewUser{Email: "sso@mif.ma", Role: domain.RoleClient}, "sub-resp"); err != nil {
			t.Fatal(err)
		}
		if authMe(t, env2, linked) != http.StatusUnauthorized {
			t.Fatal("provider token accepted while MIF_OIDC_ACCEPT_PROVIDER_TOKENS is off")
		}
	})
}

func TestAuthOIDCFrontendRedirectAndDisabled(t *testing.T) {
	t.Parallel()
	p := newOIDCProvider(t)
	env := oidcEnv(t, p, apitest.WithEnv("MIF_OIDC_FRONTEND_URL", "http://localhost:5173/connexion"))
	code, state, cookie := oidcStart(t, env, p, &oidcMockUser{MockUser: mockoidc.MockUser{Subject: "s1", Email: apitest.Technicien, EmailVerified: true}})
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/auth/oidc/callback?"+url.Values{"code": {code}, "state": {state}}.Encode(), nil)
	req.AddCookie(cookie)
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || loc.Host != "localhost:5173" || loc.RawQuery != "" {
		t.Fatalf("redirect %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	frag, _ := url.ParseQuery(loc.Fragment)
	if authMe(t, env, frag.Get("access_token")) != http.StatusOK || !strings.HasPrefix(frag.Get("refresh_token"), "rt_") {
		t.Fatalf("fragment %q", loc.Fragment)
	}

	// The provider goes down between the login and the callback: 503, not a refusal.
	code, state, cookie = oidcStart(t, env, p, &oidcMockUser{MockUser: mockoidc.MockUser{Subject: "s1", Email: apitest.Technicien, EmailVerified: true}})
	if err := p.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if res := oidcCallback(t, env, code, state, cookie); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("provider down at the callback: %d %s", res.Status, res.Body)
	}
	// A provider that cannot be discovered: the login answers 503 (and the API still starts).
	down := apitest.New(t, apitest.WithEnv("MIF_OIDC_ISSUER", "http://127.0.0.1:1/oidc"), apitest.WithEnv("MIF_OIDC_CLIENT_ID", "c"),
		apitest.WithEnv("MIF_OIDC_REDIRECT_URL", "http://127.0.0.1:1/api/v1/auth/oidc/callback"))
	if res := down.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/auth/oidc/login"}); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("undiscoverable provider: %d %s", res.Status, res.Body)
	}

	// Without MIF_OIDC_ISSUER, OIDC is off.
	plain := apitest.New(t)
	for _, path := range []string{"/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback?code=a&state=b"} {
		if res := plain.Do(t, apitest.Request{Method: "GET", Path: path}); res.Status != http.StatusNotFound {
			t.Fatalf("%s without OIDC: %d", path, res.Status)
		}
	}
}

// TestAuthJWKSPublishesTheRS256Key: a token issued by the API verifies with nothing but the
// public key published at /.well-known/jwks.json (what another service would do).
func TestAuthJWKSPublishesTheRS256Key(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/jwt.pem"
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t, apitest.WithEnv("MIF_JWT_ALGORITHM", "RS256"), apitest.WithEnv("MIF_JWT_PRIVATE_KEY_FILE", path))
	var set struct {
		Keys []struct{ Kty, Alg, Kid, N, E string }
	}
	env.Do(t, apitest.Request{Method: "GET", Path: "/.well-known/jwks.json"}).JSON(t, &set)
	if len(set.Keys) != 1 || set.Keys[0].Alg != "RS256" || set.Keys[0].Kid == "" {
		t.Fatalf("jwks %+v", set)
	}
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	tr := authPair(t, env, apitest.Responsable, demo.Password)
	tok, err := jwt.Parse(tr.AccessToken, func(tok *jwt.Token) (any, error) {
		if tok.Header["kid"] != set.Keys[0].Kid {
			t.Errorf("kid %v", tok.Header["kid"])
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("token does not verify with the published key: %v", err)
	}
}
