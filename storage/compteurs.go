package storage

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Usage meters and their readings (issue 14). A meter is seen by whoever sees its equipment.

const compteurSelect = `SELECT c.id, c.equipement_id, c.nom, c.unite, c.variation_max_jour::float8 AS variation_max_jour,
	c.valeur::float8 AS valeur, c.date_releve,
	` + usageJourSQL + ` AS usage_jour,
	c.date_creation, c.updated_at
FROM compteurs c JOIN equipements e ON e.id = c.equipement_id`

// usageJourSQL is a meter c's mean usage per day over its last 30 days of readings.
const usageJourSQL = `(SELECT ((sum(r.increment) - (array_agg(r.increment ORDER BY r.date_releve))[1])
		/ NULLIF(extract(epoch FROM max(r.date_releve) - min(r.date_releve)) / 86400, 0))::float8
	 FROM releves_compteur r WHERE r.compteur_id = c.id AND r.date_releve >= c.date_releve - interval '30 days')`

// ListCompteurs returns one page of the meters p may see (of one equipment when given).
func (s *Store) ListCompteurs(ctx context.Context, p domain.Principal, equipement *int64, page Page) ([]domain.Compteur, int, error) {
	w := &where{}
	equipementVisibility(p, w)
	if equipement != nil {
		w.add("c.equipement_id = ?", *equipement)
	}
	total, err := s.count(ctx, "count compteurs", "compteurs c JOIN equipements e ON e.id = c.equipement_id", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Compteur{}
	err = s.q.SelectContext(ctx, &out, compteurSelect+` WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY c.equipement_id, lower(c.nom), c.id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list compteurs", err)
}

// GetCompteur returns one meter p may see.
func (s *Store) GetCompteur(ctx context.Context, p domain.Principal, id int64) (domain.Compteur, error) {
	w := &where{}
	w.add("c.id = ?", id)
	equipementVisibility(p, w)
	var c domain.Compteur
	err := s.q.GetContext(ctx, &c, compteurSelect+` WHERE `+w.sql(), w.args...)
	return c, wrap("get compteur", err)
}

// CreateCompteur adds a meter to an equipment and records it.
func (s *Store) CreateCompteur(ctx context.Context, in domain.CompteurInput, acteur int64) (domain.Compteur, error) {
	var c domain.Compteur
	err := s.InTx(ctx, func(tx *Store) error {
		var ok bool
		if err := tx.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM equipements WHERE id = $1)`, *in.EquipementID); err != nil {
			return wrap("create compteur", err)
		}
		if !ok {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "equipement_id", Message: "équipement introuvable"}}}
		}
		var id int64
		if err := tx.q.GetContext(ctx, &id, `INSERT INTO compteurs (equipement_id, nom, unite, variation_max_jour) VALUES ($1, $2, $3, $4) RETURNING id`,
			*in.EquipementID, *in.Nom, *in.Unite, in.VariationMaxJour); err != nil {
			return wrap("create compteur", err)
		}
		var err error
		if c, err = tx.GetCompteur(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "compteur", EntiteID: id, Action: "creation", ActeurID: &acteur, Changements: c})
	})
	return c, err
}

