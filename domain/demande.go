package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// StatutDemande is where a client request stands: submitted, then triaged once (accepted as a new
// intervention, merged into an existing one, or rejected).
type StatutDemande string

const (
	DemandeSoumise   StatutDemande = "soumise"
	DemandeAcceptee  StatutDemande = "acceptee"
	DemandeFusionnee StatutDemande = "fusionnee"
	DemandeRejetee   StatutDemande = "rejetee"
)

// StatutsDemande lists every status.
var StatutsDemande = []StatutDemande{DemandeSoumise, DemandeAcceptee, DemandeFusionnee, DemandeRejetee}

func (s StatutDemande) Valid() bool { return slices.Contains(StatutsDemande, s) }

// Bounds of a request's text.
const (
	DemandeDescriptionMinLen = 10
	DemandeDescriptionMaxLen = DescriptionMaxLen
	DemandeMotifMaxLen       = 1000
)

// Demande is a client's request for work (issue 15).
type Demande struct {
	ID             int64         `db:"id" json:"id"`
	ClientID       int64         `db:"client_id" json:"client_id"`
	ClientNom      string        `db:"client_nom" json:"client_nom"`
	EquipementID   int64         `db:"equipement_id" json:"equipement_id"`
	EquipementNom  string        `db:"equipement_nom" json:"equipement_nom"`
	DemandeurID    *int64        `db:"demandeur_id" json:"demandeur_id"`
	Description    string        `db:"description" json:"description"`
	Urgence        Priorite      `db:"urgence" json:"urgence"`
	Statut         StatutDemande `db:"statut" json:"statut"`
	Escaladee      bool          `db:"escaladee" json:"escaladee"`
	DateEscalade   *time.Time    `db:"date_escalade" json:"date_escalade"`
	InterventionID *int64        `db:"intervention_id" json:"intervention_id"`
	MotifRejet     *string       `db:"motif_rejet" json:"motif_rejet"`
	TrieurID       *int64        `db:"trieur_id" json:"trieur_id"`
	DateTriage     *time.Time    `db:"date_triage" json:"date_triage"`
	DateCreation   time.Time     `db:"date_creation" json:"date_creation"`
	// PhotoIDs are the request's photos (encrypted documents, GET /documents/{id}/download).
	PhotoIDs []int64 `db:"-" json:"photo_ids"`
}

// DemandeFiltre selects requests in a list.
type DemandeFiltre struct {
	Statut       *StatutDemande
	EquipementID *int64
	ClientID     *int64
	Escaladee    *bool
}

// NewDemande is what a client submits.
type NewDemande struct {
	EquipementID *int64   `json:"equipement_id"`
	Description  string   `json:"description"`
	Urgence      Priorite `json:"urgence"`
}

// Normalize trims the text and defaults the urgency to normale.
func (n *NewDemande) Normalize() {
	n.Description = strings.TrimSpace(n.Description)
	if n.Urgence == "" {
		n.Urgence = PrioriteNormale
	}
}

// Validate reports every bad field.
func (n NewDemande) Validate() error {
	var v Validator
	v.Check(n.EquipementID != nil && *n.EquipementID > 0, "equipement_id", "obligatoire")
	l := utf8.RuneCountInString(n.Description)
	v.Check(l >= DemandeDescriptionMinLen && l <= DemandeDescriptionMaxLen, "description", "%d à %d caractères", DemandeDescriptionMinLen, DemandeDescriptionMaxLen)
	v.Check(n.Urgence.Valid(), "urgence", "basse, normale, haute ou critique")
	return v.Err()
}

// DemandeTriage is a responsable's decision on a submitted request.
type DemandeTriage struct {
	Statut         StatutDemande
	InterventionID *int64
	Motif          *string
	TrieurID       int64
}

// Validate checks the decision's shape (the storage checks the request is still submitted).
func (t DemandeTriage) Validate() error {
	var v Validator
	switch t.Statut {
	case DemandeAcceptee, DemandeFusionnee:
		v.Check(t.InterventionID != nil && *t.InterventionID > 0, "intervention_id", "obligatoire")
	case DemandeRejetee:
		l := 0
		if t.Motif != nil {
			l = utf8.RuneCountInString(strings.TrimSpace(*t.Motif))
		}
		v.Check(l >= 1 && l <= DemandeMotifMaxLen, "motif", "1 à %d caractères", DemandeMotifMaxLen)
	default:
		v.Add("statut", "acceptee, fusionnee ou rejetee")
	}
	return v.Err()
}
