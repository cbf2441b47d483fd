package orchestration

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// ErrWorkflowClosed is returned by UpdateIntervention when the intervention's workflow has ended
// (its intervention is final): the caller answers with the transition rule.
var ErrWorkflowClosed = errors.New("orchestration: intervention workflow closed")

// UpdateIntervention sends a lifecycle update and waits for the new row. updateID makes a retried
// request apply once (pass the Idempotency-Key when the client sent one).
func UpdateIntervention(ctx context.Context, c client.Client, workflowID, name, updateID string, req workflows.TransitionRequest) (domain.Intervention, error) {
	var row domain.Intervention
	var err error
	for attempt := 0; ; attempt++ {
		var h client.WorkflowUpdateHandle
		h, err = c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflowID, UpdateID: updateID, UpdateName: name, Args: []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, &row)
		}
		// The workflow task that carried the update failed (e.g. the server refused to close the
		// workflow because a child's completion arrived meanwhile): the update was dropped with
		// it. Sending it again with the same ID is safe — its writes are keyed by the workflow's
		// own transition number, which the retried task reuses.
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || (err != nil && isClosed(err)) {
		return row, ErrWorkflowClosed
	}
	return row, err
}

func isClosed(err error) bool {
	var fp *serviceerror.FailedPrecondition
	return errors.As(err, &fp)
}

// QueryIntervention asks the intervention's workflow for its state.
func QueryIntervention(ctx context.Context, c client.Client, workflowID string) (workflows.InterventionState, error) {
	var st workflows.InterventionState
	v, err := c.QueryWorkflow(ctx, workflowID, "", workflows.QueryState)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

// EquipementChanged starts (signal-with-start) or re-plans the preventive cycle of an equipment
// with a frequency, and tells a running cycle that the frequency is gone.
func EquipementChanged(ctx context.Context, c client.Client, taskQueue string, eq domain.Equipement) error {
	id := workflows.PreventiveWorkflowID(taskQueue, eq.ID)
	freq := 0
	if eq.FrequenceEntretien != nil {
		freq = *eq.FrequenceEntretien
	}
	if freq <= 0 || eq.Statut == domain.EquipementRetire {
		err := c.SignalWorkflow(ctx, id, "", workflows.SignalFrequencyChanged, 0)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	_, err := c.SignalWithStartWorkflow(ctx, id, workflows.SignalFrequencyChanged, freq, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: eq.ID})
	return err
}

// MaintenanceDone tells the preventive cycle of an equipment that work on it was completed at at
// (outside the plan), so that it re-plans from that date at once (the cycle also re-reads the
// equipment before opening an occurrence, so a lost signal only delays the re-plan). Nothing to do
// when the equipment has no cycle.
func MaintenanceDone(ctx context.Context, c client.Client, taskQueue string, equipementID int64, at time.Time, acteurID *int64) error {
	err := c.SignalWorkflow(ctx, workflows.PreventiveWorkflowID(taskQueue, equipementID), "", workflows.SignalMaintenanceDone,
		workflows.MaintenanceDone{Date: at, ActeurID: acteurID})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// EquipementRetired ends the preventive cycle of an equipment (nothing to do when it has none).
func EquipementRetired(ctx context.Context, c client.Client, taskQueue string, equipementID int64) error {
	err := c.SignalWorkflow(ctx, workflows.PreventiveWorkflowID(taskQueue, equipementID), "", workflows.SignalRetired, nil)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// RunPlanning runs the weekly planning for the week that contains week (nil: this week) and
// waits for its result.
func RunPlanning(ctx context.Context, c client.Client, taskQueue, workflowID string, week *time.Time) (workflows.PlanningResult, error) {
	var res workflows.PlanningResult
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflowID, TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.WeeklyPlanningWorkflowName, workflows.PlanningInput{WeekStart: week})
	if err != nil {
		return res, err
	}
	return res, run.Get(ctx, &res)
}

// scheduleSpec is one Schedule we keep in place.
type scheduleSpec struct {
	id       string
	cron     string
	workflow string
	arg      any
	memo     string
}

func schedules(cfg config.Workflows) []scheduleSpec {
	return []scheduleSpec{
		{workflows.ScheduleWeeklyPlanning, cfg.PlanningCron, workflows.WeeklyPlanningWorkflowName, workflows.PlanningInput{}, "Planning hebdomadaire"},
		{workflows.ScheduleMaintenanceDue, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskMaintenanceDue}, "Avis de maintenance préventive à venir"},
		{workflows.ScheduleOverdueScan, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskOverdueScan}, "Contrôle des interventions en retard"},
		{workflows.SchedulePurgeTokens, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskPurgeTokens}, "Purge des jetons de rafraîchissement expirés"},
	}
}

// EnsureSchedules creates our Schedules, or brings existing ones up to date (spec, action, time
// zone): it runs at every worker start-up, on every replica, and converges to the same state.
func EnsureSchedules(ctx context.Context, c client.Client, taskQueue string, cfg config.Workflows, log *zap.Logger) error {
	if !cfg.Schedules {
		return nil
	}
	for _, s := range schedules(cfg) {
		spec := client.ScheduleSpec{CronExpressions: []string{s.cron}, TimeZoneName: cfg.Timezone}
		action := &client.ScheduleWorkflowAction{
			ID: "scheduled/" + s.id, Workflow: s.workflow, Args: []any{s.arg}, TaskQueue: taskQueue,
			WorkflowExecutionTimeout: time.Hour,
		}
		_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID: s.id, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
			CatchupWindow: 24 * time.Hour, Memo: map[string]any{"description": s.memo},
		})
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			err = c.ScheduleClient().GetHandle(ctx, s.id).Update(ctx, client.ScheduleUpdateOptions{
				DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
					sch := in.Description.Schedule
					sch.Spec = &spec
					sch.Action = action
					if sch.Policy == nil {
						sch.Policy = &client.SchedulePolicies{}
					}
					sch.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
					sch.Policy.CatchupWindow = 24 * time.Hour
					return &client.ScheduleUpdate{Schedule: &sch}, nil
				},
			})
		}
		if err != nil {
			return fmt.Errorf("orchestration: schedule %s: %w", s.id, err)
		}
		if log != nil {
			log.Debug("schedule in place", zap.String("id", s.id), zap.String("cron", s.cron))
		}
	}
	return nil
}

// EnsurePreventiveCycles starts the preventive cycle of every equipment that has a frequency and
// none running yet (equipment loaded by migrations, the demo seed or an import never went through
// the API's signal-with-start). A running cycle is left alone, so every replica may call it at
// start-up.
func EnsurePreventiveCycles(ctx context.Context, c client.Client, taskQueue string, ids []int64) (int, error) {
	for i, id := range ids {
		wid := workflows.PreventiveWorkflowID(taskQueue, id)
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: wid, TaskQueue: taskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, workflows.PreventiveMaintenanceWorkflowName, workflows.PreventiveInput{EquipementID: id})
		if err != nil {
			return i, fmt.Errorf("orchestration: preventive cycle %s: %w", wid, err)
		}
	}
	return len(ids), nil
}
