package api

import "testing"

func TestPlainTemplate(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/interventions/{id:[0-9]+}":                           "/api/v1/interventions/{id}",
		"/api/v1/interventions/{id:[0-9]{1,9}}/complete":              "/api/v1/interventions/{id}/complete",
		"/api/v1/techniciens/{id}/competences/{competence_id:[0-9]+}": "/api/v1/techniciens/{id}/competences/{competence_id}",
		"/api/v1/health/metrics":                                      "/api/v1/health/metrics",
		"/files/{path:.*}":                                            "/files/{path}",
		"/broken/{id:[0-9]+":                                          "/broken/{id:[0-9]+",
	} {
		if got := plainTemplate(in); got != want {
			t.Errorf("plainTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}
