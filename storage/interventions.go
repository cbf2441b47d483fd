package storage

import (
	"context"
	"fmt"

	"github.com/mifmaroc/mif/domain"
)

const interventionColumns = `i.id, i.workflow_id, i.titre, i.description, i.type_intervention, i.statut,
	i.priorite, i.urgence, i.date_creation, i.date_limite, i.date_debut, i.date_fin, i.equipement_id,
	i.technicien_id, i.createur_id, i.rapport, i.temps_passe, i.satisfaction_client, i.en_retard,
	i.motif_annulation, i.updated_at`

// InsertIntervention writes a new intervention owned by workflowID, with its historique row, in one
// transaction. It is idempotent: when a row for workflowID already exists (a retried activity), it
// returns that row and created=false, and writes nothing.
func (s *Store) InsertIntervention(ctx context.Context, workflowID string, n domain.NewIntervention) (in domain.Intervention, created bool, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		var rows []domain.Intervention
		err := tx.q.SelectContext(ctx, &rows, `
			INSERT INTO interventions AS i (workflow_id, titre, description, type_intervention, priorite,
				urgence, date_limite, equipement_id, createur_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (workflow_id) DO NOTHING
			RETURNING `+interventionColumns,
			workflowID, n.Titre, n.Description, n.TypeIntervention, n.Priorite, n.Urgence, n.DateLimite,
			n.EquipementID, n.CreateurID)
		if err != nil {
			return wrap("insert intervention", err)
		}
		if len(rows) == 0 {
			in, err = tx.GetInterventionByWorkflow(ctx, workflowID)
			return err
		}
		in, created = rows[0], true
		return tx.RecordHistorique(ctx, HistoriqueEntry{
			Entite: "intervention", EntiteID: in.ID, Action: "creation", ActeurID: n.CreateurID,
			Changements: map[string]any{
				"titre": in.Titre, "type_intervention": in.TypeIntervention, "priorite": in.Priorite,
				"urgence": in.Urgence, "equipement_id": in.EquipementID, "statut": in.Statut,
			},
			EventKey: workflowID + "/creation",
		})
	})
	return in, created, err
}

// GetInterventionByWorkflow returns the intervention owned by a workflow.
func (s *Store) GetInterventionByWorkflow(ctx context.Context, workflowID string) (domain.Intervention, error) {
	var in domain.Intervention
	err := s.q.GetContext(ctx, &in, `SELECT `+interventionColumns+` FROM interventions i WHERE i.workflow_id = $1`, workflowID)
	return in, wrap("get intervention by workflow", err)
}

// interventionVisibility is the SQL condition that limits interventions (alias i) to what p may
// see: a client sees only interventions on equipment under one of its contracts. It is applied in
// every read so that an object out of reach is simply not found.
func interventionVisibility(p domain.Principal, arg int) (string, []any) {
	if p.Role != domain.RoleClient {
		return "TRUE", nil
	}
	if p.ClientID == nil {
		return "FALSE", nil
	}
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
		WHERE ce.equipement_id = i.equipement_id AND c.client_id = $%d)`, arg), []any{*p.ClientID}
}

// GetInterventionDetail returns one intervention with its equipment, technicien, planning and
// document count in a single query, or domain.ErrNotFound when it does not exist or p may not
// see it.
func (s *Store) GetInterventionDetail(ctx context.Context, p domain.Principal, id int64) (domain.InterventionDetail, error) {
	cond, args := interventionVisibility(p, 2)
	var row interventionDetailRow
	if err := s.q.GetContext(ctx, &row, interventionDetailSelect+` WHERE i.id = $1 AND `+cond, append([]any{id}, args...)...); err != nil {
		return domain.InterventionDetail{}, wrap("get intervention", err)
	}
	return row.detail(), nil
}

// InterventionEverPaused tells whether the intervention has waited (en_attente) at least once:
// only then does its SLA clock's deadline differ from the rule computed from the row.
func (s *Store) InterventionEverPaused(ctx context.Context, id int64) (bool, error) {
	var paused bool
	err := s.q.GetContext(ctx, &paused, `SELECT EXISTS (SELECT 1 FROM historique
		WHERE entite = 'intervention' AND entite_id = $1 AND action = 'pause')`, id)
	return paused, wrap("intervention paused", err)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
