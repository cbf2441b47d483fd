package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// The earlier system's planning operations (create, replace, move, delete a slot), mapped onto
// our design: a slot is the intervention's assignment, so every change is a transition of the
// intervention's workflow (assign, or unassign for a deletion), after the same availability
// checks as PUT /planning/{id}/reschedule.

// slotRequest is a slot chosen by hand. POST needs intervention_id, technicien_id and
// date_planifiee; PUT and PATCH …/dates keep what they do not give.
type slotRequest struct {
	InterventionID *int64     `json:"intervention_id"`
	TechnicienID   *int64     `json:"technicien_id"`
	DatePlanifiee  *time.Time `json:"date_planifiee"`
	DureeEstimee   *int       `json:"duree_estimee"`
	Notes          *string    `json:"notes"`
}

// datesRequest is the body of PATCH /planning/{id}/dates.
type datesRequest struct {
	DatePlanifiee *time.Time `json:"date_planifiee"`
	DureeEstimee  *int       `json:"duree_estimee"`
}

// slot is an assignment to check and write.
type slot struct {
	interventionID int64
	workflowID     string
	technicienID   int64
	start          time.Time
	duree          int
	notes          string
}

// checkSlotFields validates the fields common to every slot request.
func checkSlotFields(v *domain.Validator, start *time.Time, duree *int, tech *int64) {
	if start != nil {
		v.Check(start.After(time.Now()), "date_planifiee", "doit être dans le futur")
	}
	if duree != nil {
		v.Check(*duree >= 1 && *duree <= 10080, "duree_estimee", "entre 1 et 10080 minutes")
	}
	if tech != nil {
		v.Check(*tech > 0, "technicien_id", "identifiant positif attendu")
	}
}

// planSlot checks that the technicien can take the slot (available, in his working hours, free,
// competent: 409 otherwise, nothing written) and assigns it through the intervention's workflow.
// The slot is fixed (chosen by hand: the route planning leaves it) and written only if still free.
func (s *Server) planSlot(ctx context.Context, sl slot) error {
	if err := s.store.CheckTechnicienSlot(ctx, s.cfg.Workflows.Timezone, sl.technicienID, sl.start, sl.duree, sl.interventionID); err != nil {
		return err
	}
	p := principalFrom(ctx)
	tech, start := sl.technicienID, sl.start
	_, err := s.wf.Interventions.Transition(ctx, sl.workflowID, domain.ActionAssign, uuid.NewString(), workflows.TransitionRequest{
		Acteur:       workflows.Acteur{UserID: p.UserID, Role: p.Role, TechnicienID: p.TechnicienID},
		TechnicienID: &tech, DatePlanifiee: &start, DureeEstimee: sl.duree, Notes: sl.notes,
		RequireFree: true, Fixe: true,
	})
	if errors.Is(err, orchestration.ErrWorkflowClosed) {
		return domain.Conflictf("l'intervention n'est plus modifiable")
	}
	return err
}

