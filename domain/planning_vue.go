package domain

import "time"

// PlanningVue is a planned slot as the API lists it (seed shape): the slot, its technicien and
// the intervention with its equipment.
type PlanningVue struct {
	ID             int64                   `json:"id"`
	InterventionID int64                   `json:"intervention_id"`
	TechnicienID   int64                   `json:"technicien_id"`
	DatePlanifiee  time.Time               `json:"date_planifiee"`
	DureeEstimee   int                     `json:"duree_estimee"`
	Statut         StatutPlanning          `json:"statut"`
	Notes          string                  `json:"notes"`
	DateCreation   time.Time               `json:"date_creation"`
	Technicien     TechnicienResume        `json:"technicien"`
	Intervention   PlanningInterventionVue `json:"intervention"`
}

// PlanningInterventionVue is the intervention embedded in a planned slot.
type PlanningInterventionVue struct {
	ID         int64              `json:"id"`
	Titre      string             `json:"titre"`
	Priorite   Priorite           `json:"priorite"`
	Statut     StatutIntervention `json:"statut"`
	Urgence    bool               `json:"urgence"`
	Equipement EquipementResume   `json:"equipement"`
}

// PlanningFiltre selects planned slots; the period is [Debut, Fin).
type PlanningFiltre struct {
	Debut        *time.Time
	Fin          *time.Time
	TechnicienID *int64
	Statut       *StatutPlanning
}
