package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Preventive plans by calendar, usage or whichever comes first (issue 14), and the occurrences
// their cycles open.

const planPreventifSelect = `SELECT e.id AS equipement_id, COALESCE(pp.declencheur, 'calendrier') AS declencheur,
	e.frequence_entretien AS frequence_jours, pp.compteur_id, pp.intervalle_usage::float8 AS intervalle_usage, c.unite,
	COALESCE(pp.usage_base, 0)::float8 AS usage_base, c.usage_cumule::float8 AS usage_cumule,
	` + usageJourSQL + ` AS usage_jour, c.date_releve, pp.date_reference,
	COALESCE(e.derniere_maintenance, e.date_installation, e.date_creation) AS base_calendrier, e.statut = 'retire' AS retire
FROM equipements e LEFT JOIN plans_preventifs pp ON pp.equipement_id = e.id LEFT JOIN compteurs c ON c.id = pp.compteur_id`

// GetPlanPreventif returns the preventive plan of an equipment p may see, with its forecast.
func (s *Store) GetPlanPreventif(ctx context.Context, p domain.Principal, equipementID int64) (domain.PlanPreventif, error) {
	w := &where{}
	w.add("e.id = ?", equipementID)
	equipementVisibility(p, w)
	var out domain.PlanPreventif
	if err := s.q.GetContext(ctx, &out, planPreventifSelect+` WHERE `+w.sql(), w.args...); err != nil {
		return out, wrap("get plan preventif", err)
	}
	out.Prevoir()
	return out, nil
}

// SetPlanPreventif replaces an equipment's plan (its frequence_entretien is the calendar part)
// and records the change. The meter must be one of the equipment's; choosing a meter (or another
// one) starts the usage count from its present total, changing only the interval keeps it.
func (s *Store) SetPlanPreventif(ctx context.Context, equipementID int64, in domain.PlanPreventifInput, acteur int64) (domain.PlanPreventif, error) {
	var out domain.PlanPreventif
	err := s.InTx(ctx, func(tx *Store) error {
		var statut string
		if err := tx.q.GetContext(ctx, &statut, `SELECT statut FROM equipements WHERE id = $1 FOR UPDATE`, equipementID); err != nil {
			return wrap("set plan preventif", err)
		}
		if statut == string(domain.EquipementRetire) {
			return domain.Conflictf("équipement retiré: il n'a plus de plan préventif")
		}
		old, err := tx.GetPlanPreventif(ctx, domain.Principal{}, equipementID)
		if err != nil {
			return err
		}
		base := 0.0
		if in.CompteurID != nil {
			var m struct {
				EquipementID int64   `db:"equipement_id"`
				Cumul        float64 `db:"usage_cumule"`
			}
			err := tx.q.GetContext(ctx, &m, `SELECT equipement_id, usage_cumule::float8 AS usage_cumule FROM compteurs WHERE id = $1 FOR SHARE`, *in.CompteurID)
			if err != nil {
				if wrapped := wrap("set plan preventif", err); isNotFound(wrapped) {
					return &domain.ValidationError{Fields: []domain.FieldError{{Field: "compteur_id", Message: "compteur introuvable"}}}
				}
				return wrap("set plan preventif", err)
			}
			if m.EquipementID != equipementID {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "compteur_id",
					Message: fmt.Sprintf("ce compteur est celui de l'équipement %d: un plan à l'usage suit un compteur de son propre équipement", m.EquipementID)}}}
			}
			base = m.Cumul
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE equipements SET frequence_entretien = $2, updated_at = now() WHERE id = $1`,
			equipementID, in.FrequenceJours); err != nil {
			return wrap("set plan preventif", err)
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO plans_preventifs (equipement_id, declencheur, compteur_id, intervalle_usage, usage_base)
				VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (equipement_id) DO UPDATE SET declencheur = EXCLUDED.declencheur, compteur_id = EXCLUDED.compteur_id,
				intervalle_usage = EXCLUDED.intervalle_usage,
				usage_base = CASE WHEN plans_preventifs.compteur_id IS NOT DISTINCT FROM EXCLUDED.compteur_id
					THEN plans_preventifs.usage_base ELSE EXCLUDED.usage_base END,
				updated_at = now()`,
			equipementID, in.Declencheur, in.CompteurID, in.IntervalleUsage, base); err != nil {
			return wrap("set plan preventif", err)
		}
		if out, err = tx.GetPlanPreventif(ctx, domain.Principal{}, equipementID); err != nil {
			return err
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: equipementID, Action: "plan_preventif",
			ActeurID: &acteur, Changements: diff(planChanges(old), planChanges(out))})
	})
	return out, err
}

