package orchestration

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// PreventiveCycles talks to the PreventiveMaintenanceWorkflow of each equipment with a frequency.
type PreventiveCycles struct {
	c         client.Client
	taskQueue string
}

// Changed starts (signal-with-start) or re-plans the preventive cycle of an equipment with a
// frequency, and tells a running cycle that the frequency is gone.
func (p *PreventiveCycles) Changed(ctx context.Context, eq domain.Equipement) error {
	id := workflows.PreventiveWorkflowID(p.taskQueue, eq.ID)
	freq := 0
	if eq.FrequenceEntretien != nil {
		freq = *eq.FrequenceEntretien
	}
	if freq <= 0 || eq.Statut == domain.EquipementRetire {
		return ignoreNotFound(p.c.SignalWorkflow(ctx, id, "", workflows.SignalFrequencyChanged, 0))
	}
	desc := workflows.DescribePreventiveCycle(eq.ID, eq.Nom, freq)
	_, err := p.c.SignalWithStartWorkflow(ctx, id, workflows.SignalFrequencyChanged, freq, client.StartWorkflowOptions{
		ID: id, TaskQueue: p.taskQueue,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: eq.ID})
	return err
}

// PlanChanged follows a change of an equipment's preventive plan (calendar, usage or
// whichever-first): an active plan starts the cycle or makes it re-read the plan
// (signal-with-start), an inactive one tells a running cycle, which then ends.
func (p *PreventiveCycles) PlanChanged(ctx context.Context, equipementID int64, active bool) error {
	id := workflows.PreventiveWorkflowID(p.taskQueue, equipementID)
	if !active {
		return ignoreNotFound(p.c.SignalWorkflow(ctx, id, "", workflows.SignalFrequencyChanged, 0))
	}
	_, err := p.c.SignalWithStartWorkflow(ctx, id, workflows.SignalFrequencyChanged, 0, client.StartWorkflowOptions{
		ID: id, TaskQueue: p.taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: equipementID})
	return err
}

// RelevesRecorded tells the preventive cycle of an equipment whose usage plan follows the meter
// that readings were recorded (signal-with-start: a usage plan always has its cycle). The cycle
// re-reads the plan, so a lost signal only delays the occurrence until the next reading.
func (p *PreventiveCycles) RelevesRecorded(ctx context.Context, equipementID, compteurID int64) error {
	id := workflows.PreventiveWorkflowID(p.taskQueue, equipementID)
	_, err := p.c.SignalWithStartWorkflow(ctx, id, workflows.SignalReleves, workflows.RelevesRecorded{CompteurID: compteurID}, client.StartWorkflowOptions{
		ID: id, TaskQueue: p.taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: equipementID})
	return err
}

// MaintenanceDone tells the preventive cycle of an equipment that work on it was completed at at
// (outside the plan), so that it re-plans from that date at once (the cycle also re-reads the
// equipment before opening an occurrence, so a lost signal only delays the re-plan). Nothing to do
// when the equipment has no cycle.
func (p *PreventiveCycles) MaintenanceDone(ctx context.Context, equipementID int64, at time.Time, acteurID *int64) error {
	return ignoreNotFound(p.c.SignalWorkflow(ctx, workflows.PreventiveWorkflowID(p.taskQueue, equipementID), "", workflows.SignalMaintenanceDone,
		workflows.MaintenanceDone{Date: at, ActeurID: acteurID}))
}

// Retired ends the preventive cycle of an equipment (nothing to do when it has none).
func (p *PreventiveCycles) Retired(ctx context.Context, equipementID int64) error {
	return ignoreNotFound(p.c.SignalWorkflow(ctx, workflows.PreventiveWorkflowID(p.taskQueue, equipementID), "", workflows.SignalRetired, nil))
}

// Ensure starts the preventive cycle of every equipment in ids that has none running yet
// (equipment loaded by migrations, the demo seed or an import never went through the API's
// signal-with-start). A running cycle is left alone, so every replica may call it at start-up. It
// returns how many cycles are in place.
func (p *PreventiveCycles) Ensure(ctx context.Context, ids []int64) (int, error) {
	for i, id := range ids {
		wid := workflows.PreventiveWorkflowID(p.taskQueue, id)
		desc := workflows.DescribePreventiveCycle(id, "", 0)
		_, err := p.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: wid, TaskQueue: p.taskQueue,
			StaticSummary: desc.Summary, StaticDetails: desc.Details,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: id})
		if err != nil {
			return i, fmt.Errorf("orchestration: preventive cycle %s: %w", wid, err)
		}
	}
	return len(ids), nil
}

// ignoreNotFound: signalling a workflow that does not run is nothing to do.
func ignoreNotFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}
