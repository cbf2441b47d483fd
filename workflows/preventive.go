package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// PreventiveInput starts (or continues) the preventive cycle of one equipment.
type PreventiveInput struct {
	EquipementID int64
	// NotBefore is the due date of the last occurrence handled: the next one must come after it
	// (so that a cancelled occurrence is not re-created at once).
	NotBefore *time.Time
	// Cycles counts the occurrences handled by earlier runs.
	Cycles int
}

// MaintenanceDone is a maintenance done outside the plan (SignalMaintenanceDone).
type MaintenanceDone struct {
	Date     time.Time
	ActeurID *int64
}

// PreventiveResult says why the cycle ended.
type PreventiveResult struct {
	Raison string
	Cycles int
}

// PreventiveState is what QueryPreventiveState returns.
type PreventiveState struct {
	EquipementID           int64      `json:"equipement_id"`
	Frequence              int        `json:"frequence"`
	Prochaine              *time.Time `json:"prochaine_maintenance"`
	Ouverture              *time.Time `json:"ouverture"`
	InterventionWorkflowID string     `json:"intervention_workflow_id,omitempty"`
	Cycles                 int        `json:"cycles"`
	Etape                  string     `json:"etape"`
	// The plan's type and, for usage and whichever-first plans, where the meter stands: the
	// threshold of the next occurrence, the meter's total, its recent rate per day and the date
	// the threshold is forecast at that rate; the calendar due date when the plan runs one.
	// Prochaine is the earlier of the calendar due date and the forecast.
	Declencheur         string     `json:"declencheur,omitempty"`
	CompteurID          int64      `json:"compteur_id,omitempty"`
	SeuilUsage          *float64   `json:"seuil_usage,omitempty"`
	UsageCumule         *float64   `json:"usage_cumule,omitempty"`
	UsageJour           *float64   `json:"usage_jour,omitempty"`
	PrevisionUsage      *time.Time `json:"prevision_usage,omitempty"`
	ProchaineCalendrier *time.Time `json:"prochaine_calendrier,omitempty"`
}

// RelevesRecorded is the payload of SignalReleves.
type RelevesRecorded struct {
	CompteurID int64
}

// preventivePlanAhead is how long before its due date an occurrence's work is first sought a slot:
// at least one working day before a due date that follows a weekend, yet little drift of the
// cycle (the next due date counts from the day the work is done).
const preventivePlanAhead = 3 * 24 * time.Hour

// recheckDueChange versions the re-reading of the equipment when the wait for an occurrence ends.
const recheckDueChange = "preventive-recheck-due-on-wake"

// skipMissedChange versions the skipping of missed occurrences after one that brought no maintenance.
const skipMissedChange = "preventive-skip-missed-occurrences"

// usageTriggerChange versions usage and whichever-first plans: the cycle listens to readings,
// opens an occurrence when the meter crosses its threshold, and records every occurrence it opens
// (RecordPreventiveOccurrence) before starting its intervention.
const usageTriggerChange = "preventive-usage-trigger"

// preventiveHistoryLimit: past this many events (every reading re-plans the wait), a run
// continues as new with the same state.
const preventiveHistoryLimit = 5000

// Why a cycle ends.
const (
	PreventiveEndRetired  = "equipement retiré"
	PreventiveEndInactive = "plus de cycle préventif"
)

