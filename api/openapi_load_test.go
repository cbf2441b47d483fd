package api

import "testing"

func TestOpenAPILoads(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Find("/api/v1/interventions/{id}") == nil {
		t.Fatal("merged document lacks /api/v1/interventions/{id}")
	}
}
