// Package workflows holds the Temporal workflows: deterministic code only (workflow.* time,
// timers, logging). Everything that touches the outside world is an activity.
package workflows

import (
	"go.temporal.io/sdk/temporal"
)

// Workflow type names, stable across refactorings (they are stored in histories).
const (
	InterventionWorkflowName = "InterventionWorkflow"
)

// Update and query names of InterventionWorkflow.
const (
	// UpdateCreate returns the intervention once its row exists (used with Update-With-Start).
	UpdateCreate = "create"
	// QueryState returns the workflow's InterventionState.
	QueryState = "state"
)

// InterventionWorkflowID derives the workflow ID from the intervention's stable key (a UUID chosen
// by the API, derived from the Idempotency-Key when one is given).
func InterventionWorkflowID(key string) string { return "intervention/" + key }

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
