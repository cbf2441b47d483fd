package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
)

// Client requests (issue 15): a client submits a request on one of its equipment, with photos
// (encrypted documents); a responsable accepts it (a linked intervention is created through the
// usual creation path), merges it into an open intervention, or rejects it with a reason. The
// request's workflow (DemandeWorkflow) notifies at each step and escalates untriaged requests.
// A client sees only its company's requests (SQL; another's is not found).

func (s *Server) listDemandes(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.DemandeFiltre{Statut: enum(q, "statut", domain.StatutsDemande), EquipementID: q.id("equipement_id"),
		ClientID: q.id("client_id"), Escaladee: q.boolean("escaladee")}
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListDemandes(r.Context(), principalFrom(r.Context()), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) createDemande(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var in domain.NewDemande
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.store.CreateDemande(r.Context(), p, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.wf.Demandes.Start(r.Context(), d); err != nil {
		// The request is recorded and visible to the responsables; only its notices and timer
		// are missing. Say so in the logs rather than fail a write that happened.
		s.log.Error("demande workflow not started", zap.Int64("demande_id", d.ID), zap.Error(err))
	}
	w.Header().Set("Location", "/api/v1/demandes/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusCreated, d)
}

// demandeFromPath is the request of the path as the caller may see it (404 otherwise).
func (s *Server) demandeFromPath(w http.ResponseWriter, r *http.Request) (domain.Demande, bool) {
	id, err := pathID(r, "id")
	if err == nil {
		var d domain.Demande
		if d, err = s.store.GetDemande(r.Context(), principalFrom(r.Context()), id); err == nil {
			return d, true
		}
	}
	s.fail(w, r, err)
	return domain.Demande{}, false
}

// addDemandePhoto stores a photo of a request awaiting triage, encrypted, as a document of the
// request's equipment, and links it to the request.
func (s *Server) addDemandePhoto(w http.ResponseWriter, r *http.Request) {
	f, err := s.readUploadForm(r, true)
	if err != nil {
		s.uploadFailed(w, r, err)
		return
	}
	d, ok := s.demandeFromPath(w, r)
	if !ok {
		return
	}
	if d.Statut != domain.DemandeSoumise {
		problem(w, r, http.StatusConflict, "demande déjà triée: plus de photo")
		return
	}
	f.equipementID, f.typeDocument, f.sensitive = &d.EquipementID, "photo_demande", true
	doc, ok := s.storeUpload(w, r, f, func() error {
		if doc := f.content; len(doc) > 0 && !isImage(doc) {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Message: "une image est attendue (PNG, JPEG, GIF, WebP, BMP)"}}}
		}
		return nil
	})
	if !ok {
		return
	}
	if err := s.store.AddDemandePhoto(r.Context(), d.ID, doc.ID, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/documents/"+strconv.FormatInt(doc.ID, 10))
	writeJSON(w, http.StatusCreated, doc)
}

// isImage reports whether the bytes sniff as an image type.
func isImage(b []byte) bool {
	ct := http.DetectContentType(b)
	return len(ct) > 6 && ct[:6] == "image/"
}

// demandeNamespace scopes the intervention keys derived from requests: accepting a request twice
// (a retried call) reaches the same intervention.
var demandeNamespace = uuid.MustParse("0b3f5c1e-7d1a-4f7e-9a62-5c2d8e4b1a90")

// acceptDemandeRequest overrides what the intervention takes from the request.
type acceptDemandeRequest struct {
	Titre            string                  `json:"titre"`
	Priorite         domain.Priorite         `json:"priorite"`
	TypeIntervention domain.TypeIntervention `json:"type_intervention"`
	DateLimite       *time.Time              `json:"date_limite"`
}

// acceptDemande opens the intervention the request asks for (the usual creation path: its
// workflow writes the row) and records the link.
func (s *Server) acceptDemande(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req acceptDemandeRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := s.demandeFromPath(w, r)
	if !ok {
		return
	}
	if d.Statut != domain.DemandeSoumise {
		problem(w, r, http.StatusConflict, fmt.Sprintf("demande déjà triée (%s)", d.Statut))
		return
	}
	n := domain.NewIntervention{Titre: req.Titre, Description: d.Description, TypeIntervention: req.TypeIntervention,
		Priorite: req.Priorite, Urgence: d.Urgence == domain.PrioriteCritique, DateLimite: req.DateLimite, EquipementID: d.EquipementID, CreateurID: &p.UserID}
	if n.Titre == "" {
		n.Titre = truncateRunes(fmt.Sprintf("Demande client n° %d : %s", d.ID, d.EquipementNom), domain.TitreMaxLen)
	}
	if n.TypeIntervention == "" {
		n.TypeIntervention = domain.TypeCorrective
	}
	if n.Priorite == "" {
		n.Priorite = d.Urgence
	}
	n.Normalize()
	if err := n.Validate(time.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	key := uuid.NewSHA1(demandeNamespace, []byte(s.cfg.Temporal.TaskQueue+":"+strconv.FormatInt(d.ID, 10))).String()
	row, _, err := s.openIntervention(r, key, n, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.triage(w, r, d, domain.DemandeTriage{Statut: domain.DemandeAcceptee, InterventionID: &row.ID, TrieurID: p.UserID})
}

// mergeDemandeRequest names the open intervention that covers the request.
type mergeDemandeRequest struct {
	InterventionID *int64 `json:"intervention_id"`
}

// mergeDemande attaches the request to an open intervention on the same equipment.
func (s *Server) mergeDemande(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req mergeDemandeRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := s.demandeFromPath(w, r)
	if !ok {
		return
	}
	t := domain.DemandeTriage{Statut: domain.DemandeFusionnee, InterventionID: req.InterventionID, TrieurID: p.UserID}
	if err := t.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	it, err := s.store.GetInterventionDetail(r.Context(), p, *req.InterventionID)
	bad := func(msg string) {
		s.fail(w, r, &domain.ValidationError{Fields: []domain.FieldError{{Field: "intervention_id", Message: msg}}})
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		bad("intervention introuvable")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case it.EquipementID != d.EquipementID:
		bad("l'intervention porte sur un autre équipement")
		return
	case it.Statut == domain.StatutTerminee || it.Statut == domain.StatutAnnulee:
		bad("l'intervention est close (" + string(it.Statut) + ")")
		return
	}
	s.triage(w, r, d, t)
}

// rejectDemandeRequest gives the reason told to the client.
type rejectDemandeRequest struct {
	Motif *string `json:"motif"`
}

func (s *Server) rejectDemande(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	var req rejectDemandeRequest
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	d, ok := s.demandeFromPath(w, r)
	if !ok {
		return
	}
	t := domain.DemandeTriage{Statut: domain.DemandeRejetee, Motif: req.Motif, TrieurID: p.UserID}
	if err := t.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	s.triage(w, r, d, t)
}

// triage records the decision (409 when another was recorded first), then tells the request's
// workflow, which notifies the client.
func (s *Server) triage(w http.ResponseWriter, r *http.Request, d domain.Demande, t domain.DemandeTriage) {
	if err := t.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.store.TriageDemande(r.Context(), d.ID, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.wf.Demandes.Triaged(r.Context(), out); err != nil {
		s.log.Warn("demande workflow not told the triage", zap.Int64("demande_id", out.ID), zap.Error(err))
	}
	writeJSON(w, http.StatusOK, out)
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
