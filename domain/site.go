package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Site is a place of a client where equipment stands: the stop of a technicien's route. Its
// interventions inherit it through their equipment.
type Site struct {
	ID        int64   `db:"id" json:"id"`
	ClientID  int64   `db:"client_id" json:"client_id"`
	ClientNom string  `db:"client_nom" json:"client_nom"`
	Nom       string  `db:"nom" json:"nom"`
	Adresse   string  `db:"adresse" json:"adresse"`
	Ville     string  `db:"ville" json:"ville"`
	Latitude  float64 `db:"latitude" json:"latitude"`
	Longitude float64 `db:"longitude" json:"longitude"`
	// HorairesOuverture are the opening hours; empty: accessible whenever a technicien works.
	HorairesOuverture []Creneau `db:"-" json:"horaires_ouverture"`
	EquipementsCount  int       `db:"equipements_count" json:"equipements_count"`
	DateCreation      time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt         time.Time `db:"updated_at" json:"updated_at"`
}

// SiteInput creates or partially updates a site (nil: unchanged). HorairesOuverture replaces
// the whole timetable when given (an empty list: no restriction).
type SiteInput struct {
	ClientID          *int64     `json:"client_id"`
	Nom               *string    `json:"nom"`
	Adresse           *string    `json:"adresse"`
	Ville             *string    `json:"ville"`
	Latitude          *float64   `json:"latitude"`
	Longitude         *float64   `json:"longitude"`
	HorairesOuverture *[]Creneau `json:"horaires_ouverture"`
}

// Bounds of a site's text fields.
const (
	SiteNomMaxLen     = 200
	SiteAdresseMaxLen = 500
	SiteVilleMaxLen   = 100
)

// Normalize trims the text fields.
func (in *SiteInput) Normalize() {
	for _, p := range []*string{in.Nom, in.Adresse, in.Ville} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	if in.HorairesOuverture != nil {
		for i := range *in.HorairesOuverture {
			c := &(*in.HorairesOuverture)[i]
			c.Jour, c.Debut, c.Fin = strings.ToLower(strings.TrimSpace(c.Jour)), strings.TrimSpace(c.Debut), strings.TrimSpace(c.Fin)
		}
	}
}

// Validate checks the fields present; create demands client_id, nom, latitude and longitude.
func (in SiteInput) Validate(create bool) error {
	var v Validator
	if in.ClientID == nil {
		v.Check(!create, "client_id", "obligatoire")
	} else {
		v.Check(*in.ClientID > 0, "client_id", "identifiant positif attendu")
	}
	if in.Nom == nil {
		v.Check(!create, "nom", "obligatoire")
	} else {
		n := utf8.RuneCountInString(*in.Nom)
		v.Check(n >= 1 && n <= SiteNomMaxLen, "nom", "entre 1 et %d caractères", SiteNomMaxLen)
	}
	if in.Adresse != nil {
		v.Check(utf8.RuneCountInString(*in.Adresse) <= SiteAdresseMaxLen, "adresse", "%d caractères au maximum", SiteAdresseMaxLen)
	}
	if in.Ville != nil {
		v.Check(utf8.RuneCountInString(*in.Ville) <= SiteVilleMaxLen, "ville", "%d caractères au maximum", SiteVilleMaxLen)
	}
	if in.Latitude == nil {
		v.Check(!create, "latitude", "obligatoire")
	} else {
		checkLatitude(&v, "latitude", *in.Latitude)
	}
	if in.Longitude == nil {
		v.Check(!create, "longitude", "obligatoire")
	} else {
		checkLongitude(&v, "longitude", *in.Longitude)
	}
	if in.HorairesOuverture != nil {
		validateCreneaux(&v, "horaires_ouverture", *in.HorairesOuverture)
	}
	return v.Err()
}

// SiteFiltre selects sites in a list.
type SiteFiltre struct {
	ClientID  *int64
	Ville     string
	Recherche string
}
