package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"

	"github.com/mifmaroc/mif/domain"
)

// Stock per part and place, its ledger, reservations and the consumption written by a
// completion. Every change of a stock line goes through changeStock: one conditional UPDATE
// (the row lock makes concurrent changes wait for each other, and the condition refuses the one
// that would leave less than is reserved, hence never less than zero), one ledger row, and the
// reorder alert.

const stockSelect = `SELECT s.piece_id, p.reference, p.designation, p.unite, s.emplacement_id, l.nom AS emplacement_nom,
	l.type AS emplacement_type, s.quantite::float8 AS quantite, s.quantite_reservee::float8 AS quantite_reservee,
	(s.quantite - s.quantite_reservee)::float8 AS disponible, s.seuil_reappro::float8 AS seuil_reappro,
	COALESCE(s.quantite <= s.seuil_reappro, false) AS sous_seuil, s.alerte_active, s.updated_at
FROM stocks s JOIN pieces p ON p.id = s.piece_id JOIN emplacements l ON l.id = s.emplacement_id`

// ListStocks returns one page of stock lines matching f and the total.
func (s *Store) ListStocks(ctx context.Context, f domain.StockFiltre, page Page) ([]domain.Stock, int, error) {
	w := &where{}
	if f.PieceID != nil {
		w.add("s.piece_id = ?", *f.PieceID)
	}
	if f.EmplacementID != nil {
		w.add("s.emplacement_id = ?", *f.EmplacementID)
	}
	if f.TechnicienID != nil {
		w.add("s.emplacement_id IN (SELECT id FROM emplacements WHERE technicien_id = ?)", *f.TechnicienID)
	}
	if f.SousSeuil != nil {
		w.add("COALESCE(s.quantite <= s.seuil_reappro, false) = ?", *f.SousSeuil)
	}
	total, err := s.count(ctx, "count stocks", "stocks s", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Stock{}
	err = s.q.SelectContext(ctx, &out, stockSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY lower(p.reference), l.type, lower(l.nom) LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list stocks", err)
}

// GetStock returns the stock of a part at a place (domain.ErrNotFound when it never had any).
func (s *Store) GetStock(ctx context.Context, piece, emplacement int64) (domain.Stock, error) {
	var st domain.Stock
	err := s.q.GetContext(ctx, &st, stockSelect+` WHERE s.piece_id = $1 AND s.emplacement_id = $2`, piece, emplacement)
	return st, wrap("get stock", err)
}

// stockChange is one change of a stock line.
type stockChange struct {
	PieceID, EmplacementID int64
	// Delta changes quantite, Reserve changes quantite_reservee (both signed).
	Delta, Reserve float64
	Type           domain.TypeMouvement
	InterventionID *int64
	Groupe         *string
	Motif          string
	ActeurID       *int64
}

type stockLine struct {
	Quantite     float64  `db:"quantite"`
	Reservee     float64  `db:"quantite_reservee"`
	Seuil        *float64 `db:"seuil_reappro"`
	AlerteActive bool     `db:"alerte_active"`
}

// checkStockRefs turns an unknown part or place into a 422 naming the field.
func (s *Store) checkStockRefs(ctx context.Context, pieceField string, piece int64, placeField string, place int64) error {
	var ok struct {
		Piece bool `db:"piece"`
		Place bool `db:"place"`
	}
	err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM pieces WHERE id = $1) AS piece,
		EXISTS (SELECT 1 FROM emplacements WHERE id = $2) AS place`, piece, place)
	if err != nil {
		return wrap("check stock refs", err)
	}
	var v domain.Validator
	v.Check(ok.Piece, pieceField, "pièce introuvable")
	v.Check(ok.Place, placeField, "emplacement introuvable")
	return v.Err()
}

// changeStock applies c to its stock line (created by an entry when missing) and writes its
// ledger row. A change that would leave less than the reserved quantity (so, with no
// reservation, less than zero) is refused with a conflict saying what is available.
func (s *Store) changeStock(ctx context.Context, c stockChange) (domain.Mouvement, error) {
	if c.Delta > 0 {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO stocks (piece_id, emplacement_id) VALUES ($1, $2)
			ON CONFLICT (piece_id, emplacement_id) DO NOTHING`, c.PieceID, c.EmplacementID); err != nil {
			return domain.Mouvement{}, wrap("change stock", err)
		}
	}
	var rows []stockLine
	err := s.q.SelectContext(ctx, &rows, `UPDATE stocks SET quantite = quantite + $3, quantite_reservee = quantite_reservee + $4,
			updated_at = now()
		WHERE piece_id = $1 AND emplacement_id = $2
		  AND quantite + $3 >= quantite_reservee + $4 AND quantite_reservee + $4 >= 0
		RETURNING quantite::float8 AS quantite, quantite_reservee::float8 AS quantite_reservee,
			seuil_reappro::float8 AS seuil_reappro, alerte_active`,
		c.PieceID, c.EmplacementID, c.Delta, c.Reserve)
	if err != nil {
		return domain.Mouvement{}, wrap("change stock", err)
	}
	if len(rows) == 0 {
		return domain.Mouvement{}, s.refusal(ctx, c)
	}
	line := rows[0]
	qty := c.Delta
	if c.Type == domain.MouvementReservation || c.Type == domain.MouvementLiberation {
		qty = c.Reserve
	}
	var m domain.Mouvement
	err = s.q.GetContext(ctx, &m, `WITH m AS (
			INSERT INTO mouvements_stock (piece_id, emplacement_id, type, quantite, quantite_apres, reservee_apres,
				intervention_id, groupe, motif, acteur_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *)
		`+mouvementColumns+` FROM m JOIN pieces p ON p.id = m.piece_id JOIN emplacements l ON l.id = m.emplacement_id`,
		c.PieceID, c.EmplacementID, c.Type, qty, line.Quantite, line.Reservee, c.InterventionID, c.Groupe, c.Motif, c.ActeurID)
	if err != nil {
		return m, wrap("record mouvement", err)
	}
	return m, s.reorderAlert(ctx, c.PieceID, c.EmplacementID, line, m.ID)
}

