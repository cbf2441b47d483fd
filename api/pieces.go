package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

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

func (s *Server) listEmplacements(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := storage.EmplacementFiltre{Type: enum(q, "type", domain.TypesEmplacement), TechnicienID: q.id("technicien_id")}
	servePage(s, w, r, q, f, s.store.ListEmplacements)
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
	applyKeyed(s, w, r, "stock.mouvement", http.StatusCreated, (*storage.Store).PostMouvement)
}

func (s *Server) postTransfert(w http.ResponseWriter, r *http.Request) {
	applyKeyed(s, w, r, "stock.transfert", http.StatusCreated, (*storage.Store).Transfer)
}

// applyKeyed is applyBody for the requests that move stock, with an optional Idempotency-Key:
// the same key from the same user replays the first answer (status and body, header
// Idempotency-Replayed: true) and moves the stock once; the same key with another request
// (operation or normalised body) is a 422 naming the header. Keys are kept
// storage.IdempotenceRetention.
func applyKeyed[In any, P interface {
	*In
	Validate() error
}, Out any](s *Server, w http.ResponseWriter, r *http.Request, operation string, status int,
	apply func(st *storage.Store, ctx context.Context, in In, acteur int64) (Out, error)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		applyBody[In, P](s, w, r, status, func(ctx context.Context, in In, acteur int64) (Out, error) { return apply(s.store, ctx, in, acteur) })
		return
	}
	if err := checkIdempotencyKey(key); err != nil {
		s.fail(w, r, err)
		return
	}
	in, ok := decodeValid[In, P](s, w, r)
	if !ok {
		return
	}
	// The fingerprint is of the normalised request, so that spacing or key order do not count.
	norm, err := json.Marshal(in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum := sha256.Sum256(append([]byte(operation+"\n"), norm...))
	p := principalFrom(r.Context())
	k := storage.Idempotence{UserID: p.UserID, Cle: key, Operation: operation, Empreinte: hex.EncodeToString(sum[:])}
	rep, replayed, err := s.store.Idempotent(r.Context(), k, status, func(tx *storage.Store) (any, error) {
		return apply(tx, r.Context(), in, p.UserID)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Statut)
	_, _ = w.Write(append(rep.Corps, '\n'))
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
