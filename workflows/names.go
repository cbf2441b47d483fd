// Package workflows holds the Temporal workflows: deterministic code only (workflow.* time,
// timers, logging). Everything that touches the outside world is an activity.
package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/mifmaroc/mif/domain"
)

// Workflow type names, stable across refactorings (they are stored in histories).
const (
	InterventionWorkflowName          = "InterventionWorkflow"
	EscalationWorkflowName            = "EscalationWorkflow"
	PreventiveMaintenanceWorkflowName = "PreventiveMaintenanceWorkflow"
	WeeklyPlanningWorkflowName        = "WeeklyPlanningWorkflow"
	HousekeepingWorkflowName          = "HousekeepingWorkflow"
)

// Update and query names of InterventionWorkflow.
const (
	// UpdateCreate returns the intervention once its row exists (used with Update-With-Start).
	UpdateCreate = "create"
	// QueryState returns the workflow's InterventionState.
	QueryState = "state"

	// Lifecycle transitions: each takes a TransitionRequest and returns the domain.Intervention.
	// They are the actions of domain.LifecycleRules, under the same names.
	UpdateAssign   = string(domain.ActionAssign)
	UpdateStart    = string(domain.ActionStart)
	UpdatePause    = string(domain.ActionPause)
	UpdateResume   = string(domain.ActionResume)
	UpdateComplete = string(domain.ActionComplete)
	UpdateCancel   = string(domain.ActionCancel)
	UpdateUnassign = string(domain.ActionUnassign)
	UpdateStatut   = string(domain.ActionStatut) // to TransitionRequest.To, for clients that set the status directly
)

// Signals.
const (
	// SignalCheckSLA asks an InterventionWorkflow to re-check its deadline now (overdue scan).
	SignalCheckSLA = "check_sla"
	// SignalPlanned carries an assignment decided by the weekly planning (a TransitionRequest).
	SignalPlanned = "planned"
	// SignalReplanned moves planned work to the slot the route planning chose (a
	// TransitionRequest with UnchangedSince).
	SignalReplanned = "replanned"
	// SignalEscalated tells an InterventionWorkflow the level its escalation reached (an int).
	SignalEscalated = "escalated"
	// SignalProgress tells an EscalationWorkflow the intervention's new status (EscalationProgress).
	SignalProgress = "progress"

	// Signals of PreventiveMaintenanceWorkflow.
	SignalFrequencyChanged = "frequency_changed" // int days, 0 = no more preventive cycle
	SignalRetired          = "retired"           // no payload
	SignalMaintenanceDone  = "maintenance_done"  // MaintenanceDone
	SignalReleves          = "releves"           // RelevesRecorded: readings of the plan's meter were recorded
)

// QueryPreventiveState returns a PreventiveState.
const QueryPreventiveState = "preventive_state"

// InterventionWorkflowID derives the workflow ID from the intervention's stable key (a UUID chosen
// by the API, derived from the Idempotency-Key when one is given).
func InterventionWorkflowID(key string) string { return "intervention/" + key }

// EscalationWorkflowID is the escalation child of an intervention's workflow.
func EscalationWorkflowID(interventionWorkflowID string) string {
	return "escalation/" + interventionWorkflowID
}

// PreventiveWorkflowID is the one preventive cycle of an equipment. Equipment ids come from one
// database, so the ID is scoped by the task queue: two deployments (or test databases) sharing a
// Temporal namespace never drive each other's cycles.
func PreventiveWorkflowID(taskQueue string, equipementID int64) string {
	return "preventive/" + taskQueue + "/" + strconv.FormatInt(equipementID, 10)
}

// PreventiveInterventionWorkflowID names the intervention of one occurrence of a preventive cycle:
// the same occurrence always gets the same ID, so it is created exactly once.
func PreventiveInterventionWorkflowID(taskQueue string, equipementID int64, due time.Time) string {
	return InterventionWorkflowID("preventive-" + taskQueue + "-" + strconv.FormatInt(equipementID, 10) + "-" + due.UTC().Format("2006-01-02"))
}

// PreventiveUsageInterventionWorkflowID names the intervention opened when a meter crosses a
// usage threshold: keyed on the meter and the threshold, so a burst of readings crossing it, or a
// retried run, opens it once.
func PreventiveUsageInterventionWorkflowID(taskQueue string, equipementID, compteurID int64, seuil float64) string {
	return InterventionWorkflowID("preventive-usage-" + taskQueue + "-" + strconv.FormatInt(equipementID, 10) + "-" +
		strconv.FormatInt(compteurID, 10) + "-" + domain.SeuilCle(seuil))
}

// Schedule IDs, created at worker start-up.
const (
	ScheduleWeeklyPlanning = "mif-weekly-planning"
	ScheduleMaintenanceDue = "mif-housekeeping-maintenance-due"
	ScheduleOverdueScan    = "mif-housekeeping-overdue-scan"
	SchedulePurgeTokens    = "mif-housekeeping-purge-tokens"
)

// Custom search attributes, so that managers can filter workflows in the Temporal Web UI.
var (
	SAInterventionID = temporal.NewSearchAttributeKeyInt64("MifInterventionId")
	SAStatut         = temporal.NewSearchAttributeKeyKeyword("MifStatut")
	SAPriorite       = temporal.NewSearchAttributeKeyKeyword("MifPriorite")
	SAEquipementID   = temporal.NewSearchAttributeKeyInt64("MifEquipementId")
	SATechnicienID   = temporal.NewSearchAttributeKeyInt64("MifTechnicienId")
	SAEnRetard       = temporal.NewSearchAttributeKeyBool("MifEnRetard")
)

// SearchAttributeTypes lists our search attributes with their Temporal types, for registration
// on a cluster (the dev server registers them at start-up).
func SearchAttributeTypes() map[string]string {
	return map[string]string{
		SAInterventionID.GetName(): "Int",
		SAStatut.GetName():         "Keyword",
		SAPriorite.GetName():       "Keyword",
		SAEquipementID.GetName():   "Int",
		SATechnicienID.GetName():   "Int",
		SAEnRetard.GetName():       "Bool",
	}
}
