package api

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/swaggest/swgui/v5emb"
	"go.yaml.in/yaml/v3"
)

// The OpenAPI document is kept as several YAML files under openapi/, one per area of the API, so
// that each resource's contract sits in its own file. They are merged at start-up into one
// document; two files defining the same path or schema is an error, not a silent override.
//
//go:embed openapi/*.yaml
var openapiFiles embed.FS

// OpenAPI loads, merges and validates the API contract.
func OpenAPI() (*openapi3.T, error) {
	merged, err := mergeOpenAPI(openapiFiles)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	return doc, nil
}

// openAPIJSON is the validated document as served at /openapi.json. It is built once per
// process from the embedded fragments (immutable): a test binary builds many Servers, and loading
// and validating the document costs about half a second under the race detector.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	b, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	return b, nil
})

func mergeOpenAPI(fsys fs.FS) (map[string]any, error) {
	names, err := fs.Glob(fsys, "openapi/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	merged := map[string]any{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := yaml.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("api: openapi %s: %w", name, err)
		}
		if err := mergeInto(merged, part, name, 0); err != nil {
			return nil, err
		}
	}
	declareUnavailable(merged)
	return merged, nil
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}

// declareUnavailable gives every operation that declares no 503 of its own the shared Unavailable
// answer: any request may be refused past the admission limit (overloaded) or while PostgreSQL or
// Temporal is unreachable, so the contract says so once rather than in every fragment.
func declareUnavailable(doc map[string]any) {
	paths, _ := doc["paths"].(map[string]any)
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || !httpMethods[method] {
				continue
			}
			responses, ok := o["responses"].(map[string]any)
			if !ok {
				continue
			}
			if _, has := responses["503"]; !has {
				responses["503"] = map[string]any{"$ref": "#/components/responses/Unavailable"}
			}
		}
	}
}

// mergeInto merges src into dst. Below the top level, maps merge key by key; at depth 2 and more
// (a path, a schema, a response) a key defined twice is a conflict.
func mergeInto(dst, src map[string]any, file string, depth int) error {
	for k, v := range src {
		cur, exists := dst[k]
		if !exists {
			dst[k] = v
			continue
		}
		cm, ok1 := cur.(map[string]any)
		vm, ok2 := v.(map[string]any)
		if ok1 && ok2 && depth < 2 {
			if err := mergeInto(cm, vm, file, depth+1); err != nil {
				return err
			}
			continue
		}
		if depth == 0 && fmt.Sprint(cur) == fmt.Sprint(v) {
			continue // same scalar (e.g. openapi: 3.0.3) in several files
		}
		return fmt.Errorf("api: openapi %s: %q is defined twice", file, k)
	}
	return nil
}

// docHandlers serve the contract and its browsable documentation, from assets embedded in the
// binary (plant networks are often offline).
type docHandlers struct {
	spec, ui, redoc http.HandlerFunc
	assets          http.Handler // under /docs/
}

func newDocHandlers(specJSON []byte) docHandlers {
	ui := v5emb.New("MIF Maintenance Platform — API", "/openapi.json", "/docs/")
	return docHandlers{
		spec: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "public, max-age=60")
			_, _ = w.Write(specJSON)
		},
		ui: func(w http.ResponseWriter, r *http.Request) {
			r.URL.Path = "/docs/"
			ui.ServeHTTP(w, r)
		},
		// No Go module serves ReDoc's assets and we commit no third-party bundle: /redoc points at
		// the Swagger UI, which renders the same document.
		redoc: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/docs", http.StatusFound)
		},
		assets: ui,
	}
}
