package domain

import (
	"math"
	"strconv"
	"time"
)

// Preventive plans by calendar, by usage, or whichever comes first (issue 14). The calendar part
// is the equipment's frequence_entretien; a usage plan counts the units of one meter of the same
// equipment since the last occurrence.

// What triggers a plan's occurrences.
const (
	DeclencheurCalendrier     = "calendrier"
	DeclencheurUsage          = "usage"
	DeclencheurPremierAtteint = "premier_atteint"
)

// Declencheurs lists the trigger types, in the order the KPI shows them.
var Declencheurs = []string{DeclencheurCalendrier, DeclencheurUsage, DeclencheurPremierAtteint}

// PlanPreventif is an equipment's preventive plan with where its counters stand and the forecast
// of the next occurrence.
type PlanPreventif struct {
	EquipementID int64  `db:"equipement_id" json:"equipement_id"`
	Declencheur  string `db:"declencheur" json:"declencheur"`
	// FrequenceJours is the calendar interval (the equipment's frequence_entretien).
	FrequenceJours  *int     `db:"frequence_jours" json:"frequence_jours"`
	CompteurID      *int64   `db:"compteur_id" json:"compteur_id"`
	IntervalleUsage *float64 `db:"intervalle_usage" json:"intervalle_usage"`
	Unite           *string  `db:"unite" json:"unite"`
	// UsageBase is the meter's total usage when the current usage cycle started.
	UsageBase float64 `db:"usage_base" json:"usage_base"`
	// UsageCumule is the meter's total usage now.
	UsageCumule *float64 `db:"usage_cumule" json:"usage_cumule"`
	// UsageJour is the meter's mean usage per day over its last 30 days of readings.
	UsageJour     *float64   `db:"usage_jour" json:"usage_jour"`
	DateReleve    *time.Time `db:"date_releve" json:"date_dernier_releve"`
	DateReference *time.Time `db:"date_reference" json:"date_reference"`
	// Base of the calendar: the last maintenance, else installation, else creation.
	BaseCalendrier time.Time `db:"base_calendrier" json:"-"`
	Retire         bool      `db:"retire" json:"-"`
	// Computed by Prevoir.
	SeuilUsage          *float64   `db:"-" json:"seuil_usage"`
	UsageDepuis         *float64   `db:"-" json:"usage_depuis_occurrence"`
	ProchaineCalendrier *time.Time `db:"-" json:"prochaine_calendrier"`
	PrevisionUsage      *time.Time `db:"-" json:"prevision_usage"`
	Prochaine           *time.Time `db:"-" json:"prochaine_maintenance"`
	Actif               bool       `db:"-" json:"actif"`
}

// UsesCalendar and UsesUsage tell which counters the plan runs.
func (p PlanPreventif) UsesCalendar() bool {
	return p.Declencheur != DeclencheurUsage && p.FrequenceJours != nil && *p.FrequenceJours > 0
}

func (p PlanPreventif) UsesUsage() bool {
	return p.Declencheur != DeclencheurCalendrier && p.CompteurID != nil && p.IntervalleUsage != nil && *p.IntervalleUsage > 0
}

// Prevoir fills in the thresholds and the forecast: the calendar due date counts from the later
// of the last maintenance and the last usage-or-whichever occurrence; the usage forecast is the
// last reading's date plus what remains to the threshold at the meter's recent rate per day
// (none without a rate); the next maintenance is the earlier of the two the plan runs.
func (p *PlanPreventif) Prevoir() {
	p.SeuilUsage, p.UsageDepuis, p.ProchaineCalendrier, p.PrevisionUsage, p.Prochaine = nil, nil, nil, nil, nil
	if p.UsesCalendar() {
		base := p.BaseCalendrier
		if p.Declencheur != DeclencheurCalendrier && p.DateReference != nil && p.DateReference.After(base) {
			base = *p.DateReference
		}
		next := base.AddDate(0, 0, *p.FrequenceJours)
		p.ProchaineCalendrier = &next
		p.Prochaine = &next
	}
	if p.UsesUsage() {
		seuil := p.UsageBase + *p.IntervalleUsage
		cumul := 0.0
		if p.UsageCumule != nil {
			cumul = *p.UsageCumule
		}
		depuis := math.Max(cumul-p.UsageBase, 0)
		p.SeuilUsage, p.UsageDepuis = &seuil, &depuis
		if p.DateReleve != nil {
			var at time.Time
			switch reste := seuil - cumul; {
			case reste <= UsageEpsilon:
				at = *p.DateReleve
			case p.UsageJour != nil && *p.UsageJour > 0:
				days := reste / *p.UsageJour
				if days > 3650*2 {
					break // too slow to forecast
				}
				at = p.DateReleve.Add(time.Duration(days * 24 * float64(time.Hour))).Truncate(time.Second)
			}
			if !at.IsZero() {
				p.PrevisionUsage = &at
				if p.Prochaine == nil || at.Before(*p.Prochaine) {
					p.Prochaine = &at
				}
			}
		}
	}
	p.Actif = !p.Retire && (p.UsesCalendar() || p.UsesUsage())
}