// UpdateCompteur renames a meter, changes its unit or its outlier bound.
func (s *Store) UpdateCompteur(ctx context.Context, id int64, in domain.CompteurInput, acteur int64) (domain.Compteur, error) {
	var c domain.Compteur
	err := s.InTx(ctx, func(tx *Store) error {
		var old domain.Compteur
		if err := tx.q.GetContext(ctx, &old, compteurSelect+` WHERE c.id = $1 FOR UPDATE OF c`, id); err != nil {
			return wrap("update compteur", err)
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE compteurs SET nom = COALESCE($2, nom), unite = COALESCE($3, unite),
			variation_max_jour = COALESCE($4, variation_max_jour), updated_at = now() WHERE id = $1`, id, in.Nom, in.Unite, in.VariationMaxJour); err != nil {
			return wrap("update compteur", err)
		}
		var err error
		if c, err = tx.GetCompteur(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "compteur", EntiteID: id, Action: "modification", ActeurID: &acteur, Changements: diff(old, c)})
	})
	return c, err
}

// DeleteCompteur removes a meter that has no reading (its readings are history).
func (s *Store) DeleteCompteur(ctx context.Context, id int64, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		var locked int64
		if err := tx.q.GetContext(ctx, &locked, `SELECT id FROM compteurs WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("delete compteur", err)
		}
		var used bool
		if err := tx.q.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM releves_compteur WHERE compteur_id = $1)`, id); err != nil {
			return wrap("delete compteur", err)
		}
		if used {
			return domain.Conflictf("ce compteur a des relevés: son historique doit rester")
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM compteurs WHERE id = $1`, id); err != nil {
			return wrap("delete compteur", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "compteur", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

const releveColumns = `r.id, r.compteur_id, r.releve_id, r.valeur::float8 AS valeur, r.date_releve, r.remise_a_zero,
	r.increment::float8 AS increment, r.acteur_id, r.date_creation`

// ListReleves returns one page of a meter's readings, newest first.
func (s *Store) ListReleves(ctx context.Context, p domain.Principal, compteur int64, page Page) ([]domain.Releve, int, error) {
	if _, err := s.GetCompteur(ctx, p, compteur); err != nil {
		return nil, 0, err
	}
	w := &where{}
	w.add("r.compteur_id = ?", compteur)
	total, err := s.count(ctx, "count releves", "releves_compteur r", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.Releve{}
	err = s.q.SelectContext(ctx, &out, `SELECT `+releveColumns+` FROM releves_compteur r WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY r.date_releve DESC, r.id DESC LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	return out, total, wrap("list releves", err)
}

// RecordReleves records readings of a meter p may see, oldest first, under the meter's lock:
// each is recorded, recognised as already recorded (same releve_id, same value and date), or
// refused with its reason (domain.CheckReleve); a refusal does not stop the others. One
// historique row lists what was recorded.
func (s *Store) RecordReleves(ctx context.Context, p domain.Principal, compteur int64, in []domain.ReleveInput, acteur int64, now time.Time) ([]domain.ResultatReleve, error) {
	out := make([]domain.ResultatReleve, len(in))
	err := s.InTx(ctx, func(tx *Store) error {
		c, err := tx.GetCompteur(ctx, p, compteur)
		if err != nil {
			return err
		}
		var last domain.DernierReleve
		if err := tx.q.QueryRowxContext(ctx, `SELECT valeur::float8, date_releve FROM compteurs WHERE id = $1 FOR UPDATE`, compteur).
			Scan(&last.Valeur, &last.Date); err != nil {
			return wrap("record releves", err)
		}
		order := make([]int, len(in))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return in[order[a]].DateReleve.Before(*in[order[b]].DateReleve) })
		var recorded []string
		for _, i := range order {
			r := in[i]
			res := domain.ResultatReleve{ReleveID: r.ReleveID}
			var prev []domain.Releve
			if err := tx.q.SelectContext(ctx, &prev, `SELECT `+releveColumns+` FROM releves_compteur r WHERE r.compteur_id = $1 AND r.releve_id = $2`,
				compteur, r.ReleveID); err != nil {
				return wrap("record releves", err)
			}
			if len(prev) > 0 {
				same := math.Abs(prev[0].Valeur-*r.Valeur) < 5e-4 && prev[0].DateReleve.Equal(*r.DateReleve) && prev[0].RemiseAZero == r.RemiseAZero
				if same {
					res.Statut, res.Releve = domain.ReleveDejaEnregistre, &prev[0]
				} else {
					res.Statut, res.Raison = domain.ReleveRefuse, "releve_id déjà utilisé pour un autre relevé"
				}
				out[i] = res
				continue
			}
			inc, reason := domain.CheckReleve(last, r, c.VariationMaxJour, c.Unite, now)
			if reason != "" {
				res.Statut, res.Raison = domain.ReleveRefuse, reason
				out[i] = res
				continue
			}
			var rec domain.Releve
			if err := tx.q.GetContext(ctx, &rec, `WITH r AS (INSERT INTO releves_compteur (compteur_id, releve_id, valeur, date_releve, remise_a_zero, increment, acteur_id)
					VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *) SELECT `+releveColumns+` FROM r`,
				compteur, r.ReleveID, *r.Valeur, *r.DateReleve, r.RemiseAZero, inc, acteur); err != nil {
				return wrap("record releves", err)
			}
			if _, err := tx.q.ExecContext(ctx, `UPDATE compteurs SET valeur = $2, date_releve = $3, usage_cumule = usage_cumule + $4, updated_at = now() WHERE id = $1`,
				compteur, *r.Valeur, *r.DateReleve, inc); err != nil {
				return wrap("record releves", err)
			}
			v, d := rec.Valeur, rec.DateReleve
			last = domain.DernierReleve{Valeur: &v, Date: &d}
			res.Statut, res.Releve = domain.ReleveEnregistre, &rec
			recorded = append(recorded, r.ReleveID)
			out[i] = res
		}
		if len(recorded) == 0 {
			return nil
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "compteur", EntiteID: compteur, Action: "releves", ActeurID: &acteur,
			Changements: map[string]any{"releve_ids": recorded, "valeur": last.Valeur, "date_releve": last.Date}})
	})
	return out, err
}
