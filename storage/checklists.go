package storage

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

type checklistItemModeleRow struct {
	ModeleID int64 `db:"modele_id"`
	domain.ChecklistItemModele
	Choix pq.StringArray `db:"choix"`
}

// loadModeleItems fills the items of the templates, in order.
func (s *Store) loadModeleItems(ctx context.Context, ms []domain.ChecklistModele) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	at := map[int64]int{}
	for i := range ms {
		ids[i], at[ms[i].ID] = ms[i].ID, i
		ms[i].Items = []domain.ChecklistItemModele{}
	}
	var rows []checklistItemModeleRow
	err := s.q.SelectContext(ctx, &rows, `SELECT modele_id, ordre, libelle, type, obligatoire, unite, min, max, choix
		FROM checklist_modele_items WHERE modele_id = ANY($1) ORDER BY modele_id, ordre`, pq.Array(ids))
	if err != nil {
		return wrap("load checklist items", err)
	}
	for _, r := range rows {
		it := r.ChecklistItemModele
		it.Choix = append([]string{}, r.Choix...)
		ms[at[r.ModeleID]].Items = append(ms[at[r.ModeleID]].Items, it)
	}
	return nil
}

const checklistModeleColumns = `id, nom, type_equipement, type_intervention, actif, date_creation, updated_at`

// ListChecklistModeles returns one page of templates (optionally for one equipment type).
func (s *Store) ListChecklistModeles(ctx context.Context, typeEquipement string, page Page) ([]domain.ChecklistModele, int, error) {
	w := &where{}
	if typeEquipement != "" {
		w.add("lower(type_equipement) = lower(?)", typeEquipement)
	}
	total, err := s.count(ctx, "count checklists", "checklist_modeles", w)
	if err != nil {
		return nil, 0, err
	}
	out := []domain.ChecklistModele{}
	err = s.q.SelectContext(ctx, &out, `SELECT `+checklistModeleColumns+` FROM checklist_modeles WHERE `+w.sql()+
		fmt.Sprintf(" ORDER BY id LIMIT %d OFFSET %d", page.Limit, page.Offset), w.args...)
	if err != nil {
		return nil, 0, wrap("list checklists", err)
	}
	return out, total, s.loadModeleItems(ctx, out)
}

// GetChecklistModele returns one template with its items.
func (s *Store) GetChecklistModele(ctx context.Context, _ domain.Principal, id int64) (domain.ChecklistModele, error) {
	var m domain.ChecklistModele
	if err := s.q.GetContext(ctx, &m, `SELECT `+checklistModeleColumns+` FROM checklist_modeles WHERE id = $1`, id); err != nil {
		return m, wrap("get checklist", err)
	}
	ms := []domain.ChecklistModele{m}
	err := s.loadModeleItems(ctx, ms)
	return ms[0], err
}

func (s *Store) writeModeleItems(ctx context.Context, id int64, items []domain.ChecklistItemModele) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM checklist_modele_items WHERE modele_id = $1`, id); err != nil {
		return wrap("write checklist items", err)
	}
	for _, it := range items {
		_, err := s.q.ExecContext(ctx, `INSERT INTO checklist_modele_items (modele_id, ordre, libelle, type, obligatoire, unite, min, max, choix)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, it.Ordre, it.Libelle, it.Type, it.Obligatoire, it.Unite, it.Min, it.Max, pq.Array(it.Choix))
		if err != nil {
			return wrap("write checklist items", err)
		}
	}
	return nil
}

// SaveChecklistModele creates (id 0) or replaces a template. Checklists already copied to
// interventions are snapshots: they do not change.
func (s *Store) SaveChecklistModele(ctx context.Context, id int64, in domain.ChecklistModeleInput, acteur int64) (domain.ChecklistModele, error) {
	var m domain.ChecklistModele
	err := s.InTx(ctx, func(tx *Store) error {
		actif := in.Actif == nil || *in.Actif
		action := "modification"
		if id == 0 {
			action = "creation"
			if err := tx.q.GetContext(ctx, &id, `INSERT INTO checklist_modeles (nom, type_equipement, type_intervention, actif)
				VALUES ($1, $2, $3, $4) RETURNING id`, in.Nom, in.TypeEquipement, in.TypeIntervention, actif); err != nil {
				return wrap("create checklist", err)
			}
		} else {
			res, err := tx.q.ExecContext(ctx, `UPDATE checklist_modeles SET nom = $2, type_equipement = $3, type_intervention = $4, actif = $5,
				updated_at = now() WHERE id = $1`, id, in.Nom, in.TypeEquipement, in.TypeIntervention, actif)
			if err != nil {
				return wrap("update checklist", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return wrap("update checklist", domain.ErrNotFound)
			}
		}
		if err := tx.writeModeleItems(ctx, id, in.Items); err != nil {
			return err
		}
		var err error
		if m, err = tx.GetChecklistModele(ctx, domain.Principal{}, id); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "checklist", EntiteID: id, Action: action, ActeurID: &acteur, Changements: m})
	})
	return m, err
}

