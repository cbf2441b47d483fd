// Package activities holds the Temporal activities: the only code that workflows use to touch the
// outside world (PostgreSQL through storage, e-mail, documents). Every activity is idempotent,
// because Temporal retries it.
package activities

import (
	"context"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// Activities holds the dependencies of every activity. The worker registers one instance;
// workflows refer to its methods through a nil *Activities.
type Activities struct {
	Store *storage.Store
	Log   *zap.Logger
}

// CreateInterventionInput opens an intervention owned by WorkflowID.
type CreateInterventionInput struct {
	WorkflowID   string
	Intervention domain.NewIntervention
}

// CreateInterventionResult is the stored row; Created is false when the row already existed.
type CreateInterventionResult struct {
	Intervention domain.Intervention
	Created      bool
}

// CreateIntervention inserts the intervention row and its historique entry. Retrying it returns
// the row written by the first attempt.
func (a *Activities) CreateIntervention(ctx context.Context, in CreateInterventionInput) (CreateInterventionResult, error) {
	row, created, err := a.Store.InsertIntervention(ctx, in.WorkflowID, in.Intervention)
	if err != nil {
		return CreateInterventionResult{}, temporalerr.Wrap(err)
	}
	return CreateInterventionResult{Intervention: row, Created: created}, nil
}
