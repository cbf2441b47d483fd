package domain

import "time"

// InterventionFiltre selects interventions in a list. Bounds on dates are [Apres, Avant).
type InterventionFiltre struct {
	Statut           *StatutIntervention
	Priorite         *Priorite
	TypeIntervention *TypeIntervention
	EquipementID     *int64
	TechnicienID     *int64
	CreateurID       *int64
	Urgence          *bool
	EnRetard         *bool
	CreeApres        *time.Time
	CreeAvant        *time.Time
	LimiteApres      *time.Time
	LimiteAvant      *time.Time
	Recherche        string
	// Overdue keeps the unfinished interventions late against their deadline: marked en_retard,
	// or past date_limite.
	Overdue bool
}