// UsageEpsilon absorbs the rounding of NUMERIC(…, 3) values read as float64.
const UsageEpsilon = 5e-4

// SeuilAtteint reports whether the meter has reached the usage threshold.
func (p PlanPreventif) SeuilAtteint() bool {
	return p.UsesUsage() && p.UsageCumule != nil && p.SeuilUsage != nil && *p.UsageCumule >= *p.SeuilUsage-UsageEpsilon
}

// SeuilCle names a usage threshold in occurrence keys and workflow IDs (3 decimals at most).
func SeuilCle(seuil float64) string {
	return strconv.FormatFloat(math.Round(seuil*1000)/1000, 'f', -1, 64)
}

// PlanPreventifInput replaces an equipment's preventive plan.
type PlanPreventifInput struct {
	Declencheur     string   `json:"declencheur"`
	FrequenceJours  *int     `json:"frequence_jours"`
	CompteurID      *int64   `json:"compteur_id"`
	IntervalleUsage *float64 `json:"intervalle_usage"`
}

// Validate checks the plan on its own: a calendar plan needs a frequency and no meter, a usage
// plan a meter and a positive interval and no frequency, a whichever-first plan all three. That
// the meter belongs to the equipment is checked by the store.
func (in *PlanPreventifInput) Validate(bool) error {
	var v Validator
	cal, usage := false, false
	switch in.Declencheur {
	case DeclencheurCalendrier:
		cal = true
	case DeclencheurUsage:
		usage = true
	case DeclencheurPremierAtteint:
		cal, usage = true, true
	case "":
		v.Add("declencheur", "obligatoire: calendrier, usage ou premier_atteint")
	default:
		v.Add("declencheur", "calendrier, usage ou premier_atteint attendu")
	}
	if in.Declencheur != "" && (cal || usage) {
		if cal {
			if in.FrequenceJours == nil {
				v.Add("frequence_jours", "obligatoire pour un plan %s (nombre de jours)", in.Declencheur)
			} else {
				f := *in.FrequenceJours
				v.Check(f >= 1 && f <= FrequenceMaxJours, "frequence_jours", "nombre de jours entre 1 et %d", FrequenceMaxJours)
			}
		} else if in.FrequenceJours != nil {
			v.Add("frequence_jours", "sans objet pour un plan à l'usage (premier_atteint pour combiner calendrier et usage)")
		}
		if usage {
			if in.CompteurID == nil {
				v.Add("compteur_id", "obligatoire pour un plan %s: un compteur de l'équipement", in.Declencheur)
			} else {
				v.Check(*in.CompteurID > 0, "compteur_id", "identifiant positif attendu")
			}
			if in.IntervalleUsage == nil {
				v.Add("intervalle_usage", "obligatoire pour un plan %s: unités du compteur entre deux occurrences", in.Declencheur)
			} else {
				x := *in.IntervalleUsage
				v.Check(!math.IsNaN(x) && x > 0 && x <= MaxQuantite && decimals(x, 3), "intervalle_usage", "intervalle positif attendu (3 décimales au plus)")
			}
		} else {
			v.Check(in.CompteurID == nil, "compteur_id", "sans objet pour un plan calendaire")
			v.Check(in.IntervalleUsage == nil, "intervalle_usage", "sans objet pour un plan calendaire")
		}
	}
	return v.Err()
}
