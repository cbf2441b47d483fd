// Package weekly turns the database's picture of a period — techniciens with their home base,
// weekly hours, competences at levels and tools; interventions at their equipment's site, with
// the site's opening hours, a deadline, a priority and maybe a planning — into a routing problem
// (planner/routing), and the solver's answer back into plannings. It is pure: no I/O, no clock;
// travel comes from a Provider the caller passes.
//
// # The problem
//
// Time is counted in minutes from the first day's local midnight. A technicien has one shift per
// interval of his weekly hours on each day of the period (a split day is two shifts: he goes home
// at lunch); the current day's shifts start no earlier than now. Unavailable techniciens and those
// without a home base have no shift. An intervention is a task at its equipment's site, lasting
// its planned duration (or the default), that needs every competence its equipment type calls
// for at the level given and every tool; it may start on any day of the period inside the site's
// opening hours so that it ends before closing, no earlier than now, and so that it ends before
// its deadline — unless no window of the period allows that (it is late already), or the caller
// lists it in SansEcheance (the activity's second pass, for work no route could serve in time):
// then it is served as soon as possible. Priority tiers, highest first: urgent work (critique,
// haute, normale, basse), then the rest in the same order. Everything is mandatory: what cannot be
// placed is reported with a reason.
//
// Work already under way (en_cours, en_attente), work a responsable fixed (planning "fixe"), and
// planned work whose start has passed is pinned: same technicien, same start; the day's shift
// is stretched to reach it. Other planned work of the period is free to move: the solver may
// give it another time or technicien, which the answer reports as a change.
//
// Travel is integral minutes (the Haversine provider rounds each leg up), so that every start
// time the solver gives falls on a whole minute.
package weekly

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/routing"
)

// Provider turns a list of places into the travel part of a routing problem. The built-in
// Haversine is off-line; a road network (an OSRM "table" service) plugs in by answering the
// matrix metric for the same sites.
type Provider interface {
	Travel(ctx context.Context, sites []routing.Site) (routing.Travel, error)
}

// Haversine estimates road travel off-line: great-circle kilometres times DetourFactor, driven
// at SpeedKmh, each leg's minutes rounded up.
type Haversine struct {
	DetourFactor float64
	SpeedKmh     float64
}

// Travel answers the matrix metric (kilometres, whole minutes).
func (h Haversine) Travel(_ context.Context, sites []routing.Site) (routing.Travel, error) {
	if h.SpeedKmh <= 0 || h.DetourFactor < 1 {
		return routing.Travel{}, fmt.Errorf("weekly: haversine: speed %v km/h and detour %v are not usable", h.SpeedKmh, h.DetourFactor)
	}
	t := routing.Travel{Metric: routing.MetricMatrix, Sites: make([]string, len(sites)),
		Distance: make([][]float64, len(sites)), Time: make([][]float64, len(sites))}
	for i, a := range sites {
		if a.Lat == nil || a.Lon == nil {
			return routing.Travel{}, fmt.Errorf("weekly: haversine: site %s has no coordinates", a.ID)
		}
		t.Sites[i] = a.ID
		t.Distance[i] = make([]float64, len(sites))
		t.Time[i] = make([]float64, len(sites))
		for j, b := range sites {
			if i == j {
				continue
			}
			km := routing.HaversineKm(*a.Lat, *a.Lon, *b.Lat, *b.Lon) * h.DetourFactor
			t.Distance[i][j] = km
			t.Time[i][j] = math.Ceil(km/h.SpeedKmh*60 - 1e-9)
		}
	}
	return t, nil
}

// Technicien is someone who may be routed.
type Technicien struct {
	ID         int64
	UserID     int64
	Nom        string
	Disponible bool
	Base       *domain.Point
	Horaires   []domain.Creneau
	// Competences maps a lower-cased competence name to its level.
	Competences map[string]int
	Outils      []string
	// Stock is what his van holds: lower-cased part reference → whole units (issue 14).
	Stock map[string]int
}

// Site is where equipment stands.
type Site struct {
	ID       int64
	Nom      string
	Ville    string
	Position domain.Point
	Horaires []domain.Creneau // empty: open whenever a technicien works
}

// Planning is an intervention's current slot.
type Planning struct {
	TechnicienID int64
	Debut        time.Time
	Duree        int
	Fixe         bool
}

