package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/workflows"
)

type generatePlanningRequest struct {
	// Semaine is any day of the week to plan (AAAA-MM-JJ); the current week when absent.
	Semaine *string `json:"semaine"`
}

// generatePlanning runs the weekly planning now and answers with its result.
func (s *Server) generatePlanning(w http.ResponseWriter, r *http.Request) {
	var body generatePlanningRequest
	if err := decodeOptional(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var week *time.Time
	if body.Semaine != nil {
		t, err := time.Parse(time.DateOnly, *body.Semaine)
		if err != nil {
			s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "semaine", Message: "date attendue (AAAA-MM-JJ)"}}})
			return
		}
		// Noon, so that the day is the same in every time zone of the planning.
		t = t.Add(12 * time.Hour)
		week = &t
	}
	id := "planning/manuel/" + uuid.NewString()
	res, err := s.wf.Planning.Run(r.Context(), id, week)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Charge == nil {
		res.Charge = []workflows.ChargeTechnicien{}
	}
	writeJSON(w, http.StatusOK, struct {
		WorkflowID string `json:"workflow_id"`
		workflows.PlanningResult
	}{id, res})
}

// planningConflicts lists overlaps and broken constraints between date_debut and date_fin
// (default: from today for 14 days).
func (s *Server) planningConflicts(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	from, to := q.period("date_debut", "date_fin")
	tech := q.id("technicien_id")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	if from == nil {
		d := now.Truncate(24 * time.Hour)
		from = &d
	}
	if to == nil {
		d := from.AddDate(0, 0, 14)
		to = &d
	}
	all, err := s.store.PlanningConflicts(r.Context(), s.cfg.Workflows.Timezone, *from, *to, tech)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := []storage.PlanningConflict{}
	if page.Offset < len(all) {
		items = all[page.Offset:min(len(all), page.Offset+page.Limit)]
	}
	writeList(w, items, len(all))
}

type rescheduleRequest struct {
	DatePlanifiee *time.Time `json:"date_planifiee"`
	DureeEstimee  *int       `json:"duree_estimee"`
	TechnicienID  *int64     `json:"technicien_id"`
}

// reschedulePlanning moves a planned slot after checking that the technicien can take it; the
// move is a re-assignment through the intervention's workflow, so row, planning and historique
// change together.
func (s *Server) reschedulePlanning(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body rescheduleRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.DatePlanifiee != nil, "date_planifiee", "obligatoire")
	if body.DatePlanifiee != nil {
		v.Check(body.DatePlanifiee.After(time.Now()), "date_planifiee", "doit être dans le futur")
	}
	if body.DureeEstimee != nil {
		v.Check(*body.DureeEstimee >= 1 && *body.DureeEstimee <= 10080, "duree_estimee", "entre 1 et 10080 minutes")
	}
	if body.TechnicienID != nil {
		v.Check(*body.TechnicienID > 0, "technicien_id", "identifiant positif attendu")
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	pl, err := s.store.GetPlanningRef(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if pl.Statut != domain.StatutPlanifiee {
		s.fail(w, r, domain.Conflictf("seule une intervention planifiée peut être replanifiée (statut %s)", pl.Statut))
		return
	}
	tech, duree := pl.TechnicienID, pl.DureeEstimee
	if body.TechnicienID != nil {
		tech = *body.TechnicienID
	}
	if body.DureeEstimee != nil {
		duree = *body.DureeEstimee
	}
	if err := s.planSlot(ctx, slot{interventionID: pl.InterventionID, workflowID: pl.WorkflowID, technicienID: tech,
		start: *body.DatePlanifiee, duree: duree, notes: "replanification"}); err != nil {
		s.fail(w, r, err)
		return
	}
	pl, err = s.store.GetPlanningRef(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": pl.ID, "intervention_id": pl.InterventionID, "technicien_id": pl.TechnicienID,
		"date_planifiee": pl.DatePlanifiee, "duree_estimee": pl.DureeEstimee, "statut": domain.PlanningPlanifiee,
	})
}
