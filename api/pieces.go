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
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListPieces(r.Context(), text, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
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
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListEmplacements(r.Context(), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
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
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListStocks(r.Context(), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) setSeuil(w http.ResponseWriter, r *http.Request) {
	var in domain.SeuilInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.store.SetSeuil(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) listMouvements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.MouvementFiltre{PieceID: q.id("piece_id"), EmplacementID: q.id("emplacement_id"), InterventionID: q.id("intervention_id"),
		Type: enum(q, "type", domain.TypesMouvement)}
	f.Debut, f.Fin = q.period("date_debut", "date_fin")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListMouvements(r.Context(), f, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) postMouvement(w http.ResponseWriter, r *http.Request) {
	var in domain.MouvementInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.store.PostMouvement(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) postTransfert(w http.ResponseWriter, r *http.Request) {
	var in domain.TransfertInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.store.Transfer(r.Context(), in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
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