// Intervention is work to route.
type Intervention struct {
	ID         int64
	WorkflowID string
	Titre      string
	Statut     domain.StatutIntervention
	Priorite   domain.Priorite
	Urgence    bool
	// Echeance is when it must be done (date_limite, the contract's SLA or the default one).
	Echeance *time.Time
	Site     *Site // nil: its equipment has no site
	// Competences maps the lower-cased competences its equipment type calls for to their level.
	Competences map[string]int
	Outils      []string
	// Pieces are the parts reserved for it in a van (lower-cased reference → whole units): the
	// technicien who does it must carry them.
	Pieces map[string]int
	// PiecesEntrepot are the parts reserved for it in a warehouse: when the problem has
	// Entrepots, the technicien must carry them too (his van's, or loaded at a restocking stop);
	// pinned work does not count them (it is under way or fixed as it is). Without Entrepots
	// they do not bind a route.
	PiecesEntrepot map[string]int
	// Duree is the planned duration in minutes (the planning's, or the default one).
	Duree    int
	Planning *Planning
	// UpdatedAt is the row's updated_at when it was read: a re-planning applies only while the
	// row has not changed since.
	UpdatedAt time.Time
}

// Input is a period to plan.
type Input struct {
	// Debut is the first day (only its date in Location counts); Jours the number of days.
	Debut    time.Time
	Jours    int
	Location *time.Location
	// Maintenant: nothing movable is planned before it.
	Maintenant    time.Time
	Techniciens   []Technicien
	Interventions []Intervention
	// TechnicienID, when set, limits the problem to one technicien: only his shifts exist, and
	// only his planned work of the period and unplanned work are tasks.
	TechnicienID *int64
	// SansEcheance lists interventions whose deadline is not a bound: a second pass serves late
	// the work that no route could serve in time, rather than not at all.
	SansEcheance map[int64]bool
	// Entrepots are the warehouses a technicien may restock at (issue 14). A warehouse with a
	// site that holds, of every part the work needs, at least the most one intervention needs
	// becomes a restocking depot of the routing problem: FORMAT.md's restock refills the van to
	// its stock at departure.
	Entrepots []Entrepot
}

// Entrepot is a warehouse: where it stands and what it holds.
type Entrepot struct {
	ID   int64
	Nom  string
	Site *Site // nil: no position, never a restocking stop
	// Stock is what it holds: lower-cased part reference → whole units.
	Stock map[string]int
}

// DureeReappro is how long a restocking stop lasts, in minutes.
const DureeReappro = 15

func depotKey(emplacementID int64) string { return "e" + strconv.FormatInt(emplacementID, 10) }

// Problem is a routing problem built from an Input, with what maps it back.
type Problem struct {
	Routing *routing.Problem
	// Ecartees are interventions left out before solving, with the reason.
	Ecartees []domain.InterventionNonPlanifiee
	// Figees are the pinned interventions (kept where they are).
	Figees []int64
	// Bornees are the interventions whose deadline bounds their windows.
	Bornees []int64
	origin  time.Time
	loc     *time.Location
	byDepot map[string]*Entrepot
	byTask  map[string]*Intervention
	taskIdx map[string]int
	shifts  map[int64][]shiftRef // technicien → his shifts, in problem order
}

type shiftRef struct {
	day        int
	start, end float64
}

// TaskKey, TechKey and site keys name things in the routing problem.
func TaskKey(interventionID int64) string { return "i" + strconv.FormatInt(interventionID, 10) }

// TechKey is a technicien's id in the routing problem.
func TechKey(technicienID int64) string { return strconv.FormatInt(technicienID, 10) }

func baseKey(technicienID int64) string { return "b" + strconv.FormatInt(technicienID, 10) }
func siteKey(siteID int64) string       { return "s" + strconv.FormatInt(siteID, 10) }

// Objective is the lexicographic objective of the route planning, after work left undone
// (by priority): driving time, then time away from base, then an even load.
var Objective = []string{routing.ObjTravelTime, routing.ObjDuration, routing.ObjBalance}

// Tier is the priority of an intervention in the routing problem: urgence first, then
// critique, haute, normale, basse.
func Tier(p domain.Priorite, urgence bool) int {
	r := p.Rank()
	if urgence {
		r += len(domain.Priorites)
	}
	return r
}

