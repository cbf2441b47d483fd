package domain

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Jours are the days of the week in French, Monday first; a day's ISO 8601 number (stored in the
// database) is its index plus one.
var Jours = []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}

// JourISO returns the ISO 8601 number of a French day name (1 = lundi), or 0.
func JourISO(nom string) int { return slices.Index(Jours, nom) + 1 }

// JourNom returns the French name of an ISO 8601 day number, or "".
func JourNom(iso int) string {
	if iso < 1 || iso > 7 {
		return ""
	}
	return Jours[iso-1]
}

// JourDe returns the ISO 8601 day of t (in t's location).
func JourDe(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// Creneau is an interval of a weekday in local time (MIF_PLANNING_TIMEZONE): a site's opening
// hours or a technicien's working hours.
type Creneau struct {
	Jour  string `json:"jour"`
	Debut string `json:"debut"` // HH:MM
	Fin   string `json:"fin"`   // HH:MM, after Debut on the same day
}

// Minutes returns the start and end as minutes after midnight; ok is false when the interval
// is malformed (validate first).
func (c Creneau) Minutes() (debut, fin int, ok bool) {
	d, errD := time.Parse("15:04", c.Debut)
	f, errF := time.Parse("15:04", c.Fin)
	if errD != nil || errF != nil {
		return 0, 0, false
	}
	return d.Hour()*60 + d.Minute(), f.Hour()*60 + f.Minute(), true
}

// MaxCreneaux bounds a weekly timetable (four intervals a day).
const MaxCreneaux = 28

// validateCreneaux checks a weekly timetable: known days, HH:MM times, the end after the start,
// no two intervals of one day overlapping. Each error names the element, as
// "horaires_ouverture[2].fin".
func validateCreneaux(v *Validator, field string, cs []Creneau) {
	if len(cs) > MaxCreneaux {
		v.Add(field, "%d créneaux au maximum", MaxCreneaux)
		return
	}
	type span struct{ d, f, i int }
	byDay := map[int][]span{}
	for i, c := range cs {
		at := fmt.Sprintf("%s[%d]", field, i)
		jour := JourISO(c.Jour)
		v.Check(jour > 0, at+".jour", "jour attendu: lundi, mardi, mercredi, jeudi, vendredi, samedi ou dimanche")
		d, errD := time.Parse("15:04", c.Debut)
		f, errF := time.Parse("15:04", c.Fin)
		v.Check(errD == nil, at+".debut", "heure attendue au format HH:MM")
		v.Check(errF == nil, at+".fin", "heure attendue au format HH:MM")
		if errD != nil || errF != nil {
			continue
		}
		if !f.After(d) {
			v.Add(at+".fin", "doit suivre debut (%s)", c.Debut)
			continue
		}
		if jour > 0 {
			byDay[jour] = append(byDay[jour], span{d.Hour()*60 + d.Minute(), f.Hour()*60 + f.Minute(), i})
		}
	}
	for jour := 1; jour <= 7; jour++ {
		spans := byDay[jour]
		slices.SortFunc(spans, func(a, b span) int { return a.d - b.d })
		for k := 1; k < len(spans); k++ {
			if spans[k].d < spans[k-1].f {
				v.Add(fmt.Sprintf("%s[%d]", field, spans[k].i), "chevauche un autre créneau du %s", JourNom(jour))
			}
		}
	}
}

// checkLatitude and checkLongitude check WGS 84 degrees.
func checkLatitude(v *Validator, field string, lat float64) {
	v.Check(!math.IsNaN(lat) && lat >= -90 && lat <= 90, field, "latitude attendue entre -90 et 90 degrés")
}

func checkLongitude(v *Validator, field string, lon float64) {
	v.Check(!math.IsNaN(lon) && lon >= -180 && lon <= 180, field, "longitude attendue entre -180 et 180 degrés")
}
