// Package activities holds the Temporal activities: the only code that workflows use to touch the
// outside world (PostgreSQL through storage, e-mail, documents). Every activity is idempotent,
// because Temporal retries it.
package activities

import (
	"context"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// Activities holds the dependencies of every activity. The worker registers one instance;
// workflows refer to its methods through a nil *Activities.
type Activities struct {
	Store *storage.Store
	Log   *zap.Logger
	// Config gives SLA defaults and workflow delays; nil means the defaults (config.DefaultSLA,
	// config.DefaultWorkflows).
	Config *config.Config
	// Documents stores files and reports (documents.go); nil makes report generation fail
	// without retry.
	Documents *documents.Vault
	// Mail sends notification e-mails (email.go); nil leaves notifications in-app only.
	Mail *Mailer
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
	// Policy is the SLA deadline and escalation ladder that apply to it (see lifecycle.go).
	Policy InterventionPolicy
}

// CreateIntervention inserts the intervention row and its historique entry. Retrying it returns
// the row written by the first attempt.
func (a *Activities) CreateIntervention(ctx context.Context, in CreateInterventionInput) (CreateInterventionResult, error) {
	row, created, err := a.Store.InsertIntervention(ctx, in.WorkflowID, in.Intervention)
	if err != nil {
		return CreateInterventionResult{}, temporalerr.Wrap(err)
	}
	policy, err := a.interventionPolicy(ctx, row)
	if err != nil {
		return CreateInterventionResult{}, temporalerr.Wrap(err)
	}
	return CreateInterventionResult{Intervention: row, Created: created, Policy: policy}, nil
}
