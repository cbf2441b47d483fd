package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/planner/weekly"
	"github.com/mifmaroc/mif/temporalerr"
	"github.com/mifmaroc/mif/workflows"
)

// travel is the travel model of the route planning (MIF_PLANNING_DETOUR_FACTOR,
// MIF_PLANNING_SPEED_KMH), the same one the workers' activities use.
func (s *Server) travel() weekly.Provider {
	return weekly.TravelFor(s.cfg.Planning.DetourFactor, s.cfg.Planning.SpeedKmh)
}

// localDay reads a date (AAAA-MM-JJ, default today) as the local day of the planning's time
// zone: its midnight and the next.
func (s *Server) localDay(q *query, name string) (string, time.Time, time.Time) {
	loc, err := time.LoadLocation(s.cfg.Workflows.Timezone)
	if err != nil {
		loc = time.UTC
	}
	raw, ok := q.raw(name)
	d := time.Now().In(loc)
	if ok {
		t, err := time.ParseInLocation(time.DateOnly, raw, loc)
		if err != nil {
			q.v.Add(name, "date attendue (AAAA-MM-JJ)")
		} else {
			d = t
		}
	}
	from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	return from.Format(time.DateOnly), from, from.AddDate(0, 0, 1)
}

// technicienTournee answers a technicien's day as it will be driven: his stops in order with the
// ETA, the service, the trip from the previous place in minutes and kilometres, and the
// positions for a map.
func (s *Server) technicienTournee(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := newQuery(r)
	date, from, to := s.localDay(q, "date")
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	base, etapes, err := s.store.TourneeDuJour(r.Context(), principalFrom(r.Context()), id, from, to)
	if err != nil {
		s.fail(w, r, fmt.Errorf("tournée du technicien %d: %w", id, err))
		return
	}
	t, err := weekly.Tournee(r.Context(), id, base, date, etapes, s.travel())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// optimizeRequest chooses what to optimise: one day (date), the week of a day (semaine) — for
// every technicien or one (technicien_id) — or the insertion of an urgent intervention into
// today's routes (intervention_id).
type optimizeRequest struct {
	Date           *string `json:"date"`
	Semaine        *string `json:"semaine"`
	TechnicienID   *int64  `json:"technicien_id"`
	InterventionID *int64  `json:"intervention_id"`
}

// optimizeAnswer is the answer of POST /planning/optimize and of its status URL.
type optimizeAnswer struct {
	WorkflowID  string                         `json:"workflow_id"`
	Statut      string                         `json:"statut"`
	Lien        string                         `json:"lien"`
	Progression *workflows.RouteProgress       `json:"progression,omitempty"`
	Resultat    *workflows.RoutePlanningResult `json:"resultat,omitempty"`
	Erreur      string                         `json:"erreur,omitempty"`
}

func optimizeLink(key string) string { return "/api/v1/planning/optimize/" + key }

// optimizePlanning runs a route optimisation as a workflow (RoutePlanningWorkflow) and answers
// its result when it ends within MIF_PLANNING_OPTIMIZE_WAIT (200), or 202 with the status URL
// and the progress otherwise. An Idempotency-Key joins the run a retried request started.
func (s *Server) optimizePlanning(w http.ResponseWriter, r *http.Request) {
	var body optimizeRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	loc, err := time.LoadLocation(s.cfg.Workflows.Timezone)
	if err != nil {
		loc = time.UTC
	}
	var v domain.Validator
	in := workflows.RoutePlanningInput{Jours: 1, TechnicienID: body.TechnicienID, UrgentID: body.InterventionID}
	given := 0
	for _, d := range []struct {
		field string
		raw   *string
		week  bool
	}{{"date", body.Date, false}, {"semaine", body.Semaine, true}} {
		if d.raw == nil {
			continue
		}
		given++
		t, err := time.ParseInLocation(time.DateOnly, *d.raw, loc)
		if err != nil {
			v.Add(d.field, "date attendue (AAAA-MM-JJ)")
			continue
		}
		// Noon, so that the day is the same in every time zone of the planning.
		t = t.Add(12 * time.Hour)
		in.Debut = &t
		if d.week {
			in.Jours, in.Semaine = 7, true
		}
	}
	if body.InterventionID != nil {
		given++
		v.Check(*body.InterventionID > 0, "intervention_id", "identifiant positif attendu")
		v.Check(body.TechnicienID == nil, "technicien_id", "l'insertion d'une urgence concerne les tournées de tous les techniciens")
	}
	if body.TechnicienID != nil {
		v.Check(*body.TechnicienID > 0, "technicien_id", "identifiant positif attendu")
	}
	switch {
	case given == 0:
		v.Add("date", "indiquez date (un jour), semaine (une semaine) ou intervention_id (une urgence à insérer aujourd'hui)")
	case given > 1:
		v.Add("date", "date, semaine et intervention_id s'excluent")
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	if body.TechnicienID != nil {
		if err := s.technicienExists(r, *body.TechnicienID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if body.InterventionID != nil {
		if _, err := s.store.GetInterventionDetail(r.Context(), principalFrom(r.Context()), *body.InterventionID); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				err = &domain.ValidationError{Fields: []domain.FieldError{{Field: "intervention_id", Message: "intervention introuvable"}}}
			}
			s.fail(w, r, err)
			return
		}
	}
	key, err := idempotencyKey(r, principalFrom(r.Context()), "optimize")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.wf.Planning.Optimize(r.Context(), workflows.RoutePlanningWorkflowID(key), in, s.cfg.Planning.OptimizeWait)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if run.Statut == "interrompue" {
		s.fail(w, r, run.Err)
		return
	}
	ans := routeAnswer(key, run)
	if run.Statut == "terminee" {
		writeJSON(w, http.StatusOK, ans)
		return
	}
	w.Header().Set("Location", ans.Lien)
	writeJSON(w, http.StatusAccepted, ans)
}

func routeAnswer(key string, run orchestration.RouteRun) optimizeAnswer {
	ans := optimizeAnswer{WorkflowID: run.WorkflowID, Statut: run.Statut, Lien: optimizeLink(key), Resultat: run.Result}
	if run.Statut == "en_cours" {
		p := run.Progress
		ans.Progression = &p
	}
	if run.Statut == "interrompue" {
		ans.Erreur = "l'optimisation s'est arrêtée sans résultat"
		var ce *domain.ConflictError
		if de, ok := temporalerr.Unwrap(run.Err); ok && errors.As(de, &ce) {
			ans.Erreur = ce.Reason
		}
	}
	return ans
}

// optimizeStatus answers a route optimisation's state: its progress while it runs, its result
// once it ended (404 for a key no optimisation was started with).
func (s *Server) optimizeStatus(w http.ResponseWriter, r *http.Request) {
	key := mux.Vars(r)["key"]
	run, err := s.wf.Planning.RouteState(r.Context(), workflows.RoutePlanningWorkflowID(key))
	if errors.Is(err, orchestration.ErrWorkflowNotFound) {
		s.fail(w, r, fmt.Errorf("optimisation %s: %w", key, domain.ErrNotFound))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, routeAnswer(key, run))
}
