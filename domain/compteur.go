package domain

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Usage meters (issue 14): per equipment, any unit, read one by one or in bulk.

// Compteur is a meter of an equipment with its last reading.
type Compteur struct {
	ID               int64      `db:"id" json:"id"`
	EquipementID     int64      `db:"equipement_id" json:"equipement_id"`
	Nom              string     `db:"nom" json:"nom"`
	Unite            string     `db:"unite" json:"unite"`
	VariationMaxJour *float64   `db:"variation_max_jour" json:"variation_max_jour"`
	Valeur           *float64   `db:"valeur" json:"valeur"`
	DateReleve       *time.Time `db:"date_releve" json:"date_releve"`
	// UsageJour is the mean usage per day over the last 30 days of readings (nil: too few).
	UsageJour    *float64  `db:"usage_jour" json:"usage_jour"`
	DateCreation time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// CompteurInput creates or partially updates a meter.
type CompteurInput struct {
	EquipementID     *int64   `json:"equipement_id"`
	Nom              *string  `json:"nom"`
	Unite            *string  `json:"unite"`
	VariationMaxJour *float64 `json:"variation_max_jour"`
}

// Validate checks the fields present; create demands equipement_id, nom and unite.
func (in *CompteurInput) Validate(create bool) error {
	var v Validator
	trimAll(in.Nom, in.Unite)
	if in.EquipementID == nil {
		v.Check(!create, "equipement_id", "obligatoire")
	} else {
		v.Check(create, "equipement_id", "un compteur reste sur son équipement")
		v.Check(*in.EquipementID > 0, "equipement_id", "identifiant positif attendu")
	}
	checkName(&v, "nom", in.Nom, create, 100)
	checkName(&v, "unite", in.Unite, create, 30)
	if in.VariationMaxJour != nil {
		CheckQuantite(&v, "variation_max_jour", *in.VariationMaxJour, false)
	}
	return v.Err()
}

// Releve is one reading of a meter.
type Releve struct {
	ID           int64     `db:"id" json:"id"`
	CompteurID   int64     `db:"compteur_id" json:"compteur_id"`
	ReleveID     string    `db:"releve_id" json:"releve_id"`
	Valeur       float64   `db:"valeur" json:"valeur"`
	DateReleve   time.Time `db:"date_releve" json:"date_releve"`
	RemiseAZero  bool      `db:"remise_a_zero" json:"remise_a_zero"`
	Increment    float64   `db:"increment" json:"increment"`
	ActeurID     *int64    `db:"acteur_id" json:"acteur_id"`
	DateCreation time.Time `db:"date_creation" json:"date_creation"`
}

// ReleveInput is a reading as posted. ReleveID is the sender's id for it: posting it again
// records nothing.
type ReleveInput struct {
	ReleveID    string     `json:"releve_id"`
	Valeur      *float64   `json:"valeur"`
	DateReleve  *time.Time `json:"date_releve"`
	RemiseAZero bool       `json:"remise_a_zero"`
}

// Validate checks a reading on its own (field names prefixed by at, e.g. releves[3]).
func (in ReleveInput) Validate(v *Validator, at string) {
	n := len(in.ReleveID)
	v.Check(n >= 1 && n <= 100, at+"releve_id", "entre 1 et 100 caractères")
	if in.Valeur == nil {
		v.Add(at+"valeur", "obligatoire")
	} else {
		CheckQuantite(v, at+"valeur", *in.Valeur, true)
	}
	v.Check(in.DateReleve != nil, at+"date_releve", "obligatoire")
}

// MaxRelevesParLot bounds a bulk post.
const MaxRelevesParLot = 1000

// Outcomes of a posted reading.
const (
	ReleveEnregistre      = "enregistre"
	ReleveDejaEnregistre  = "deja_enregistre"
	ReleveRefuse          = "refuse"
	releveFutureTolerance = 5 * time.Minute
)

// ResultatReleve is what became of one posted reading.
type ResultatReleve struct {
	ReleveID string  `json:"releve_id"`
	Statut   string  `json:"statut"`
	Raison   string  `json:"raison,omitempty"`
	Releve   *Releve `json:"releve,omitempty"`
}

// DernierReleve is the state a new reading is checked against.
type DernierReleve struct {
	Valeur *float64
	Date   *time.Time
}

// CheckReleve applies the reading rules: not in the future, after the last reading, never lower
// than it unless a reset is declared, and no faster than maxJour per day (an outlier: a typo, a
// faulty sensor). It returns the usage since the last reading, or the reason of the refusal.
func CheckReleve(last DernierReleve, in ReleveInput, maxJour *float64, unite string, now time.Time) (float64, string) {
	val, at := *in.Valeur, *in.DateReleve
	if at.After(now.Add(releveFutureTolerance)) {
		return 0, "relevé daté dans le futur"
	}
	if last.Date == nil || last.Valeur == nil {
		return 0, "" // the first reading sets the origin
	}
	if !at.After(*last.Date) {
		return 0, fmt.Sprintf("relevé du %s antérieur ou égal au dernier relevé (%s)", at.UTC().Format(time.RFC3339), last.Date.UTC().Format(time.RFC3339))
	}
	inc := val - *last.Valeur
	if in.RemiseAZero {
		inc = val
	} else if inc < -1e-9 {
		return 0, fmt.Sprintf("valeur %s inférieure au dernier relevé (%s %s) sans remise à zéro déclarée", fmtNum(val), fmtNum(*last.Valeur), unite)
	}
	inc = math.Max(inc, 0)
	if maxJour != nil {
		days := at.Sub(*last.Date).Hours() / 24
		if inc > *maxJour*days+1e-9 {
			return 0, fmt.Sprintf("valeur aberrante: +%s %s en %.1f h, au-delà de %s %s par jour", fmtNum(inc), unite, days*24, fmtNum(*maxJour), unite)
		}
	}
	return inc, ""
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