// DeleteChecklistModele removes a template (copies already issued stay).
func (s *Store) DeleteChecklistModele(ctx context.Context, id, acteur int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM checklist_modeles WHERE id = $1`, id)
		if err != nil {
			return wrap("delete checklist", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wrap("delete checklist", domain.ErrNotFound)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "checklist", EntiteID: id, Action: "suppression", ActeurID: &acteur})
	})
}

type checklistItemRow struct {
	domain.ChecklistItem
	Choix pq.StringArray `db:"choix"`
}

const checklistItemColumns = `id, intervention_id, modele_nom, ordre, libelle, type, obligatoire, unite, min, max, choix, valeur,
	hors_limites, rempli_par, date_remplissage, suivi_intervention_id`

// InterventionChecklist returns an intervention's checklist in order (the caller checked it may
// see the intervention).
func (s *Store) InterventionChecklist(ctx context.Context, interventionID int64) ([]domain.ChecklistItem, error) {
	var rows []checklistItemRow
	err := s.q.SelectContext(ctx, &rows, `SELECT `+checklistItemColumns+` FROM intervention_checklist_items
		WHERE intervention_id = $1 ORDER BY modele_id, ordre`, interventionID)
	out := make([]domain.ChecklistItem, len(rows))
	for i, r := range rows {
		out[i] = r.ChecklistItem
		out[i].Choix = append([]string{}, r.Choix...)
	}
	return out, wrap("intervention checklist", err)
}

// GetChecklistItem returns one item of an intervention's checklist.
func (s *Store) GetChecklistItem(ctx context.Context, interventionID, itemID int64) (domain.ChecklistItem, error) {
	var r checklistItemRow
	err := s.q.GetContext(ctx, &r, `SELECT `+checklistItemColumns+` FROM intervention_checklist_items
		WHERE intervention_id = $1 AND id = $2`, interventionID, itemID)
	r.ChecklistItem.Choix = append([]string{}, r.Choix...)
	return r.ChecklistItem, wrap("get checklist item", err)
}

// FillChecklistItem records a value; documentID, for photos and signatures, must be a live
// document of the intervention (422 otherwise).
func (s *Store) FillChecklistItem(ctx context.Context, it domain.ChecklistItem, valeur string, horsLimites bool, documentID *int64, acteur int64) (domain.ChecklistItem, error) {
	var out domain.ChecklistItem
	err := s.InTx(ctx, func(tx *Store) error {
		if documentID != nil {
			var ok bool
			if err := tx.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM documents WHERE id = $1 AND intervention_id = $2 AND deleted_at IS NULL)`,
				*documentID, it.InterventionID); err != nil {
				return wrap("fill checklist item", err)
			}
			if !ok {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "valeur", Message: "document introuvable sur cette intervention"}}}
			}
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE intervention_checklist_items SET valeur = $2, hors_limites = $3, rempli_par = $4,
			date_remplissage = now() WHERE id = $1`, it.ID, valeur, horsLimites, acteur)
		if err != nil {
			return wrap("fill checklist item", err)
		}
		if out, err = tx.GetChecklistItem(ctx, it.InterventionID, it.ID); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "intervention", EntiteID: it.InterventionID, Action: "checklist", ActeurID: &acteur,
			Changements: map[string]any{"item": it.Libelle, "valeur": valeur, "hors_limites": horsLimites}})
	})
	return out, err
}

// LinkChecklistFollowUp records the corrective intervention opened for an out-of-bounds item.
func (s *Store) LinkChecklistFollowUp(ctx context.Context, itemID, followUpID int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE intervention_checklist_items SET suivi_intervention_id = $2 WHERE id = $1`, itemID, followUpID)
	return wrap("link checklist follow-up", err)
}

// MissingChecklistItems lists the required items still empty (completion is refused while any).
func (s *Store) MissingChecklistItems(ctx context.Context, interventionID int64) ([]string, error) {
	out := []string{}
	err := s.q.SelectContext(ctx, &out, `SELECT libelle FROM intervention_checklist_items
		WHERE intervention_id = $1 AND obligatoire AND valeur IS NULL ORDER BY modele_id, ordre`, interventionID)
	return out, wrap("missing checklist items", err)
}
