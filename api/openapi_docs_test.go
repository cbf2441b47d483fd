package api_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mifmaroc/mif/api"
)

// TestOpenAPISchemasDescribed: a client developer reads the contract in Swagger UI, not our Go
// code, so every component schema has a description, and so has every property of every schema
// the document declares — the components' and the inline bodies of requests and responses —
// recursively through nested objects, array items, additionalProperties and allOf/oneOf/anyOf
// members. A property that is a bare $ref to a component is described by that component (OpenAPI
// 3.0 ignores keywords beside $ref), which is checked on its own. The failure lists every
// location without a description, one per line, so a new fragment's gaps are named exactly.
func TestOpenAPISchemasDescribed(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	w := describedWalker{seen: map[*openapi3.Schema]bool{}}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ref := doc.Components.Schemas[name]
		where := "components.schemas." + name
		if ref.Value == nil {
			t.Errorf("%s: unresolved", where)
			continue
		}
		if ref.Ref == "" && strings.TrimSpace(ref.Value.Description) == "" {
			w.missing = append(w.missing, where)
		}
		w.walk(where, ref.Value)
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			at := method + " " + path
			if rb := op.RequestBody; rb != nil && rb.Ref == "" && rb.Value != nil {
				for mt, m := range rb.Value.Content {
					w.body(at+" request "+mt, m.Schema)
				}
			}
			for status, res := range op.Responses.Map() {
				if res.Ref != "" || res.Value == nil {
					continue
				}
				for mt, m := range res.Value.Content {
					w.body(at+" "+status+" "+mt, m.Schema)
				}
			}
		}
	}
	for name, rb := range doc.Components.RequestBodies {
		if rb.Value == nil {
			continue
		}
		for mt, m := range rb.Value.Content {
			w.body("components.requestBodies."+name+" "+mt, m.Schema)
		}
	}
	for name, res := range doc.Components.Responses {
		if res.Value == nil {
			continue
		}
		for mt, m := range res.Value.Content {
			w.body("components.responses."+name+" "+mt, m.Schema)
		}
	}
	if len(w.missing) > 0 {
		sort.Strings(w.missing)
		t.Errorf("%d schemas or properties have no description:\n  %s", len(w.missing), strings.Join(w.missing, "\n  "))
	}
	if w.properties < 500 {
		t.Fatalf("only %d properties walked: is the walk still reaching them?", w.properties)
	}
}

type describedWalker struct {
	missing    []string
	properties int
	seen       map[*openapi3.Schema]bool // inline schemas already walked (a YAML anchor shares one)
}

// body walks the schema of a request or response body: the body itself is described by the
// operation's summary and the response's description; what it contains is walked.
func (w *describedWalker) body(where string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Ref != "" || ref.Value == nil {
		return
	}
	w.walk(where, ref.Value)
}

// walk checks what s contains (properties, items, members), not s itself.
func (w *describedWalker) walk(where string, s *openapi3.Schema) {
	if w.seen[s] {
		return
	}
	w.seen[s] = true
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Properties[name]
		w.properties++
		if p.Ref != "" || p.Value == nil {
			continue
		}
		at := where + ".properties." + name
		if strings.TrimSpace(p.Value.Description) == "" {
			w.missing = append(w.missing, at)
		}
		w.walk(at, p.Value)
	}
	inline := func(at string, r *openapi3.SchemaRef) {
		if r != nil && r.Ref == "" && r.Value != nil {
			w.walk(at, r.Value)
		}
	}
	inline(where+".items", s.Items)
	inline(where+".additionalProperties", s.AdditionalProperties.Schema)
	for kind, members := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		for i, m := range members {
			inline(fmt.Sprintf("%s.%s[%d]", where, kind, i), m)
		}
	}
	inline(where+".not", s.Not)
}
