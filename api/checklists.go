package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
)

// Checklists and procedures (issue 15): templates per equipment type (responsables manage them),
// copied to an intervention when it is planned or started (a PostgreSQL trigger: whatever path
// changes the status), filled by the assigned technicien while en_cours; completion is refused
// while a required item is empty.

func (s *Server) listChecklistModeles(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	typ := q.text("type_equipement", 100)
	servePage(s, w, r, q, typ, s.store.ListChecklistModeles)
}

func (s *Server) saveChecklistModele(create bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var id int64
		if !create {
			var err error
			if id, err = pathID(r, "id"); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		var in domain.ChecklistModeleInput
		if err := decodeJSON(r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := in.Validate(); err != nil {
			s.fail(w, r, err)
			return
		}
		m, err := s.store.SaveChecklistModele(r.Context(), id, in, principalFrom(r.Context()).UserID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if create {
			status = http.StatusCreated
			w.Header().Set("Location", "/api/v1/checklists/"+strconv.FormatInt(m.ID, 10))
		}
		writeJSON(w, status, m)
	}
}

// interventionChecklist is the checklist of an intervention the caller may see.
func (s *Server) interventionChecklist(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		_, err = s.store.GetInterventionDetail(r.Context(), principalFrom(r.Context()), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.store.InterventionChecklist(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, len(items))
}

// fillChecklistRequest is one item's value; CreerCorrective opens a follow-up corrective
// intervention when a measurement is out of bounds.
type fillChecklistRequest struct {
	Valeur          json.RawMessage `json:"valeur"`
	CreerCorrective bool            `json:"creer_corrective"`
}

// checklistFollowUpNamespace derives the follow-up's key from the item: asked twice, one
// follow-up.
var checklistFollowUpNamespace = uuid.MustParse("5e0c2a71-3b9d-4c6e-8f14-7a2d9b0c6e35")

func (s *Server) fillChecklistItem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	itemID, err := pathID(r, "item_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req fillChecklistRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.store.GetInterventionDetail(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Role == domain.RoleTechnicien && (p.TechnicienID == nil || it.TechnicienID == nil || *it.TechnicienID != *p.TechnicienID) {
		problem(w, r, http.StatusForbidden, "seul le technicien assigné remplit la checklist")
		return
	}
	item, err := s.store.GetChecklistItem(ctx, id, itemID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if it.Statut != domain.StatutEnCours {
		problem(w, r, http.StatusConflict, "la checklist se remplit pendant l'intervention (statut en_cours, pas "+string(it.Statut)+")")
		return
	}
	if len(req.Valeur) == 0 || string(req.Valeur) == "null" {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "valeur", Message: "obligatoire"}}})
		return
	}
	valeur, hors, docID, err := item.Evaluate(req.Valeur)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.store.FillChecklistItem(ctx, item, valeur, hors, docID, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hors && req.CreerCorrective && out.SuiviInterventionID == nil {
		unite := ""
		if out.Unite != nil {
			unite = " " + *out.Unite
		}
		n := domain.NewIntervention{Titre: truncateRunes("Suivi : "+out.Libelle+" hors limites", domain.TitreMaxLen),
			Description: fmt.Sprintf("Mesure hors limites relevée pendant l'intervention n° %d : %s = %s%s (bornes %s).",
				id, out.Libelle, valeur, unite, bounds(out)),
			TypeIntervention: domain.TypeCorrective, Priorite: it.Priorite, EquipementID: it.EquipementID, CreateurID: &p.UserID}
		key := uuid.NewSHA1(checklistFollowUpNamespace, []byte(s.cfg.Temporal.TaskQueue+":"+strconv.FormatInt(out.ID, 10))).String()
		row, _, err := s.openIntervention(r, key, n, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.store.LinkChecklistFollowUp(ctx, out.ID, row.ID); err != nil {
			s.log.Warn("checklist follow-up not linked", zap.Int64("item_id", out.ID), zap.Error(err))
		}
		out.SuiviInterventionID = &row.ID
	}
	writeJSON(w, http.StatusOK, out)
}

func bounds(it domain.ChecklistItem) string {
	f := func(p *float64) string {
		if p == nil {
			return "…"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return f(it.Min) + " à " + f(it.Max)
}

// checklistComplete answers 409 with the missing required items when there are some.
func (s *Server) checklistComplete(w http.ResponseWriter, r *http.Request, interventionID int64) bool {
	missing, err := s.store.MissingChecklistItems(r.Context(), interventionID)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if len(missing) == 0 {
		return true
	}
	fields := make([]domain.FieldError, len(missing))
	for i, m := range missing {
		fields[i] = domain.FieldError{Field: "checklist", Message: m}
	}
	problem(w, r, http.StatusConflict, "checklist incomplète, éléments obligatoires vides: "+strings.Join(missing, ", "), fields...)
	return false
}
