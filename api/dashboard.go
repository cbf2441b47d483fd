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
	debut, fin := kpiPeriod(q)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	k, total, err := s.store.DashboardKPI(r.Context(), principalFrom(r.Context()), debut, fin, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, k)
}

// kpiPeriod reads date_debut and date_fin of a KPI report: by default the last defaultKPIPeriod
// up to now, at most maxKPIPeriod long.
func kpiPeriod(q *query) (time.Time, time.Time) {
	debut, fin := q.period("date_debut", "date_fin")
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
	return *debut, *fin
}
