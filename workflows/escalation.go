package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// EscalationInput starts the escalation ladder of one critical or urgent intervention.
type EscalationInput struct {
	InterventionID   int64
	Titre            string
	ParentWorkflowID string
	CreatedAt        time.Time
	AssignAfter      time.Duration // level 1: not assigned by then → responsables
	StartAfter       time.Duration // level 2: not started by then → administrateurs
	Progress         EscalationProgress
}

// EscalationProgress is the intervention's state as its workflow last reported it.
type EscalationProgress struct {
	Statut   domain.StatutIntervention
	EnRetard bool
}

// EscalationResult is the highest level reached (0: none, the intervention moved on in time).
type EscalationResult struct {
	Level int
}

// escalationLevel is one rung of the ladder.
type escalationLevel struct {
	level int
	after time.Duration
	// pending reports whether the intervention still has not done what this level waits for.
	pending func(domain.StatutIntervention) bool
	roles   []domain.Role
	reason  string
}

// EscalationWorkflow runs the ladder on durable timers: each level fires when its delay passes
// (or at once when the intervention is late) while the intervention still has not moved on; it is
// recorded in historique and notified. The ladder ends as soon as the intervention is started or
// finished.
func EscalationWorkflow(ctx workflow.Context, in EscalationInput) (EscalationResult, error) {
	progress := in.Progress
	ch := workflow.GetSignalChannel(ctx, SignalProgress)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var p EscalationProgress
		for ch.Receive(ctx, &p) {
			progress = p
		}
	})
	ladder := []escalationLevel{
		{level: 1, after: in.AssignAfter, roles: []domain.Role{domain.RoleResponsable},
			pending: func(s domain.StatutIntervention) bool { return s == domain.StatutOuverte },
			reason:  "non affectée dans le délai"},
		{level: 2, after: in.StartAfter, roles: []domain.Role{domain.RoleAdmin},
			pending: func(s domain.StatutIntervention) bool {
				return s == domain.StatutOuverte || s == domain.StatutPlanifiee
			},
			reason: "non démarrée dans le délai"},
	}
	var a *activities.Activities
	res := EscalationResult{}
	for _, l := range ladder {
		wait := in.CreatedAt.Add(l.after).Sub(workflow.Now(ctx))
		if wait > 0 && l.pending(progress.Statut) && !progress.EnRetard {
			named := workflow.AwaitOptions{Timeout: wait, TimerOptions: workflow.TimerOptions{
				Summary: fmt.Sprintf("Escalade niveau %d n°%d (%s)", l.level, in.InterventionID, l.reason)}}
			if _, err := workflow.AwaitWithOptions(ctx, named, func() bool { return !l.pending(progress.Statut) || progress.EnRetard }); err != nil {
				return res, err
			}
		}
		if !l.pending(progress.Statut) {
			continue // moved on in time: this level is cancelled
		}
		reason := l.reason
		if progress.EnRetard && workflow.Now(ctx).Before(in.CreatedAt.Add(l.after)) {
			reason = "échéance SLA dépassée"
		}
		key := fmt.Sprintf("%s/escalade/%d", in.ParentWorkflowID, l.level)
		if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.RecordEscalation, activities.RecordEscalationInput{
			InterventionID: in.InterventionID, Level: l.level, Reason: reason, EventKey: key,
		}).Get(ctx, nil); err != nil {
			return res, err
		}
		res.Level = l.level
		if err := workflow.SignalExternalWorkflow(ctx, in.ParentWorkflowID, "", SignalEscalated, l.level).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("Parent not told of the escalation", "error", err)
		}
		var sent activities.NotifyResult
		err := workflow.ExecuteActivity(notifyOptions(ctx), a.NotifyIntervention, activities.NotifyInterventionInput{
			InterventionID: in.InterventionID, Roles: l.roles,
			Notification: domain.NewNotification{
				Titre:    fmt.Sprintf("Escalade niveau %d", l.level),
				Message:  fmt.Sprintf("L'intervention « %s » est %s (statut « %s »).", in.Titre, reason, strings.ToLower(progress.Statut.Label())),
				Type:     domain.NotificationError,
				Event:    "intervention.escalade",
				Metadata: map[string]any{"niveau": l.level},
				DedupKey: key,
			},
		}).Get(ctx, &sent)
		if err != nil {
			workflow.GetLogger(ctx).Error("Escalation not notified", "level", l.level, "error", err)
		}
		sendEmails(ctx, sent.IDs()) // escalations go out by e-mail at once (issue: "admins and e-mail")
	}
	return res, nil
}
