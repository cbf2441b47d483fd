package domain

// KPIs of issue 14: parts cost, reliability per asset class, preventive compliance per trigger.

// Groupings of the parts cost.
const (
	GroupeIntervention = "intervention"
	GroupeEquipement   = "equipement"
	GroupeClient       = "client"
)

// GroupesCoutPieces lists the groupings of the parts cost.
var GroupesCoutPieces = []string{GroupeIntervention, GroupeEquipement, GroupeClient}

// CoutPieces is the parts cost of one intervention, equipment or client over a period.
type CoutPieces struct {
	ID            int64   `db:"id" json:"id"`
	Libelle       string  `db:"libelle" json:"libelle"`
	Interventions int     `db:"interventions" json:"interventions"`
	Lignes        int     `db:"lignes" json:"lignes"`
	CoutTotal     float64 `db:"cout_total" json:"cout_total"`
}

// FiabiliteClasse is the reliability of one asset class (equipment type) over a period: a
// failure is a corrective intervention opened in it; MTTR the mean start-to-end time of the
// finished ones; MTBF the class's operating hours (equipment × period − repair time) per failure.
type FiabiliteClasse struct {
	Classe      string   `db:"classe" json:"classe"`
	Equipements int      `db:"equipements" json:"equipements"`
	Pannes      int      `db:"pannes" json:"pannes"`
	MTTRHeures  *float64 `db:"mttr_heures" json:"mttr_heures"`
	MTBFHeures  *float64 `db:"mtbf_heures" json:"mtbf_heures"`
}

// ConformiteDeclencheur is the compliance of the preventive work due in a period, for one
// trigger type (calendrier today; usage and premier_atteint come with usage-based plans).
type ConformiteDeclencheur struct {
	Declencheur       string   `db:"declencheur" json:"declencheur"`
	Prevues           int      `db:"prevues" json:"prevues"`
	RealiseesATemps   int      `db:"realisees_a_temps" json:"realisees_a_temps"`
	RealiseesEnRetard int      `db:"realisees_en_retard" json:"realisees_en_retard"`
	TauxConformite    *float64 `db:"taux_conformite" json:"taux_conformite"`
}