// PreventiveMaintenanceWorkflow sleeps until the next due date minus the lead time, opens the
// preventive intervention of that occurrence (a child InterventionWorkflow whose ID is derived from
// the equipment and the due date, so it exists once whatever happens), waits for it, then
// continues as new for the next cycle. A due date already past (the platform was down) gives one
// intervention at once: the next due date is computed from the last maintenance, so missed
// occurrences are not replayed one by one.
//
// A usage plan (and the usage part of a whichever-first plan) waits for SignalReleves instead of
// (or as well as) the timer: each signal re-reads the plan, and a meter total at or past the
// threshold opens the occurrence at once, its ID keyed on the meter and the threshold, after the
// occurrence is recorded (RecordPreventiveOccurrence, once per key, restarting both counters). A
// burst of readings gives one occurrence: the signals wait while it is open and the next run reads
// the new threshold.
func PreventiveMaintenanceWorkflow(ctx workflow.Context, in PreventiveInput) (PreventiveResult, error) {
	st := PreventiveState{EquipementID: in.EquipementID, Cycles: in.Cycles, Etape: "chargement"}
	if err := workflow.SetQueryHandler(ctx, QueryPreventiveState, func() (PreventiveState, error) { return st, nil }); err != nil {
		return PreventiveResult{}, err
	}
	sigs := preventiveSignals{
		freq:    workflow.GetSignalChannel(ctx, SignalFrequencyChanged),
		retired: workflow.GetSignalChannel(ctx, SignalRetired),
		done:    workflow.GetSignalChannel(ctx, SignalMaintenanceDone),
		releves: workflow.GetSignalChannel(ctx, SignalReleves),
	}
	var a *activities.Activities
	end := func(reason string) (PreventiveResult, error) {
		return PreventiveResult{Raison: reason, Cycles: st.Cycles}, nil
	}
	continueAsNew := func(notBefore *time.Time) (PreventiveResult, error) {
		// Signals that arrived meanwhile: a retirement ends; the rest is re-read at the next run.
		if sigs.retired.ReceiveAsync(nil) {
			return end(PreventiveEndRetired)
		}
		for sigs.freq.ReceiveAsync(nil) {
		}
		var done MaintenanceDone
		for sigs.done.ReceiveAsync(&done) {
		}
		for sigs.releves.ReceiveAsync(nil) {
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return PreventiveResult{}, err
		}
		return PreventiveResult{}, workflow.NewContinueAsNewError(ctx, PreventiveMaintenanceWorkflowName,
			PreventiveInput{EquipementID: in.EquipementID, NotBefore: notBefore, Cycles: st.Cycles})
	}

	for {
		var plan activities.PreventivePlan
		if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.LoadPreventivePlan, activities.PreventivePlanInput{EquipementID: in.EquipementID}).Get(ctx, &plan); err != nil {
			return PreventiveResult{}, err
		}
		if !plan.Active {
			return end(PreventiveEndInactive)
		}
		// Versioned: runs recorded before usage plans replay the calendar cycle alone.
		usageV := workflow.GetVersion(ctx, usageTriggerChange, workflow.DefaultVersion, 1)
		calendar, usage := true, false
		if usageV == workflow.DefaultVersion && plan.Prochaine == nil {
			return end(PreventiveEndInactive) // a usage plan, read by a run that cannot follow it
		}
		if usageV >= 1 {
			calendar, usage = plan.Calendar && plan.Prochaine != nil, plan.Usage
			st.Declencheur, st.CompteurID, st.SeuilUsage, st.UsageCumule, st.UsageJour, st.PrevisionUsage, st.ProchaineCalendrier =
				plan.Declencheur, 0, nil, nil, nil, nil, nil
			if usage {
				seuil, cumul := plan.SeuilUsage, plan.UsageCumule
				st.CompteurID, st.SeuilUsage, st.UsageCumule, st.UsageJour, st.PrevisionUsage = plan.CompteurID, &seuil, &cumul, plan.UsageJour, plan.PrevisionUsage
			}
			if !calendar && !usage {
				return end(PreventiveEndInactive)
			}
			if workflow.GetInfo(ctx).GetCurrentHistoryLength() > preventiveHistoryLimit {
				return continueAsNew(in.NotBefore)
			}
		}
		usageHit := usage && plan.UsageCumule >= plan.SeuilUsage-domain.UsageEpsilon

		var due, open time.Time
		if calendar {
			due = *plan.Prochaine
			if in.NotBefore != nil && !due.After(*in.NotBefore) {
				due = in.NotBefore.AddDate(0, 0, plan.Frequence)
				// The last occurrence brought no maintenance (cancelled, or opened by an earlier run):
				// when the platform was down, the occurrences missed since are not opened one by one;
				// the cycle resumes at the first due date still ahead. Versioned: runs that took this
				// branch before replay as they were.
				if now := workflow.Now(ctx); !due.After(now) && workflow.GetVersion(ctx, skipMissedChange, workflow.DefaultVersion, 1) >= 1 {
					for !due.After(now) {
						due = due.AddDate(0, 0, plan.Frequence)
					}
				}
			}
			open = due.Add(-plan.LeadTime)
			calDue := due
			st.ProchaineCalendrier = &calDue
		}
		st.Frequence, st.Etape = plan.Frequence, "attente"
		st.Prochaine, st.Ouverture = nil, nil
		if calendar {
			st.Prochaine, st.Ouverture = &due, &open
		}
		if usage && plan.PrevisionUsage != nil && (st.Prochaine == nil || plan.PrevisionUsage.Before(*st.Prochaine)) {
			prev := *plan.PrevisionUsage
			st.Prochaine = &prev
		}
		if calendar {
			workflow.SetCurrentDetails(ctx, PreventiveCurrentDetails(in.EquipementID, plan.Nom, plan.Frequence, due, open)) // summaries.go
		} else {
			workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s — à l'usage : seuil %s", DescribePreventiveCycle(in.EquipementID, plan.Nom, plan.Frequence).Summary,
				domain.SeuilCle(plan.SeuilUsage)))
		}

		cause := domain.DeclencheurCalendrier
		if usageHit {
			// The meter reached the threshold: the occurrence opens now, due a few days ahead.
			cause = domain.DeclencheurUsage
			due = workflow.Now(ctx).Add(preventivePlanAhead)
			open = workflow.Now(ctx)
			st.Prochaine, st.Ouverture = &due, &open
		} else {
			replan, retired := false, false
			if wait := open.Sub(workflow.Now(ctx)); !calendar || wait > 0 {
				var timer *workflow.TimerOptions // none: no calendar date, only signals wake the cycle
				if calendar {
					timer = &workflow.TimerOptions{
						Summary: fmt.Sprintf("Échéance préventive %s (ouverture %s)", due.UTC().Format(time.DateOnly), noticeTime(open))}
				}
				var err error
				replan, retired, err = waitForDue(ctx, sigs, in.EquipementID, wait, timer, usageV >= 1)
				if err != nil {
					return PreventiveResult{}, err
				}
			}
			if retired {
				return end(PreventiveEndRetired)
			}
			if replan {
				continue
			}
		}

		// Open the occurrence's intervention.
		now := workflow.Now(ctx)
		limite := due
		if !limite.After(now.Add(24 * time.Hour)) { // caught up late: give a day to do it
			limite = now.Add(24 * time.Hour)
		}
		// The work is planned to end by the due date (its date_limite), not to start on it: the
		// automatic assignment looks for the first free working slot from a few days before.
		planned := due.Add(-min(preventivePlanAhead, plan.LeadTime))
		if planned.Before(now) {
			planned = now
		}
		tq := workflow.GetInfo(ctx).TaskQueueName
		childID := PreventiveInterventionWorkflowID(tq, in.EquipementID, due)
		description := fmt.Sprintf("Maintenance préventive planifiée (tous les %d jours), échéance le %s.", plan.Frequence, due.UTC().Format("2006-01-02"))
		if cause == domain.DeclencheurUsage {
			childID = PreventiveUsageInterventionWorkflowID(tq, in.EquipementID, plan.CompteurID, plan.SeuilUsage)
			description = fmt.Sprintf("Maintenance préventive à l'usage: le compteur %d a atteint %s (seuil %s), échéance le %s.",
				plan.CompteurID, domain.SeuilCle(plan.UsageCumule), domain.SeuilCle(plan.SeuilUsage), due.UTC().Format("2006-01-02"))
		}
		if usageV >= 1 {
			// Recorded once per key (a retried or replayed run finds it), restarting the counters of
			// a usage or whichever-first plan.
			declencheur := plan.Declencheur
			if declencheur == "" {
				declencheur = domain.DeclencheurCalendrier
			}
			occ := activities.PreventiveOccurrenceInput{EquipementID: in.EquipementID, Declencheur: declencheur, Cause: cause,
				Echeance: due, Reference: due, WorkflowID: childID,
				Cle: "calendrier/" + due.UTC().Format(time.DateOnly)}
			if usage {
				occ.CompteurID, occ.SeuilUsage, occ.UsageCumule = plan.CompteurID, plan.SeuilUsage, plan.UsageCumule
			}
			if cause == domain.DeclencheurUsage {
				occ.Cle, occ.Reference = fmt.Sprintf("usage/%d/%s", plan.CompteurID, domain.SeuilCle(plan.SeuilUsage)), now
			}
			if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.RecordPreventiveOccurrence, occ).Get(ctx, nil); err != nil {
				return PreventiveResult{}, err
			}
		}
		st.InterventionWorkflowID, st.Etape = childID, "intervention"
		desc := DescribePreventiveOccurrence(plan.Nom, plan.Frequence, due, limite) // user metadata: replays alike (summaries.go)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            childID,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         desc.Summary, StaticDetails: desc.Details,
		})
		child := workflow.ExecuteChildWorkflow(cctx, InterventionWorkflowName, InterventionInput{
			Intervention: domain.NewIntervention{
				Titre:            "Maintenance préventive — " + plan.Nom,
				Description:      description,
				TypeIntervention: domain.TypePreventive,
				Priorite:         domain.PrioriteNormale,
				DateLimite:       &limite,
				EquipementID:     in.EquipementID,
			},
			CreateOnStart: true,
			AutoAssign:    true,
			PlannedFor:    &planned,
			Resume:        desc.Summary,
		})
		if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			if !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
				return PreventiveResult{}, err
			}
			// The occurrence exists already (an earlier run opened it): never open it twice.
			workflow.GetLogger(ctx).Info("Occurrence already opened", "workflow_id", childID)
		} else {
			sel := workflow.NewSelector(ctx)
			finished, retired := false, false
			sel.AddFuture(child, func(workflow.Future) { finished = true })
			sel.AddReceive(sigs.retired, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); retired = true })
			for !finished && !retired {
				sel.Select(ctx)
			}
			if retired {
				return end(PreventiveEndRetired)
			}
			var res InterventionResult
			if err := child.Get(ctx, &res); err != nil {
				workflow.GetLogger(ctx).Error("Preventive intervention failed", "error", err)
			}
		}
		st.Cycles++
		// A usage occurrence leaves the calendar's last due date as it was (its counter restarts
		// from the occurrence, read from the plan at the next run).
		if cause == domain.DeclencheurUsage {
			return continueAsNew(in.NotBefore)
		}
		return continueAsNew(&due)
	}
}

