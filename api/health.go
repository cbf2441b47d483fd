package api

import (
	"context"
	"net/http"
	"time"
)

// health is liveness: the process answers.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) checkDB(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return "indisponible"
	}
	return "ok"
}

func (s *Server) checkTemporal(ctx context.Context) string {
	if s.wf == nil {
		return "non configuré"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.wf.CheckHealth(ctx); err != nil {
		return "indisponible"
	}
	return "ok"
}

func (s *Server) healthDB(w http.ResponseWriter, r *http.Request) {
	s.readiness(w, map[string]string{"database": s.checkDB(r.Context())})
}

// healthReady is readiness: PostgreSQL and Temporal both answer.
func (s *Server) healthReady(w http.ResponseWriter, r *http.Request) {
	s.readiness(w, map[string]string{"database": s.checkDB(r.Context()), "temporal": s.checkTemporal(r.Context())})
}

func (s *Server) readiness(w http.ResponseWriter, checks map[string]string) {
	status, code := "ok", http.StatusOK
	for _, v := range checks {
		if v != "ok" {
			status, code = "degraded", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}
