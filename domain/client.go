package domain

import (
	"database/sql/driver"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Client is a customer company whose equipment MIF maintains under contract.
type Client struct {
	ID            int64     `db:"id" json:"id"`
	Nom           string    `db:"nom" json:"nom"`
	Email         *string   `db:"email" json:"email"`
	Telephone     *string   `db:"telephone" json:"telephone"`
	Adresse       *string   `db:"adresse" json:"adresse"`
	Ville         *string   `db:"ville" json:"ville"`
	ContactNom    *string   `db:"contact_nom" json:"contact_nom"`
	IsActive      bool      `db:"is_active" json:"is_active"`
	ContratsCount int       `db:"contrats_count" json:"contrats_count"`
	DateCreation  time.Time `db:"date_creation" json:"date_creation"`
}

// ClientInput creates or partially updates a client (nil: unchanged).
type ClientInput struct {
	Nom        *string `json:"nom"`
	Email      *string `json:"email"`
	Telephone  *string `json:"telephone"`
	Adresse    *string `json:"adresse"`
	Ville      *string `json:"ville"`
	ContactNom *string `json:"contact_nom"`
	IsActive   *bool   `json:"is_active"`
}

// Normalize trims the text fields and lower-cases the e-mail.
func (in *ClientInput) Normalize() {
	for _, p := range []*string{in.Nom, in.Email, in.Telephone, in.Adresse, in.Ville, in.ContactNom} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	if in.Email != nil {
		*in.Email = strings.ToLower(*in.Email)
	}
}

// Validate checks the fields present; create demands nom.
func (in ClientInput) Validate(create bool) error {
	var v Validator
	if in.Nom == nil {
		v.Check(!create, "nom", "obligatoire")
	} else {
		n := utf8.RuneCountInString(*in.Nom)
		v.Check(n >= 1 && n <= 200, "nom", "entre 1 et 200 caractères")
	}
	if in.Email != nil && *in.Email != "" {
		_, err := mail.ParseAddress(*in.Email)
		v.Check(err == nil && utf8.RuneCountInString(*in.Email) <= 254, "email", "adresse e-mail invalide")
	}
	for field, p := range map[string]*string{"telephone": in.Telephone, "ville": in.Ville, "contact_nom": in.ContactNom} {
		if p != nil {
			v.Check(utf8.RuneCountInString(*p) <= 100, field, "100 caractères au maximum")
		}
	}
	if in.Adresse != nil {
		v.Check(utf8.RuneCountInString(*in.Adresse) <= 500, "adresse", "500 caractères au maximum")
	}
	return v.Err()
}

// StatutContrat is the state of a maintenance contract.
type StatutContrat string

// StatutsContrat lists the contract states.
var StatutsContrat = []StatutContrat{"actif", "suspendu", "expire", "resilie"}

func (s StatutContrat) Valid() bool { return slices.Contains(StatutsContrat, s) }

// Contrat is a maintenance contract: the equipment it covers inherits its SLA.
type Contrat struct {
	ID                  int64         `db:"id" json:"id"`
	Numero              string        `db:"numero" json:"numero"`
	ClientID            int64         `db:"client_id" json:"client_id"`
	ClientNom           string        `db:"client_nom" json:"client_nom"`
	DateDebut           Date          `db:"date_debut" json:"date_debut"`
	DateFin             Date          `db:"date_fin" json:"date_fin"`
	SLAReponseHeures    *int          `db:"sla_reponse_heures" json:"sla_reponse_heures"`
	SLAResolutionHeures *int          `db:"sla_resolution_heures" json:"sla_resolution_heures"`
	Statut              StatutContrat `db:"statut" json:"statut"`
	Description         string        `db:"description" json:"description"`
	EquipementsCount    int           `db:"equipements_count" json:"equipements_count"`
	DateCreation        time.Time     `db:"date_creation" json:"date_creation"`
}

// ContratInput creates or partially updates a contract (nil: unchanged).
type ContratInput struct {
	Numero              *string        `json:"numero"`
	ClientID            *int64         `json:"client_id"`
	DateDebut           *Date          `json:"-"`
	DateFin             *Date          `json:"-"`
	SLAReponseHeures    *int           `json:"sla_reponse_heures"`
	SLAResolutionHeures *int           `json:"sla_resolution_heures"`
	Statut              *StatutContrat `json:"statut"`
	Description         *string        `json:"description"`
	EquipementIDs       []int64        `json:"equipement_ids"`
}

// Normalize trims the text fields.
func (in *ContratInput) Normalize() {
	for _, p := range []*string{in.Numero, in.Description} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
}

// Validate checks the fields present; create demands numero, client_id and the dates.
func (in ContratInput) Validate(create bool) error {
	var v Validator
	if in.Numero == nil {
		v.Check(!create, "numero", "obligatoire")
	} else {
		n := utf8.RuneCountInString(*in.Numero)
		v.Check(n >= 1 && n <= 50, "numero", "entre 1 et 50 caractères")
	}
	if in.ClientID == nil {
		v.Check(!create, "client_id", "obligatoire")
	} else {
		v.Check(*in.ClientID > 0, "client_id", "identifiant positif attendu")
	}
	v.Check(!create || in.DateDebut != nil, "date_debut", "obligatoire")
	v.Check(!create || in.DateFin != nil, "date_fin", "obligatoire")
	if in.DateDebut != nil && in.DateFin != nil {
		v.Check(!in.DateFin.Before(in.DateDebut.Time), "date_fin", "doit suivre date_debut")
	}
	if in.SLAReponseHeures != nil {
		v.Check(*in.SLAReponseHeures >= 1 && *in.SLAReponseHeures <= 8760, "sla_reponse_heures", "entre 1 et 8760 heures")
	}
	if in.SLAResolutionHeures != nil {
		v.Check(*in.SLAResolutionHeures >= 1 && *in.SLAResolutionHeures <= 8760, "sla_resolution_heures", "entre 1 et 8760 heures")
	}
	if in.SLAReponseHeures != nil && in.SLAResolutionHeures != nil {
		v.Check(*in.SLAResolutionHeures >= *in.SLAReponseHeures, "sla_resolution_heures", "ne peut pas être inférieur au délai de réponse")
	}
	if in.Statut != nil {
		v.Check(in.Statut.Valid(), "statut", "valeur attendue: actif, suspendu, expire ou resilie")
	}
	if in.Description != nil {
		v.Check(utf8.RuneCountInString(*in.Description) <= 2000, "description", "2000 caractères au maximum")
	}
	v.Check(len(in.EquipementIDs) <= 1000, "equipement_ids", "1000 équipements au maximum")
	for _, id := range in.EquipementIDs {
		if id <= 0 {
			v.Add("equipement_ids", "identifiants positifs attendus")
			break
		}
	}
	return v.Err()
}

// ContratFiltre selects contracts in a list.
type ContratFiltre struct {
	ClientID     *int64
	Statut       *StatutContrat
	EquipementID *int64
	// EnVigueur keeps the contracts whose dates cover today.
	EnVigueur *bool
}

// Date is a calendar day, written 2024-12-19 in JSON and stored as a PostgreSQL date.
type Date struct{ time.Time }

func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.Format(time.DateOnly) + `"`), nil }

