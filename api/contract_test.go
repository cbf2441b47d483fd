package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"net/http/httptest"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/config"
)

// pathParam matches a path variable, with or without a gorilla/mux pattern ({id}, {id:[0-9]+}).
var pathParam = regexp.MustCompile(`\{[^{}]+\}`)

// routeKey names a route by method and path shape, so that a route and its documentation match
// whatever their variables are called.
func routeKey(method, path string) string {
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(path, "{}")
}

// TestContractRoutesMatchOpenAPI fails when a registered route is missing from the OpenAPI
// document, or when the document describes a path or method that no route serves.
func TestContractRoutesMatchOpenAPI(t *testing.T) {
	cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
		v, ok := map[string]string{
			"MIF_JWT_ALGORITHM": "HS256",
			"MIF_JWT_SECRET":    "contract-secret-contract-secret-0123456",
		}[k]
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

	registered := map[string]bool{}
	for _, rt := range srv.Routes() {
		registered[routeKey(rt.Method, rt.Path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[routeKey(method, path)] = true
		}
	}
	if len(registered) < 40 {
		t.Fatalf("only %d routes registered: the server's route list looks incomplete", len(registered))
	}
	var missing, orphans []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			orphans = append(orphans, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(orphans)
	for _, k := range missing {
		t.Errorf("route %s is not in the OpenAPI document", k)
	}
	for _, k := range orphans {
		t.Errorf("the OpenAPI document describes %s, which no route serves", k)
	}
}

// TestContractDocsServed checks the document and the documentation pages are served (the /docs
// assets are registered with a path prefix, outside Routes()).
func TestContractDocsServed(t *testing.T) {
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
	h := srv.Handler()
	for path, want := range map[string]int{"/openapi.json": 200, "/docs": 200, "/docs/": 200, "/redoc": 302} {
		rec := httptest.NewRecorder()
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET %s: status %d, want %d", path, rec.Code, want)
		}
	}
}

// TestContractProblemCodes keeps the documented enum of problem codes and the server's list equal,
// so that a client generated from the document knows every code the server sends.
func TestContractProblemCodes(t *testing.T) {
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["Problem"].Value.Properties["code"].Value
	var documented []string
	for _, v := range schema.Enum {
		documented = append(documented, v.(string))
	}
	var served []string
	for _, c := range api.ProblemCodes {
		served = append(served, string(c))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("OpenAPI Problem.code enum %v differs from api.ProblemCodes %v", documented, served)
	}
}
