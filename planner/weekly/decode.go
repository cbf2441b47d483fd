package weekly

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/routing"
)

// Affectation is one stop of a planned route.
type Affectation = domain.AffectationTournee

// Outcome is what a solution means for the plannings.
type Outcome struct {
	// Affectations lists every stop of every route, pinned ones included, by technicien and
	// time.
	Affectations []Affectation
	// Changements lists the plannings to write (new, moved, reassigned).
	Changements []domain.ChangementPlanning
	// NonPlanifiees lists the work left undone with its reason (in French), those left out
	// before solving included. A movable planning that could not be placed again keeps its slot.
	NonPlanifiees []domain.InterventionNonPlanifiee
	// Inchangees counts the movable plannings the solver left as they were.
	Inchangees int
	// Reappros are the restocking stops at warehouses, by technicien and time.
	Reappros []domain.ArretReappro
}

// Decode reads a solution of the problem.
func (p *Problem) Decode(sol *routing.Solution) Outcome {
	out := Outcome{Affectations: []Affectation{}, Changements: []domain.ChangementPlanning{},
		NonPlanifiees: slices.Clone(p.Ecartees), Reappros: []domain.ArretReappro{}}
	if out.NonPlanifiees == nil {
		out.NonPlanifiees = []domain.InterventionNonPlanifiee{}
	}
	pinned := map[int64]bool{}
	for _, id := range p.Figees {
		pinned[id] = true
	}
	for _, r := range sol.Routes {
		tech, err := strconv.ParseInt(r.Technician, 10, 64)
		if err != nil {
			continue
		}
		for i, stop := range r.Stops {
			if e, ok := p.byDepot[stop]; ok {
				out.Reappros = append(out.Reappros, p.reappro(r, i, tech, e))
				continue
			}
			it, ok := p.byTask[stop]
			if !ok {
				continue
			}
			at := p.At(r.StartTimes[i])
			dur := int(p.Routing.Tasks[p.taskIdx[stop]].Duration)
			out.Affectations = append(out.Affectations, Affectation{InterventionID: it.ID, TechnicienID: tech, DatePlanifiee: at,
				DureeEstimee: dur, Ordre: i + 1, Figee: pinned[it.ID]})
			if pinned[it.ID] {
				continue
			}
			c := domain.ChangementPlanning{InterventionID: it.ID, TechnicienID: &tech, DatePlanifiee: &at, DureeEstimee: dur,
				ApresEcheance: it.Echeance != nil && at.Add(time.Duration(dur)*time.Minute).After(*it.Echeance)}
			switch pl := it.Planning; {
			case pl == nil:
				c.Nature = domain.ChangementNouvelle
			case pl.TechnicienID != tech:
				c.Nature = domain.ChangementReaffectee
			case !pl.Debut.Equal(at):
				c.Nature = domain.ChangementDeplacee
			default:
				out.Inchangees++
				continue
			}
			if pl := it.Planning; pl != nil {
				old, oldAt := pl.TechnicienID, pl.Debut
				c.AncienTechnicienID, c.AncienneDate = &old, &oldAt
			}
			out.Changements = append(out.Changements, c)
		}
	}
	for _, u := range sol.Unassigned {
		it, ok := p.byTask[u.Task]
		if !ok {
			continue
		}
		reason := Raison(u.Reason)
		switch {
		case pinned[it.ID]:
			reason = "figée à sa place, mais intenable: " + reason
		case it.Planning != nil:
			reason += " (son planning actuel est conservé)"
		}
		out.NonPlanifiees = append(out.NonPlanifiees, domain.InterventionNonPlanifiee{InterventionID: it.ID, Raison: reason})
	}
	slices.SortFunc(out.Affectations, func(a, b Affectation) int {
		return cmp.Or(cmp.Compare(a.TechnicienID, b.TechnicienID), a.DatePlanifiee.Compare(b.DatePlanifiee))
	})
	slices.SortFunc(out.Reappros, func(a, b domain.ArretReappro) int {
		return cmp.Or(cmp.Compare(a.TechnicienID, b.TechnicienID), a.Date.Compare(b.Date))
	})
	slices.SortFunc(out.Changements, func(a, b domain.ChangementPlanning) int { return cmp.Compare(a.InterventionID, b.InterventionID) })
	slices.SortFunc(out.NonPlanifiees, func(a, b domain.InterventionNonPlanifiee) int { return cmp.Compare(a.InterventionID, b.InterventionID) })
	return out
}