// planChanges is what the audit trail compares of a plan (not its forecast).
func planChanges(p domain.PlanPreventif) map[string]any {
	return map[string]any{"declencheur": p.Declencheur, "frequence_jours": p.FrequenceJours, "compteur_id": p.CompteurID,
		"intervalle_usage": p.IntervalleUsage, "usage_base": p.UsageBase}
}

// OccurrencePreventive is one occurrence opened by a preventive cycle.
type OccurrencePreventive struct {
	EquipementID int64
	// Cle identifies the occurrence within the equipment: the calendar due date, or the meter and
	// the usage threshold crossed.
	Cle         string
	Declencheur string // the plan's type
	Cause       string // what fired: calendrier or usage
	Echeance    time.Time
	// Reference is when it was triggered: the calendar of a usage or whichever-first plan counts
	// from it.
	Reference   time.Time
	CompteurID  *int64
	SeuilUsage  *float64
	UsageCumule *float64
	WorkflowID  string
}

// RecordPreventiveOccurrence records an occurrence once per (equipment, key): it reports
// whether this call created it. The first call also restarts the counters of a usage or
// whichever-first plan from it (the usage count from the meter's present total, the calendar
// from Reference) and writes historique, in the same transaction.
func (s *Store) RecordPreventiveOccurrence(ctx context.Context, o OccurrencePreventive) (bool, error) {
	created := false
	err := s.InTx(ctx, func(tx *Store) error {
		var ids []int64
		if err := tx.q.SelectContext(ctx, &ids, `INSERT INTO occurrences_preventives
				(equipement_id, cle, declencheur, cause, echeance, compteur_id, seuil_usage, usage_cumule, intervention_workflow_id)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM equipements WHERE id = $1)
			ON CONFLICT (equipement_id, cle) DO NOTHING RETURNING id`,
			o.EquipementID, o.Cle, o.Declencheur, o.Cause, o.Echeance, o.CompteurID, o.SeuilUsage, o.UsageCumule, o.WorkflowID); err != nil {
			return wrap("record occurrence", err)
		}
		if len(ids) == 0 {
			return nil
		}
		created = true
		if o.Declencheur != domain.DeclencheurCalendrier {
			if _, err := tx.q.ExecContext(ctx, `UPDATE plans_preventifs pp SET
					usage_base = COALESCE((SELECT c.usage_cumule FROM compteurs c WHERE c.id = pp.compteur_id), pp.usage_base),
					date_reference = $2, updated_at = now()
				WHERE pp.equipement_id = $1`, o.EquipementID, o.Reference); err != nil {
				return wrap("record occurrence", err)
			}
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: o.EquipementID, Action: "occurrence_preventive",
			Changements: map[string]any{"cle": o.Cle, "declencheur": o.Declencheur, "cause": o.Cause, "echeance": o.Echeance,
				"compteur_id": o.CompteurID, "seuil_usage": o.SeuilUsage, "usage_cumule": o.UsageCumule, "workflow_id": o.WorkflowID},
			EventKey: fmt.Sprintf("occurrence-preventive/%d/%s", o.EquipementID, o.Cle)})
	})
	return created, err
}

// UsagePlanOfCompteur returns the equipment whose usage or whichever-first plan follows the
// meter (ok false when none does).
func (s *Store) UsagePlanOfCompteur(ctx context.Context, compteurID int64) (int64, bool, error) {
	var ids []int64
	err := s.q.SelectContext(ctx, &ids, `SELECT pp.equipement_id FROM plans_preventifs pp JOIN equipements e ON e.id = pp.equipement_id
		WHERE pp.compteur_id = $1 AND pp.declencheur <> 'calendrier' AND e.statut <> 'retire'`, compteurID)
	if err != nil || len(ids) == 0 {
		return 0, false, wrap("usage plan of compteur", err)
	}
	return ids[0], true, nil
}
