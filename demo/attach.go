package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/storage"
)

// openRow is what starting an open intervention's workflow needs.
type openRow struct {
	ID               int64                   `db:"id"`
	WorkflowID       string                  `db:"workflow_id"`
	Titre            string                  `db:"titre"`
	Description      string                  `db:"description"`
	TypeIntervention domain.TypeIntervention `db:"type_intervention"`
	Priorite         domain.Priorite         `db:"priorite"`
	Urgence          bool                    `db:"urgence"`
	DateLimite       *time.Time              `db:"date_limite"`
	EquipementID     int64                   `db:"equipement_id"`
	CreateurID       *int64                  `db:"createur_id"`
	EquipementNom    string                  `db:"equipement_nom"`
}

// AttachWorkflows gives every open intervention of the volume data set its InterventionWorkflow,
// so that it lives like one created through the API: lifecycle calls, SLA timer, escalation of
// critical or urgent work, weekly planning. Each workflow is started on the intervention's own
// workflow ID with CreateOnStart: its create activity finds the row already written (the insert
// is idempotent on workflow_id) and the workflow takes the row's status, technicien, lateness and
// deadline as its state; an intervention created before its escalation delays escalates at once,
// as it would have. A workflow already running is left alone, so this may run again.
//
// With wait, it returns once a worker has taken every workflow up (each answers its state query
// as created), or fails when that takes longer than the context allows.
func AttachWorkflows(ctx context.Context, wf *orchestration.Interventions, st *storage.Store, wait bool) (int, error) {
	var rows []openRow
	err := st.Q().SelectContext(ctx, &rows, `SELECT i.id, i.workflow_id, i.titre, i.description, i.type_intervention, i.priorite, i.urgence,
			i.date_limite, i.equipement_id, i.createur_id, e.nom AS equipement_nom
		FROM interventions i JOIN equipements e ON e.id = i.equipement_id
		WHERE i.workflow_id LIKE $1 || '%' AND i.statut NOT IN ('terminee', 'annulee') ORDER BY i.id`, volumeWorkflowPrefix)
	if err != nil {
		return 0, fmt.Errorf("demo: open interventions: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, r := range rows {
		g.Go(func() error {
			// What the Web UI shows of it, from the row (no further reads per intervention).
			summary := domain.InterventionSummary(r.ID, r.Titre, r.Priorite, r.EquipementNom, "")
			err := wf.Attach(gctx, r.WorkflowID, domain.NewIntervention{
				Titre: r.Titre, Description: r.Description, TypeIntervention: r.TypeIntervention, Priorite: r.Priorite,
				Urgence: r.Urgence, DateLimite: r.DateLimite, EquipementID: r.EquipementID, CreateurID: r.CreateurID,
			}, orchestration.Description{Summary: summary, Details: fmt.Sprintf("**%s**\n\n- Type : %s\n- Priorité : %s\n- Équipement : %s\n- Jeu de données de volume (`mif demo --volume`)\n",
				r.Titre, r.TypeIntervention.Label(), r.Priorite.Label(), r.EquipementNom)})
			if err != nil {
				return fmt.Errorf("demo: start workflow %s: %w", r.WorkflowID, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	if !wait {
		return len(rows), nil
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, r := range rows {
		g.Go(func() error { return waitCreated(gctx, wf, r.WorkflowID) })
	}
	return len(rows), g.Wait()
}

// waitCreated polls the workflow's state query until it has taken its row up.
func waitCreated(ctx context.Context, wf *orchestration.Interventions, workflowID string) error {
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := wf.State(qctx, workflowID)
		cancel()
		if err == nil && st.Cree {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("not created yet")
			}
			return fmt.Errorf("demo: workflow %s: %w (%w)", workflowID, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
