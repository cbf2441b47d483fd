package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Intervention is a work order on one piece of equipment. Its lifecycle is owned by a Temporal
// workflow (WorkflowID); the row is what activities write and the API reads.
type Intervention struct {
	ID                 int64              `db:"id" json:"id"`
	WorkflowID         string             `db:"workflow_id" json:"workflow_id"`
	Titre              string             `db:"titre" json:"titre"`
	Description        string             `db:"description" json:"description"`
	TypeIntervention   TypeIntervention   `db:"type_intervention" json:"type_intervention"`
	Statut             StatutIntervention `db:"statut" json:"statut"`
	Priorite           Priorite           `db:"priorite" json:"priorite"`
	Urgence            bool               `db:"urgence" json:"urgence"`
	DateCreation       time.Time          `db:"date_creation" json:"date_creation"`
	DateLimite         *time.Time         `db:"date_limite" json:"date_limite"`
	DateDebut          *time.Time         `db:"date_debut" json:"date_debut"`
	DateFin            *time.Time         `db:"date_fin" json:"date_fin"`
	EquipementID       int64              `db:"equipement_id" json:"equipement_id"`
	TechnicienID       *int64             `db:"technicien_id" json:"technicien_id"`
	CreateurID         *int64             `db:"createur_id" json:"createur_id"`
	Rapport            *string            `db:"rapport" json:"rapport"`
	TempsPasse         *int               `db:"temps_passe" json:"temps_passe"`
	SatisfactionClient *int               `db:"satisfaction_client" json:"satisfaction_client"`
	EnRetard           bool               `db:"en_retard" json:"en_retard"`
	MotifAnnulation    *string            `db:"motif_annulation" json:"motif_annulation"`
	UpdatedAt          time.Time          `db:"updated_at" json:"updated_at"`
}

// NewIntervention is what a caller supplies to open an intervention (the seed's create payload).
type NewIntervention struct {
	Titre            string           `json:"titre"`
	Description      string           `json:"description"`
	TypeIntervention TypeIntervention `json:"type_intervention"`
	Priorite         Priorite         `json:"priorite"`
	Urgence          bool             `json:"urgence"`
	DateLimite       *time.Time       `json:"date_limite"`
	EquipementID     int64            `json:"equipement_id"`
	CreateurID       *int64           `json:"createur_id,omitempty"`
}

// Bounds of the free-text fields (the seed's Pydantic limits).
const (
	TitreMaxLen          = 200
	DescriptionMinLen    = 10
	DescriptionMaxLen    = 2000
	RapportMaxLen        = 20000
	MotifAnnulationMaxLn = 1000
)

// Normalize trims text and fills defaults; call it before Validate.
func (n *NewIntervention) Normalize() {
	n.Titre = strings.TrimSpace(n.Titre)
	n.Description = strings.TrimSpace(n.Description)
	if n.Priorite == "" {
		n.Priorite = PrioriteNormale
	}
}

// Validate checks every field against the business rules and reports all failures at once.
// now is passed in so that the rule on date_limite is testable and usable from workflows.
func (n NewIntervention) Validate(now time.Time) error {
	var v Validator
	v.Check(n.Titre != "", "titre", "obligatoire")
	v.Check(utf8.RuneCountInString(n.Titre) <= TitreMaxLen, "titre", "%d caractères au maximum", TitreMaxLen)
	l := utf8.RuneCountInString(n.Description)
	v.Check(l >= DescriptionMinLen && l <= DescriptionMaxLen, "description",
		"entre %d et %d caractères", DescriptionMinLen, DescriptionMaxLen)
	v.Check(n.TypeIntervention.Valid(), "type_intervention", "valeur attendue: corrective, preventive ou predictive")
	v.Check(n.Priorite.Valid(), "priorite", "valeur attendue: basse, normale, haute ou critique")
	v.Check(n.EquipementID > 0, "equipement_id", "obligatoire (identifiant positif)")
	if n.DateLimite != nil {
		v.Check(n.DateLimite.After(now), "date_limite", "doit être dans le futur")
	}
	return v.Err()
}

// EquipementResume is the part of an equipment embedded in intervention responses.
type EquipementResume struct {
	ID           int64  `json:"id"`
	Nom          string `json:"nom"`
	Type         string `json:"type"`
	Localisation string `json:"localisation"`
}

// TechnicienResume is the part of a technicien embedded in intervention responses.
type TechnicienResume struct {
	ID         int64  `json:"id"`
	Nom        string `json:"nom"`
	Prenom     string `json:"prenom"`
	Specialite string `json:"specialite"`
}

// PlanningResume is the planned slot embedded in intervention responses.
type PlanningResume struct {
	ID            int64          `json:"id"`
	DatePlanifiee time.Time      `json:"date_planifiee"`
	DureeEstimee  int            `json:"duree_estimee"`
	Statut        StatutPlanning `json:"statut"`
}

// InterventionDetail is an intervention with what a screen shows next to it, loaded in one query.
type InterventionDetail struct {
	Intervention
	Equipement     EquipementResume  `json:"equipement"`
	Technicien     *TechnicienResume `json:"technicien"`
	Planning       *PlanningResume   `json:"planning"`
	DocumentsCount int               `json:"documents_count"`
	// WorkflowEnAttente: the intervention is recorded but its workflow is not started yet
	// (Temporal was unreachable at its creation); lifecycle requests answer 503 until it is.
	WorkflowEnAttente bool `json:"workflow_en_attente,omitempty"`
}

// InterventionWorkflowRef is what it takes to reach an intervention's workflow (the FindOverdue
// activity's answer, kept in Temporal histories: a renamed field keeps its JSON key).
type InterventionWorkflowRef struct {
	ID           int64              `db:"id"`
	WorkflowID   string             `db:"workflow_id"`
	Statut       StatutIntervention `db:"statut"`
	TechnicienID *int64             `db:"technicien_id"`
}
