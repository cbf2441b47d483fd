package api

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// dependencyCheck is one dependency as GET /health/detailed reports it.
type dependencyCheck struct {
	Nom         string  `json:"nom"`
	Statut      string  `json:"statut"` // ok, indisponible, non configuré
	LatenceMs   float64 `json:"latence_ms"`
	Detail      string  `json:"detail,omitempty"`
	Obligatoire bool    `json:"obligatoire"`
}

// healthCheckTimeout bounds each dependency's check: a hung dependency shows as unavailable
// instead of holding the answer.
const healthCheckTimeout = 2 * time.Second

// healthDetailed checks every dependency at once and reports each one's status and latency
// (administrators: the answer names the infrastructure). 503 when a required one is down.
func (s *Server) healthDetailed(w http.ResponseWriter, r *http.Request) {
	checks := []struct {
		nom         string
		obligatoire bool
		run         func(context.Context) (string, string)
	}{
		{"postgresql", true, func(ctx context.Context) (string, string) {
			if err := s.store.Ping(ctx); err != nil {
				return "indisponible", "PostgreSQL ne répond pas"
			}
			return "ok", ""
		}},
		{"temporal", true, func(ctx context.Context) (string, string) {
			if s.wf == nil {
				return "non configuré", ""
			}
			if err := s.wf.CheckHealth(ctx); err != nil {
				return "indisponible", "le service Temporal ne répond pas"
			}
			return "ok", ""
		}},
		{"smtp", false, func(ctx context.Context) (string, string) {
			if s.cfg.SMTP.Addr == "" {
				return "non configuré", "MIF_SMTP_ADDR vide : pas d'e-mails"
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", s.cfg.SMTP.Addr)
			if err != nil {
				return "indisponible", "relais SMTP injoignable"
			}
			_ = c.Close()
			return "ok", ""
		}},
		{"documents", true, func(context.Context) (string, string) {
			st, err := os.Stat(s.cfg.Documents.Dir)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return "ok", "répertoire créé au premier dépôt"
			case err != nil || !st.IsDir():
				return "indisponible", "répertoire des documents illisible"
			}
			return "ok", ""
		}},
	}
	out := make([]dependencyCheck, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), healthCheckTimeout)
			defer cancel()
			start := time.Now()
			statut, detail := c.run(ctx)
			ms := float64(time.Since(start).Microseconds()) / 1000
			out[i] = dependencyCheck{Nom: c.nom, Statut: statut, LatenceMs: ms, Detail: detail, Obligatoire: c.obligatoire}
		})
	}
	wg.Wait()
	status, code := "ok", http.StatusOK
	for _, c := range out {
		if c.Statut != "ok" && c.Obligatoire {
			status, code = "degraded", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, map[string]any{"status": status, "dependances": out})
}