// reappro describes the restocking stop i of route r at warehouse e: the intervention after it
// and the parts the stops after it need until the next restocking.
func (p *Problem) reappro(r routing.Route, i int, tech int64, e *Entrepot) domain.ArretReappro {
	a := domain.ArretReappro{TechnicienID: tech, EmplacementID: e.ID, EmplacementNom: e.Nom, SiteID: e.Site.ID,
		Date: p.At(r.StartTimes[i]), DureeEstimee: DureeReappro, Ordre: i + 1, Pieces: map[string]int{}}
	for _, next := range r.Stops[i+1:] {
		if _, depot := p.byDepot[next]; depot {
			break
		}
		it, ok := p.byTask[next]
		if !ok {
			continue
		}
		if a.AvantInterventionID == 0 {
			a.AvantInterventionID = it.ID
		}
		for k, n := range p.Routing.Tasks[p.taskIdx[next]].Parts {
			a.Pieces[k] += n
		}
	}
	return a
}

// SolutionFrom writes plannings (stops with their technicien and start) as a solution of the
// problem, so that routing.Check can judge them: every task of the problem that is not among
// them is listed as unassigned. A stop that falls in no shift of its technicien is put on his
// first shift of that day, where Check will report it.
func (p *Problem) SolutionFrom(stops []Affectation) (*routing.Solution, error) {
	type key struct {
		tech  int64
		shift int
	}
	routes := map[key]*routing.Route{}
	var keys []key
	served := map[string]bool{}
	for _, a := range stops {
		task := TaskKey(a.InterventionID)
		if _, ok := p.byTask[task]; !ok {
			return nil, fmt.Errorf("weekly: intervention %d is not a task of the problem", a.InterventionID)
		}
		m := p.minutes(a.DatePlanifiee)
		refs := p.shifts[a.TechnicienID]
		shift := -1
		techIdx := slices.IndexFunc(p.Routing.Technicians, func(t routing.Technician) bool { return t.ID == TechKey(a.TechnicienID) })
		if techIdx < 0 {
			return nil, fmt.Errorf("weekly: technicien %d has no shift in the problem", a.TechnicienID)
		}
		for k, sh := range p.Routing.Technicians[techIdx].Shifts {
			if sh.Start <= m && m <= sh.End {
				shift = k
				break
			}
			if shift < 0 && refs[k].day == p.dayOf(m) {
				shift = k
			}
		}
		if shift < 0 {
			shift = 0
		}
		k := key{a.TechnicienID, shift}
		r, ok := routes[k]
		if !ok {
			r = &routing.Route{Technician: TechKey(a.TechnicienID), Shift: shift}
			routes[k] = r
			keys = append(keys, k)
		}
		r.Stops = append(r.Stops, task)
		r.StartTimes = append(r.StartTimes, m)
		served[task] = true
	}
	sol := &routing.Solution{Routes: []routing.Route{}, Unassigned: []routing.Unassigned{}}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.tech, b.tech), cmp.Compare(a.shift, b.shift)) })
	for _, k := range keys {
		r := routes[k]
		idx := make([]int, len(r.Stops))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(r.StartTimes[a], r.StartTimes[b]) })
		sorted := routing.Route{Technician: r.Technician, Shift: r.Shift}
		for _, i := range idx {
			sorted.Stops = append(sorted.Stops, r.Stops[i])
			sorted.StartTimes = append(sorted.StartTimes, r.StartTimes[i])
		}
		legs, err := routing.Timeline(p.Routing, sorted)
		if err != nil {
			return nil, err
		}
		for _, l := range legs {
			sol.Distance += l.Distance
		}
		sol.Duration += legs[len(legs)-1].Arrival - (legs[0].Arrival - legs[0].Travel)
		sol.Routes = append(sol.Routes, sorted)
	}
	for _, t := range p.Routing.Tasks {
		if !served[t.ID] {
			sol.Unassigned = append(sol.Unassigned, routing.Unassigned{Task: t.ID, Reason: "non planifiée"})
		}
	}
	return sol, nil
}

// dayOf is the day of the period a time of the problem falls in.
func (p *Problem) dayOf(m float64) int {
	for d := 0; d < 400; d++ {
		if m < p.minutes(p.dayStart(d+1)) {
			return d
		}
	}
	return -1
}

