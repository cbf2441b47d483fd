package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/internal/apitest"
)

// multipartLogin is what a browser sends for a FormData with username and password (the earlier
// frontend's login).
func multipartLogin(t *testing.T, path string, fields map[string]string) apitest.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return apitest.Request{Method: "POST", Path: path, Body: &buf, Header: map[string]string{"Content-Type": mw.FormDataContentType()}}
}

func TestAuthLoginAcceptsJSONUrlencodedAndMultipart(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/token"} {
		reqs := map[string]apitest.Request{
			"json":       {Method: "POST", Path: path, Body: map[string]string{"email": apitest.Responsable, "password": demo.Password}},
			"urlencoded": authForm(path, url.Values{"username": {apitest.Responsable}, "password": {demo.Password}, "grant_type": {"password"}}),
			"multipart":  multipartLogin(t, path, map[string]string{"username": apitest.Responsable, "password": demo.Password}),
		}
		for kind, req := range reqs {
			res := env.Do(t, req)
			if res.Status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", kind, path, res.Status, res.Body)
			}
			var tr api.TokenResponse
			res.JSON(t, &tr)
			if tr.User.Email != apitest.Responsable || tr.AccessToken == "" || authMe(t, env, tr.AccessToken) != http.StatusOK {
				t.Fatalf("%s %s: %+v", kind, path, tr)
			}
		}
	}
	// A wrong password in a multipart form is refused like any other.
	res := env.Do(t, multipartLogin(t, "/api/v1/auth/login", map[string]string{"username": apitest.Responsable, "password": "faux"}))
	if res.Status != http.StatusUnauthorized {
		t.Fatalf("wrong multipart password: %d %s", res.Status, res.Body)
	}
	// A broken multipart body (no boundary) is a 422 on the body, not a 500.
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/login", Body: strings.NewReader("username=x"),
		Header: map[string]string{"Content-Type": "multipart/form-data"}})
	if p := res.Problem(t); res.Status != http.StatusUnprocessableEntity || p.Errors[0].Field != "body" {
		t.Fatalf("broken multipart: %d %s", res.Status, res.Body)
	}
	// Swagger's refresh: the form with refresh_token.
	tr := authPair(t, env, apitest.Responsable, demo.Password)
	res = env.Do(t, multipartLogin(t, "/api/v1/auth/refresh", map[string]string{"refresh_token": tr.RefreshToken, "grant_type": "refresh_token"}))
	if res.Status != http.StatusOK {
		t.Fatalf("multipart refresh: %d %s", res.Status, res.Body)
	}
}

// TestOpenAPIDeclaresTheOAuth2PasswordFlow: Swagger UI's "Authorize" logs in with a username and
// password through the password flow whose tokenUrl is the form endpoint, and every guarded
// operation accepts its token.
func TestOpenAPIDeclaresTheOAuth2PasswordFlow(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	scheme := doc.Components.SecuritySchemes["oauth2Password"]
	if scheme == nil || scheme.Value.Type != "oauth2" || scheme.Value.Flows == nil || scheme.Value.Flows.Password == nil {
		t.Fatalf("no OAuth2 password flow: %+v", scheme)
	}
	if got := scheme.Value.Flows.Password.TokenURL; got != "/api/v1/auth/token" {
		t.Fatalf("tokenUrl %q", got)
	}
	op := doc.Paths.Find("/api/v1/auth/token").Post
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data", "application/json"} {
		if op.RequestBody.Value.Content.Get(ct) == nil {
			t.Errorf("/auth/token does not document %s", ct)
		}
	}
	found := false
	for _, req := range doc.Security {
		if _, ok := req["oauth2Password"]; ok {
			found = true
		}
	}
	if !found {
		t.Fatal("the document's default security does not accept the OAuth2 token")
	}
}
