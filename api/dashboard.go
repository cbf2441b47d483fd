package api

import (
	"net/http"
	"strconv"
	"time"
)

func (s *Server) dashboardStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.store.DashboardStats(r.Context(), principalFrom(r.Context()), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// Bounds of the KPI period: 90 days by default, three years at most.
const (
	defaultKPIPeriod = 90 * 24 * time.Hour
	maxKPIPeriod     = 3 * 366 * 24 * time.Hour
)

func (s *Server) dashboardKPI(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	debut, fin := q.period("date_debut", "date_fin")
	page := q.page()
	now := time.Now().UTC()
	if fin == nil {
		fin = &now
	}
	if debut == nil {
		d := fin.Add(-defaultKPIPeriod)
		debut = &d
	}
	if fin.Sub(*debut) > maxKPIPeriod {
		q.v.Add("date_fin", "période de trois ans au plus")
	} else if !fin.After(*debut) {
		q.v.Add("date_fin", "doit être postérieure à date_debut")
	}
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	k, total, err := s.store.DashboardKPI(r.Context(), principalFrom(r.Context()), *debut, *fin, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, k)
}
