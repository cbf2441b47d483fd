package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Competence is a skill of the catalogue.
type Competence struct {
	ID          int64  `db:"id" json:"id"`
	Nom         string `db:"nom" json:"nom"`
	Categorie   string `db:"categorie" json:"categorie"`
	Description string `db:"description" json:"description"`
}

// CompetenceNiveau is a skill a technicien holds, with its level from 1 to 5.
type CompetenceNiveau struct {
	ID        int64  `db:"id" json:"id"`
	Nom       string `db:"nom" json:"nom"`
	Categorie string `db:"categorie" json:"categorie"`
	Niveau    int    `db:"niveau" json:"niveau"`
}

// Technicien is a technicien profile with its account's name and its current workload.
type Technicien struct {
	ID               int64              `db:"id" json:"id"`
	UserID           int64              `db:"user_id" json:"user_id"`
	Nom              string             `db:"nom" json:"nom"`
	Prenom           string             `db:"prenom" json:"prenom"`
	Email            string             `db:"email" json:"email"`
	Specialite       string             `db:"specialite" json:"specialite"`
	NiveauExperience NiveauExperience   `db:"niveau_experience" json:"niveau_experience"`
	Disponibilite    bool               `db:"disponibilite" json:"disponibilite"`
	Telephone        *string            `db:"telephone" json:"telephone"`
	LocalisationBase *string            `db:"localisation_base" json:"localisation_base"`
	HeureDebut       string             `db:"heure_debut" json:"heure_debut"`
	HeureFin         string             `db:"heure_fin" json:"heure_fin"`
	Competences      []CompetenceNiveau `db:"-" json:"competences"`
	// ChargeActuelle counts the interventions assigned and not finished.
	ChargeActuelle int       `db:"charge_actuelle" json:"charge_actuelle"`
	DateCreation   time.Time `db:"date_creation" json:"date_creation"`
}

// TechnicienInput creates or partially updates a technicien profile (nil: unchanged).
type TechnicienInput struct {
	UserID           *int64
	Specialite       *string
	NiveauExperience *NiveauExperience
	Disponibilite    *bool
	Telephone        *string
	LocalisationBase *string
	HeureDebut       *string
	HeureFin         *string
}

// Bounds of a technicien's text fields.
const (
	TechnicienTexteMaxLen = 100
	TelephoneMaxLen       = 30
)

// Normalize trims the text fields.
func (in *TechnicienInput) Normalize() {
	for _, p := range []*string{in.Specialite, in.Telephone, in.LocalisationBase, in.HeureDebut, in.HeureFin} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
}

// Validate checks the fields present; create demands user_id.
func (in TechnicienInput) Validate(create bool) error {
	var v Validator
	if create {
		v.Check(in.UserID != nil && *in.UserID > 0, "user_id", "obligatoire (identifiant d'un compte technicien)")
	}
	max := func(field string, p *string, n int) {
		if p != nil {
			v.Check(utf8.RuneCountInString(*p) <= n, field, "%d caractères au maximum", n)
		}
	}
	max("specialite", in.Specialite, TechnicienTexteMaxLen)
	max("localisation_base", in.LocalisationBase, TechnicienTexteMaxLen)
	max("telephone", in.Telephone, TelephoneMaxLen)
	if in.NiveauExperience != nil {
		v.Check(in.NiveauExperience.Valid(), "niveau_experience", "valeur attendue: junior, confirme, senior ou expert")
	}
	var debut, fin time.Time
	var errD, errF error
	if in.HeureDebut != nil {
		debut, errD = time.Parse("15:04", *in.HeureDebut)
		v.Check(errD == nil, "heure_debut", "heure attendue au format HH:MM")
	}
	if in.HeureFin != nil {
		fin, errF = time.Parse("15:04", *in.HeureFin)
		v.Check(errF == nil, "heure_fin", "heure attendue au format HH:MM")
	}
	if in.HeureDebut != nil && in.HeureFin != nil && errD == nil && errF == nil {
		v.Check(fin.After(debut), "heure_fin", "doit suivre heure_debut")
	}
	return v.Err()
}

// TechnicienFiltre selects techniciens in a list.
type TechnicienFiltre struct {
	Competence    string // name, case-insensitive
	NiveauMin     *int
	Disponibilite *bool
	Localisation  string
	Recherche     string
}

// CompetenceInput adds a skill to the catalogue.
type CompetenceInput struct {
	Nom         string `json:"nom"`
	Categorie   string `json:"categorie"`
	Description string `json:"description"`
}

// Validate trims and checks the skill.
func (c *CompetenceInput) Validate() error {
	c.Nom, c.Categorie, c.Description = strings.TrimSpace(c.Nom), strings.TrimSpace(c.Categorie), strings.TrimSpace(c.Description)
	var v Validator
	n := utf8.RuneCountInString(c.Nom)
	v.Check(n >= 1 && n <= 100, "nom", "entre 1 et 100 caractères")
	v.Check(utf8.RuneCountInString(c.Categorie) <= 100, "categorie", "100 caractères au maximum")
	v.Check(utf8.RuneCountInString(c.Description) <= 1000, "description", "1000 caractères au maximum")
	return v.Err()
}

// ValidateUpdate checks a partial update against the profile it changes: a new heure_debut alone
// must still precede the stored heure_fin (and the reverse), which Validate cannot see.
func (in TechnicienInput) ValidateUpdate(old Technicien) error {
	if in.HeureDebut == nil && in.HeureFin == nil {
		return nil
	}
	debut, fin := old.HeureDebut, old.HeureFin
	if in.HeureDebut != nil {
		debut = *in.HeureDebut
	}
	if in.HeureFin != nil {
		fin = *in.HeureFin
	}
	d, errD := time.Parse("15:04", debut)
	f, errF := time.Parse("15:04", fin)
	if errD != nil || errF != nil || f.After(d) {
		return nil
	}
	var v Validator
	if in.HeureFin != nil {
		v.Add("heure_fin", "doit suivre heure_debut (%s)", debut)
	} else {
		v.Add("heure_debut", "doit précéder heure_fin (%s)", fin)
	}
	return v.Err()
}

// TechnicienCandidate is a technicien who may take an intervention, with its current load (the
// FindTechnicien activity's answer, kept in Temporal histories: a renamed field keeps its JSON key).
type TechnicienCandidate struct {
	TechnicienID int64  `db:"technicien_id"`
	UserID       int64  `db:"user_id"`
	Nom          string `db:"nom"`
	Prenom       string `db:"prenom"`
	// Actives counts its planned or running interventions; Charge sums their planned minutes.
	Actives int `db:"actives"`
	Charge  int `db:"charge"`
}