// UnmarshalJSON reads "2024-12-19".
func (d *Date) UnmarshalJSON(b []byte) error {
	t, err := time.Parse(`"`+time.DateOnly+`"`, string(b))
	if err != nil {
		return fmt.Errorf("domain: date AAAA-MM-JJ attendue: %w", err)
	}
	d.Time = t
	return nil
}

// Scan reads a PostgreSQL date.
func (d *Date) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("domain: date: cannot scan %T", src)
	}
	d.Time = t
	return nil
}

// Value writes the day as a PostgreSQL date.
func (d Date) Value() (driver.Value, error) { return d.Format(time.DateOnly), nil }

// ParseDate reads a day written AAAA-MM-JJ.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	return Date{t}, err
}

// ValidateUpdate checks a partial update against the contract it changes: the dates and the two
// SLA delays must stay consistent when only one of a pair is given.
func (in ContratInput) ValidateUpdate(old Contrat) error {
	var v Validator
	if in.DateDebut != nil || in.DateFin != nil {
		debut, fin := old.DateDebut, old.DateFin
		if in.DateDebut != nil {
			debut = *in.DateDebut
		}
		if in.DateFin != nil {
			fin = *in.DateFin
		}
		if fin.Before(debut.Time) {
			if in.DateFin != nil {
				v.Add("date_fin", "doit suivre date_debut (%s)", debut.Format(time.DateOnly))
			} else {
				v.Add("date_debut", "doit précéder date_fin (%s)", fin.Format(time.DateOnly))
			}
		}
	}
	if in.SLAReponseHeures != nil || in.SLAResolutionHeures != nil {
		reponse, resolution := old.SLAReponseHeures, old.SLAResolutionHeures
		if in.SLAReponseHeures != nil {
			reponse = in.SLAReponseHeures
		}
		if in.SLAResolutionHeures != nil {
			resolution = in.SLAResolutionHeures
		}
		if reponse != nil && resolution != nil && *resolution < *reponse {
			if in.SLAResolutionHeures != nil {
				v.Add("sla_resolution_heures", "ne peut pas être inférieur au délai de réponse (%d h)", *reponse)
			} else {
				v.Add("sla_reponse_heures", "ne peut pas dépasser le délai de résolution (%d h)", *resolution)
			}
		}
	}
	return v.Err()
}
