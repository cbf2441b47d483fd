package api

import (
	"net/http"
	"strconv"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// Spare parts inventory (issue 14): the catalogue and the places (responsables manage them,
// techniciens read them), stock, its ledger, transfers and reorder thresholds, reservations for
// an intervention and the parts it consumed (read like the intervention: a client its own).

func (s *Server) listPieces(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	text := q.text("q", maxSearchLen)
	servePage(s, w, r, q, text, s.store.ListPieces)
}

func (s *Server) createPiece(w http.ResponseWriter, r *http.Request) {
	in, err := decodeInput[domain.PieceInput](r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.store.CreatePiece(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/pieces/"+strconv.FormatInt(p.ID, 10))
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) listEmplacements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := storage.EmplacementFiltre{Type: enum(q, "type", domain.TypesEmplacement), TechnicienID: q.id("technicien_id")}
	servePage(s, w, r, q, f, s.store.ListEmplacements)
}

func (s *Server) createEmplacement(w http.ResponseWriter, r *http.Request) {
	in, err := decodeInput[domain.EmplacementInput](r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.store.CreateEmplacement(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/emplacements/"+strconv.FormatInt(l.ID, 10))
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) listStocks(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.StockFiltre{PieceID: q.id("piece_id"), EmplacementID: q.id("emplacement_id"), TechnicienID: q.id("technicien_id"),
		SousSeuil: q.boolean("sous_seuil")}
	servePage(s, w, r, q, f, s.store.ListStocks)
}

func (s *Server) setSeuil(w http.ResponseWriter, r *http.Request) {
	applyBody(s, w, r, http.StatusOK, s.store.SetSeuil)
}

func (s *Server) listMouvements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.MouvementFiltre{PieceID: q.id("piece_id"), EmplacementID: q.id("emplacement_id"), InterventionID: q.id("intervention_id"),
		Type: enum(q, "type", domain.TypesMouvement)}
	f.Debut, f.Fin = q.period("date_debut", "date_fin")
	servePage(s, w, r, q, f, s.store.ListMouvements)
}

func (s *Server) postMouvement(w http.ResponseWriter, r *http.Request) {
	applyBody(s, w, r, http.StatusCreated, s.store.PostMouvement)
}

func (s *Server) postTransfert(w http.ResponseWriter, r *http.Request) {
	applyBody(s, w, r, http.StatusCreated, s.store.Transfer)
}

func (s *Server) createReservation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if err := s.store.VisibleIntervention(r.Context(), p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	var in domain.ReservationInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.store.Reserve(r.Context(), id, in, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (s *Server) cancelReservation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rid, err := pathID(r, "reservation_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.CancelReservation(r.Context(), id, rid, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
