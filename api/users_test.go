package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func usersList(t *testing.T, env *apitest.Env, token, query string) ([]domain.UserProfile, *apitest.Response) {
	t.Helper()
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/users" + query, Token: token})
	var out []domain.UserProfile
	if res.Status == http.StatusOK {
		res.JSON(t, &out)
	}
	return out, res
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	resp := env.Token(apitest.Responsable)
	all, res := usersList(t, env, resp, "")
	if res.Status != http.StatusOK || len(all) != 7 || res.Header.Get("X-Total-Count") != "7" {
		t.Fatalf("list: %d %d %q", res.Status, len(all), res.Header.Get("X-Total-Count"))
	}
	techs, res := usersList(t, env, resp, "/?role=technicien&limit=2&offset=1")
	if res.Status != http.StatusOK || len(techs) != 2 || res.Header.Get("X-Total-Count") != "3" {
		t.Fatalf("techniciens page: %d %d %q", res.Status, len(techs), res.Header.Get("X-Total-Count"))
	}
	for _, u := range techs {
		if u.Role != domain.RoleTechnicien || u.Technicien == nil || u.Technicien.NiveauExperience == "" || u.Technicien.Competences == nil {
			t.Fatalf("technicien without its profile: %+v", u)
		}
	}
	if inactive, res := usersList(t, env, resp, "?is_active=false"); res.Status != http.StatusOK || len(inactive) != 0 {
		t.Fatalf("inactive: %d %d", res.Status, len(inactive))
	}
	_, res = usersList(t, env, resp, "?role=chef&limit=500&is_active=peut-etre")
	if res.Status != http.StatusUnprocessableEntity || len(res.Problem(t).Errors) != 3 {
		t.Fatalf("bad filters: %d %s", res.Status, res.Body)
	}
	for _, who := range []string{apitest.Technicien, apitest.Client} {
		if _, res := usersList(t, env, env.Token(who), ""); res.Status != http.StatusForbidden {
			t.Fatalf("%s lists users: %d", who, res.Status)
		}
	}
	id := env.User(apitest.Client).ID
	res = env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/users/" + apitest.ID(id), Token: resp})
	var u domain.UserProfile
	res.JSON(t, &u)
	if res.Status != http.StatusOK || u.Email != apitest.Client || u.Client == nil {
		t.Fatalf("get: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/users/99999", Token: resp}); res.Status != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.Status)
	}
}

func TestUsersCreate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	resp, admin := env.Token(apitest.Responsable), env.Token(apitest.Admin)
	create := func(token string, body map[string]any) *apitest.Response {
		return env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/users/", Token: token, Body: body})
	}
	body := func(email string, role domain.Role) map[string]any {
		return map[string]any{"email": email, "password": "Atlas#Presse2026", "nom": "Nouveau", "prenom": "User", "role": role}
	}

	res := create(resp, body("  Nouveau@Example.com ", domain.RoleTechnicien))
	if res.Status != http.StatusCreated {
		t.Fatalf("create technicien: %d %s", res.Status, res.Body)
	}
	var u domain.UserProfile
	res.JSON(t, &u)
	if u.Email != "nouveau@example.com" || u.Role != domain.RoleTechnicien || !u.IsActive || u.Technicien == nil || u.DateCreation.IsZero() {
		t.Fatalf("created %s", res.Body)
	}
	if res.Header.Get("Location") != "/api/v1/users/"+apitest.ID(u.ID) {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}
	h, err := env.Store.ListHistorique(context.Background(), "user", u.ID)
	if err != nil || len(h) != 1 || h[0].Action != "creation" || h[0].ActeurID == nil || *h[0].ActeurID != env.User(apitest.Responsable).ID {
		t.Fatalf("historique %+v %v", h, err)
	}
	authPair(t, env, "nouveau@example.com", "Atlas#Presse2026")

	if res := create(resp, body("chef@mif.ma", domain.RoleAdmin)); res.Status != http.StatusForbidden {
		t.Fatalf("responsable creates an admin: %d", res.Status)
	}
	if res := create(admin, body("chef@mif.ma", domain.RoleAdmin)); res.Status != http.StatusCreated {
		t.Fatalf("admin creates an admin: %d %s", res.Status, res.Body)
	}
	if res := create(resp, body("NOUVEAU@example.com", domain.RoleResponsable)); res.Status != http.StatusConflict {
		t.Fatalf("duplicate e-mail: %d", res.Status)
	}
	b := body("autre@example.com", domain.RoleResponsable)
	b["username"] = "n.user"
	if res := create(resp, b); res.Status != http.StatusCreated {
		t.Fatalf("with username: %d %s", res.Status, res.Body)
	}
	b = body("encore@example.com", domain.RoleResponsable)
	b["username"] = "N.User"
	if res := create(resp, b); res.Status != http.StatusConflict {
		t.Fatalf("duplicate username: %d", res.Status)
	}

	// Client accounts belong to an existing client.
	if res := create(resp, body("c1@example.com", domain.RoleClient)); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("client without client_id: %d", res.Status)
	}
	b = body("c1@example.com", domain.RoleClient)
	b["client_id"] = 99999
	if res := create(resp, b); res.Status != http.StatusUnprocessableEntity || res.Problem(t).Errors[0].Field != "client_id" {
		t.Fatalf("unknown client: %d %s", res.Status, res.Body)
	}
	b["client_id"] = *env.User(apitest.Client).ClientID
	res = create(resp, b)
	res.JSON(t, &u)
	if res.Status != http.StatusCreated || u.Client == nil || u.Client.Nom != "Cimenterie Atlas" {
		t.Fatalf("client account: %d %s", res.Status, res.Body)
	}
	b = body("t2@example.com", domain.RoleTechnicien)
	b["client_id"] = 1
	if res := create(resp, b); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("client_id on a technicien: %d", res.Status)
	}

	// Invalid input: every field reported at once; unknown fields refused.
	res = create(resp, map[string]any{"email": "pas-un-email", "password": "court", "nom": "", "role": "chef"})
	if res.Status != http.StatusUnprocessableEntity || len(res.Problem(t).Errors) < 5 {
		t.Fatalf("invalid: %d %s", res.Status, res.Body)
	}
	b = body("x@example.com", domain.RoleClient)
	b["is_admin"] = true
	if res := create(resp, b); res.Status != http.StatusUnprocessableEntity || res.Problem(t).Errors[0].Field != "is_admin" {
		t.Fatalf("unknown field: %d %s", res.Status, res.Body)
	}
	if res := create(env.Token(apitest.Technicien), body("y@example.com", domain.RoleClient)); res.Status != http.StatusForbidden {
		t.Fatalf("technicien creates: %d", res.Status)
	}
}

