package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// InterventionInput starts an InterventionWorkflow.
type InterventionInput struct {
	Intervention domain.NewIntervention
	// CreateOnStart makes the workflow insert its row without waiting for the create update
	// (used when another workflow starts it as a child).
	CreateOnStart bool
}

// InterventionResult is what the workflow returns when the intervention reaches a final status.
type InterventionResult struct {
	InterventionID int64
	Statut         domain.StatutIntervention
}

// InterventionState is what QueryState returns.
type InterventionState struct {
	InterventionID int64                     `json:"intervention_id"`
	Statut         domain.StatutIntervention `json:"statut"`
	Created        bool                      `json:"created"`
}

// createWait bounds how long a workflow started without its create update waits before giving up
// (a start whose caller vanished must not linger forever).
const createWait = 10 * time.Minute

// dbWriteOptions are for the short PostgreSQL writes, run as local activities: they are
// idempotent and fast, and a local activity saves two round trips to the server on the latency of
// every API call that waits for them.
func dbWriteOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	})
}

// interventionWorkflow is the state of one run.
type interventionWorkflow struct {
	in        InterventionInput
	row       domain.Intervention
	created   bool
	creating  bool
	createErr error
	duplicate bool // the row was written by an earlier, finished run
}

// InterventionWorkflow owns the lifecycle of one intervention.
func InterventionWorkflow(ctx workflow.Context, in InterventionInput) (InterventionResult, error) {
	w := &interventionWorkflow{in: in}
	logger := workflow.GetLogger(ctx)

	if err := workflow.SetQueryHandler(ctx, QueryState, w.state); err != nil {
		return InterventionResult{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCreate, w.create, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context) error {
			return w.in.Intervention.Validate(workflow.Now(ctx).Add(-time.Minute))
		},
	}); err != nil {
		return InterventionResult{}, err
	}

	if in.CreateOnStart {
		if _, err := w.create(ctx); err != nil {
			return InterventionResult{}, err
		}
	}
	ok, err := workflow.AwaitWithTimeout(ctx, createWait, func() bool { return w.created || w.createErr != nil })
	if err != nil {
		return InterventionResult{}, err
	}
	switch {
	case !ok:
		logger.Warn("No create request arrived; ending without an intervention")
		return InterventionResult{}, nil
	case w.createErr != nil:
		// Nothing was written (the insert is one transaction): end, the caller has the error.
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return InterventionResult{}, nil
	case w.duplicate:
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		return InterventionResult{InterventionID: w.row.ID, Statut: w.row.Statut}, nil
	}
	w.upsertSearchAttributes(ctx)

	// The lifecycle transitions arrive as updates (see the workflows issue); the run ends when the
	// intervention reaches a final status.
	if err := workflow.Await(ctx, func() bool { return w.row.Statut.Final() && workflow.AllHandlersFinished(ctx) }); err != nil {
		return InterventionResult{}, err
	}
	return InterventionResult{InterventionID: w.row.ID, Statut: w.row.Statut}, nil
}

// create runs the insert once, however many callers ask (retried API requests with the same
// Idempotency-Key reach the same run and get the same row).
func (w *interventionWorkflow) create(ctx workflow.Context) (domain.Intervention, error) {
	if w.creating {
		if err := workflow.Await(ctx, func() bool { return w.created || w.createErr != nil }); err != nil {
			return domain.Intervention{}, err
		}
		return w.row, w.createErr
	}
	w.creating = true
	var res activities.CreateInterventionResult
	var a *activities.Activities
	err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID:   workflow.GetInfo(ctx).WorkflowExecution.ID,
		Intervention: w.in.Intervention,
	}).Get(ctx, &res)
	if err != nil {
		w.createErr = unwrapActivityError(err)
		return domain.Intervention{}, w.createErr
	}
	w.row, w.created, w.duplicate = res.Intervention, true, !res.Created && res.Intervention.Statut.Final()
	return w.row, nil
}

func (w *interventionWorkflow) state() (InterventionState, error) {
	return InterventionState{InterventionID: w.row.ID, Statut: w.row.Statut, Created: w.created}, nil
}

func (w *interventionWorkflow) upsertSearchAttributes(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		SAInterventionID.ValueSet(w.row.ID),
		SAStatut.ValueSet(string(w.row.Statut)),
		SAPriorite.ValueSet(string(w.row.Priorite)),
		SAEquipementID.ValueSet(w.row.EquipementID),
		SAEnRetard.ValueSet(w.row.EnRetard),
	}
	if w.row.TechnicienID != nil {
		updates = append(updates, SATechnicienID.ValueSet(*w.row.TechnicienID))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("Search attributes not updated", "error", err)
	}
}

// unwrapActivityError returns the application error inside an activity failure, so that its type
// (validation, conflict...) reaches the caller of the update intact.
func unwrapActivityError(err error) error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	return err
}
