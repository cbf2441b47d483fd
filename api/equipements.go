package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// flexDays is frequence_entretien on input: a number of days as an integer or, as the seed sends
// it, a numeric string. It remembers whether it was present and whether it was null (which
// removes the preventive cycle on update).
type flexDays struct {
	set, null bool
	days      int
}

func (f *flexDays) UnmarshalJSON(b []byte) error {
	f.set = true
	if bytes.Equal(b, []byte("null")) {
		f.null = true
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[int]()}
		}
		n = json.Number(strings.TrimSpace(s))
	}
	v, err := strconv.Atoi(string(n))
	if err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[int]()}
	}
	f.days = v
	return nil
}

// optionalID is an identifier on input that may be null (which clears it on update).
type optionalID struct {
	set, null bool
	id        int64
}

func (o *optionalID) UnmarshalJSON(b []byte) error {
	o.set = true
	if bytes.Equal(b, []byte("null")) {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.id)
}

// equipementRequest is the body of a create or an update (on update every field is optional).
type equipementRequest struct {
	Nom                 *string    `json:"nom"`
	Type                *string    `json:"type"`
	Modele              *string    `json:"modele"`
	NumeroSerie         *string    `json:"numero_serie"`
	Localisation        *string    `json:"localisation"`
	DateInstallation    *time.Time `json:"date_installation"`
	FrequenceEntretien  flexDays   `json:"frequence_entretien"`
	DerniereMaintenance *time.Time `json:"derniere_maintenance"`
	// SiteID places the equipment at a client site (null on update: takes it off its site).
	SiteID optionalID `json:"site_id"`
}

func (req equipementRequest) input() domain.EquipementInput {
	in := domain.EquipementInput{
		Nom: req.Nom, Type: req.Type, Modele: req.Modele, NumeroSerie: req.NumeroSerie, Localisation: req.Localisation,
		DateInstallation: req.DateInstallation, DerniereMaintenance: req.DerniereMaintenance,
	}
	switch {
	case req.FrequenceEntretien.null:
		in.ClearFrequence = true
	case req.FrequenceEntretien.set:
		d := req.FrequenceEntretien.days
		in.FrequenceEntretien = &d
	}
	switch {
	case req.SiteID.null:
		in.ClearSite = true
	case req.SiteID.set:
		id := req.SiteID.id
		in.SiteID = &id
	}
	in.Normalize()
	return in
}

func (s *Server) listEquipements(w http.ResponseWriter, r *http.Request) {
	f, sort, page, err := equipementQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListEquipements(r.Context(), principalFrom(r.Context()), f, sort, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// equipementQuery reads the filters, sort and page of the equipment list (and its CSV export).
func equipementQuery(r *http.Request) (domain.EquipementFiltre, storage.Sort, storage.Page, error) {
	q := newQuery(r)
	f := domain.EquipementFiltre{
		Localisation:   q.text("localisation", domain.EquipementTexteMaxLen),
		Type:           q.text("type", domain.EquipementTypeMaxLen),
		Statut:         enum(q, "statut", domain.StatutsEquipement),
		ClientID:       q.id("client_id"),
		SiteID:         q.id("site_id"),
		MaintenanceDue: q.boolean("maintenance_due"),
		Recherche:      q.text("q", maxSearchLen),
	}
	sort := q.sort(storage.EquipementSortFields(), storage.Sort{Field: "id"})
	page := q.page()
	return f, sort, page, q.err()
}

func (s *Server) createEquipement(w http.ResponseWriter, r *http.Request) {
	var req equipementRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	in := req.input()
	if err := in.Validate(true); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	e, err := s.store.CreateEquipement(r.Context(), in, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.notifyEquipementChanged(r.Context(), e)
	w.Header().Set("Location", "/api/v1/equipements/"+strconv.FormatInt(e.ID, 10))
	writeJSON(w, http.StatusCreated, domain.NewEquipementVue(e, 0))
}

func (s *Server) updateEquipement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req equipementRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	in := req.input()
	if err := in.Validate(false); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	e, err := s.store.UpdateEquipement(r.Context(), id, in, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.notifyEquipementChanged(r.Context(), e)
	s.writeEquipement(w, r, p, e.ID)
}

// writeEquipement answers the stored equipment with its computed fields.
func (s *Server) writeEquipement(w http.ResponseWriter, r *http.Request, p domain.Principal, id int64) {
	v, err := s.store.GetEquipementVue(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// notifyEquipementChanged tells the preventive-maintenance workflow about the change. The row is
// already committed and is the source of truth, so a failure here is logged, not answered: the
// next change (or the workflow's own reconciliation) brings the cycle back in line.
func (s *Server) notifyEquipementChanged(ctx context.Context, e domain.Equipement) {
	if err := s.equipementChanged(ctx, e); err != nil {
		s.log.Error("preventive cycle not updated", zap.Int64("equipement_id", e.ID), zap.Error(err))
	}
}

type statutRequest struct {
	Statut domain.StatutEquipement `json:"statut"`
}

func (s *Server) setEquipementStatut(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req statutRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if !req.Statut.Valid() {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "statut",
			Message: "valeur attendue: operationnel, en_maintenance, en_panne, hors_service ou retire"}}})
		return
	}
	s.changeEquipementStatut(w, r, id, req.Statut)
}

func (s *Server) changeEquipementStatut(w http.ResponseWriter, r *http.Request, id int64, statut domain.StatutEquipement) {
	p := principalFrom(r.Context())
	if statut == domain.EquipementRetire {
		// Retiring an asset with children or open work says what happens to them: that is
		// POST /actifs/{id}/retirer (actifs.go).
		impact, err := s.store.RetirementImpactOf(r.Context(), id, false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(impact.Descendants) > 0 || len(impact.Interventions) > 0 {
			s.fail(w, r, domain.Conflictf("l'équipement a des sous-équipements ou des interventions non terminées: retirez-le avec POST /api/v1/actifs/%d/retirer en précisant ce qu'ils deviennent", id))
			return
		}
	}
	e, err := s.store.SetEquipementStatut(r.Context(), id, statut, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if statut == domain.EquipementRetire {
		if err := s.equipementRetired(r.Context(), id); err != nil {
			s.log.Error("preventive cycle not ended", zap.Int64("equipement_id", id), zap.Error(err))
		}
	} else {
		s.notifyEquipementChanged(r.Context(), e)
	}
	s.writeEquipement(w, r, p, e.ID)
}

func (s *Server) deleteEquipement(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.DeleteEquipement(r.Context(), id, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.equipementRetired(r.Context(), id); err != nil {
		s.log.Error("preventive cycle not ended", zap.Int64("equipement_id", id), zap.Error(err))
	}
	w.WriteHeader(http.StatusNoContent)
}

// equipementMaintenanceHistory lists an equipment's interventions, newest first.
func (s *Server) equipementMaintenanceHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if _, err := s.store.GetEquipementVue(r.Context(), p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListInterventions(r.Context(), p, domain.InterventionFiltre{EquipementID: &id}, storage.DefaultInterventionSort, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}