// writePlanningOf answers the intervention's slot as GET /planning/{id} shows it.
func (s *Server) writePlanningOf(w http.ResponseWriter, r *http.Request, status int, interventionID int64) {
	ctx := r.Context()
	id, err := s.store.PlanningIDOfIntervention(ctx, interventionID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vue, err := s.store.GetPlanning(ctx, principalFrom(ctx), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, vue)
}

// createPlanning plans an open intervention (POST /planning/).
func (s *Server) createPlanning(w http.ResponseWriter, r *http.Request) {
	var body slotRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.InterventionID != nil && *body.InterventionID > 0, "intervention_id", "obligatoire")
	v.Check(body.TechnicienID != nil, "technicien_id", "obligatoire")
	v.Check(body.DatePlanifiee != nil, "date_planifiee", "obligatoire")
	checkSlotFields(&v, body.DatePlanifiee, body.DureeEstimee, body.TechnicienID)
	notes := optText(&v, "notes", body.Notes, 2000)
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	cur, err := s.store.GetInterventionDetail(ctx, principalFrom(ctx), *body.InterventionID)
	if errors.Is(err, domain.ErrNotFound) {
		err = &domain.ValidationError{Fields: []domain.FieldError{{Field: "intervention_id", Message: "intervention introuvable"}}}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cur.Statut != domain.StatutOuverte {
		s.fail(w, r, domain.Conflictf("l'intervention est en statut %s : seule une intervention ouverte reçoit un planning (PUT /planning/{id} pour modifier le sien)", cur.Statut))
		return
	}
	if err := s.technicienExists(r, *body.TechnicienID); err != nil {
		s.fail(w, r, err)
		return
	}
	sl := slot{interventionID: cur.ID, workflowID: cur.WorkflowID, technicienID: *body.TechnicienID,
		start: *body.DatePlanifiee, duree: s.cfg.Workflows.DefaultDuree, notes: "planification"}
	if body.DureeEstimee != nil {
		sl.duree = *body.DureeEstimee
	}
	if notes != nil {
		sl.notes = *notes
	}
	if err := s.planSlot(ctx, sl); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writePlanningOf(w, r, http.StatusCreated, cur.ID)
}

// updatePlanning replaces a planned slot (PUT /planning/{id}): technicien, date, duration, notes.
func (s *Server) updatePlanning(w http.ResponseWriter, r *http.Request) {
	var body slotRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	checkSlotFields(&v, body.DatePlanifiee, body.DureeEstimee, body.TechnicienID)
	notes := optText(&v, "notes", body.Notes, 2000)
	s.moveSlot(w, r, &v, body.InterventionID, body.TechnicienID, body.DatePlanifiee, body.DureeEstimee, notes)
}

// movePlanningDates moves a planned slot in time (PATCH /planning/{id}/dates).
func (s *Server) movePlanningDates(w http.ResponseWriter, r *http.Request) {
	var body datesRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.DatePlanifiee != nil || body.DureeEstimee != nil, "date_planifiee", "date_planifiee ou duree_estimee attendu")
	checkSlotFields(&v, body.DatePlanifiee, body.DureeEstimee, nil)
	s.moveSlot(w, r, &v, nil, nil, body.DatePlanifiee, body.DureeEstimee, nil)
}

// moveSlot changes the slot {id} of a planned intervention, keeping what the request leaves out.
func (s *Server) moveSlot(w http.ResponseWriter, r *http.Request, v *domain.Validator, interventionID, tech *int64, start *time.Time, duree *int, notes *string) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
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
	if interventionID != nil && *interventionID != pl.InterventionID {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "intervention_id", Message: "un planning ne change pas d'intervention"}}})
		return
	}
	if pl.Statut != domain.StatutPlanifiee {
		s.fail(w, r, domain.Conflictf("seule une intervention planifiée peut être replanifiée (statut %s)", pl.Statut))
		return
	}
	sl := slot{interventionID: pl.InterventionID, workflowID: pl.WorkflowID, technicienID: pl.TechnicienID,
		start: pl.DatePlanifiee, duree: pl.DureeEstimee, notes: "replanification"}
	if tech != nil {
		if err := s.technicienExists(r, *tech); err != nil {
			s.fail(w, r, err)
			return
		}
		sl.technicienID = *tech
	}
	if start != nil {
		sl.start = *start
	}
	if duree != nil {
		sl.duree = *duree
	}
	if notes != nil {
		sl.notes = *notes
	}
	if !sl.start.After(time.Now()) {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "date_planifiee", Message: "le créneau est passé : donnez une nouvelle date dans le futur"}}})
		return
	}
	if err := s.planSlot(ctx, sl); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writePlanningOf(w, r, http.StatusOK, pl.InterventionID)
}

// deletePlanning removes a planned slot (DELETE /planning/{id}): the intervention goes back to
// ouverte through its workflow (unassign), its technicien freed.
func (s *Server) deletePlanning(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
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
		s.fail(w, r, domain.Conflictf("seul le planning d'une intervention planifiée peut être supprimé (statut %s)", pl.Statut))
		return
	}
	p := principalFrom(ctx)
	_, err = s.wf.Interventions.Transition(ctx, pl.WorkflowID, domain.ActionUnassign, uuid.NewString(), workflows.TransitionRequest{
		Acteur: workflows.Acteur{UserID: p.UserID, Role: p.Role, TechnicienID: p.TechnicienID},
		Notes:  "planning supprimé",
	})
	if errors.Is(err, orchestration.ErrWorkflowClosed) {
		err = domain.Conflictf("l'intervention n'est plus modifiable")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
