package routing

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func dayProblem() *Problem {
	p := genVRPTW(21, 30, 4, 1000)
	for i := range p.Tasks {
		p.Tasks[i].Duration = 30
	}
	return p
}

func TestInsertUrgentKeepsWhatIsUnderWay(t *testing.T) {
	p := dayProblem()
	sol := solveChecked(t, p, Options{Seed: 1, Iterations: 2000})
	const now = 300.0
	urgent := Task{ID: "urgent", Site: "5", Duration: 20, Windows: []Window{{0, 800}}, Priority: 3}
	res, err := InsertUrgent(p, sol, urgent, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	if res.Technician == "" || startOf(res.Solution, "urgent") < now || len(res.Displaced) != 0 {
		t.Fatalf("urgent at %q, start %v, displaced %v", res.Technician, startOf(res.Solution, "urgent"), res.Displaced)
	}
	before := map[string]string{}
	for _, r := range sol.Routes {
		for _, s := range r.Stops {
			before[s] = r.Technician
		}
	}
	for _, r := range res.Solution.Routes {
		key := fmt.Sprintf("%s/%d", r.Technician, r.Shift)
		for _, s := range r.Stops {
			if s != "urgent" && before[s] != r.Technician {
				t.Errorf("task %s moved from technician %s to %s", s, before[s], r.Technician)
			}
		}
		var old *Route
		for i := range sol.Routes {
			if sol.Routes[i].Technician == r.Technician {
				old = &sol.Routes[i]
			}
		}
		if !slices.Contains(res.Changed, key) {
			if !reflect.DeepEqual(*old, r) {
				t.Errorf("route %s reported unchanged but differs", key)
			}
			continue
		}
		// What had started, or was being driven to, at `now` is kept as it was.
		leave := old.Departure
		for i, s := range old.Stops {
			if leave >= now {
				break
			}
			if r.Stops[i] != s || r.StartTimes[i] != old.StartTimes[i] {
				t.Errorf("route %s: stop %d (%s at %v) was under way at %v, now %s at %v", key, i, s, old.StartTimes[i], now, r.Stops[i], r.StartTimes[i])
			}
			leave = old.StartTimes[i] + 30
		}
	}
	if len(res.Changed) != 1 {
		t.Fatalf("changed routes %v, want only the urgent task's", res.Changed)
	}
}

func TestInsertUrgentDisplacesLowerPriority(t *testing.T) {
	p := small(ObjDistance)
	addTech(p, "1", Shift{0, 400}).Skills = map[string]int{"hydraulique": 1}
	addTech(p, "2", Shift{0, 400})
	for i := range 3 {
		tk := addTask(p, fmt.Sprint("t", i), 10, float64(i), 100)
		tk.Priority = i // t0 is the least important
	}
	sol := solveChecked(t, p, Options{Iterations: 300})
	if len(sol.Unassigned) != 0 {
		t.Fatalf("setup: %+v", sol)
	}
	urgent := Task{ID: "fuite", Site: "s-t1", Duration: 100, Priority: 5, Skills: map[string]int{"hydraulique": 1}}
	res, err := InsertUrgent(p, sol, urgent, 50)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	// t0 is under way at 50 (the technician left at 0 to start it at 10): it stays. One of the
	// others makes room and, since only technician 1 may do the urgent task and technician 2
	// has room, moves there.
	if res.Technician != "1" || len(res.Displaced) != 1 || res.Displaced[0] == "t0" || startOf(res.Solution, "t0") != startOf(sol, "t0") {
		t.Fatalf("urgent at %q, displaced %v; solution %+v", res.Technician, res.Displaced, res.Solution)
	}
	if r := routeOf(res.Solution, res.Displaced[0]); r == nil || r.Technician != "2" {
		t.Fatalf("%s in %+v", res.Displaced[0], r)
	}
	// With no room anywhere, the displaced task is unassigned with the reason.
	p.Technicians = p.Technicians[:1]
	sol = solveChecked(t, p, Options{Iterations: 300})
	res, err = InsertUrgent(p, sol, urgent, 50)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	// The least important task that is not under way gives way.
	if got := reasonOf(res.Solution, "t1"); !slices.Equal(res.Displaced, []string{"t1"}) || !strings.HasPrefix(got, "displaced by urgent task fuite") {
		t.Fatalf("displaced %v, t1: %q", res.Displaced, got)
	}
	// Unless every task must be kept: then nothing gives way and the urgent task waits.
	res, err = InsertUrgentWith(p, sol, urgent, 50, UrgentOptions{KeepEveryTask: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	if res.Technician != "" || len(res.Displaced) != 0 || len(res.Changed) != 0 || reasonOf(res.Solution, "fuite") == "" {
		t.Fatalf("kept every task: %+v", res)
	}
}

func TestInsertUrgentTooLate(t *testing.T) {
	p := dayProblem()
	sol := solveChecked(t, p, Options{Iterations: 200})
	res, err := InsertUrgent(p, sol, Task{ID: "late", Site: "3", Duration: 10, Windows: []Window{{0, 100}}}, 500)
	if err != nil {
		t.Fatal(err)
	}
	if got := reasonOf(res.Solution, "late"); got != "its time windows have all passed" {
		t.Fatalf("late: %q", got)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	// A bad task is an input error naming it.
	if _, err := InsertUrgent(p, sol, Task{ID: "x", Site: "nowhere"}, 0); err == nil || !strings.Contains(err.Error(), "tasks[30].site") {
		t.Fatalf("got %v", err)
	}
}

// A week: yesterday's routes are history, and a technician driving home takes nothing more.
func TestInsertUrgentLaterInTheWeek(t *testing.T) {
	p := small(ObjDistance)
	addTech(p, "1", Shift{0, 100}, Shift{200, 300})
	addTech(p, "2", Shift{0, 100}, Shift{200, 300}).Skills = map[string]int{"froid": 1}
	addTask(p, "lundi", 10, 0, 20, Window{0, 60})
	addTask(p, "mardi", 10, 0, 20, Window{200, 230})
	addTask(p, "froid", 0, 10, 20, Window{200, 230}).Skills = map[string]int{"froid": 1}
	sol := solveChecked(t, p, Options{Iterations: 200})
	if len(sol.Routes) != 3 {
		t.Fatalf("setup: %+v", sol.Routes)
	}
	res, err := InsertUrgent(p, sol, Task{ID: "fuite", Site: "s-mardi", Duration: 10, Priority: 3}, 215)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	if res.Technician != "1" || res.Shift != 1 || startOf(res.Solution, "fuite") < 215 || !slices.Equal(res.Changed, []string{"1/1"}) {
		t.Fatalf("urgent at %s/%d, changed %v: %+v", res.Technician, res.Shift, res.Changed, res.Solution.Routes)
	}
	// At 290 technician 1 has finished and is back (or on the way); technician 2 too; the task
	// cannot be served today.
	res, err = InsertUrgent(p, sol, Task{ID: "tard", Site: "s-mardi", Duration: 5, Priority: 3}, 290)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(res.Problem, res.Solution); err != nil {
		t.Fatal(err)
	}
	if res.Technician != "" || !strings.HasPrefix(reasonOf(res.Solution, "tard"), "no room today") || len(res.Changed) != 0 {
		t.Fatalf("at 290: %+v, changed %v", res.Solution, res.Changed)
	}
}
