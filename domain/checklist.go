package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Types of checklist items.
var TypesChecklistItem = []string{"check", "mesure", "choix", "texte", "photo", "signature"}

// ChecklistItemModele is one ordered item of a template.
type ChecklistItemModele struct {
	Ordre       int      `db:"ordre" json:"ordre"`
	Libelle     string   `db:"libelle" json:"libelle"`
	Type        string   `db:"type" json:"type"`
	Obligatoire bool     `db:"obligatoire" json:"obligatoire"`
	Unite       *string  `db:"unite" json:"unite"`
	Min         *float64 `db:"min" json:"min"`
	Max         *float64 `db:"max" json:"max"`
	Choix       []string `db:"-" json:"choix"`
}

// ChecklistModele is a procedure template, for an equipment type (and optionally one type of
// intervention: 'preventive' for the preventive plans).
type ChecklistModele struct {
	ID               int64                 `db:"id" json:"id"`
	Nom              string                `db:"nom" json:"nom"`
	TypeEquipement   string                `db:"type_equipement" json:"type_equipement"`
	TypeIntervention *TypeIntervention     `db:"type_intervention" json:"type_intervention"`
	Actif            bool                  `db:"actif" json:"actif"`
	Items            []ChecklistItemModele `db:"-" json:"items"`
	DateCreation     time.Time             `db:"date_creation" json:"date_creation"`
	UpdatedAt        time.Time             `db:"updated_at" json:"updated_at"`
}

// ChecklistModeleInput creates a template or replaces it (items in the given order).
type ChecklistModeleInput struct {
	Nom              string                `json:"nom"`
	TypeEquipement   string                `json:"type_equipement"`
	TypeIntervention *TypeIntervention     `json:"type_intervention"`
	Actif            *bool                 `json:"actif"`
	Items            []ChecklistItemModele `json:"items"`
}

// Validate reports every bad field; items are numbered in the given order.
func (in *ChecklistModeleInput) Validate() error {
	var v Validator
	in.Nom, in.TypeEquipement = strings.TrimSpace(in.Nom), strings.TrimSpace(in.TypeEquipement)
	v.Check(in.Nom != "" && utf8.RuneCountInString(in.Nom) <= 200, "nom", "1 à 200 caractères")
	v.Check(in.TypeEquipement != "" && utf8.RuneCountInString(in.TypeEquipement) <= 100, "type_equipement", "1 à 100 caractères")
	if in.TypeIntervention != nil {
		v.Check(in.TypeIntervention.Valid(), "type_intervention", "corrective, preventive ou predictive")
	}
	v.Check(len(in.Items) >= 1 && len(in.Items) <= 200, "items", "1 à 200 éléments")
	for i := range in.Items {
		it := &in.Items[i]
		f := fmt.Sprintf("items[%d]", i)
		it.Ordre = i + 1
		it.Libelle = strings.TrimSpace(it.Libelle)
		v.Check(it.Libelle != "" && utf8.RuneCountInString(it.Libelle) <= 300, f+".libelle", "1 à 300 caractères")
		v.Check(slices.Contains(TypesChecklistItem, it.Type), f+".type", "check, mesure, choix, texte, photo ou signature")
		if it.Type == "mesure" {
			v.Check(it.Unite != nil && strings.TrimSpace(*it.Unite) != "", f+".unite", "obligatoire pour une mesure")
			v.Check(it.Min == nil || it.Max == nil || *it.Min <= *it.Max, f+".max", "doit être ≥ min")
		} else {
			v.Check(it.Min == nil && it.Max == nil, f+".min", "bornes réservées aux mesures")
		}
		if it.Type == "choix" {
			v.Check(len(it.Choix) >= 2, f+".choix", "au moins deux choix")
		} else {
			v.Check(len(it.Choix) == 0, f+".choix", "réservé au type choix")
		}
		if it.Choix == nil {
			it.Choix = []string{}
		}
	}
	return v.Err()
}

// ChecklistItem is one item of an intervention's checklist (a copy of its template's item) with
// what the technicien filled in.
type ChecklistItem struct {
	ID                  int64      `db:"id" json:"id"`
	InterventionID      int64      `db:"intervention_id" json:"intervention_id"`
	ModeleNom           string     `db:"modele_nom" json:"modele_nom"`
	Ordre               int        `db:"ordre" json:"ordre"`
	Libelle             string     `db:"libelle" json:"libelle"`
	Type                string     `db:"type" json:"type"`
	Obligatoire         bool       `db:"obligatoire" json:"obligatoire"`
	Unite               *string    `db:"unite" json:"unite"`
	Min                 *float64   `db:"min" json:"min"`
	Max                 *float64   `db:"max" json:"max"`
	Choix               []string   `db:"-" json:"choix"`
	Valeur              *string    `db:"valeur" json:"valeur"`
	HorsLimites         bool       `db:"hors_limites" json:"hors_limites"`
	RempliPar           *int64     `db:"rempli_par" json:"rempli_par"`
	DateRemplissage     *time.Time `db:"date_remplissage" json:"date_remplissage"`
	SuiviInterventionID *int64     `db:"suivi_intervention_id" json:"suivi_intervention_id"`
}

// Evaluate checks a filled value against the item's type and returns it as stored text, whether
// a measurement lies outside its bounds, and the document id a photo or signature names.
func (it ChecklistItem) Evaluate(raw json.RawMessage) (valeur string, horsLimites bool, documentID *int64, err error) {
	bad := func(msg string) error { return &ValidationError{Fields: []FieldError{{Field: "valeur", Message: msg}}} }
	switch it.Type {
	case "check":
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", false, nil, bad("true ou false attendu")
		}
		return strconv.FormatBool(b), false, nil, nil
	case "mesure":
		var f float64
		if json.Unmarshal(raw, &f) != nil {
			return "", false, nil, bad("nombre attendu")
		}
		out := (it.Min != nil && f < *it.Min) || (it.Max != nil && f > *it.Max)
		return strconv.FormatFloat(f, 'f', -1, 64), out, nil, nil
	case "choix":
		var s string
		if json.Unmarshal(raw, &s) != nil || !slices.Contains(it.Choix, s) {
			return "", false, nil, bad("un des choix: " + strings.Join(it.Choix, ", "))
		}
		return s, false, nil, nil
	case "texte":
		var s string
		if json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 2000 {
			return "", false, nil, bad("texte de 1 à 2000 caractères")
		}
		return strings.TrimSpace(s), false, nil, nil
	default: // photo, signature: a document of the intervention
		var id int64
		if json.Unmarshal(raw, &id) != nil || id <= 0 {
			return "", false, nil, bad("identifiant du document (photo ou signature) déposé sur l'intervention")
		}
		return strconv.FormatInt(id, 10), false, &id, nil
	}
}
