package planner

import (
	"fmt"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
)

const tz = "Africa/Casablanca"

func monday(t testing.TB) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2026, 11, 30, 0, 0, 0, 0, loc) // a Monday
}

func tech(id int64, comp ...string) Technicien {
	return Technicien{ID: id, UserID: id * 10, Disponible: true, Competences: comp, DebutMin: 8 * 60, FinMin: 17 * 60}
}

func TestSolveRespectsCompetenceHoursAndOverlaps(t *testing.T) {
	w := monday(t)
	p := Problem{WeekStart: w, Location: tz, Now: w.Add(-time.Hour),
		Techniciens: []Technicien{tech(1, "hydraulique"), tech(2, "froid industriel")},
		Tasks: []Task{
			{InterventionID: 10, Priorite: domain.PrioriteNormale, Duree: 240, Competences: []string{"hydraulique"}},
			{InterventionID: 11, Priorite: domain.PrioriteNormale, Duree: 240, Competences: []string{"hydraulique"}},
			{InterventionID: 12, Priorite: domain.PrioriteNormale, Duree: 240, Competences: []string{"hydraulique"}},
			{InterventionID: 13, Priorite: domain.PrioriteBasse, Duree: 60, Competences: []string{"soudure"}},
			{InterventionID: 14, Priorite: domain.PrioriteBasse, Duree: 600, Competences: []string{"froid industriel"}},
		}}
	plan, err := Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Assignments) != 3 {
		t.Fatalf("assignments: %+v", plan)
	}
	var slots []Slot
	for _, a := range plan.Assignments {
		if a.TechnicienID != 1 {
			t.Errorf("task %d went to %d, only technicien 1 is hydraulique", a.InterventionID, a.TechnicienID)
		}
		local := a.Start.In(w.Location())
		end := local.Add(time.Duration(a.Duree) * time.Minute)
		if local.Hour() < 8 || end.Hour()*60+end.Minute() > 17*60 || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
			t.Errorf("task %d outside working hours: %v → %v", a.InterventionID, local, end)
		}
		slots = append(slots, Slot{Start: a.Start, End: a.Start.Add(time.Duration(a.Duree) * time.Minute), InterventionID: a.InterventionID})
	}
	if c := Conflicts(slots); len(c) != 0 {
		t.Fatalf("overlaps: %+v", c)
	}
	// Monday 08:00–12:00, 12:00–16:00, then Tuesday 08:00.
	if got := plan.Assignments[2].Start; !got.Equal(w.AddDate(0, 0, 1).Add(8 * time.Hour)) {
		t.Errorf("third task starts %v", got)
	}
	reasons := map[int64]string{}
	for _, u := range plan.Unassigned {
		reasons[u.InterventionID] = u.Raison
	}
	if reasons[13] != ReasonNoCompetence || reasons[14] != ReasonTooLong || len(reasons) != 2 {
		t.Fatalf("unassigned: %+v", plan.Unassigned)
	}
	if plan.Charge[1] != 720 || plan.Charge[2] != 0 {
		t.Fatalf("charge: %v", plan.Charge)
	}
}

func TestSolvePriorityDeadlineAndFairLoad(t *testing.T) {
	w := monday(t)
	deadline := w.Add(12 * time.Hour) // Monday noon
	busy := tech(1, "x")
	busy.Busy = []Slot{{Start: w.Add(8 * time.Hour), End: w.Add(12 * time.Hour), InterventionID: 99}}
	off := tech(3, "x")
	off.Disponible = false
	p := Problem{WeekStart: w, Location: tz, Now: w,
		Techniciens: []Technicien{busy, tech(2, "x"), off},
		Tasks: []Task{
			{InterventionID: 1, Priorite: domain.PrioriteBasse, Duree: 60, Competences: []string{"X"}},
			{InterventionID: 2, Priorite: domain.PrioriteCritique, Duree: 240, Deadline: &deadline, Competences: []string{"x"}},
			{InterventionID: 3, Priorite: domain.PrioriteNormale, Duree: 60},
		}}
	plan, err := Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]Assignment{}
	order := []int64{}
	for _, a := range plan.Assignments {
		got[a.InterventionID] = a
		order = append(order, a.InterventionID)
	}
	if fmt.Sprint(order) != "[2 3 1]" {
		t.Fatalf("order %v, want most urgent first", order)
	}
	// The critical task meets its deadline only with technicien 2 (1 is busy all morning).
	if a := got[2]; a.TechnicienID != 2 || a.AfterDeadline || !a.Start.Equal(w.Add(8*time.Hour)) {
		t.Fatalf("critical task: %+v", a)
	}
	// Then fair load: technicien 1 has 240 min, technicien 2 has 240 min; tie → earliest start.
	for _, a := range plan.Assignments {
		if a.TechnicienID == 3 {
			t.Fatalf("unavailable technicien planned: %+v", a)
		}
	}
	if plan.Charge[1]+plan.Charge[2] != 240+240+60+60 {
		t.Fatalf("charge %v", plan.Charge)
	}
	if d := plan.Charge[1] - plan.Charge[2]; d > 60 || d < -60 {
		t.Fatalf("unfair load %v", plan.Charge)
	}
}