// refusal explains why changeStock found no line to change.
func (s *Store) refusal(ctx context.Context, c stockChange) error {
	var names struct {
		Reference string `db:"reference"`
		Unite     string `db:"unite"`
		Nom       string `db:"nom"`
	}
	err := s.q.GetContext(ctx, &names, `SELECT p.reference, p.unite, l.nom FROM pieces p, emplacements l WHERE p.id = $1 AND l.id = $2`,
		c.PieceID, c.EmplacementID)
	if err != nil {
		return wrap("stock refusal", err)
	}
	st, err := s.GetStock(ctx, c.PieceID, c.EmplacementID)
	if err != nil {
		return domain.Conflictf("aucun stock de %s à « %s »", names.Reference, names.Nom)
	}
	asked := -c.Delta + c.Reserve
	if c.Reserve < 0 && c.Delta == 0 {
		return domain.Conflictf("la réservation de %s à « %s » dépasse ce qui est réservé (%s %s)",
			names.Reference, names.Nom, fmtQty(st.QuantiteReservee), names.Unite)
	}
	return domain.Conflictf("stock insuffisant de %s à « %s »: %s %s disponible(s) (%s en stock, %s réservé(s)), %s demandé(s)",
		names.Reference, names.Nom, fmtQty(st.Disponible), names.Unite, fmtQty(st.Quantite), fmtQty(st.QuantiteReservee), fmtQty(asked))
}

func fmtQty(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) }

