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
