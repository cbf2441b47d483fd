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
	"github.com/mifmaroc/mif/workflows"
)

// Schedules keeps our Temporal Schedules in place: the weekly planning, the housekeeping tasks
// and the notification digest. Every worker replica puts them in place at start-up; they converge
// to the same state.
type Schedules struct {
	c            client.Client
	taskQueue    string
	cfg          config.Workflows
	digestWindow time.Duration
	log          *zap.Logger
}

// scheduleSpec is one cron Schedule we keep in place.
type scheduleSpec struct {
	id       string
	cron     string
	workflow string
	arg      any
	memo     string
	desc     workflows.Description
}

func schedules(cfg config.Workflows) []scheduleSpec {
	return []scheduleSpec{
		{workflows.ScheduleWeeklyPlanning, cfg.PlanningCron, workflows.WeeklyPlanningWorkflowName, workflows.PlanningInput{}, "Planning hebdomadaire", workflows.DescribeWeeklyPlanning(nil, true)},
		{workflows.ScheduleMaintenanceDue, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskMaintenanceDue}, "Avis de maintenance préventive à venir", workflows.DescribeHousekeeping(workflows.TaskMaintenanceDue)},
		{workflows.ScheduleOverdueScan, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskOverdueScan}, "Contrôle des interventions en retard", workflows.DescribeHousekeeping(workflows.TaskOverdueScan)},
		{workflows.SchedulePurgeTokens, cfg.HousekeepingCron, workflows.HousekeepingWorkflowName, workflows.HousekeepingInput{Task: workflows.TaskPurgeTokens}, "Purge des jetons de rafraîchissement expirés", workflows.DescribeHousekeeping(workflows.TaskPurgeTokens)},
	}
}

// Ensure puts every Schedule in place. The cron ones (MIF_SCHEDULES_ENABLED) must be there: their
// failure is returned. The digest's is not essential — the worker runs without it (e-mails then
// wait for the next start) — so its failure is only logged.
func (s *Schedules) Ensure(ctx context.Context) error {
	err := s.EnsureCron(ctx)
	if derr := s.EnsureDigest(ctx, s.digestWindow); derr != nil && ctx.Err() == nil && s.log != nil {
		s.log.Warn("notification digest schedule not in place", zap.Error(derr))
	}
	return err
}

// EnsureCron creates the cron Schedules, or brings existing ones up to date (spec, action, time
// zone). Nothing is done when Schedules are disabled.
func (s *Schedules) EnsureCron(ctx context.Context) error {
	if !s.cfg.Schedules {
		return nil
	}
	for _, sp := range schedules(s.cfg) {
		spec := client.ScheduleSpec{CronExpressions: []string{sp.cron}, TimeZoneName: s.cfg.Timezone}
		action := &client.ScheduleWorkflowAction{
			ID: "scheduled/" + sp.id, Workflow: sp.workflow, Args: []any{sp.arg}, TaskQueue: s.taskQueue,
			WorkflowExecutionTimeout: time.Hour,
			// What each run shows in the Web UI (an existing Schedule gets it with the update below).
			StaticSummary: sp.desc.Summary, StaticDetails: sp.desc.Details,
		}
		_, err := s.c.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID: sp.id, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
			CatchupWindow: 24 * time.Hour, Memo: map[string]any{"description": sp.memo},
		})
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			err = s.c.ScheduleClient().GetHandle(ctx, sp.id).Update(ctx, client.ScheduleUpdateOptions{
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
			return fmt.Errorf("orchestration: schedule %s: %w", sp.id, err)
		}
		if s.log != nil {
			s.log.Debug("schedule in place", zap.String("id", sp.id), zap.String("cron", sp.cron))
		}
	}
	return nil
}

// EnsureDigest creates the Schedule that runs NotificationDigestWorkflow every window, or updates
// its interval. A zero window means no digest: each e-mail goes out at once, and the schedule is
// deleted.
func (s *Schedules) EnsureDigest(ctx context.Context, every time.Duration) error {
	h := s.c.ScheduleClient().GetHandle(ctx, workflows.NotificationDigestScheduleID)
	if every <= 0 {
		var nf *serviceerror.NotFound
		if err := h.Delete(ctx); err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("orchestration: delete digest schedule: %w", err)
		}
		return nil
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	desc := workflows.DescribeNotificationDigest(every)
	action := &client.ScheduleWorkflowAction{
		ID: "scheduled/" + workflows.NotificationDigestScheduleID, Workflow: workflows.NotificationDigestWorkflowName,
		Args: []any{workflows.NotificationDigestInput{}}, TaskQueue: s.taskQueue, WorkflowExecutionTimeout: 30 * time.Minute,
		StaticSummary: desc.Summary, StaticDetails: desc.Details,
	}
	_, err := s.c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: workflows.NotificationDigestScheduleID, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Memo: map[string]any{"description": "Envoi groupé des e-mails de notification"},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sch := in.Description.Schedule
			sch.Spec, sch.Action = &spec, action
			return &client.ScheduleUpdate{Schedule: &sch}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("orchestration: digest schedule: %w", err)
	}
	return nil
}
