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

// searchAttributes are the values of our search attributes for one intervention.
type searchAttributes struct {
	set              bool // false: nothing known to be set, every value is sent
	id, equipement   int64
	statut, priorite string
	enRetard         bool
	technicien       int64 // 0: none (an unassigned intervention keeps its last one)
}

func attributesOf(row domain.Intervention) searchAttributes {
	a := searchAttributes{set: true, id: row.ID, equipement: row.EquipementID, statut: string(row.Statut),
		priorite: string(row.Priorite), enRetard: row.EnRetard}
	if row.TechnicienID != nil {
		a.technicien = *row.TechnicienID
	}
	return a
}

// startAttributes are those of an intervention whose row was just written: ouverte, not late,
// nobody assigned yet.
func startAttributes(id int64, n domain.NewIntervention) searchAttributes {
	return searchAttributes{set: true, id: id, equipement: n.EquipementID, statut: string(domain.StatutOuverte),
		priorite: string(n.Priorite)}
}

// updatesFrom lists the updates that bring Temporal from sent (all of them when nothing was) to a,
// in one fixed order.
func (a searchAttributes) updatesFrom(sent searchAttributes) []temporal.SearchAttributeUpdate {
	var u []temporal.SearchAttributeUpdate
	all := !sent.set
	if all || a.id != sent.id {
		u = append(u, SAInterventionID.ValueSet(a.id))
	}
	if all || a.statut != sent.statut {
		u = append(u, SAStatut.ValueSet(a.statut))
	}
	if all || a.priorite != sent.priorite {
		u = append(u, SAPriorite.ValueSet(a.priorite))
	}
	if all || a.equipement != sent.equipement {
		u = append(u, SAEquipementID.ValueSet(a.equipement))
	}
	if all || a.enRetard != sent.enRetard {
		u = append(u, SAEnRetard.ValueSet(a.enRetard))
	}
	if a.technicien != 0 && (all || a.technicien != sent.technicien) {
		u = append(u, SATechnicienID.ValueSet(a.technicien))
	}
	return u
}

// StartSearchAttributes are the search attributes of an intervention whose row was just written,
// given to the start of its workflow: the Web UI can filter it at once, and the workflow's first
// upsert has nothing left to send (InterventionInput.StartSearchAttributes).
func StartSearchAttributes(id int64, n domain.NewIntervention) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(startAttributes(id, n).updatesFrom(searchAttributes{})...)
}