func (p *Problem) minutes(t time.Time) float64 { return t.Sub(p.origin).Minutes() }

// At converts a time of the problem (minutes) back to an instant.
func (p *Problem) At(m float64) time.Time {
	return p.origin.Add(time.Duration(math.Round(m * float64(time.Minute))))
}

// dayStart is the local midnight of day d.
func (p *Problem) dayStart(d int) time.Time {
	return time.Date(p.origin.Year(), p.origin.Month(), p.origin.Day()+d, 0, 0, 0, 0, p.loc)
}

// Build makes the routing problem of a period.
func Build(ctx context.Context, in Input, travel Provider) (*Problem, error) {
	if in.Location == nil {
		return nil, fmt.Errorf("weekly: no location")
	}
	if in.Jours <= 0 {
		return nil, fmt.Errorf("weekly: %d days", in.Jours)
	}
	d := in.Debut.In(in.Location)
	p := &Problem{loc: in.Location, origin: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, in.Location),
		byTask: map[string]*Intervention{}, taskIdx: map[string]int{}, shifts: map[int64][]shiftRef{}, byDepot: map[string]*Entrepot{}}
	rp := &routing.Problem{Format: routing.FormatProblem, Name: "planning " + p.origin.Format(time.DateOnly), TimeUnit: "minute",
		Sites: []routing.Site{}, Depots: []routing.Depot{}, Technicians: []routing.Technician{}, Tasks: []routing.Task{},
		Objective: slices.Clone(Objective)}
	p.Routing = rp
	horizonEnd := p.minutes(p.dayStart(in.Jours))
	now := max(0, math.Ceil(p.minutes(in.Maintenant)-1e-9))

	sites := map[string]bool{}
	addSite := func(key, name string, at domain.Point) {
		if !sites[key] {
			sites[key] = true
			rp.Sites = append(rp.Sites, routing.Site{ID: key, Name: name, Lat: &at.Latitude, Lon: &at.Longitude})
		}
	}

	techIndex := map[int64]int{}
	for _, t := range in.Techniciens {
		if in.TechnicienID != nil && t.ID != *in.TechnicienID {
			continue
		}
		if !t.Disponible || t.Base == nil {
			continue
		}
		var shifts []routing.Shift
		var refs []shiftRef
		for day := range in.Jours {
			mid := p.minutes(p.dayStart(day))
			jour := domain.JourNom(domain.JourDe(p.dayStart(day)))
			for _, c := range t.Horaires {
				debut, fin, ok := c.Minutes()
				if !ok || c.Jour != jour {
					continue
				}
				s, e := mid+float64(debut), mid+float64(fin)
				if e <= now {
					continue
				}
				s = max(s, now)
				shifts = append(shifts, routing.Shift{Start: s, End: e})
				refs = append(refs, shiftRef{day: day, start: s, end: e})
			}
		}
		order := make([]int, len(shifts))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(shifts[a].Start, shifts[b].Start) })
		sorted := make([]routing.Shift, len(shifts))
		sortedRefs := make([]shiftRef, len(shifts))
		for i, k := range order {
			sorted[i], sortedRefs[i] = shifts[k], refs[k]
		}
		if len(sorted) == 0 {
			continue
		}
		addSite(baseKey(t.ID), "base "+t.Nom, *t.Base)
		skills := map[string]int{}
		for k, l := range t.Competences {
			skills[strings.ToLower(k)] = l
		}
		techIndex[t.ID] = len(rp.Technicians)
		rp.Technicians = append(rp.Technicians, routing.Technician{ID: TechKey(t.ID), Name: t.Nom,
			StartSite: baseKey(t.ID), EndSite: baseKey(t.ID), Shifts: sorted, Skills: skills,
			Tools: lowerAll(t.Outils), Stock: copyCounts(t.Stock)})
		p.shifts[t.ID] = sortedRefs
	}

	var pins []pin
	for i := range in.Interventions {
		it := &in.Interventions[i]
		pl := it.Planning
		inHorizon := pl != nil && p.minutes(pl.Debut) >= 0 && p.minutes(pl.Debut) < horizonEnd
		if pl != nil && !inHorizon {
			continue // planned outside the period: not ours to move
		}
		if in.TechnicienID != nil && pl != nil && pl.TechnicienID != *in.TechnicienID {
			continue // another technicien's work
		}
		started := it.Statut == domain.StatutEnCours || it.Statut == domain.StatutEnAttente
		if started && pl == nil {
			continue
		}
		if it.Statut != domain.StatutOuverte && it.Statut != domain.StatutPlanifiee && !started {
			continue
		}
		pinned := pl != nil && (started || pl.Fixe || p.minutes(pl.Debut) < now)
		if it.Site == nil {
			if !pinned {
				p.Ecartees = append(p.Ecartees, domain.InterventionNonPlanifiee{InterventionID: it.ID,
					Raison: "l'équipement n'est rattaché à aucun site: sa position est inconnue"})
			}
			continue
		}
		task := routing.Task{ID: TaskKey(it.ID), Name: it.Titre, Site: siteKey(it.Site.ID), Duration: float64(it.Duree),
			Skills: map[string]int{}, Tools: lowerAll(it.Outils), Parts: copyCounts(it.Pieces), Priority: Tier(it.Priorite, it.Urgence)}
		if len(in.Entrepots) > 0 && !pinned {
			for k, n := range copyCounts(it.PiecesEntrepot) {
				task.Parts[k] += n
			}
		}
		for k, l := range it.Competences {
			task.Skills[strings.ToLower(k)] = l
		}
		if pinned {
			if _, ok := techIndex[pl.TechnicienID]; !ok {
				continue // his technicien has no shift in the period: left as it is
			}
			task.Duration = float64(pl.Duree)
			pins = append(pins, pin{task: len(rp.Tasks), tech: pl.TechnicienID, start: math.Floor(p.minutes(pl.Debut))})
			p.Figees = append(p.Figees, it.ID)
		} else {
			var bound bool
			task.Windows, bound = p.windows(it, now, in.Jours, !in.SansEcheance[it.ID])
			if bound {
				p.Bornees = append(p.Bornees, it.ID)
			}
			if len(task.Windows) == 0 {
				p.Ecartees = append(p.Ecartees, domain.InterventionNonPlanifiee{InterventionID: it.ID,
					Raison: "le site n'est ouvert à aucun moment de la période où l'intervention tiendrait"})
				continue
			}
		}
		addSite(siteKey(it.Site.ID), it.Site.Nom, it.Site.Position)
		p.byTask[task.ID] = it
		p.taskIdx[task.ID] = len(rp.Tasks)
		rp.Tasks = append(rp.Tasks, task)
	}

	p.addDepots(in.Entrepots, horizonEnd, addSite)

	tr, err := travel.Travel(ctx, rp.Sites)
	if err != nil {
		return nil, err
	}
	rp.Travel = tr
	if err := p.pin(rp, pins); err != nil {
		return nil, err
	}
	if err := rp.Validate(); err != nil {
		return nil, fmt.Errorf("weekly: built an invalid problem: %w", err)
	}
	return p, nil
}

