package orchestration

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// Demandes talks to DemandeWorkflow: one per client request, started on submission and told the
// triage decision.
type Demandes struct {
	c           client.Client
	taskQueue   string
	triageDelay time.Duration
}

// Start starts the workflow of a submitted request (a second call for the same request reaches
// the running one).
func (d *Demandes) Start(ctx context.Context, dem domain.Demande) error {
	desc := workflows.DescribeDemande(dem)
	_, err := d.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DemandeWorkflowID(d.taskQueue, dem.ID), TaskQueue: d.taskQueue,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.DemandeWorkflowName, workflows.DemandeInput{Demande: dem, TriageDelay: d.triageDelay})
	return err
}

// Triaged tells the request's workflow the recorded decision (it notifies the client and ends).
func (d *Demandes) Triaged(ctx context.Context, dem domain.Demande) error {
	t := workflows.DemandeTriee{Statut: dem.Statut, InterventionID: dem.InterventionID}
	if dem.MotifRejet != nil {
		t.Motif = *dem.MotifRejet
	}
	return notFound(d.c.SignalWorkflow(ctx, workflows.DemandeWorkflowID(d.taskQueue, dem.ID), "", workflows.SignalDemandeTriee, t))
}
