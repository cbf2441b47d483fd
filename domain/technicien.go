package domain

import (
	"encoding/json"
	"fmt"
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
	ID               int64            `db:"id" json:"id"`
	UserID           int64            `db:"user_id" json:"user_id"`
	Nom              string           `db:"nom" json:"nom"`
	Prenom           string           `db:"prenom" json:"prenom"`
	Email            string           `db:"email" json:"email"`
	Specialite       string           `db:"specialite" json:"specialite"`
	NiveauExperience NiveauExperience `db:"niveau_experience" json:"niveau_experience"`
	Disponibilite    bool             `db:"disponibilite" json:"disponibilite"`
	Telephone        *string          `db:"telephone" json:"telephone"`
	LocalisationBase *string          `db:"localisation_base" json:"localisation_base"`
	HeureDebut       string           `db:"heure_debut" json:"heure_debut"`
	HeureFin         string           `db:"heure_fin" json:"heure_fin"`
	// BaseLatitude/BaseLongitude place the home base where his routes start and end (nil: not
	// known yet; the route planning then cannot plan him).
	BaseLatitude  *float64 `db:"base_latitude" json:"base_latitude"`
	BaseLongitude *float64 `db:"base_longitude" json:"base_longitude"`
	// Horaires are his working hours per weekday: the explicit timetable, or Monday to Friday
	// from HeureDebut to HeureFin when he has none.
	Horaires []Creneau `db:"-" json:"horaires"`
	// HorairesDefaut tells that Horaires come from HeureDebut/HeureFin.
	HorairesDefaut bool               `db:"-" json:"horaires_par_defaut"`
	Outils         TexteListe         `db:"outils" json:"outils"`
	Competences    []CompetenceNiveau `db:"-" json:"competences"`
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
	Tournee          TechnicienTournee
}

// TechnicienTournee is what the route planning needs of a technicien besides his profile: his
// home base, his weekly timetable and the tools in his van (nil: unchanged).
type TechnicienTournee struct {
	BaseLatitude  *float64
	BaseLongitude *float64
	// Horaires replaces the weekly timetable when given; an empty list goes back to Monday to
	// Friday from heure_debut to heure_fin.
	Horaires *[]Creneau
	Outils   *[]string
}

// Bounds of a technicien's tools.
const (
	OutilsMax      = 50
	OutilNomMaxLen = 100
)

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
	in.Tournee.Normalize()
}

// Normalize trims the text fields.
func (in *TechnicienTournee) Normalize() {
	if in.Horaires != nil {
		for i := range *in.Horaires {
			c := &(*in.Horaires)[i]
			c.Jour, c.Debut, c.Fin = strings.ToLower(strings.TrimSpace(c.Jour)), strings.TrimSpace(c.Debut), strings.TrimSpace(c.Fin)
		}
	}
	if in.Outils != nil {
		for i := range *in.Outils {
			(*in.Outils)[i] = strings.TrimSpace((*in.Outils)[i])
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
	in.Tournee.check(&v, create)
	return v.Err()
}

// Validate checks the fields present: coordinates in range (on create, both or none), a
// well-formed timetable, tools named once.
func (in TechnicienTournee) Validate(create bool) error {
	var v Validator
	in.check(&v, create)
	return v.Err()
}

func (in TechnicienTournee) check(v *Validator, create bool) {
	if in.BaseLatitude != nil {
		checkLatitude(v, "base_latitude", *in.BaseLatitude)
	}
	if in.BaseLongitude != nil {
		checkLongitude(v, "base_longitude", *in.BaseLongitude)
	}
	if create {
		v.Check(in.BaseLatitude != nil || in.BaseLongitude == nil, "base_latitude", "obligatoire avec base_longitude")
		v.Check(in.BaseLongitude != nil || in.BaseLatitude == nil, "base_longitude", "obligatoire avec base_latitude")
	}
	if in.Horaires != nil {
		validateCreneaux(v, "horaires", *in.Horaires)
	}
	if in.Outils != nil {
		outils := *in.Outils
		v.Check(len(outils) <= OutilsMax, "outils", "%d outils au maximum", OutilsMax)
		seen := map[string]bool{}
		for i, o := range outils {
			n := utf8.RuneCountInString(o)
			v.Check(n >= 1 && n <= OutilNomMaxLen, fmt.Sprintf("outils[%d]", i), "entre 1 et %d caractères", OutilNomMaxLen)
			if seen[strings.ToLower(o)] {
				v.Add(fmt.Sprintf("outils[%d]", i), "outil déjà listé")
			}
			seen[strings.ToLower(o)] = true
		}
	}
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
	if err := in.Tournee.ValidateUpdate(old); err != nil {
		return err
	}
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

// ValidateUpdate checks a partial update against the stored profile: the base is both
// coordinates or none, so one alone must complete a stored other.
func (in TechnicienTournee) ValidateUpdate(old Technicien) error {
	var v Validator
	if in.BaseLatitude != nil && in.BaseLongitude == nil && old.BaseLongitude == nil {
		v.Add("base_longitude", "obligatoire avec base_latitude (aucune longitude enregistrée)")
	}
	if in.BaseLongitude != nil && in.BaseLatitude == nil && old.BaseLatitude == nil {
		v.Add("base_latitude", "obligatoire avec base_longitude (aucune latitude enregistrée)")
	}
	return v.Err()
}

// TexteListe is a list of texts stored as a PostgreSQL text[] and read through array_to_json
// (storage selects it that way), so that domain needs no driver type.
type TexteListe []string

// Scan reads the JSON array PostgreSQL's array_to_json gives (NULL: empty).
func (l *TexteListe) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		*l = TexteListe{}
		return nil
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return fmt.Errorf("domain: texte liste: cannot scan %T", src)
	}
	out := []string{}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("domain: texte liste: %w", err)
	}
	*l = out
	return nil
}

// MarshalJSON writes an empty list, never null.
func (l TexteListe) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(l))
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