func TestUsersUpdateDeactivateActivate(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Token(apitest.Admin)
	tech := env.User(apitest.Technicien)
	path := "/api/v1/users/" + apitest.ID(tech.ID)

	// Own profile.
	res := env.Do(t, apitest.Request{Method: "PUT", Path: "/api/v1/users/update", Token: env.Token(apitest.Client),
		Body: map[string]any{"nom": "  Berrada-Alami ", "username": "n.berrada"}})
	var u domain.UserProfile
	res.JSON(t, &u)
	if res.Status != http.StatusOK || u.Nom != "Berrada-Alami" || u.Username == nil || *u.Username != "n.berrada" {
		t.Fatalf("own profile: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, apitest.Request{Method: "PUT", Path: "/api/v1/users/update", Token: env.Token(apitest.Client),
		Body: map[string]any{"role": "admin"}}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("own role change: %d", res.Status)
	}

	// Administrator's edit.
	if res := env.Do(t, apitest.Request{Method: "PUT", Path: path, Token: env.Token(apitest.Responsable),
		Body: map[string]any{"nom": "X"}}); res.Status != http.StatusForbidden {
		t.Fatalf("responsable edits a user: %d", res.Status)
	}
	res = env.Do(t, apitest.Request{Method: "PUT", Path: path, Token: admin, Body: map[string]any{"prenom": "Marie-Claire", "email": "Marie@MIF.ma"}})
	res.JSON(t, &u)
	if res.Status != http.StatusOK || u.Prenom != "Marie-Claire" || u.Email != "marie@mif.ma" {
		t.Fatalf("admin edit: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, apitest.Request{Method: "PUT", Path: path, Token: admin, Body: map[string]any{"email": apitest.Responsable}}); res.Status != http.StatusConflict {
		t.Fatalf("e-mail taken: %d", res.Status)
	}
	h, _ := env.Store.ListHistorique(context.Background(), "user", tech.ID)
	if len(h) == 0 || h[len(h)-1].Action != "modification" || !usersJSONHas(h[len(h)-1].Changements, "prenom") {
		t.Fatalf("historique %+v", h)
	}

	// Deactivation revokes everything; activation restores the login.
	pair := authPair(t, env, "marie@mif.ma", demo.Password)
	if res := env.Do(t, apitest.Request{Method: "DELETE", Path: path, Token: admin}); res.Status != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", res.Status, res.Body)
	}
	if authMe(t, env, pair.AccessToken) != http.StatusUnauthorized || authRefresh(t, env, pair.RefreshToken).Status != http.StatusUnauthorized {
		t.Fatal("tokens of a deactivated account still work")
	}
	if authLogin(t, env, "marie@mif.ma", demo.Password).Status != http.StatusUnauthorized {
		t.Fatal("deactivated account signs in")
	}
	res = env.Do(t, apitest.Request{Method: "PATCH", Path: path + "/activate", Token: admin})
	res.JSON(t, &u)
	if res.Status != http.StatusOK || !u.IsActive {
		t.Fatalf("activate: %d %s", res.Status, res.Body)
	}
	authPair(t, env, "marie@mif.ma", demo.Password)
	// Revoked means for good: the access token of before the deactivation, still within its
	// 15 minutes, does not come back to life with the account.
	if authMe(t, env, pair.AccessToken) != http.StatusUnauthorized {
		t.Fatal("an access token issued before the deactivation works again after the reactivation")
	}
	h, _ = env.Store.ListHistorique(context.Background(), "user", tech.ID)
	if len(h) < 3 || h[len(h)-2].Action != "desactivation" || h[len(h)-1].Action != "activation" {
		t.Fatalf("historique %+v", h)
	}
	if res := env.Do(t, apitest.Request{Method: "DELETE", Path: "/api/v1/users/" + apitest.ID(env.User(apitest.Admin).ID), Token: admin}); res.Status != http.StatusConflict {
		t.Fatalf("admin deactivates itself: %d", res.Status)
	}
	if res := env.Do(t, apitest.Request{Method: "DELETE", Path: "/api/v1/users/99999", Token: admin}); res.Status != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.Status)
	}
}

func usersJSONHas(raw []byte, key string) bool {
	return strings.Contains(string(raw), `"`+key+`"`)
}