// addDepots makes restocking depots of the warehouses with a site that hold, of every part the
// tasks need, at least the most one task needs (FORMAT.md: a restock refills every part, so a
// warehouse short of one of them is no place to restock); none when no task needs parts.
func (p *Problem) addDepots(entrepots []Entrepot, horizonEnd float64, addSite func(key, name string, at domain.Point)) {
	need := map[string]int{}
	for _, t := range p.Routing.Tasks {
		for k, n := range t.Parts {
			need[k] = max(need[k], n)
		}
	}
	if len(need) == 0 {
		return
	}
	for i := range entrepots {
		e := &entrepots[i]
		if e.Site == nil {
			continue
		}
		holds := true
		for k, n := range need {
			holds = holds && e.Stock[k] >= n
		}
		if !holds {
			continue
		}
		addSite(siteKey(e.Site.ID), e.Site.Nom, e.Site.Position)
		key := depotKey(e.ID)
		p.byDepot[key] = e
		p.Routing.Depots = append(p.Routing.Depots, routing.Depot{ID: key, Site: siteKey(e.Site.ID), Open: 0, Close: horizonEnd,
			Restock: true, Duration: DureeReappro})
	}
}

// pin is a task to fix to its technicien's shift of the day at a start.
type pin struct {
	task  int
	tech  int64
	start float64
}

