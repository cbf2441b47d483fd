package domain

import "time"

// DashboardStats is the seed's dashboard, every figure computed from the data the caller may see.
type DashboardStats struct {
	Interventions struct {
		Total            int `db:"total" json:"total"`
		Ouvertes         int `db:"ouvertes" json:"ouvertes"`
		EnCours          int `db:"en_cours" json:"en_cours"`
		TermineesSemaine int `db:"terminees_semaine" json:"terminees_semaine"`
		Critiques        int `db:"critiques" json:"critiques"`
	} `json:"interventions"`
	Equipements struct {
		Total          int `db:"total" json:"total"`
		Operationnels  int `db:"operationnels" json:"operationnels"`
		EnPanne        int `db:"en_panne" json:"en_panne"`
		MaintenanceDue int `db:"maintenance_due" json:"maintenance_due"`
	} `json:"equipements"`
	Techniciens struct {
		Total          int     `db:"total" json:"total"`
		Disponibles    int     `db:"disponibles" json:"disponibles"`
		EnIntervention int     `db:"en_intervention" json:"en_intervention"`
		ChargeMoyenne  float64 `db:"charge_moyenne" json:"charge_moyenne"`
	} `json:"techniciens"`
	KPI struct {
		// TempsMoyenResolution is "4.2 heures" (seed), nil without any finished intervention.
		TempsMoyenResolution *string `json:"temps_moyen_resolution"`
		// TauxRespectDelais is the percentage of finished interventions with a deadline that met it.
		TauxRespectDelais *float64 `json:"taux_respect_delais"`
		// SatisfactionClient is the mean rating (1 to 5) given by clients.
		SatisfactionClient *float64 `json:"satisfaction_client"`
	} `json:"kpi"`
}

// EquipementKPI is the reliability of one equipment over a period.
type EquipementKPI struct {
	EquipementID int64    `db:"equipement_id" json:"equipement_id"`
	Nom          string   `db:"nom" json:"nom"`
	Localisation string   `db:"localisation" json:"localisation"`
	Pannes       int      `db:"pannes" json:"pannes"`
	MTTRHeures   *float64 `db:"mttr_heures" json:"mttr_heures"`
	MTBFHeures   *float64 `db:"mtbf_heures" json:"mtbf_heures"`
}

// ConformitePreventive is how well the preventive plan was followed over a period.
type ConformitePreventive struct {
	Prevues           int      `db:"prevues" json:"prevues"`
	RealiseesATemps   int      `db:"realisees_a_temps" json:"realisees_a_temps"`
	RealiseesEnRetard int      `db:"realisees_en_retard" json:"realisees_en_retard"`
	TauxConformite    *float64 `db:"taux_conformite" json:"taux_conformite"`
}

// DashboardKPI is the reliability report over a period.
type DashboardKPI struct {
	Periode struct {
		DateDebut time.Time `json:"date_debut"`
		DateFin   time.Time `json:"date_fin"`
	} `json:"periode"`
	Equipements []EquipementKPI      `json:"equipements"`
	Preventif   ConformitePreventive `json:"preventif"`
}