var reasons = []struct {
	re *regexp.Regexp
	fr string
}{
	{regexp.MustCompile(`^no technician has a shift`), "aucun technicien disponible ne travaille pendant la période"},
	{regexp.MustCompile(`^pinned to technician \S+ shift \d+, which does not exist`), "son technicien ne travaille pas ce jour-là"},
	{regexp.MustCompile(`^pinned to technician \S+, who `), "son technicien n'a pas les compétences ou les outils requis"},
	{regexp.MustCompile(`^pinned to technician \S+ shift \d+, which cannot reach it`), "son technicien ne peut pas s'y rendre à l'heure fixée dans ses horaires"},
	{regexp.MustCompile(`^pinned to technician \S+ shift \d+, whose route has no room`), "son technicien est déjà occupé à l'heure fixée"},
	{regexp.MustCompile(`^no technician has the skill (.+) at level (\d+)$`), "aucun technicien n'a la compétence « $1 » au niveau $2"},
	{regexp.MustCompile(`^no technician has all the skills (.+)$`), "aucun technicien ne réunit toutes les compétences requises ($1)"},
	{regexp.MustCompile(`^no technician with the skills carries the tool (.+)$`), "aucun technicien compétent n'a l'outil « $1 »"},
	{regexp.MustCompile(`^no technician with the skills carries all the tools (.+)$`), "aucun technicien compétent n'a tous les outils requis ($1)"},
	{regexp.MustCompile(`^no feasible time window`), "aucun technicien compétent ne peut s'y rendre pendant les heures d'ouverture du site, dans ses horaires et avant l'échéance"},
	{regexp.MustCompile(`^no room: the (\d+) qualified`), "pas de place: les $1 journées de techniciens compétents qui peuvent l'atteindre à temps sont pleines"},
	{regexp.MustCompile(`^left out by the search`), "laissée de côté par la recherche (un budget MIF_PLANNING_TIME_BUDGET plus long la placerait)"},
	{regexp.MustCompile(`^its time windows have all passed`), "ses créneaux possibles sont tous passés"},
	{regexp.MustCompile(`^no room today: `), "pas de place aujourd'hui"},
	{regexp.MustCompile(`^no qualified technician carries (\d+) × (.+)$`), "les pièces réservées pour elle ($1 × $2) ne sont dans le véhicule d'aucun technicien qualifié"},
	{regexp.MustCompile(`^no qualified technician carries all the parts`), "les pièces réservées pour elle ne sont toutes dans le véhicule d'aucun technicien qualifié"},
	{regexp.MustCompile(`^out of stock`), "les pièces réservées pour elle ne restent dans le véhicule d'aucun technicien qualifié qui puisse s'y rendre"},
}

// Raison says in French why the solver left a task out (its reasons are in English, like its
// file format).
func Raison(en string) string {
	for _, r := range reasons {
		if m := r.re.FindStringSubmatchIndex(en); m != nil {
			return string(r.re.ExpandString(nil, r.fr, en, m))
		}
	}
	return "non planifiable (" + strings.TrimSpace(en) + ")"
}

// InsertUrgent places the urgent intervention urgentID (a task of the problem, which must hold
// nothing else but the work planned in the period) into the routes that current describes, at
// Maintenant, with as little disruption as routing.InsertUrgent allows: what is under way stays,
// and at most one intervention of lower priority is moved to another route — never dropped,
// since planned work cannot go back to "ouverte". The outcome lists what changed.
func (p *Problem) InsertUrgent(current []Affectation, urgentID int64, now time.Time) (Outcome, error) {
	key := TaskKey(urgentID)
	idx, ok := p.taskIdx[key]
	if !ok {
		return Outcome{}, fmt.Errorf("weekly: intervention %d is not a task of the problem", urgentID)
	}
	if p.Routing.Tasks[idx].Pinned != nil {
		return Outcome{}, fmt.Errorf("weekly: intervention %d is pinned", urgentID)
	}
	urgent := p.Routing.Tasks[idx]
	without := *p
	rp := *p.Routing
	rp.Tasks = slices.Delete(slices.Clone(p.Routing.Tasks), idx, idx+1)
	without.Routing = &rp
	without.taskIdx = indexTasks(rp.Tasks)
	var planned []Affectation
	for _, a := range current {
		if a.InterventionID != urgentID {
			planned = append(planned, a)
		}
	}
	sol, err := without.SolutionFrom(planned)
	if err != nil {
		return Outcome{}, err
	}
	if err := routing.Check(&rp, sol); err != nil {
		return Outcome{}, fmt.Errorf("weekly: the plannings of the day do not hold as they are: %w", err)
	}
	res, err := routing.InsertUrgentWith(&rp, sol, urgent, math.Ceil(p.minutes(now)-1e-9), routing.UrgentOptions{KeepEveryTask: true})
	if err != nil {
		return Outcome{}, err
	}
	after := *p
	after.Routing = res.Problem
	after.taskIdx = indexTasks(res.Problem.Tasks)
	return after.Decode(res.Solution), nil
}

func indexTasks(tasks []routing.Task) map[string]int {
	m := make(map[string]int, len(tasks))
	for i, t := range tasks {
		m[t.ID] = i
	}
	return m
}
