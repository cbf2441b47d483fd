package storage

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mifmaroc/mif/domain"
)

// The parts catalogue and the places parts are kept (issue 14). Stock, movements and
// reservations are in stocks.go.

const pieceSelect = `SELECT p.id, p.reference, p.designation, p.unite, p.cout_unitaire::float8 AS cout_unitaire,
	COALESCE((SELECT sum(s.quantite) FROM stocks s WHERE s.piece_id = p.id), 0)::float8 AS quantite_totale,
	p.date_creation, p.updated_at
FROM pieces p`

// ListPieces returns one page of the catalogue matching the text q (reference or designation),
// by reference, and the total.
func (s *Store) ListPieces(ctx context.Context, q string, page Page) ([]domain.Piece, int, error) {
	w := &where{}
	if q != "" {
		pat := likePattern(q)
		w.add("(p.reference ILIKE ? OR p.designation ILIKE ?)", pat, pat)
	}
	total, err := s.count(ctx, "count pieces", "pieces p", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Piece{}
	err = s.q.SelectContext(ctx, &out, pieceSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY lower(p.reference), p.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list pieces", err)
}

// GetPiece returns one part of the catalogue (staff only: no client scoping applies).
func (s *Store) GetPiece(ctx context.Context, _ domain.Principal, id int64) (domain.Piece, error) {
	var p domain.Piece
	err := s.q.GetContext(ctx, &p, pieceSelect+` WHERE p.id = $1`, id)
	return p, wrap("get piece", err)
}

// CreatePiece adds a part to the catalogue and records it in historique.
func (s *Store) CreatePiece(ctx context.Context, in domain.PieceInput, acteur int64) (domain.Piece, error) {
	var p domain.Piece
	err := s.InTx(ctx, func(tx *Store) error {
		var id int64
		err := tx.q.GetContext(ctx, &id, `INSERT INTO pieces (reference, designation, unite, cout_unitaire)
			VALUES ($1, $2, COALESCE($3, 'pièce'), COALESCE($4::numeric, 0)) RETURNING id`, *in.Reference, *in.Designation, in.Unite, in.CoutUnitaire)
		if err != nil {
			return wrap("create piece", err)
		}
		if p, err = tx.GetPiece(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: p})
	})
	return p, err
}

// UpdatePiece changes the fields set in in; a new cost applies to later consumption only.
func (s *Store) UpdatePiece(ctx context.Context, id int64, in domain.PieceInput, acteur int64) (domain.Piece, error) {
	var p domain.Piece
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Piece
		if err := tx.q.GetContext(ctx, &old, pieceSelect+` WHERE p.id = $1 FOR UPDATE OF p`, id); err != nil {
			return wrap("update piece", err)
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE pieces SET reference = COALESCE($2, reference), designation = COALESCE($3, designation),
			unite = COALESCE($4, unite), cout_unitaire = COALESCE($5, cout_unitaire), updated_at = now() WHERE id = $1`,
			id, in.Reference, in.Designation, in.Unite, in.CoutUnitaire)
		if err != nil {
			return wrap("update piece", err)
		}
		if p, err = tx.GetPiece(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, p)})
	})
	return p, err
}

// DeletePiece removes a part that never moved; otherwise it is a conflict (its ledger and the
// costs of past work must stay).
func (s *Store) DeletePiece(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM pieces WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete piece", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM mouvements_stock WHERE piece_id = $1)
			OR EXISTS (SELECT 1 FROM stocks WHERE piece_id = $1)`, id); err != nil {
			return wrap("delete piece", err)
		}
		if used {
			return domain.Conflictf("cette pièce a du stock ou des mouvements: son historique doit rester")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM pieces WHERE id = $1`, id); err != nil {
			return wrap("delete piece", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "piece", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

const emplacementSelect = `SELECT l.id, l.nom, l.type, l.technicien_id,
	NULLIF(trim(COALESCE(u.prenom, '') || ' ' || COALESCE(u.nom, '')), '') AS technicien_nom, l.site_id, si.nom AS site_nom,
	l.date_creation, l.updated_at
FROM emplacements l LEFT JOIN techniciens t ON t.id = l.technicien_id LEFT JOIN users u ON u.id = t.user_id
LEFT JOIN sites si ON si.id = l.site_id`

// EmplacementFiltre selects places.
type EmplacementFiltre struct {
	Type         *domain.TypeEmplacement
	TechnicienID *int64
}

// ListEmplacements returns one page of the places matching f, warehouses first, and the total.
func (s *Store) ListEmplacements(ctx context.Context, f EmplacementFiltre, page Page) ([]domain.Emplacement, int, error) {
	w := &where{}
	if f.Type != nil {
		w.add("l.type = ?", *f.Type)
	}
	if f.TechnicienID != nil {
		w.add("l.technicien_id = ?", *f.TechnicienID)
	}
	total, err := s.count(ctx, "count emplacements", "emplacements l", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Emplacement{}
	err = s.q.SelectContext(ctx, &out, emplacementSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY l.type, lower(l.nom), l.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list emplacements", err)
}

// GetEmplacement returns one place.
func (s *Store) GetEmplacement(ctx context.Context, _ domain.Principal, id int64) (domain.Emplacement, error) {
	var l domain.Emplacement
	err := s.q.GetContext(ctx, &l, emplacementSelect+` WHERE l.id = $1`, id)
	return l, wrap("get emplacement", err)
}

// checkEmplacement checks the type, technicien and site a place ends up with: a van needs an
// existing technicien and has no site, a warehouse has no technicien and maybe a site.
func (s *Store) checkEmplacement(ctx context.Context, typ domain.TypeEmplacement, technicien, site *int64) error {
	var v domain.Validator
	if site != nil {
		var ok bool
		if err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1)`, *site); err != nil {
			return wrap("check site", err)
		}
		v.Check(ok, "site_id", "site introuvable")
		v.Check(typ == domain.EmplacementEntrepot, "site_id", "seul un entrepôt a un site (un véhicule est où est son technicien)")
	}
	switch {
	case typ == domain.EmplacementVehicule && technicien == nil:
		v.Add("technicien_id", "un véhicule appartient à un technicien")
	case typ == domain.EmplacementEntrepot && technicien != nil:
		v.Add("technicien_id", "un entrepôt n'appartient à aucun technicien")
	case technicien != nil:
		var ok bool
		if err := s.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM techniciens WHERE id = $1)`, *technicien); err != nil {
			return wrap("check technicien", err)
		}
		v.Check(ok, "technicien_id", "technicien introuvable")
	}
	return v.Err()
}

// CreateEmplacement adds a warehouse or a van and records it in historique.
func (s *Store) CreateEmplacement(ctx context.Context, in domain.EmplacementInput, acteur int64) (domain.Emplacement, error) {
	var l domain.Emplacement
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.checkEmplacement(ctx, *in.Type, in.TechnicienID, in.SiteID); err != nil {
			return err
		}
		var id int64
		err := tx.q.GetContext(ctx, &id, `INSERT INTO emplacements (nom, type, technicien_id, site_id) VALUES ($1, $2, $3, $4) RETURNING id`,
			*in.Nom, *in.Type, in.TechnicienID, in.SiteID)
		if err != nil {
			return wrap("create emplacement", err)
		}
		if l, err = tx.GetEmplacement(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "emplacement", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: l})
	})
	return l, err
}

// UpdateEmplacement renames a place or gives a van to another technicien; a type change must
// leave a consistent place (a van with its technicien, a warehouse without).
func (s *Store) UpdateEmplacement(ctx context.Context, id int64, in domain.EmplacementInput, acteur int64) (domain.Emplacement, error) {
	var l domain.Emplacement
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Emplacement
		if err := tx.q.GetContext(ctx, &old, emplacementSelect+` WHERE l.id = $1 FOR UPDATE OF l`, id); err != nil {
			return wrap("update emplacement", err)
		}
		typ, tech, site := old.Type, old.TechnicienID, old.SiteID
		if in.Type != nil {
			typ = *in.Type
			if typ == domain.EmplacementEntrepot {
				tech = nil
			} else {
				site = nil
			}
		}
		if in.TechnicienID != nil {
			tech = in.TechnicienID
		}
		if in.SiteID != nil {
			site = in.SiteID
		}
		if err := tx.checkEmplacement(ctx, typ, tech, site); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE emplacements SET nom = COALESCE($2, nom), type = $3, technicien_id = $4, site_id = $5,
			updated_at = now() WHERE id = $1`, id, in.Nom, typ, tech, site)
		if err != nil {
			return wrap("update emplacement", err)
		}
		if l, err = tx.GetEmplacement(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "emplacement", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, l)})
	})
	return l, err
}

// DeleteEmplacement removes a place that never held stock; otherwise it is a conflict.
func (s *Store) DeleteEmplacement(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM emplacements WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete emplacement", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM mouvements_stock WHERE emplacement_id = $1)
			OR EXISTS (SELECT 1 FROM stocks WHERE emplacement_id = $1)`, id); err != nil {
			return wrap("delete emplacement", err)
		}
		if used {
			return domain.Conflictf("cet emplacement a du stock ou des mouvements: son historique doit rester")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM emplacements WHERE id = $1`, id); err != nil {
			return wrap("delete emplacement", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "emplacement", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
