// Package planner builds a week's plan: which technicien does which intervention, when. It is pure
// (no I/O, no clock, no randomness): the same Problem always gives the same Plan, so an activity
// can run it and a test can pin its answer.
//
// The algorithm is a first, correct greedy pass (its optimisation is a later issue):
//  1. tasks are taken most urgent first: urgence, then priority, then the earliest deadline,
//     then the oldest;
//  2. a task may go to a technicien who is available and has one of the competences the task
//     calls for (no competence listed: anyone);
//  3. for each such technicien, the earliest free slot of the week inside his working hours
//     (his weekly timetable, by default heure_debut–heure_fin Monday to Friday; never before
//     Now) that overlaps none of his planned work is found; a task never spans two intervals;
//  4. among the candidates, a slot that ends before the deadline wins, then the lowest load of
//     the week (fair load), then the earliest start, then the lowest id.
//
// What cannot be placed is reported with its reason.
package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// Reasons a task stays unassigned.
const (
	ReasonNoCompetence = "aucun technicien n'a la compétence requise"
	ReasonUnavailable  = "aucun technicien compétent n'est disponible"
	ReasonTooLong      = "durée supérieure à une journée de travail"
	ReasonNoSlot       = "aucun créneau libre cette semaine"
	ReasonBadDuration  = "durée estimée invalide"
)

// Slot is a period of planned work.
type Slot struct {
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	InterventionID int64     `json:"intervention_id"`
}

// Technicien is someone who can be planned.
type Technicien struct {
	ID         int64
	UserID     int64
	Disponible bool
	// Competences are lower-cased competence names.
	Competences []string
	// DebutMin and FinMin are the working hours, minutes after local midnight.
	DebutMin, FinMin int
	// Horaires are the working hours per ISO weekday (1 = Monday), as [start, end) minutes after
	// local midnight; nil means Monday to Friday from DebutMin to FinMin.
	Horaires map[int][][2]int
	// Busy is the work already planned in the week.
	Busy []Slot
}

// Task is an intervention to place.
type Task struct {
	InterventionID int64
	Priorite       domain.Priorite
	Urgence        bool
	Deadline       *time.Time
	Created        time.Time
	Duree          int // minutes
	// Competences lists the lower-cased competence names that fit (any one is enough); empty
	// means anyone.
	Competences []string
}

// Problem is one week to plan.
type Problem struct {
	// WeekStart is the first day to plan (a Monday for the weekly planning); only its date in
	// Location counts.
	WeekStart time.Time
	// Location is the IANA time zone of working hours (e.g. Africa/Casablanca).
	Location    string
	Days        int       // calendar days from WeekStart, weekends skipped (5 when zero)
	Now         time.Time // nothing is planned before it
	Techniciens []Technicien
	Tasks       []Task
}

// Assignment is one placed task.
type Assignment struct {
	InterventionID int64     `json:"intervention_id"`
	TechnicienID   int64     `json:"technicien_id"`
	Start          time.Time `json:"date_planifiee"`
	Duree          int       `json:"duree_estimee"`
	// AfterDeadline is true when the best slot found still ends after the task's deadline.
	AfterDeadline bool `json:"apres_echeance"`
}

// Unassigned is a task that could not be placed, and why.
type Unassigned struct {
	InterventionID int64  `json:"intervention_id"`
	Raison         string `json:"raison"`
}

// Plan is the answer.
type Plan struct {
	Assignments []Assignment `json:"affectations"`
	Unassigned  []Unassigned `json:"non_affectees"`
	// Charge is each technicien's planned minutes in the week, existing work included.
	Charge map[int64]int `json:"charge_minutes"`
}

// Solve plans the week.
func Solve(p Problem) (Plan, error) {
	loc, err := time.LoadLocation(p.Location)
	if err != nil {
		return Plan{}, fmt.Errorf("planner: time zone %q: %w", p.Location, err)
	}
	days := p.Days
	if days <= 0 {
		days = 5
	}
	week := p.WeekStart.In(loc)
	week = time.Date(week.Year(), week.Month(), week.Day(), 0, 0, 0, 0, loc)
	weekEnd := week.AddDate(0, 0, days)

	techs := make([]*techState, 0, len(p.Techniciens))
	for _, t := range p.Techniciens {
		st := &techState{Technicien: t, busy: slices.Clone(t.Busy)}
		slices.SortFunc(st.busy, func(a, b Slot) int { return a.Start.Compare(b.Start) })
		for _, b := range st.busy {
			st.load += minutesIn(b, week, weekEnd)
		}
		techs = append(techs, st)
	}
	slices.SortFunc(techs, func(a, b *techState) int { return cmp.Compare(a.ID, b.ID) })

	tasks := slices.Clone(p.Tasks)
	slices.SortStableFunc(tasks, compareTasks)

	plan := Plan{Assignments: []Assignment{}, Unassigned: []Unassigned{}, Charge: map[int64]int{}}
	for _, task := range tasks {
		a, reason := place(task, techs, week, days, loc, p.Now)
		if reason != "" {
			plan.Unassigned = append(plan.Unassigned, Unassigned{InterventionID: task.InterventionID, Raison: reason})
			continue
		}
		plan.Assignments = append(plan.Assignments, a)
	}
	for _, t := range techs {
		plan.Charge[t.ID] = t.load
	}
	return plan, nil
}

type techState struct {
	Technicien
	busy []Slot
	load int
}

