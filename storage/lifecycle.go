package storage

import (
	"context"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// ErrSlotTaken is returned by ApplyTransition for a RequireFree assignment whose slot is taken.
var ErrSlotTaken = errors.New("storage: the technicien is already planned then")

// eventRecorded reports whether historique already holds key (the write was done by an earlier
// attempt of the same activity).
func (s *Store) eventRecorded(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM historique WHERE event_key = $1`, key)
	return n > 0, wrap("event recorded", err)
}

// ApplyTransition writes the intervention row, its planning, the equipment (on start and
// completion) and historique in one transaction. The update is conditional on the current status
// (From), so it never overwrites a status it did not expect; a retry of an applied transition
// (same EventKey) returns the row unchanged with applied=false.
func (s *Store) ApplyTransition(ctx context.Context, w domain.TransitionWrite) (row domain.Intervention, applied bool, err error) {
	if w.EventKey == "" {
		return row, false, errors.New("storage: apply transition: event key required")
	}
	err = s.InTx(ctx, func(tx *Store) error {
		done, err := tx.eventRecorded(ctx, w.EventKey)
		if err != nil {
			return err
		}
		if done {
			row, err = tx.GetInterventionByID(ctx, w.InterventionID)
			return err
		}
		if w.Vers == domain.StatutPlanifiee && w.RequireFree && w.TechnicienID != nil && w.DatePlanifiee != nil {
			if err := tx.checkSlotFree(ctx, w); err != nil {
				return err
			}
		}
		var rows []domain.Intervention
		err = tx.q.SelectContext(ctx, &rows, `
			UPDATE interventions AS i SET
				statut = $3,
				technicien_id = CASE WHEN $3 = 'ouverte' THEN NULL ELSE COALESCE($4, i.technicien_id) END,
				date_debut = CASE WHEN $3 = 'en_cours' AND i.date_debut IS NULL THEN $5 ELSE i.date_debut END,
				date_fin = CASE WHEN $3 = 'terminee' THEN GREATEST($5, COALESCE(i.date_debut, $5)) ELSE i.date_fin END,
				rapport = COALESCE($6, i.rapport),
				temps_passe = COALESCE($7, i.temps_passe),
				motif_annulation = CASE WHEN $3 = 'annulee' THEN $8 ELSE i.motif_annulation END,
				updated_at = $5
			WHERE i.id = $1 AND i.statut = $2
			RETURNING `+interventionColumns,
			w.InterventionID, w.De, w.Vers, w.TechnicienID, w.Date, w.Rapport, w.TempsPasse, w.Motif)
		if err != nil {
			return wrap("apply transition", err)
		}
		if len(rows) == 0 {
			cur, err := tx.GetInterventionByID(ctx, w.InterventionID)
			if err != nil {
				return err
			}
			if err := domain.CheckTransition(cur.Statut, w.Vers); err != nil {
				return err
			}
			return &domain.ConflictError{Reason: "l'intervention est en statut " + string(cur.Statut) + ", pas " + string(w.De), Err: domain.ErrInvalidTransition}
		}
		row, applied = rows[0], true
		if err := tx.writePlanning(ctx, w, row); err != nil {
			return err
		}
		if err := tx.touchEquipement(ctx, w, row); err != nil {
			return err
		}
		switch w.Vers {
		case domain.StatutTerminee:
			if err := tx.consumeParts(ctx, w, row); err != nil {
				return err
			}
		case domain.StatutAnnulee:
			if err := tx.releaseReservations(ctx, row.ID, w.ActeurID); err != nil {
				return err
			}
		}
		changes := map[string]any{"statut": map[string]any{"ancien": w.De, "nouveau": w.Vers}}
		if w.TechnicienID != nil {
			changes["technicien_id"] = *w.TechnicienID
		}
		if w.DatePlanifiee != nil {
			changes["date_planifiee"] = *w.DatePlanifiee
			changes["duree_estimee"] = w.DureeEstimee
		}
		if w.TempsPasse != nil {
			changes["temps_passe"] = *w.TempsPasse
		}
		if w.Motif != nil {
			changes["motif"] = *w.Motif
		}
		if w.Notes != "" {
			changes["notes"] = w.Notes
		}
		if len(w.Pieces) > 0 {
			changes["pieces"] = w.Pieces
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "intervention", EntiteID: row.ID, Action: w.Action, ActeurID: w.ActeurID,
			Changements: changes, EventKey: w.EventKey,
		})
	})
	return row, applied, err
}

// checkSlotFree locks the technicien (concurrent assignments to him wait for each other) and
// returns ErrSlotTaken when his active work overlaps the slot of w.
func (s *Store) checkSlotFree(ctx context.Context, w domain.TransitionWrite) error {
	// Two statements: under READ COMMITTED, the check must take its snapshot after the lock is
	// granted to see the planning of the assignment that held it.
	if _, err := s.q.ExecContext(ctx, `SELECT 1 FROM techniciens WHERE id = $1 FOR UPDATE`, *w.TechnicienID); err != nil {
		return wrap("lock technicien", err)
	}
	var busy bool
	err := s.q.GetContext(ctx, &busy, `SELECT EXISTS (SELECT 1 FROM plannings p JOIN interventions i ON i.id = p.intervention_id
			WHERE p.technicien_id = $1 AND i.statut IN `+activeStatuts+` AND p.intervention_id <> $2
			  AND tstzrange(p.date_planifiee, p.date_planifiee + make_interval(mins => p.duree_estimee))
			   && tstzrange($3::timestamptz, $3::timestamptz + make_interval(mins => $4::int)))`,
		*w.TechnicienID, w.InterventionID, *w.DatePlanifiee, w.DureeEstimee)
	if err != nil {
		return wrap("check slot", err)
	}
	if busy {
		return ErrSlotTaken
	}
	return nil
}

// writePlanning keeps the intervention's one planning row in step with its status.
func (s *Store) writePlanning(ctx context.Context, w domain.TransitionWrite, row domain.Intervention) error {
	var err error
	switch w.Vers {
	case domain.StatutPlanifiee:
		if w.TechnicienID == nil || w.DatePlanifiee == nil {
			return errors.New("storage: assignation without technicien or date")
		}
		_, err = s.q.ExecContext(ctx, `
			INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee, statut, notes, fixe)
			VALUES ($1, $2, $3, $4, 'planifiee', $5, $6)
			ON CONFLICT (intervention_id) DO UPDATE SET technicien_id = EXCLUDED.technicien_id,
				date_planifiee = EXCLUDED.date_planifiee, duree_estimee = EXCLUDED.duree_estimee,
				statut = 'planifiee', notes = EXCLUDED.notes, fixe = EXCLUDED.fixe, updated_at = now()`,
			row.ID, *w.TechnicienID, *w.DatePlanifiee, w.DureeEstimee, w.Notes, w.Fixe)
	case domain.StatutOuverte: // unassigned: the slot is given back
		_, err = s.q.ExecContext(ctx, `DELETE FROM plannings WHERE intervention_id = $1`, row.ID)
	case domain.StatutEnCours, domain.StatutEnAttente, domain.StatutTerminee, domain.StatutAnnulee:
		statut := map[domain.StatutIntervention]domain.StatutPlanning{
			domain.StatutEnCours: domain.PlanningEnCours, domain.StatutEnAttente: domain.PlanningEnCours,
			domain.StatutTerminee: domain.PlanningTerminee, domain.StatutAnnulee: domain.PlanningAnnulee,
		}[w.Vers]
		_, err = s.q.ExecContext(ctx, `UPDATE plannings SET statut = $2, updated_at = now() WHERE intervention_id = $1`, row.ID, statut)
	}
	return wrap("write planning", err)
}

// otherWorkOnEquipement is true when another intervention than $3 is being worked on the
// equipment $1: its end must not put the equipment back in service under the other one's feet.
const otherWorkOnEquipement = `EXISTS (SELECT 1 FROM interventions o WHERE o.equipement_id = $1 AND o.id <> $3
	AND o.statut IN ('en_cours', 'en_attente'))`

// touchEquipement puts the equipment in maintenance when work starts (remembering its status
// before), back in operation when the work is completed, with its derniere_maintenance for
// preventive or corrective work, and back to its status before the work when started work is
// cancelled. It leaves the equipment in maintenance while other work on it goes on.
func (s *Store) touchEquipement(ctx context.Context, w domain.TransitionWrite, row domain.Intervention) error {
	var res []struct {
		Statut string  `db:"statut"`
		Ancien *string `db:"ancien"`
	}
	var err error
	maintenance := row.TypeIntervention == domain.TypePreventive || row.TypeIntervention == domain.TypeCorrective
	switch {
	case w.Vers == domain.StatutEnCours && w.De == domain.StatutPlanifiee:
		err = s.q.SelectContext(ctx, &res, `WITH o AS (SELECT id, statut FROM equipements WHERE id = $1 FOR UPDATE)
			UPDATE equipements e SET statut = 'en_maintenance', updated_at = now() FROM o
			WHERE e.id = o.id AND o.statut IN ('operationnel', 'en_panne') RETURNING e.statut, o.statut AS ancien`, row.EquipementID)
	case w.Vers == domain.StatutTerminee:
		// derniere_maintenance moves for preventive and corrective work only ($4).
		err = s.q.SelectContext(ctx, &res, `UPDATE equipements SET
				derniere_maintenance = CASE WHEN $4 THEN $2 ELSE derniere_maintenance END,
				statut = CASE WHEN statut IN ('en_maintenance', 'en_panne') AND NOT `+otherWorkOnEquipement+` THEN 'operationnel' ELSE statut END,
				updated_at = now()
			WHERE id = $1 AND ($4 OR statut = 'en_maintenance') RETURNING statut`, row.EquipementID, *row.DateFin, row.ID, maintenance)
	case w.Vers == domain.StatutAnnulee && (w.De == domain.StatutEnCours || w.De == domain.StatutEnAttente):
		// Back to the status the start recorded (operationnel when unknown).
		err = s.q.SelectContext(ctx, &res, `UPDATE equipements SET statut = COALESCE((SELECT h.changements->>'ancien_statut' FROM historique h
				WHERE h.entite = 'equipement' AND h.entite_id = $1 AND h.action = 'maintenance_en_cours'
				  AND h.changements->>'intervention_id' = $3::bigint::text ORDER BY h.id DESC LIMIT 1), 'operationnel'),
				updated_at = $2
			WHERE id = $1 AND statut = 'en_maintenance' AND NOT `+otherWorkOnEquipement+` RETURNING statut`,
			row.EquipementID, w.Date, row.ID)
	default:
		return nil
	}
	if err != nil {
		return wrap("update equipement", err)
	}
	if len(res) == 0 {
		return nil
	}
	changes := map[string]any{"statut": res[0].Statut, "intervention_id": row.ID}
	if res[0].Ancien != nil {
		changes["ancien_statut"] = *res[0].Ancien
	}
	if w.Vers == domain.StatutTerminee && maintenance {
		changes["derniere_maintenance"] = *row.DateFin
	}
	return s.RecordHistorique(ctx, HistoriqueEntry{
		Entite: "equipement", EntiteID: row.EquipementID, Action: "maintenance_" + string(w.Vers), ActeurID: w.ActeurID,
		Changements: changes, EventKey: w.EventKey + "/equipement",
	})
}

// GetInterventionByID returns one intervention row, without visibility rules (for workflows).
func (s *Store) GetInterventionByID(ctx context.Context, id int64) (domain.Intervention, error) {
	var in domain.Intervention
	err := s.q.GetContext(ctx, &in, `SELECT `+interventionColumns+` FROM interventions i WHERE i.id = $1`, id)
	return in, wrap("get intervention", err)
}

// MarkInterventionLate sets en_retard on an unfinished intervention, once (eventKey).
func (s *Store) MarkInterventionLate(ctx context.Context, id int64, deadline time.Time, eventKey string) (domain.Intervention, bool, error) {
	var row domain.Intervention
	var applied bool
	err := s.InTx(ctx, func(tx *Store) error {
		var rows []domain.Intervention
		err := tx.q.SelectContext(ctx, &rows, `UPDATE interventions AS i SET en_retard = TRUE, updated_at = now()
			WHERE i.id = $1 AND NOT i.en_retard AND i.statut NOT IN ('terminee', 'annulee') RETURNING `+interventionColumns, id)
		if err != nil {
			return wrap("mark late", err)
		}
		if len(rows) == 0 {
			row, err = tx.GetInterventionByID(ctx, id)
			return err
		}
		row, applied = rows[0], true
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "intervention", EntiteID: id, Action: "retard",
			Changements: map[string]any{"en_retard": true, "echeance": deadline}, EventKey: eventKey,
		})
	})
	return row, applied, err
}

// RecordEscalation writes one escalation level in historique, once (eventKey).
func (s *Store) RecordEscalation(ctx context.Context, id int64, level int, reason, eventKey string) error {
	return s.RecordHistorique(ctx, HistoriqueEntry{
		Entite: "intervention", EntiteID: id, Action: "escalade",
		Changements: map[string]any{"niveau": level, "motif": reason}, EventKey: eventKey,
	})
}

// InterventionStakeholders lists the users to tell about an intervention: its creator and the
// account of its technicien.
func (s *Store) InterventionStakeholders(ctx context.Context, id int64) ([]int64, error) {
	ids := []int64{}
	err := s.q.SelectContext(ctx, &ids, `
		SELECT DISTINCT u FROM (
			SELECT i.createur_id AS u FROM interventions i WHERE i.id = $1
			UNION SELECT t.user_id FROM interventions i JOIN techniciens t ON t.id = i.technicien_id WHERE i.id = $1
		) x WHERE u IS NOT NULL ORDER BY u`, id)
	return ids, wrap("stakeholders", err)
}

// RateIntervention stores the client's rating (1–5) of a finished intervention it may see.
func (s *Store) RateIntervention(ctx context.Context, p domain.Principal, id int64, note int, commentaire string) (domain.Intervention, error) {
	var row domain.Intervention
	err := s.InTx(ctx, func(tx *Store) error {
		cond, args := interventionVisibility(p, 2)
		var cur domain.Intervention
		err := tx.q.GetContext(ctx, &cur, `SELECT `+interventionColumns+` FROM interventions i WHERE i.id = $1 AND `+cond+` FOR UPDATE`,
			append([]any{id}, args...)...)
		if err != nil {
			return wrap("rate intervention", err)
		}
		if cur.Statut != domain.StatutTerminee {
			return domain.Conflictf("seule une intervention terminée peut être évaluée (statut actuel: %s)", cur.Statut)
		}
		if err := tx.q.GetContext(ctx, &row, `UPDATE interventions AS i SET satisfaction_client = $2, updated_at = now()
			WHERE i.id = $1 RETURNING `+interventionColumns, id, note); err != nil {
			return wrap("rate intervention", err)
		}
		changes := map[string]any{"satisfaction_client": note}
		if commentaire != "" {
			changes["commentaire"] = commentaire
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "intervention", EntiteID: id, Action: "evaluation",
			ActeurID: &p.UserID, Changements: changes})
	})
	return row, err
}

// OverdueInterventions lists unfinished interventions not marked late whose deadline has passed:
// date_limite, else the tightest resolution SLA of the active contracts covering the equipment
// when it was created, else the default of its priority (defaults), as the workflows compute it.
// Without a date_limite, paused work is left out (its workflow's clock is stopped). This is the
// safety net of the SLA timers: each one found is asked to re-check its own clock.
func (s *Store) OverdueInterventions(ctx context.Context, now time.Time, limit int, defaults map[domain.Priorite]time.Duration) ([]domain.InterventionWorkflowRef, error) {
	prios, secs := []string{}, []int64{}
	for p, d := range defaults {
		prios, secs = append(prios, string(p)), append(secs, int64(d/time.Second))
	}
	out := []domain.InterventionWorkflowRef{}
	err := s.q.SelectContext(ctx, &out, `WITH d AS (SELECT * FROM unnest($3::text[], $4::bigint[]) AS d(priorite, secondes))
		SELECT i.id, i.workflow_id, i.statut, i.technicien_id FROM interventions i LEFT JOIN d ON d.priorite = i.priorite::text
		WHERE i.statut NOT IN ('terminee', 'annulee') AND NOT i.en_retard AND (i.date_limite < $1
			OR (i.date_limite IS NULL AND i.statut <> 'en_attente' AND i.date_creation + make_interval(secs => COALESCE(
				(SELECT min(k.sla_resolution_heures) FROM contrats k JOIN contrat_equipements ce ON ce.contrat_id = k.id
				 WHERE ce.equipement_id = i.equipement_id AND k.statut = 'actif'
				   AND i.date_creation::date BETWEEN k.date_debut AND k.date_fin)::bigint * 3600,
				d.secondes)::double precision) < $1))
		ORDER BY i.date_creation, i.id LIMIT $2`, now, limit, pq.Array(prios), pq.Array(secs))
	return out, wrap("overdue interventions", err)
}

// RecordOutOfPlanMaintenance moves derniere_maintenance forward to at (never backwards) and records
// it once (eventKey), when it moved.
func (s *Store) RecordOutOfPlanMaintenance(ctx context.Context, equipementID int64, at time.Time, acteurID *int64, eventKey string) error {
	return s.InTx(ctx, func(tx *Store) error {
		done, err := tx.eventRecorded(ctx, eventKey)
		if err != nil || done {
			return err
		}
		res, err := tx.q.ExecContext(ctx, `UPDATE equipements SET derniere_maintenance = $2, updated_at = now()
			WHERE id = $1 AND (derniere_maintenance IS NULL OR derniere_maintenance < $2)`, equipementID, at)
		if err != nil {
			return wrap("record maintenance", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// Nothing moved (the completion of an intervention recorded it already): no audit noise.
			return wrap("record maintenance", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "equipement", EntiteID: equipementID, Action: "maintenance_hors_plan",
			ActeurID: acteurID, Changements: map[string]any{"derniere_maintenance": at}, EventKey: eventKey})
	})
}

// EquipementDue is an equipment whose next preventive maintenance is near.
type EquipementDue struct {
	ID        int64     `db:"id"`
	Nom       string    `db:"nom"`
	Prochaine time.Time `db:"prochaine"`
}

// EquipementsDueBefore lists in-service equipment with a preventive cycle due before limit
// (derniere_maintenance, else installation, else creation, plus the frequency).
func (s *Store) EquipementsDueBefore(ctx context.Context, limit time.Time) ([]EquipementDue, error) {
	out := []EquipementDue{}
	err := s.q.SelectContext(ctx, &out, `SELECT id, nom, prochaine FROM (
			SELECT e.id, e.nom, COALESCE(e.derniere_maintenance, e.date_installation, e.date_creation)
				+ make_interval(days => e.frequence_entretien) AS prochaine
			FROM equipements e WHERE e.frequence_entretien IS NOT NULL AND e.statut <> 'retire') x
		WHERE prochaine < $1 ORDER BY prochaine, id`, limit)
	return out, wrap("equipements due", err)
}

// PreventiveEquipementIDs lists the in-service equipment that has a preventive cycle (a
// frequency, or a usage or whichever-first plan).
func (s *Store) PreventiveEquipementIDs(ctx context.Context) ([]int64, error) {
	ids := []int64{}
	err := s.q.SelectContext(ctx, &ids, `SELECT id FROM equipements e
		WHERE (frequence_entretien IS NOT NULL
			OR EXISTS (SELECT 1 FROM plans_preventifs pp WHERE pp.equipement_id = e.id AND pp.declencheur <> 'calendrier'))
			AND statut <> 'retire' ORDER BY id`)
	return ids, wrap("preventive equipements", err)
}
