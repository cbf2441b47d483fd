package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// EquipementVue is an equipment as the API shows it: with its next due date and the number of
// its interventions (seed shape).
type EquipementVue struct {
	Equipement
	ProchaineMaintenance *time.Time `json:"prochaine_maintenance"`
	InterventionsCount   int        `db:"interventions_count" json:"interventions_count"`
	// Site places the equipment on a map (nil: no site yet).
	Site *SiteResume `db:"site" json:"site"`
}

// SiteResume is what an equipment shows of its site.
type SiteResume struct {
	ID        int64   `json:"id"`
	Nom       string  `json:"nom"`
	Ville     string  `json:"ville"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Scan reads the JSON object storage builds for it (NULL: no site).
func (s *SiteResume) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		if str, isStr := src.(string); isStr {
			b = []byte(str)
		} else {
			return fmt.Errorf("domain: site: cannot scan %T", src)
		}
	}
	return json.Unmarshal(b, s)
}

// NewEquipementVue completes e with its computed fields. A retired equipment has no next
// maintenance: its preventive cycle is over (the maintenance_due filter and the dashboard agree).
func NewEquipementVue(e Equipement, interventions int) EquipementVue {
	v := EquipementVue{Equipement: e, InterventionsCount: interventions}
	if e.Statut != EquipementRetire {
		v.ProchaineMaintenance = e.ProchaineMaintenance()
	}
	return v
}

// EquipementInput is a create or a partial update of an equipment: nil fields are left alone on
// update; on create nom, type and numero_serie are required.
type EquipementInput struct {
	Nom                *string
	Type               *string
	Modele             *string
	NumeroSerie        *string
	Localisation       *string
	DateInstallation   *time.Time
	FrequenceEntretien *int
	// ClearFrequence removes the preventive cycle (frequence_entretien: null on update).
	ClearFrequence      bool
	DerniereMaintenance *time.Time
	SiteID              *int64
	// ClearSite takes the equipment off its site (site_id: null on update).
	ClearSite bool
}

// Bounds of an equipment's text fields.
const (
	EquipementNomMaxLen   = 200
	EquipementTypeMaxLen  = 100
	EquipementTexteMaxLen = 200
	FrequenceMaxJours     = 3650
)

// Normalize trims the text fields.
func (in *EquipementInput) Normalize() {
	for _, p := range []*string{in.Nom, in.Type, in.Modele, in.NumeroSerie, in.Localisation} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
}

// Validate checks the fields present; create demands the required ones.
func (in EquipementInput) Validate(create bool) error {
	var v Validator
	text := func(field string, p *string, required bool, max int) {
		if p == nil {
			v.Check(!required, field, "obligatoire")
			return
		}
		n := utf8.RuneCountInString(*p)
		if required || field == "nom" || field == "type" || field == "numero_serie" {
			v.Check(n > 0, field, "obligatoire")
		}
		v.Check(n <= max, field, "%d caractères au maximum", max)
	}
	text("nom", in.Nom, create, EquipementNomMaxLen)
	text("type", in.Type, create, EquipementTypeMaxLen)
	text("numero_serie", in.NumeroSerie, create, EquipementTypeMaxLen)
	text("modele", in.Modele, false, EquipementTexteMaxLen)
	text("localisation", in.Localisation, false, EquipementTexteMaxLen)
	if in.SiteID != nil {
		v.Check(*in.SiteID > 0, "site_id", "identifiant positif attendu")
	}
	if in.FrequenceEntretien != nil {
		f := *in.FrequenceEntretien
		v.Check(f >= 1 && f <= FrequenceMaxJours, "frequence_entretien", "nombre de jours entre 1 et %d", FrequenceMaxJours)
	}
	now := time.Now()
	if in.DateInstallation != nil {
		v.Check(!in.DateInstallation.After(now.Add(24*time.Hour)), "date_installation", "ne peut pas être dans le futur")
	}
	if in.DerniereMaintenance != nil {
		v.Check(!in.DerniereMaintenance.After(now.Add(24*time.Hour)), "derniere_maintenance", "ne peut pas être dans le futur")
	}
	return v.Err()
}

// EquipementFiltre selects equipment in a list.
type EquipementFiltre struct {
	Localisation   string
	Type           string
	Statut         *StatutEquipement
	ClientID       *int64
	SiteID         *int64
	MaintenanceDue *bool
	Recherche      string
}

// MaintenanceDueHorizon is how far ahead an equipment counts as due for maintenance.
const MaintenanceDueHorizon = 7 * 24 * time.Hour

// CanChangeStatut says whether an equipment may go from one status to another: a retired
// equipment stays retired.
func CanChangeStatut(from, to StatutEquipement) error {
	if from == EquipementRetire && to != EquipementRetire {
		return Conflictf("équipement retiré du service: son statut ne change plus")
	}
	return nil
}