func compareTasks(a, b Task) int {
	if a.Urgence != b.Urgence {
		if a.Urgence {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.Priorite.Rank(), a.Priorite.Rank()); c != 0 {
		return c
	}
	switch {
	case a.Deadline != nil && b.Deadline == nil:
		return -1
	case a.Deadline == nil && b.Deadline != nil:
		return 1
	case a.Deadline != nil && b.Deadline != nil:
		if c := a.Deadline.Compare(*b.Deadline); c != 0 {
			return c
		}
	}
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.InterventionID, b.InterventionID)
}

func matches(t Technicien, need []string) bool {
	if len(need) == 0 {
		return true
	}
	for _, n := range need {
		if slices.ContainsFunc(t.Competences, func(c string) bool { return strings.EqualFold(c, n) }) {
			return true
		}
	}
	return false
}

type candidate struct {
	t     *techState
	start time.Time
	late  bool
}

func place(task Task, techs []*techState, week time.Time, days int, loc *time.Location, now time.Time) (Assignment, string) {
	if task.Duree <= 0 {
		return Assignment{}, ReasonBadDuration
	}
	competent, available, fitsDay := false, false, false
	var best *candidate
	for _, t := range techs {
		if !matches(t.Technicien, task.Competences) {
			continue
		}
		competent = true
		if !t.Disponible {
			continue
		}
		available = true
		if t.longest() < task.Duree {
			continue
		}
		fitsDay = true
		start, ok := t.earliest(task.Duree, week, days, loc, now)
		if !ok {
			continue
		}
		c := &candidate{t: t, start: start}
		c.late = task.Deadline != nil && start.Add(time.Duration(task.Duree)*time.Minute).After(*task.Deadline)
		if best == nil || better(c, best) {
			best = c
		}
	}
	switch {
	case !competent:
		return Assignment{}, ReasonNoCompetence
	case !available:
		return Assignment{}, ReasonUnavailable
	case !fitsDay:
		return Assignment{}, ReasonTooLong
	case best == nil:
		return Assignment{}, ReasonNoSlot
	}
	slot := Slot{Start: best.start, End: best.start.Add(time.Duration(task.Duree) * time.Minute), InterventionID: task.InterventionID}
	i, _ := slices.BinarySearchFunc(best.t.busy, slot, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	best.t.busy = slices.Insert(best.t.busy, i, slot)
	best.t.load += task.Duree
	return Assignment{InterventionID: task.InterventionID, TechnicienID: best.t.ID, Start: best.start, Duree: task.Duree, AfterDeadline: best.late}, ""
}

func better(a, b *candidate) bool {
	if a.late != b.late {
		return !a.late
	}
	if a.t.load != b.t.load {
		return a.t.load < b.t.load
	}
	if !a.start.Equal(b.start) {
		return a.start.Before(b.start)
	}
	return a.t.ID < b.t.ID
}

// hours are the working intervals of an ISO weekday.
func (t Technicien) hours(isoDay int) [][2]int {
	if t.Horaires != nil {
		return t.Horaires[isoDay]
	}
	if isoDay >= 6 {
		return nil
	}
	return [][2]int{{t.DebutMin, t.FinMin}}
}

// longest is the longest working interval of the week.
func (t Technicien) longest() int {
	best := 0
	for day := 1; day <= 7; day++ {
		for _, iv := range t.hours(day) {
			best = max(best, iv[1]-iv[0])
		}
	}
	return best
}

// earliest finds the first start of a free period of duree minutes inside the working hours.
func (t *techState) earliest(duree int, week time.Time, days int, loc *time.Location, now time.Time) (time.Time, bool) {
	d := time.Duration(duree) * time.Minute
	for day := 0; day < days; day++ {
		date := week.AddDate(0, 0, day)
		iso := int(date.Weekday())
		if iso == 0 {
			iso = 7
		}
		for _, iv := range t.hours(iso) {
			open := time.Date(date.Year(), date.Month(), date.Day(), 0, iv[0], 0, 0, loc)
			closing := time.Date(date.Year(), date.Month(), date.Day(), 0, iv[1], 0, 0, loc)
			cursor := open
			if now.After(cursor) {
				cursor = ceilQuarter(now.In(loc))
			}
			for _, b := range t.busy {
				if !b.End.After(cursor) {
					continue
				}
				if !b.Start.Before(closing) {
					break
				}
				if !cursor.Add(d).After(b.Start) {
					break // fits before this busy slot
				}
				cursor = b.End
			}
			if !cursor.Add(d).After(closing) {
				return cursor, true
			}
		}
	}
	return time.Time{}, false
}

// ceilQuarter rounds up to the next quarter hour, so that plans start on readable times.
func ceilQuarter(t time.Time) time.Time {
	r := t.Truncate(15 * time.Minute)
	if r.Before(t) {
		r = r.Add(15 * time.Minute)
	}
	return r
}

func minutesIn(s Slot, from, to time.Time) int {
	start, end := s.Start, s.End
	if start.Before(from) {
		start = from
	}
	if end.After(to) {
		end = to
	}
	if !end.After(start) {
		return 0
	}
	return int(end.Sub(start) / time.Minute)
}

// WeekStart returns the Monday 00:00 (in loc) of the week that contains t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	offset := (int(t.Weekday()) + 6) % 7 // Monday = 0
	d := t.AddDate(0, 0, -offset)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// Conflicts lists, for one technicien's slots, the pairs that overlap.
func Conflicts(slots []Slot) [][2]Slot {
	s := slices.Clone(slots)
	slices.SortFunc(s, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	var out [][2]Slot
	for i := range s {
		for j := i + 1; j < len(s) && s[j].Start.Before(s[i].End); j++ {
			out = append(out, [2]Slot{s[i], s[j]})
		}
	}
	return out
}