func TestSolveIsDeterministicAndSkipsThePast(t *testing.T) {
	w := monday(t)
	p := Problem{WeekStart: w, Location: tz, Now: w.AddDate(0, 0, 4).Add(16 * time.Hour), // Friday 16:00
		Techniciens: []Technicien{tech(1)},
		Tasks:       []Task{{InterventionID: 1, Duree: 30}, {InterventionID: 2, Duree: 90}}}
	a, _ := Solve(p)
	b, _ := Solve(p)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same problem, different plans")
	}
	if len(a.Assignments) != 1 || !a.Assignments[0].Start.Equal(p.Now) || a.Unassigned[0].Raison != ReasonNoSlot {
		t.Fatalf("plan %+v", a)
	}
	if _, err := Solve(Problem{Location: "Nowhere/Land"}); err == nil {
		t.Fatal("bad time zone accepted")
	}
}

func TestWeekStart(t *testing.T) {
	w := monday(t)
	for d := 0; d < 7; d++ {
		if got := WeekStart(w.AddDate(0, 0, d).Add(23*time.Hour), w.Location()); !got.Equal(w) {
			t.Fatalf("day %d: %v", d, got)
		}
	}
}

func benchProblem(b *testing.B, techs, tasks int) Problem {
	w := monday(b)
	comps := []string{"hydraulique", "electricite", "froid", "soudure", "automatisme"}
	p := Problem{WeekStart: w, Location: tz, Now: w}
	for i := range techs {
		p.Techniciens = append(p.Techniciens, tech(int64(i+1), comps[i%len(comps)], comps[(i+2)%len(comps)]))
	}
	prios := domain.Priorites
	for i := range tasks {
		p.Tasks = append(p.Tasks, Task{InterventionID: int64(i + 1), Priorite: prios[i%len(prios)], Urgence: i%13 == 0,
			Duree: 30 + (i%8)*30, Competences: []string{comps[i%len(comps)]}, Created: w.Add(-time.Duration(i) * time.Minute)})
	}
	return p
}

func BenchmarkSolve(b *testing.B) {
	for _, size := range []struct{ techs, tasks int }{{5, 50}, {20, 300}, {50, 1000}} {
		b.Run(fmt.Sprintf("techs=%d/tasks=%d", size.techs, size.tasks), func(b *testing.B) {
			p := benchProblem(b, size.techs, size.tasks)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Solve(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Fair load wins over the earliest start and the lowest id: the technicien with less work in the
// week gets the task even when another could start it sooner.
func TestSolveFairLoadBeatsEarliestStart(t *testing.T) {
	w := monday(t)
	loaded := tech(1)
	loaded.Busy = []Slot{{Start: w.AddDate(0, 0, 2).Add(8 * time.Hour), End: w.AddDate(0, 0, 2).Add(16 * time.Hour), InterventionID: 90}} // Wednesday, 480 min
	light := tech(2)
	light.Busy = []Slot{{Start: w.Add(8 * time.Hour), End: w.Add(9 * time.Hour), InterventionID: 91}} // Monday 08:00–09:00, 60 min
	plan, err := Solve(Problem{WeekStart: w, Location: tz, Now: w, Techniciens: []Technicien{loaded, light},
		Tasks: []Task{{InterventionID: 1, Priorite: domain.PrioriteNormale, Duree: 60}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Assignments) != 1 || plan.Assignments[0].TechnicienID != 2 || !plan.Assignments[0].Start.Equal(w.Add(9*time.Hour)) {
		t.Fatalf("plan %+v, want technicien 2 at 09:00", plan.Assignments)
	}
	if plan.Charge[1] != 480 || plan.Charge[2] != 120 {
		t.Fatalf("charge %v", plan.Charge)
	}
}

// Among tasks of the same priority, the earliest deadline is placed first (before an older task
// without one), so it gets the first slot.
func TestSolveEarliestDeadlineFirst(t *testing.T) {
	w := monday(t)
	soon, later := w.AddDate(0, 0, 1).Add(17*time.Hour), w.AddDate(0, 0, 3).Add(17*time.Hour)
	plan, err := Solve(Problem{WeekStart: w, Location: tz, Now: w, Techniciens: []Technicien{tech(1)},
		Tasks: []Task{
			{InterventionID: 1, Priorite: domain.PrioriteHaute, Duree: 540, Created: w.AddDate(0, 0, -9)},
			{InterventionID: 2, Priorite: domain.PrioriteHaute, Duree: 540, Deadline: &later, Created: w.AddDate(0, 0, -5)},
			{InterventionID: 3, Priorite: domain.PrioriteHaute, Duree: 540, Deadline: &soon, Created: w.AddDate(0, 0, -1)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	days := map[int64]int{}
	for _, a := range plan.Assignments {
		days[a.InterventionID] = int(a.Start.Sub(w) / (24 * time.Hour))
	}
	if days[3] != 0 || days[2] != 1 || days[1] != 2 || len(plan.Assignments) != 3 {
		t.Fatalf("days %v, want the soonest deadline on Monday, then the later one, then the one without", days)
	}
}

// A problem longer than a week skips the weekend: Friday full, the task goes on Monday.
func TestSolveSkipsWeekends(t *testing.T) {
	w := monday(t)
	friday := w.AddDate(0, 0, 4)
	full := tech(1)
	full.Busy = []Slot{{Start: friday.Add(8 * time.Hour), End: friday.Add(17 * time.Hour), InterventionID: 90}}
	plan, err := Solve(Problem{WeekStart: friday, Location: tz, Days: 7, Now: friday, Techniciens: []Technicien{full},
		Tasks: []Task{{InterventionID: 1, Duree: 60}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Assignments) != 1 || !plan.Assignments[0].Start.Equal(w.AddDate(0, 0, 7).Add(8*time.Hour)) {
		t.Fatalf("plan %+v, want next Monday 08:00", plan.Assignments)
	}
}