// pin fixes pinned tasks to the shift of their day and stretches that shift to reach them; a
// stretched shift never runs into the next or the previous one of the same day.
func (p *Problem) pin(rp *routing.Problem, pins []pin) error {
	if len(pins) == 0 {
		return nil
	}
	model, err := routing.NewTravelModel(rp)
	if err != nil {
		return err
	}
	site := map[string]int{}
	for i, s := range rp.Sites {
		site[s.ID] = i
	}
	for _, pn := range pins {
		task := &rp.Tasks[pn.task]
		ti := slices.IndexFunc(rp.Technicians, func(t routing.Technician) bool { return t.ID == TechKey(pn.tech) })
		tech := &rp.Technicians[ti]
		day := int(math.Floor((pn.start - p.minutes(p.dayStart(0))) / 1440))
		for d := range 8 { // the day of the start, in local time (days may be 23 or 25 h long)
			if p.minutes(p.dayStart(d)) <= pn.start && pn.start < p.minutes(p.dayStart(d+1)) {
				day = d
				break
			}
		}
		best, gap := -1, math.Inf(1)
		for k, ref := range p.shifts[pn.tech] {
			if ref.day != day {
				continue
			}
			g := max(0, ref.start-pn.start, pn.start-ref.end)
			if g < gap {
				best, gap = k, g
			}
		}
		start := pn.start
		task.Pinned = &routing.Pin{Technician: tech.ID, Shift: max(best, 0), Start: &start}
		if best < 0 {
			// No shift that day: the pin names a shift that does not fit, and the solver reports
			// it as such; nothing is planned around it since he does not work that day.
			continue
		}
		_, there := model.Leg(site[tech.StartSite], site[task.Site])
		_, back := model.Leg(site[task.Site], site[tech.EndSite])
		sh := &tech.Shifts[best]
		sh.Start = min(sh.Start, start-there)
		sh.End = max(sh.End, start+task.Duration+back)
		for k := best + 1; k < len(tech.Shifts) && tech.Shifts[k].Start < sh.End; k++ {
			tech.Shifts[k].Start = min(sh.End, tech.Shifts[k].End)
		}
		for k := best - 1; k >= 0 && tech.Shifts[k].End > sh.Start; k-- {
			tech.Shifts[k].End = max(sh.Start, tech.Shifts[k].Start)
		}
	}
	return nil
}

// windows are the possible starts of an intervention: inside the site's opening hours (ending
// before closing), not before now, ending before its deadline when that can still be met (and
// deadline is asked); bound tells whether the deadline narrowed them.
func (p *Problem) windows(it *Intervention, now float64, days int, deadline bool) ([]routing.Window, bool) {
	dur := float64(it.Duree)
	var open []routing.Window
	for day := range days {
		mid := p.minutes(p.dayStart(day))
		jour := domain.JourNom(domain.JourDe(p.dayStart(day)))
		if len(it.Site.Horaires) == 0 {
			open = append(open, routing.Window{Start: mid, End: p.minutes(p.dayStart(day+1)) - dur})
			continue
		}
		for _, c := range it.Site.Horaires {
			debut, fin, ok := c.Minutes()
			if ok && c.Jour == jour {
				open = append(open, routing.Window{Start: mid + float64(debut), End: mid + float64(fin) - dur})
			}
		}
	}
	clip := func(ws []routing.Window, lo, hi float64) []routing.Window {
		var out []routing.Window
		for _, w := range ws {
			w.Start, w.End = max(w.Start, lo), min(w.End, hi)
			if w.End >= w.Start {
				out = append(out, w)
			}
		}
		return out
	}
	open = clip(open, now, math.Inf(1))
	if it.Echeance != nil && deadline {
		if due := clip(open, math.Inf(-1), math.Floor(p.minutes(*it.Echeance)-dur)); len(due) > 0 {
			return due, !slices.Equal(due, open)
		}
	}
	return open, false
}

func lowerAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToLower(x)
	}
	return out
}

// TravelFor is the travel provider the platform is configured with. Today it is always the
// off-line Haversine; a road-network provider (an OSRM "table" service) would be chosen here by
// a setting of its own.
func TravelFor(detourFactor, speedKmh float64) Provider {
	return Haversine{DetourFactor: detourFactor, SpeedKmh: speedKmh}
}

// copyCounts copies a part count map with lower-cased keys, dropping empty counts (never nil).
func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, n := range m {
		if n > 0 {
			out[strings.ToLower(k)] += n
		}
	}
	return out
}
