package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/workflows"
)

// Asset hierarchy (issue 14): zones and lines of a site (zones:*), the equipment placed in them
// and under each other (equipements:*), its criticality, moves and retirement. Reads follow the
// equipment's scoping: a client sees its own, anything else is not found.

func (s *Server) listZones(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := storage.ZoneFiltre{SiteID: q.id("site_id"), Type: enum(q, "type", domain.TypesZone)}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListZones(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) listActifs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.ActifFiltre{SiteID: q.id("site_id"), ZoneID: q.id("zone_id"), ParentID: q.id("parent_id"), Racines: q.boolean("racines"),
		Criticite: enum(q, "criticite", domain.Criticites)}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListActifs(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) arbreActifs(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	site, client := q.id("site_id"), q.id("client_id")
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	tree, err := s.store.ArbreActifs(r.Context(), principalFrom(r.Context()), site, client)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tree)
}

func (s *Server) moveActif(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in domain.DeplacementInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.store.MoveActif(r.Context(), id, in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) setCriticite(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Criticite domain.Criticite `json:"criticite"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !in.Criticite.Valid() {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "criticite", Message: "A, B ou C attendu"}}})
		return
	}
	a, err := s.store.SetCriticite(r.Context(), id, in.Criticite, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// retireActif retires an equipment (POST /actifs/{id}/retirer and /equipements/{id}/retirer).
// An equipment with sub-equipment in service or unfinished work is retired only when the body
// says what happens to them (409 otherwise, naming them): children retired with it or detached,
// work cancelled through its workflows or kept.
func (s *Server) retireActif(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in domain.RetraitInput
	if err := decodeOptionalJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.store.GetEquipement(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	withChildren := in.Enfants != nil && *in.Enfants == domain.EnfantsRetirer
	impact, err := s.store.RetirementImpactOf(ctx, id, withChildren)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case len(impact.Descendants) > 0 && in.Enfants == nil:
		s.fail(w, r, domain.Conflictf("l'équipement a %d sous-équipement(s) en service: précisez enfants = retirer ou detacher",
			len(impact.Descendants)))
		return
	case len(impact.Interventions) > 0 && in.Interventions == nil:
		s.fail(w, r, domain.Conflictf("%d intervention(s) non terminée(s) sur l'équipement: précisez interventions = annuler ou conserver",
			len(impact.Interventions)))
		return
	}
	if in.Interventions != nil && *in.Interventions == domain.InterventionsAnnuler {
		for _, it := range impact.Interventions {
			motif := fmt.Sprintf("équipement n°%d retiré du service", id)
			req := workflows.TransitionRequest{Acteur: workflows.Acteur{UserID: p.UserID, Role: domain.RoleAdmin}, Motif: &motif}
			_, err := s.wf.Interventions.Transition(ctx, it.WorkflowID, domain.ActionCancel, fmt.Sprintf("retrait-%d/annulation-%d", id, it.ID), req)
			if err != nil && !errors.Is(err, orchestration.ErrWorkflowClosed) {
				s.fail(w, r, err)
				return
			}
		}
		// Work without a running workflow cannot be cancelled here: it must not be left behind.
		if after, err := s.store.RetirementImpactOf(ctx, id, withChildren); err != nil {
			s.fail(w, r, err)
			return
		} else if len(after.Interventions) > 0 {
			s.fail(w, r, domain.Conflictf("%d intervention(s) n'ont pas pu être annulées (n°%d…): rien n'est retiré",
				len(after.Interventions), after.Interventions[0].ID))
			return
		}
	}
	retire := []int64{}
	if withChildren {
		retire = append(retire, impact.Descendants...)
	} else if len(impact.Descendants) > 0 {
		if err := s.store.DetachChildren(ctx, id, p.UserID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	retire = append(retire, id)
	for _, e := range retire {
		if _, err := s.store.SetEquipementStatut(ctx, e, domain.EquipementRetire, p.UserID); err != nil {
			var ce *domain.ConflictError
			if e != id && errors.As(err, &ce) {
				continue // already retired meanwhile
			}
			s.fail(w, r, err)
			return
		}
		if err := s.equipementRetired(ctx, e); err != nil {
			s.log.Error("preventive cycle not ended", zap.Int64("equipement_id", e), zap.Error(err))
		}
	}
	s.writeEquipement(w, r, p, id)
}

// decodeOptionalJSON decodes a body that may be left out (no body, or only blanks).
func decodeOptionalJSON(r *http.Request, dst any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(r, dst)
}