// reorderAlert notifies the responsables once when a line falls to its threshold or below, and
// re-arms the alert once the line is above it again (restocked, or the threshold lowered).
func (s *Store) reorderAlert(ctx context.Context, piece, emplacement int64, line stockLine, mouvement int64) error {
	below := line.Seuil != nil && line.Quantite <= *line.Seuil
	if below == line.AlerteActive {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE stocks SET alerte_active = $3 WHERE piece_id = $1 AND emplacement_id = $2`,
		piece, emplacement, below); err != nil {
		return wrap("reorder alert", err)
	}
	if !below {
		return nil
	}
	st, err := s.GetStock(ctx, piece, emplacement)
	if err != nil {
		return err
	}
	// In the audit trail, and so to the webhooks subscribed to stock.below_threshold (the
	// historique trigger of migration 00143), once per fall like the notice.
	if err := s.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: piece, Action: "seuil_reappro_atteint",
		Changements: map[string]any{"emplacement_id": emplacement, "quantite": st.Quantite, "seuil_reappro": *st.SeuilReappro}}); err != nil {
		return err
	}
	ids, err := s.ActiveUserIDsByRole(ctx, domain.RoleResponsable)
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = s.CreateNotifications(ctx, ids, domain.NewNotification{
		Titre: "Stock à réapprovisionner",
		Message: fmt.Sprintf("%s (%s) à « %s »: %s %s en stock, seuil de réapprovisionnement %s.",
			st.Reference, st.Designation, st.EmplacementNom, fmtQty(st.Quantite), st.Unite, fmtQty(*st.SeuilReappro)),
		Type:  domain.NotificationWarning,
		Event: "stock.seuil_reappro",
		Metadata: map[string]any{"piece_id": piece, "emplacement_id": emplacement, "quantite": st.Quantite,
			"seuil_reappro": *st.SeuilReappro},
		DedupKey: "stock/" + itoa(piece) + "/" + itoa(emplacement) + "/seuil/" + itoa(mouvement),
	})
	return err
}

const mouvementColumns = `SELECT m.id, m.piece_id, p.reference, m.emplacement_id, l.nom AS emplacement_nom, m.type,
	m.quantite::float8 AS quantite, m.quantite_apres::float8 AS quantite_apres, m.reservee_apres::float8 AS reservee_apres,
	m.intervention_id, m.groupe::text AS groupe, m.motif, m.acteur_id, m.date_mouvement`

// ListMouvements returns one page of the ledger matching f, newest first, and the total.
func (s *Store) ListMouvements(ctx context.Context, f domain.MouvementFiltre, page Page) ([]domain.Mouvement, int, error) {
	w := &where{}
	if f.PieceID != nil {
		w.add("m.piece_id = ?", *f.PieceID)
	}
	if f.EmplacementID != nil {
		w.add("m.emplacement_id = ?", *f.EmplacementID)
	}
	if f.InterventionID != nil {
		w.add("m.intervention_id = ?", *f.InterventionID)
	}
	if f.Type != nil {
		w.add("m.type = ?", *f.Type)
	}
	if f.Debut != nil {
		w.add("m.date_mouvement >= ?", *f.Debut)
	}
	if f.Fin != nil {
		w.add("m.date_mouvement < ?", *f.Fin)
	}
	total, err := s.count(ctx, "count mouvements", "mouvements_stock m", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Mouvement{}
	err = s.q.SelectContext(ctx, &out, mouvementColumns+` FROM mouvements_stock m JOIN pieces p ON p.id = m.piece_id
		JOIN emplacements l ON l.id = m.emplacement_id WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY m.date_mouvement DESC, m.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list mouvements", err)
}

// PostMouvement applies a movement posted by hand (an entry, an exit, or an adjustment to the
// counted quantity) and records it in historique.
func (s *Store) PostMouvement(ctx context.Context, in domain.MouvementInput, acteur int64) (domain.Mouvement, error) {
	var m domain.Mouvement
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkStockRefs(ctx, "piece_id", *in.PieceID, "emplacement_id", *in.EmplacementID); err != nil {
			return err
		}
		c := stockChange{PieceID: *in.PieceID, EmplacementID: *in.EmplacementID, Type: *in.Type, ActeurID: &acteur}
		if in.Motif != nil {
			c.Motif = *in.Motif
		}
		switch *in.Type {
		case domain.MouvementEntree:
			c.Delta = *in.Quantite
		case domain.MouvementSortie:
			c.Delta = -*in.Quantite
		case domain.MouvementAjustement:
			var cur []float64
			if err := tx.q.SelectContext(ctx, &cur, `SELECT quantite::float8 FROM stocks WHERE piece_id = $1 AND emplacement_id = $2 FOR UPDATE`,
				c.PieceID, c.EmplacementID); err != nil {
				return wrap("adjust stock", err)
			}
			if len(cur) == 0 {
				if _, err := tx.q.ExecContext(ctx, `INSERT INTO stocks (piece_id, emplacement_id) VALUES ($1, $2)`, c.PieceID, c.EmplacementID); err != nil {
					return wrap("adjust stock", err)
				}
				cur = []float64{0}
			}
			c.Delta = *in.Quantite - cur[0]
		}
		var err error
		if m, err = tx.changeStock(ctx, c); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: c.PieceID, Action: "stock_" + string(c.Type),
			ActeurID: &acteur, Changements: m})
	})
	return m, err
}

