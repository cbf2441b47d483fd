package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/workflows"
)

// decodeOptional decodes a body when there is one: transitions without data accept an empty body.
func decodeOptional(r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(r, dst)
}

// optText trims an optional text and checks its length.
func optText(v *domain.Validator, field string, s *string, maxLen int) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	v.Check(utf8.RuneCountInString(t) <= maxLen, field, "%d caractères au maximum", maxLen)
	if t == "" {
		return nil
	}
	return &t
}

// checkNeeds refuses a request that leaves out a field the lifecycle action needs
// (domain.NeedsOf); PATCH statut says what the field is for, a dedicated route needs not.
func checkNeeds(v *domain.Validator, action domain.LifecycleAction, vers domain.StatutIntervention, given map[string]bool) {
	for _, n := range domain.NeedsOf(action, vers) {
		msg := "obligatoire"
		if action == domain.ActionStatut {
			msg += " " + n.Purpose
		}
		v.Check(given[n.Field], n.Field, "%s", msg)
	}
}

// runTransition sends one lifecycle update to the intervention's workflow and answers with the
// intervention as stored.
func (s *Server) runTransition(w http.ResponseWriter, r *http.Request, action domain.LifecycleAction, req workflows.TransitionRequest) {
	ctx := r.Context()
	p := principalFrom(ctx)
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.store.GetInterventionDetail(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if cur.WorkflowEnAttente {
		// Created while Temporal was unreachable: transitions run in the workflow, which the
		// outbox relay has not started yet.
		s.unavailable(w, r, CodeWorkflowUnavailable, "le workflow de l'intervention n'est pas encore démarré; réessayez dans quelques secondes",
			errors.New("intervention workflow pending in the outbox"))
		return
	}
	if domain.Target(action, req.Vers) == domain.StatutTerminee && !s.checklistComplete(w, r, id) {
		return
	}
	req.Acteur = workflows.Acteur{UserID: p.UserID, Role: p.Role, TechnicienID: p.TechnicienID}
	updateID, err := idempotencyKey(r, p, string(action))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.wf.Interventions.Transition(ctx, cur.WorkflowID, action, updateID, req)
	if errors.Is(err, orchestration.ErrWorkflowClosed) {
		if err = domain.CheckTransition(cur.Statut, domain.Target(action, req.Vers)); err == nil {
			err = domain.Conflictf("l'intervention n'est plus modifiable (statut %s)", cur.Statut)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.store.GetInterventionDetail(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Statut == domain.StatutTerminee && cur.Statut != domain.StatutTerminee && d.DateFin != nil &&
		(d.TypeIntervention == domain.TypeCorrective || d.TypeIntervention == domain.TypePreventive) {
		// Maintenance done: the equipment's preventive cycle re-plans from it now.
		if err := s.wf.Preventive.MaintenanceDone(ctx, d.EquipementID, *d.DateFin, &p.UserID); err != nil {
			s.log.Warn("preventive cycle not told of the maintenance", zap.Int64("intervention_id", id), zap.Error(err))
		}
	}
	writeJSON(w, http.StatusOK, d)
}

// lcNotesRequest is the optional body of start, pause and resume.
type lcNotesRequest struct {
	Notes *string `json:"notes"`
	Motif *string `json:"motif"`
}

func (s *Server) transitionHandler(action domain.LifecycleAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body lcNotesRequest
		if err := decodeOptional(r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		var v domain.Validator
		notes := optText(&v, "notes", body.Notes, 2000)
		motif := optText(&v, "motif", body.Motif, domain.MotifAnnulationMaxLn)
		if err := v.Err(); err != nil {
			s.fail(w, r, err)
			return
		}
		req := workflows.TransitionRequest{Motif: motif}
		if notes != nil {
			req.Notes = *notes
		}
		s.runTransition(w, r, action, req)
	}
}

// lcAssignRequest is the seed's assign payload; without technicien_id the workflow chooses.
type lcAssignRequest struct {
	TechnicienID  *int64     `json:"technicien_id"`
	DatePlanifiee *time.Time `json:"date_planifiee"`
	DureeEstimee  *int       `json:"duree_estimee"`
	Notes         *string    `json:"notes"`
}

func (s *Server) assignIntervention(w http.ResponseWriter, r *http.Request) {
	var body lcAssignRequest
	if err := decodeOptional(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	if body.TechnicienID != nil {
		v.Check(*body.TechnicienID > 0, "technicien_id", "identifiant positif attendu")
	}
	duree := 0
	if body.DureeEstimee != nil {
		duree = *body.DureeEstimee
		v.Check(duree >= 1 && duree <= 10080, "duree_estimee", "entre 1 et 10080 minutes")
	}
	if body.DatePlanifiee != nil {
		v.Check(body.DatePlanifiee.After(time.Now().Add(-24*time.Hour)), "date_planifiee", "ne peut être dans le passé")
	}
	notes := optText(&v, "notes", body.Notes, 2000)
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
	// A date chosen by hand fixes the planning: the route planning will not move it.
	req := workflows.TransitionRequest{TechnicienID: body.TechnicienID, DatePlanifiee: body.DatePlanifiee, DureeEstimee: duree,
		Fixe: body.DatePlanifiee != nil}
	if notes != nil {
		req.Notes = *notes
	}
	s.runTransition(w, r, domain.ActionAssign, req)
}

// technicienExists turns an unknown technicien into a 422 before the workflow is asked.
func (s *Server) technicienExists(r *http.Request, id int64) error {
	ids, err := s.store.TechnicienUserIDs(r.Context(), id)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "technicien_id", Message: "technicien introuvable"}}}
	}
	return nil
}

// lcPiece is a spare part used during the work: a part of the catalogue (piece_id, taken from
// the stock of emplacement_id, by default the technicien's van) or, as before the inventory, a
// free-text name kept in the notes.
type lcPiece struct {
	Nom           string  `json:"nom"`
	PieceID       *int64  `json:"piece_id"`
	EmplacementID *int64  `json:"emplacement_id"`
	Quantite      float64 `json:"quantite"`
}

// lcCompleteRequest closes the work with its report.
type lcCompleteRequest struct {
	Rapport         *string   `json:"rapport"`
	TempsPasse      *int      `json:"temps_passe"`
	PiecesUtilisees []lcPiece `json:"pieces_utilisees"`
	Notes           *string   `json:"notes"`
}

func (s *Server) completeIntervention(w http.ResponseWriter, r *http.Request) {
	var body lcCompleteRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	rapport := optText(&v, "rapport", body.Rapport, domain.RapportMaxLen)
	checkNeeds(&v, domain.ActionComplete, "", map[string]bool{"rapport": rapport != nil})
	if body.TempsPasse != nil {
		v.Check(*body.TempsPasse >= 0 && *body.TempsPasse <= 100000, "temps_passe", "minutes, entre 0 et 100000")
	}
	v.Check(len(body.PiecesUtilisees) <= 100, "pieces_utilisees", "100 pièces au maximum")
	var notes []string
	var lignes []domain.LignePiece
	for i, p := range body.PiecesUtilisees {
		nom := strings.TrimSpace(p.Nom)
		field := "pieces_utilisees[" + strconv.Itoa(i) + "]"
		domain.CheckQuantite(&v, field+".quantite", p.Quantite, false)
		if p.PieceID != nil {
			v.Check(*p.PieceID > 0, field+".piece_id", "identifiant positif attendu")
			v.Check(p.EmplacementID == nil || *p.EmplacementID > 0, field+".emplacement_id", "identifiant positif attendu")
			v.Check(nom == "", field+".nom", "piece_id ou nom, pas les deux")
			lignes = append(lignes, domain.LignePiece{PieceID: *p.PieceID, EmplacementID: p.EmplacementID, Quantite: p.Quantite})
			continue
		}
		v.Check(p.EmplacementID == nil, field+".emplacement_id", "seulement avec piece_id")
		v.Check(nom != "" && utf8.RuneCountInString(nom) <= 200, field+".nom", "entre 1 et 200 caractères (ou piece_id)")
		notes = append(notes, strconv.FormatFloat(p.Quantite, 'f', -1, 64)+" × "+nom)
	}
	if n := optText(&v, "notes", body.Notes, 2000); n != nil {
		notes = append(notes, *n)
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.runTransition(w, r, domain.ActionComplete, workflows.TransitionRequest{
		Rapport: rapport, TempsPasse: body.TempsPasse, Notes: strings.Join(notes, "; "), Pieces: lignes,
	})
}

type lcCancelRequest struct {
	Motif *string `json:"motif"`
}

func (s *Server) cancelIntervention(w http.ResponseWriter, r *http.Request) {
	var body lcCancelRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	motif := optText(&v, "motif", body.Motif, domain.MotifAnnulationMaxLn)
	checkNeeds(&v, domain.ActionCancel, "", map[string]bool{"motif": motif != nil})
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.runTransition(w, r, domain.ActionCancel, workflows.TransitionRequest{Motif: motif})
}

type lcStatutRequest struct {
	Statut     domain.StatutIntervention `json:"statut"`
	Motif      *string                   `json:"motif"`
	Rapport    *string                   `json:"rapport"`
	TempsPasse *int                      `json:"temps_passe"`
}

func (s *Server) patchInterventionStatut(w http.ResponseWriter, r *http.Request) {
	var body lcStatutRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.Statut.Valid(), "statut", "valeur attendue: ouverte, planifiee, en_cours, en_attente, terminee ou annulee")
	motif := optText(&v, "motif", body.Motif, domain.MotifAnnulationMaxLn)
	rapport := optText(&v, "rapport", body.Rapport, domain.RapportMaxLen)
	if body.TempsPasse != nil {
		v.Check(*body.TempsPasse >= 0 && *body.TempsPasse <= 100000, "temps_passe", "minutes, entre 0 et 100000")
	}
	// Setting the status directly obeys the rules of the dedicated routes: /complete demands a
	// report, /cancel a motif.
	checkNeeds(&v, domain.ActionStatut, body.Statut, map[string]bool{"rapport": rapport != nil, "motif": motif != nil})
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.runTransition(w, r, domain.ActionStatut, workflows.TransitionRequest{Vers: body.Statut, Motif: motif, Rapport: rapport, TempsPasse: body.TempsPasse})
}

type lcEvaluationRequest struct {
	Note        int     `json:"note"`
	Commentaire *string `json:"commentaire"`
}

// evaluateIntervention stores the client's rating of its own finished intervention. It is not a
// lifecycle transition (the workflow has ended with the intervention), so it is a plain write.
func (s *Server) evaluateIntervention(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Role != domain.RoleClient && p.Role != domain.RoleAdmin {
		s.fail(w, r, domain.ErrForbidden)
		return
	}
	var body lcEvaluationRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.Note >= 1 && body.Note <= 5, "note", "entier entre 1 et 5")
	com := optText(&v, "commentaire", body.Commentaire, 2000)
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	c := ""
	if com != nil {
		c = *com
	}
	if _, err := s.store.RateIntervention(r.Context(), p, id, body.Note, c); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.store.GetInterventionDetail(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// interventionWorkflow answers from the workflow's query: status, SLA clock, escalation level,
// pending timers and the transition timeline.
func (s *Server) interventionWorkflow(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, err := s.store.GetInterventionDetail(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	source := "workflow"
	st, err := s.wf.Interventions.State(r.Context(), cur.WorkflowID)
	if errors.Is(err, orchestration.ErrWorkflowNotFound) {
		// The namespace's retention has removed a finished workflow (or it was deleted): the
		// intervention's own record still tells its state and timeline.
		source = "archive"
		st, err = s.archivedWorkflowState(r, cur.Intervention)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.nameActors(r.Context(), st.Historique); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		WorkflowID string `json:"workflow_id"`
		Source     string `json:"source"`
		workflows.InterventionState
	}{cur.WorkflowID, source, st})
}

// archivedWorkflowState rebuilds what the workflow Query would answer from the row and its
// historique: status, lateness, technicien and the status transitions (no live timer).
func (s *Server) archivedWorkflowState(r *http.Request, in domain.Intervention) (workflows.InterventionState, error) {
	events, err := s.store.ListHistorique(r.Context(), "intervention", in.ID)
	if err != nil {
		return workflows.InterventionState{}, err
	}
	st := workflows.InterventionState{
		InterventionID: in.ID, Statut: in.Statut, Cree: true, EnRetard: in.EnRetard, TechnicienID: in.TechnicienID,
		SLA:             workflows.SLAState{Echeance: in.DateLimite, Source: "archive"},
		TimersEnAttente: []workflows.TimerEnAttente{},
		Historique:      []workflows.Transition{},
	}
	for _, e := range events {
		var ch struct {
			Statut *struct {
				Ancien  domain.StatutIntervention `json:"ancien"`
				Nouveau domain.StatutIntervention `json:"nouveau"`
			} `json:"statut"`
		}
		if e.Action == "creation" {
			st.Historique = append(st.Historique, workflows.Transition{De: domain.StatutOuverte, Vers: domain.StatutOuverte,
				Action: e.Action, Date: e.DateAction, ActeurID: e.ActeurID})
			continue
		}
		if json.Unmarshal(e.Changements, &ch) != nil || ch.Statut == nil || ch.Statut.Ancien == "" {
			continue // escalation levels and other events are not transitions
		}
		st.Historique = append(st.Historique, workflows.Transition{
			De: ch.Statut.Ancien, Vers: ch.Statut.Nouveau, Action: e.Action, Date: e.DateAction, ActeurID: e.ActeurID,
		})
	}
	return st, nil
}

// nameActors gives each timeline entry its actor's name ("Marie Dubois"; "système" for the
// platform's own moves: automatic assignment, lateness, escalation).
func (s *Server) nameActors(ctx context.Context, timeline []workflows.Transition) error {
	ids := []int64{}
	for _, t := range timeline {
		if t.ActeurID != nil {
			ids = append(ids, *t.ActeurID)
		}
	}
	names, err := s.store.UserNames(ctx, ids)
	if err != nil {
		return err
	}
	for i, t := range timeline {
		timeline[i].ActeurNom = "système"
		if t.ActeurID != nil {
			timeline[i].ActeurNom = names[*t.ActeurID]
		}
	}
	return nil
}