// preventiveSignals are the signals a preventive cycle listens to while it waits.
type preventiveSignals struct{ freq, retired, done, releves workflow.ReceiveChannel }

// waitForDue waits for the occurrence's opening (timer, after wait; nil: no calendar date) or a
// signal: a changed plan, readings (when listenReleves: one re-read for all those already there)
// or a maintenance done off plan (recorded here) ask for the plan to be read again (replan); a
// retirement ends the cycle (retired).
func waitForDue(ctx workflow.Context, sigs preventiveSignals, equipementID int64, wait time.Duration, timer *workflow.TimerOptions,
	listenReleves bool) (replan, retired bool, err error) {
	tctx, cancel := workflow.WithCancel(ctx)
	sel := workflow.NewSelector(ctx)
	fired := false
	if timer != nil {
		sel.AddFuture(workflow.NewTimerWithOptions(tctx, wait, *timer), func(workflow.Future) { fired = true })
	}
	sel.AddReceive(sigs.freq, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); replan = true })
	sel.AddReceive(sigs.retired, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); retired = true })
	var done MaintenanceDone
	gotDone := false
	sel.AddReceive(sigs.done, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &done); gotDone = true })
	if listenReleves {
		sel.AddReceive(sigs.releves, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			for c.ReceiveAsync(nil) {
			}
			replan = true
		})
	}
	sel.Select(ctx)
	cancel()
	if gotDone {
		var a *activities.Activities
		key := fmt.Sprintf("%s/hors-plan/%s", workflow.GetInfo(ctx).WorkflowExecution.ID, done.Date.UTC().Format(time.RFC3339))
		if err := workflow.ExecuteLocalActivity(dbWriteOptions(ctx), a.RecordMaintenance, activities.RecordMaintenanceInput{
			EquipementID: equipementID, Date: done.Date, ActeurID: done.ActeurID, EventKey: key,
		}).Get(ctx, nil); err != nil {
			return false, false, err
		}
		replan = true
	}
	// Work completed on the equipment while we slept (a corrective intervention, a maintenance
	// recorded by hand) moved derniere_maintenance: read it again before opening the occurrence,
	// which then waits for the new due date. Versioned: runs recorded before open the occurrence
	// at once, as they did.
	if fired && workflow.GetVersion(ctx, recheckDueChange, workflow.DefaultVersion, 1) >= 1 {
		replan = true
	}
	return replan, retired, nil
}