// Transfer moves a quantity of a part from one place to another: two ledger rows sharing a
// group, both lines locked in a fixed order (no deadlock between crossing transfers).
func (s *Store) Transfer(ctx context.Context, in domain.TransfertInput, acteur int64) (domain.Transfert, error) {
	var t domain.Transfert
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkStockRefs(ctx, "piece_id", *in.PieceID, "de_emplacement_id", *in.DeEmplacementID); err != nil {
			return err
		}
		if err := tx.checkStockRefs(ctx, "piece_id", *in.PieceID, "vers_emplacement_id", *in.VersEmplacementID); err != nil {
			return err
		}
		if err := tx.q.GetContext(ctx, &t.Groupe, `SELECT gen_random_uuid()::text`); err != nil {
			return wrap("transfer", err)
		}
		motif := ""
		if in.Motif != nil {
			motif = *in.Motif
		}
		out := stockChange{PieceID: *in.PieceID, EmplacementID: *in.DeEmplacementID, Delta: -*in.Quantite,
			Type: domain.MouvementTransfertSortie, Groupe: &t.Groupe, Motif: motif, ActeurID: &acteur}
		into := stockChange{PieceID: *in.PieceID, EmplacementID: *in.VersEmplacementID, Delta: *in.Quantite,
			Type: domain.MouvementTransfertEntree, Groupe: &t.Groupe, Motif: motif, ActeurID: &acteur}
		if _, err := tx.q.ExecContext(ctx, `SELECT 1 FROM stocks WHERE piece_id = $1 AND emplacement_id = ANY(ARRAY[$2, $3]::bigint[])
			ORDER BY emplacement_id FOR UPDATE`, *in.PieceID, *in.DeEmplacementID, *in.VersEmplacementID); err != nil {
			return wrap("transfer", err)
		}
		var err error
		if t.Sortie, err = tx.changeStock(ctx, out); err != nil {
			return err
		}
		if t.Entree, err = tx.changeStock(ctx, into); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: *in.PieceID, Action: "transfert",
			ActeurID: &acteur, Changements: t})
	})
	return t, err
}

// SetSeuil sets or removes the reorder threshold of a stock line (created empty when missing)
// and raises the alert at once when the stock is already at it or below.
func (s *Store) SetSeuil(ctx context.Context, in domain.SeuilInput, acteur int64) (domain.Stock, error) {
	var st domain.Stock
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkStockRefs(ctx, "piece_id", *in.PieceID, "emplacement_id", *in.EmplacementID); err != nil {
			return err
		}
		var old []sql.NullFloat64
		if err := tx.q.SelectContext(ctx, &old, `SELECT seuil_reappro::float8 FROM stocks WHERE piece_id = $1 AND emplacement_id = $2 FOR UPDATE`,
			*in.PieceID, *in.EmplacementID); err != nil {
			return wrap("set seuil", err)
		}
		var line stockLine
		err := tx.q.GetContext(ctx, &line, `INSERT INTO stocks (piece_id, emplacement_id, seuil_reappro) VALUES ($1, $2, $3)
			ON CONFLICT (piece_id, emplacement_id) DO UPDATE SET seuil_reappro = EXCLUDED.seuil_reappro, updated_at = now()
			RETURNING quantite::float8 AS quantite, quantite_reservee::float8 AS quantite_reservee,
				seuil_reappro::float8 AS seuil_reappro, alerte_active`, *in.PieceID, *in.EmplacementID, in.SeuilReappro)
		if err != nil {
			return wrap("set seuil", err)
		}
		var ancien *float64
		if len(old) > 0 && old[0].Valid {
			ancien = &old[0].Float64
		}
		var hid int64
		if err := tx.q.GetContext(ctx, &hid, `SELECT COALESCE(max(id), 0) FROM mouvements_stock`); err != nil {
			return wrap("set seuil", err)
		}
		// The dedup key of an alert raised here carries the last ledger row, so setting the same
		// threshold twice without any movement notifies once.
		if err := tx.reorderAlert(ctx, *in.PieceID, *in.EmplacementID, line, hid); err != nil {
			return err
		}
		if st, err = tx.GetStock(ctx, *in.PieceID, *in.EmplacementID); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: *in.PieceID, Action: "seuil_reappro", ActeurID: &acteur,
			Changements: map[string]any{"emplacement_id": *in.EmplacementID, "seuil_reappro": map[string]any{"ancien": ancien, "nouveau": in.SeuilReappro}}})
	})
	return st, err
}

