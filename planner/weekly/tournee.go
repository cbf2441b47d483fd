package weekly

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/routing"
)

// Etape is a planned intervention of a technicien's day, as stored.
type Etape struct {
	InterventionID int64
	Titre          string
	Priorite       domain.Priorite
	Statut         domain.StatutIntervention
	Site           *Site // nil: its equipment has no site
	Debut          time.Time
	Duree          int
}

// Tournee draws a technicien's day from his plannings: in order of start, the trip from the
// previous place (his base first), the estimated arrival (the previous end plus the trip; for
// the first stop, he leaves just in time), the wait or the lateness, and the drive home. Stops
// whose equipment has no site are listed without a position and skipped by the trips.
func Tournee(ctx context.Context, technicienID int64, base *domain.Point, date string, etapes []Etape, travel Provider) (domain.Tournee, error) {
	t := domain.Tournee{TechnicienID: technicienID, Date: date, Base: base, Etapes: []domain.EtapeTournee{}}
	etapes = slices.Clone(etapes)
	slices.SortStableFunc(etapes, func(a, b Etape) int {
		return cmp.Or(a.Debut.Compare(b.Debut), cmp.Compare(a.InterventionID, b.InterventionID))
	})
	// Places: the base (when known) and every site, in order.
	var sites []routing.Site
	seen := map[string]bool{}
	add := func(key string, at domain.Point) {
		if !seen[key] {
			seen[key] = true
			sites = append(sites, routing.Site{ID: key, Lat: &at.Latitude, Lon: &at.Longitude})
		}
	}
	if base != nil {
		add("base", *base)
	}
	for _, e := range etapes {
		if e.Site != nil {
			add(siteKey(e.Site.ID), e.Site.Position)
		}
	}
	var model routing.TravelModel
	index := map[string]int{}
	if len(sites) > 0 {
		tr, err := travel.Travel(ctx, sites)
		if err != nil {
			return t, err
		}
		rp := &routing.Problem{Sites: sites, Travel: tr}
		if model, err = routing.NewTravelModel(rp); err != nil {
			return t, err
		}
		for i, s := range sites {
			index[s.ID] = i
		}
	}
	var warnings []string
	if base == nil {
		warnings = append(warnings, "le technicien n'a pas de base: les trajets depuis et vers chez lui ne sont pas comptés")
	}
	prev, prevEnd := "", time.Time{}
	if base != nil {
		prev = "base"
	}
	for i, e := range etapes {
		fin := e.Debut.Add(time.Duration(e.Duree) * time.Minute)
		st := domain.EtapeTournee{Ordre: i + 1, InterventionID: e.InterventionID, Titre: e.Titre, Priorite: e.Priorite, Statut: e.Statut,
			ArriveeEstimee: e.Debut, Debut: e.Debut, Fin: fin}
		if e.Site == nil {
			warnings = append(warnings, fmt.Sprintf("l'intervention %d n'a pas de site: position inconnue", e.InterventionID))
			t.Etapes = append(t.Etapes, st)
			continue
		}
		pos := e.Site.Position
		st.SiteID, st.SiteNom, st.Ville, st.Position = e.Site.ID, e.Site.Nom, e.Site.Ville, &pos
		here := siteKey(e.Site.ID)
		if prev != "" {
			km, minutes := model.Leg(index[prev], index[here])
			st.TrajetKm, st.TrajetMinutes = km, minutes
			t.TotalKm += km
			t.TotalTrajetMinutes += minutes
			if prevEnd.IsZero() {
				depart := e.Debut.Add(-time.Duration(minutes * float64(time.Minute)))
				t.Depart = &depart
			} else {
				st.ArriveeEstimee = prevEnd.Add(time.Duration(minutes * float64(time.Minute)))
			}
		}
		if wait := e.Debut.Sub(st.ArriveeEstimee); wait > 0 {
			st.AttenteMinutes = wait.Minutes()
		} else if wait < 0 {
			st.Retard = true
		}
		t.Etapes = append(t.Etapes, st)
		prev, prevEnd = here, fin
	}
	if base != nil && prev != "base" && prev != "" {
		km, minutes := model.Leg(index[prev], index["base"])
		t.RetourTrajetKm, t.RetourTrajetMinutes = km, minutes
		t.TotalKm += km
		t.TotalTrajetMinutes += minutes
		retour := prevEnd.Add(time.Duration(minutes * float64(time.Minute)))
		t.Retour = &retour
	}
	if len(warnings) > 0 {
		t.Avertissement = warnings[0]
		for _, w := range warnings[1:] {
			t.Avertissement += "; " + w
		}
	}
	return t, nil
}
