package api_test

import (
	"regexp"
	"testing"

	"github.com/mifmaroc/mif/api"
)

// TestOpenAPIOperationIDsAndTags: client generators name their methods after operationId, so
// every operation has one, camelCase and unique; Swagger UI groups operations by tag, so every tag
// used is declared with a description (and every declared tag is used).
func TestOpenAPIOperationIDsAndTags(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %q has no description", tag.Name)
		}
		declared[tag.Name] = true
	}
	used := map[string]bool{}
	seen := map[string]string{}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			where := method + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s has no operationId", where)
			case !camel.MatchString(op.OperationID):
				t.Errorf("%s: operationId %q is not camelCase", where, op.OperationID)
			case seen[op.OperationID] != "":
				t.Errorf("%s: operationId %q already names %s", where, op.OperationID, seen[op.OperationID])
			}
			seen[op.OperationID] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s has no tag", where)
			}
			for _, tag := range op.Tags {
				used[tag] = true
				if !declared[tag] {
					t.Errorf("%s: tag %q is not declared", where, tag)
				}
			}
		}
	}
	for tag := range declared {
		if !used[tag] {
			t.Errorf("tag %q is declared but no operation uses it", tag)
		}
	}
	if n < 100 {
		t.Fatalf("only %d operations", n)
	}
	// The documents' upload answers at two paths (YAML merge of one operation), each its own id.
	if got := doc.Paths.Find("/api/v1/documents").Post; got == nil || got.OperationID != "uploadDocumentAtCollection" || len(got.Tags) == 0 || got.RequestBody == nil {
		t.Fatalf("POST /documents: %+v", got)
	}
}