const reservationSelect = `SELECT r.id, r.intervention_id, r.piece_id, p.reference, p.designation, r.emplacement_id,
	l.nom AS emplacement_nom, r.quantite::float8 AS quantite, r.statut, r.date_creation
FROM reservations_pieces r JOIN pieces p ON p.id = r.piece_id JOIN emplacements l ON l.id = r.emplacement_id`

// VisibleIntervention returns domain.ErrNotFound when p may not see intervention id.
func (s *Store) VisibleIntervention(ctx context.Context, p domain.Principal, id int64) error {
	cond, args := interventionVisibility(p, 2)
	var ok bool
	err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM interventions i WHERE i.id = $1 AND `+cond+`)`, append([]any{id}, args...)...)
	if err != nil {
		return wrap("intervention visible", err)
	}
	if !ok {
		return domain.ErrNotFound
	}
	return nil
}

// ListReservations returns one page of an intervention's reservations (every status), oldest
// first, and the total.
func (s *Store) ListReservations(ctx context.Context, p domain.Principal, intervention int64, page Page) ([]domain.Reservation, int, error) {
	if err := s.VisibleIntervention(ctx, p, intervention); err != nil {
		return nil, 0, err
	}
	w := &where{}
	w.add("r.intervention_id = ?", intervention)
	total, err := s.count(ctx, "count reservations", "reservations_pieces r", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Reservation{}
	err = s.q.SelectContext(ctx, &out, reservationSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY r.date_creation, r.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list reservations", err)
}

// Reserve holds a quantity of a part at a place for an intervention that is not finished; a
// second reservation of the same line adds to the first. Refused (409) beyond what is available.
func (s *Store) Reserve(ctx context.Context, intervention int64, in domain.ReservationInput, acteur int64) (domain.Reservation, error) {
	var r domain.Reservation
	err := s.InTx(ctx, func(tx *Store) error {
		var statut domain.StatutIntervention
		// The intervention's row lock orders a reservation against the completion's transaction.
		if err := tx.q.GetContext(ctx, &statut, `SELECT statut FROM interventions WHERE id = $1 FOR SHARE`, intervention); err != nil {
			return wrap("reserve", err)
		}
		if statut.Final() {
			return domain.Conflictf("l'intervention est %s: plus de réservation possible", statut)
		}
		if err := tx.checkStockRefs(ctx, "piece_id", *in.PieceID, "emplacement_id", *in.EmplacementID); err != nil {
			return err
		}
		if _, err := tx.changeStock(ctx, stockChange{PieceID: *in.PieceID, EmplacementID: *in.EmplacementID, Reserve: *in.Quantite,
			Type: domain.MouvementReservation, InterventionID: &intervention, ActeurID: &acteur}); err != nil {
			return err
		}
		var id int64
		err := tx.q.GetContext(ctx, &id, `INSERT INTO reservations_pieces (intervention_id, piece_id, emplacement_id, quantite, acteur_id)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (intervention_id, piece_id, emplacement_id) WHERE statut = 'active'
			DO UPDATE SET quantite = reservations_pieces.quantite + EXCLUDED.quantite, updated_at = now() RETURNING id`,
			intervention, *in.PieceID, *in.EmplacementID, *in.Quantite, acteur)
		if err != nil {
			return wrap("reserve", err)
		}
		if err := tx.q.GetContext(ctx, &r, reservationSelect+` WHERE r.id = $1`, id); err != nil {
			return wrap("reserve", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "intervention", EntiteID: intervention, Action: "reservation_pieces",
			ActeurID: &acteur, Changements: map[string]any{"piece_id": *in.PieceID, "emplacement_id": *in.EmplacementID,
				"quantite": *in.Quantite, "reservation_id": id}})
	})
	return r, err
}

// CancelReservation gives an active reservation back to the stock.
func (s *Store) CancelReservation(ctx context.Context, intervention, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var r domain.Reservation
		if err := tx.q.GetContext(ctx, &r, reservationSelect+` WHERE r.id = $1 AND r.intervention_id = $2 FOR UPDATE OF r`, id, intervention); err != nil {
			return wrap("cancel reservation", err)
		}
		if r.Statut != domain.ReservationActive {
			return domain.Conflictf("la réservation est déjà %s", r.Statut)
		}
		a := acteur
		if err := tx.release(ctx, r, r.Quantite, &a, "réservation annulée", domain.ReservationLiberee); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "intervention", EntiteID: intervention, Action: "liberation_pieces",
			ActeurID: &acteur, Changements: map[string]any{"reservation_id": id, "quantite": r.Quantite}})
	})
}

// release gives qty of an active reservation back (a liberation movement when qty > 0) and
// closes it with statut.
func (s *Store) release(ctx context.Context, r domain.Reservation, qty float64, acteur *int64, motif string, statut domain.StatutReservation) error {
	if qty > 0 {
		if _, err := s.changeStock(ctx, stockChange{PieceID: r.PieceID, EmplacementID: r.EmplacementID, Reserve: -qty,
			Type: domain.MouvementLiberation, InterventionID: &r.InterventionID, Motif: motif, ActeurID: acteur}); err != nil {
			return err
		}
	}
	_, err := s.q.ExecContext(ctx, `UPDATE reservations_pieces SET statut = $2, updated_at = now() WHERE id = $1`, r.ID, statut)
	return wrap("release reservation", err)
}

// releaseReservations gives back every active reservation of a cancelled intervention.
func (s *Store) releaseReservations(ctx context.Context, intervention int64, acteur *int64) error {
	var rs []domain.Reservation
	if err := s.q.SelectContext(ctx, &rs, reservationSelect+` WHERE r.intervention_id = $1 AND r.statut = 'active'
		ORDER BY r.piece_id, r.emplacement_id FOR UPDATE OF r`, intervention); err != nil {
		return wrap("release reservations", err)
	}
	for _, r := range rs {
		if err := s.release(ctx, r, r.Quantite, acteur, "intervention annulée", domain.ReservationLiberee); err != nil {
			return err
		}
	}
	return nil
}

type consumptionKey struct{ piece, place int64 }

// consumeParts writes the parts a completion consumed, in the completion's transaction: each
// line takes its quantity from the stock (its own reservation first), the unit cost of the day
// is kept on the line, and what stays reserved for the intervention is given back. A line the
// stock cannot serve refuses the whole completion (409), so no part is consumed twice or from
// nothing.
func (s *Store) consumeParts(ctx context.Context, w domain.TransitionWrite, row domain.Intervention) error {
	if len(w.Pieces) == 0 {
		return s.releaseReservations(ctx, row.ID, w.ActeurID)
	}
	var v domain.Validator
	qty := map[consumptionKey]float64{}
	var keys []consumptionKey
	for i, l := range w.Pieces {
		field := "pieces_utilisees[" + strconv.Itoa(i) + "]"
		place := l.EmplacementID
		if place == nil {
			var vans []int64
			if row.TechnicienID != nil {
				if err := s.q.SelectContext(ctx, &vans, `SELECT id FROM emplacements WHERE technicien_id = $1`, *row.TechnicienID); err != nil {
					return wrap("consume parts", err)
				}
			}
			if len(vans) == 0 {
				v.Add(field+".emplacement_id", "obligatoire: le technicien n'a pas de véhicule")
				continue
			}
			place = &vans[0]
		}
		if err := s.checkStockRefs(ctx, field+".piece_id", l.PieceID, field+".emplacement_id", *place); err != nil {
			if ve, ok := err.(*domain.ValidationError); ok {
				for _, f := range ve.Fields {
					v.Add(f.Field, "%s", f.Message)
				}
				continue
			}
			return err
		}
		k := consumptionKey{l.PieceID, *place}
		if _, seen := qty[k]; !seen {
			keys = append(keys, k)
		}
		qty[k] += l.Quantite
	}
	if err := v.Err(); err != nil {
		return err
	}
	// One order for every transaction: completions sharing lines never deadlock.
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].piece != keys[j].piece {
			return keys[i].piece < keys[j].piece
		}
		return keys[i].place < keys[j].place
	})
	var rs []domain.Reservation
	if err := s.q.SelectContext(ctx, &rs, reservationSelect+` WHERE r.intervention_id = $1 AND r.statut = 'active'
		ORDER BY r.piece_id, r.emplacement_id FOR UPDATE OF r`, row.ID); err != nil {
		return wrap("consume parts", err)
	}
	reserved := map[consumptionKey]float64{}
	for _, r := range rs {
		reserved[consumptionKey{r.PieceID, r.EmplacementID}] = r.Quantite
	}
	used := map[consumptionKey]float64{}
	motif := "intervention n°" + itoa(row.ID)
	for _, k := range keys {
		q := qty[k]
		u := min(q, reserved[k])
		used[k] = u
		if _, err := s.changeStock(ctx, stockChange{PieceID: k.piece, EmplacementID: k.place, Delta: -q, Reserve: -u,
			Type: domain.MouvementConsommation, InterventionID: &row.ID, Motif: motif, ActeurID: w.ActeurID}); err != nil {
			return err
		}
		if _, err := s.q.ExecContext(ctx, `INSERT INTO consommations_pieces (intervention_id, piece_id, emplacement_id, quantite,
				cout_unitaire, date_consommation)
			SELECT $1, id, $3, $4, cout_unitaire, $5 FROM pieces WHERE id = $2`, row.ID, k.piece, k.place, q, w.Date); err != nil {
			return wrap("consume parts", err)
		}
	}
	for _, r := range rs {
		k := consumptionKey{r.PieceID, r.EmplacementID}
		statut := domain.ReservationLiberee
		if used[k] > 0 {
			statut = domain.ReservationConsommee
		}
		if err := s.release(ctx, r, r.Quantite-used[k], w.ActeurID, "non consommé par "+motif, statut); err != nil {
			return err
		}
	}
	return nil
}

const consommationSelect = `SELECT c.id, c.intervention_id, c.piece_id, p.reference, p.designation, p.unite, c.emplacement_id,
	l.nom AS emplacement_nom, c.quantite::float8 AS quantite, c.cout_unitaire::float8 AS cout_unitaire,
	(c.quantite * c.cout_unitaire)::numeric(14, 2)::float8 AS cout_total, c.date_consommation
FROM consommations_pieces c JOIN pieces p ON p.id = c.piece_id JOIN emplacements l ON l.id = c.emplacement_id`

// InterventionConsommations returns the parts an intervention p may see consumed, by reference.
func (s *Store) InterventionConsommations(ctx context.Context, p domain.Principal, intervention int64, page Page) ([]domain.Consommation, int, error) {
	if err := s.VisibleIntervention(ctx, p, intervention); err != nil {
		return nil, 0, err
	}
	w := &where{}
	w.add("c.intervention_id = ?", intervention)
	total, err := s.count(ctx, "count consommations", "consommations_pieces c", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Consommation{}
	err = s.q.SelectContext(ctx, &out, consommationSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY lower(p.reference), c.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list consommations", err)
}
