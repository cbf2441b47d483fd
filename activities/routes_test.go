package activities_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/orchestration"
	"github.com/mifmaroc/mif/planner/routing"
	"github.com/mifmaroc/mif/planner/weekly"
	"github.com/mifmaroc/mif/temporalerr"
	"github.com/mifmaroc/mif/workflows"
)

var casablanca, _ = time.LoadLocation("Africa/Casablanca")

// routeWeek is a Monday far enough ahead that the whole week is free.
var routeWeek = time.Date(2031, 3, 3, 0, 0, 0, 0, casablanca)

type routeFixture struct {
	*fixture
	ids     map[string]int64 // intervention ids by title
	marie   int64
	youssef int64
}

// newRouteFixture opens work on the demo equipment (with their sites in Casablanca, Mohammedia,
// Rabat and Agadir): a critical leak due Monday noon, the broyeur (hydraulique and soudure, a
// welding set: Marie only), the dairy's tank (Hicham), work planned by an earlier run for
// Youssef (free to move) and work a responsable fixed for Marie on Thursday 10:00.
func newRouteFixture(t *testing.T) *routeFixture {
	f := &routeFixture{fixture: newFixture(t), ids: map[string]int64{}}
	f.acts.Config = &config.Config{SLA: config.DefaultSLA(), Workflows: config.DefaultWorkflows(), Planning: config.DefaultPlanning()}
	f.acts.Config.Planning.TimeBudget = 5 * time.Second
	ctx := context.Background()
	f.marie = f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	f.youssef = f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien2@mif.ma'`)
	noon := routeWeek.Add(12 * time.Hour)
	for _, w := range []struct {
		titre, serie string
		prio         domain.Priorite
		limite       *time.Time
	}{
		{"fuite", "PH001-2023-001", domain.PrioriteCritique, &noon},
		{"broyeur", "BB07-2019-114", domain.PrioriteHaute, nil},
		{"tank", "TL12-2020-010", domain.PrioriteNormale, nil},
		{"deplacable", "CA3-2021-553", domain.PrioriteBasse, nil},
		{"fixee", "PS2-2022-201", domain.PrioriteBasse, nil},
	} {
		eq := f.id(t, `SELECT id FROM equipements WHERE numero_serie = $1`, w.serie)
		in, _, err := f.store.InsertIntervention(ctx, "intervention/route-"+w.titre, domain.NewIntervention{Titre: w.titre,
			Description: "Tournée " + w.titre, TypeIntervention: domain.TypeCorrective, Priorite: w.prio, DateLimite: w.limite, EquipementID: eq})
		if err != nil {
			t.Fatal(err)
		}
		f.ids[w.titre] = in.ID
	}
	// The compressor in Rabat was planned for Youssef by an earlier run (he lacks Pneumatique: the
	// route planner gives it to Marie); the pasteuriser in Agadir was fixed for Hicham by hand.
	hicham := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien3@mif.ma'`)
	f.assign(t, f.ids["deplacable"], f.youssef, routeWeek.AddDate(0, 0, 4).Add(15*time.Hour), false)
	f.assign(t, f.ids["fixee"], hicham, routeWeek.AddDate(0, 0, 3).Add(10*time.Hour), true)
	return f
}

// assign plans an intervention as its workflow's transition would.
func (f *routeFixture) assign(t *testing.T, id, tech int64, at time.Time, fixe bool) {
	t.Helper()
	if _, _, err := f.store.ApplyTransition(context.Background(), domain.TransitionWrite{InterventionID: id, EventKey: "route-test/" + strconv.FormatInt(id, 10) + "/" + strconv.FormatInt(tech, 10) + "/" + at.String(),
		De: f.statut(t, id), Vers: domain.StatutPlanifiee, Action: "assignation", Date: time.Now(),
		TechnicienID: &tech, DatePlanifiee: &at, DureeEstimee: 90, Fixe: fixe}); err != nil {
		t.Fatal(err)
	}
}

func (f *routeFixture) statut(t *testing.T, id int64) domain.StatutIntervention {
	t.Helper()
	var s domain.StatutIntervention
	if err := f.store.Q().GetContext(context.Background(), &s, `SELECT statut FROM interventions WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

// problem builds the week's routing problem from the database as it is now.
func (f *routeFixture) problem(t *testing.T, now time.Time) *weekly.Problem {
	t.Helper()
	sla := config.DefaultSLA()
	techs, its, err := f.store.LoadRoutingInput(context.Background(), routeWeek, routeWeek.AddDate(0, 0, 7), nil, 120,
		map[domain.Priorite]time.Duration{domain.PrioriteCritique: sla.Critique, domain.PrioriteHaute: sla.Haute,
			domain.PrioriteNormale: sla.Normale, domain.PrioriteBasse: sla.Basse})
	if err != nil {
		t.Fatal(err)
	}
	p, err := weekly.Build(context.Background(), weekly.Input{Debut: routeWeek, Jours: 7, Location: casablanca, Maintenant: now,
		Techniciens: techs, Interventions: its}, weekly.TravelFor(1.3, 50))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stored reads the plannings of the week as route stops.
func (f *routeFixture) stored(t *testing.T) []domain.AffectationTournee {
	t.Helper()
	var rows []struct {
		InterventionID int64     `db:"intervention_id"`
		TechnicienID   int64     `db:"technicien_id"`
		DatePlanifiee  time.Time `db:"date_planifiee"`
		DureeEstimee   int       `db:"duree_estimee"`
	}
	if err := f.store.Q().SelectContext(context.Background(), &rows, `SELECT intervention_id, technicien_id, date_planifiee, duree_estimee
		FROM plannings WHERE date_planifiee >= $1 AND date_planifiee < $2 AND statut = 'planifiee' ORDER BY id`, routeWeek, routeWeek.AddDate(0, 0, 7)); err != nil {
		t.Fatal(err)
	}
	out := make([]domain.AffectationTournee, len(rows))
	for i, r := range rows {
		out[i] = domain.AffectationTournee{InterventionID: r.InterventionID, TechnicienID: r.TechnicienID, DatePlanifiee: r.DatePlanifiee, DureeEstimee: r.DureeEstimee}
	}
	return out
}

func TestPlanRoutesActivity(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t)
	in := activities.PlanRoutesInput{Debut: routeWeek.Add(50 * time.Hour), Jours: 7, Semaine: true, Maintenant: time.Now(), Graine: 42}
	first, second := run[activities.PlanRoutesResult](t, f.fixture, f.acts.PlanRoutes, in)
	if !first.Debut.Equal(routeWeek) || first.Jours != 7 || first.Solveur.Graine != 42 || first.Figees != 1 {
		t.Fatalf("plan %+v", first)
	}
	// Same input and seed: the same plan (a retried activity asks the same question).
	if !slices.EqualFunc(first.Affectations, second.Affectations, func(a, b domain.AffectationTournee) bool {
		return a.InterventionID == b.InterventionID && a.TechnicienID == b.TechnicienID && a.DatePlanifiee.Equal(b.DatePlanifiee)
	}) {
		t.Fatalf("two runs differ:\n%+v\n%+v", first.Affectations, second.Affectations)
	}
	if len(first.NonPlanifiees) != 0 || len(first.Affectations) != 5 {
		t.Fatalf("plan %+v / %+v", first.Affectations, first.NonPlanifiees)
	}
	writes := map[int64]activities.RouteWrite{}
	for _, w := range first.Ecritures {
		writes[w.InterventionID] = w
	}
	if w := writes[f.ids["fuite"]]; w.Replan || w.WorkflowID != "intervention/route-fuite" || w.DatePlanifiee.Add(120*time.Minute).After(routeWeek.Add(12*time.Hour)) {
		t.Fatalf("leak: %+v", w)
	}
	if _, moved := writes[f.ids["fixee"]]; moved {
		t.Fatal("fixed work moved")
	}
	if w, moved := writes[f.ids["deplacable"]]; moved && !w.Replan {
		t.Fatalf("movable planned work written as new: %+v", w)
	}
	if first.Users[f.marie] == 0 {
		t.Fatalf("users %+v", first.Users)
	}

	// Urgent insertion: only open work goes in; planned work is a conflict, never retried.
	_, err := f.env.ExecuteActivity(f.acts.PlanRoutes, activities.PlanRoutesInput{UrgentID: ptr(f.ids["fixee"]), Maintenant: routeWeek.Add(9 * time.Hour)})
	var ce *domain.ConflictError
	if de, ok := temporalerr.Unwrap(err); !ok || !errors.As(de, &ce) {
		t.Fatalf("urgent insertion of planned work: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestConfirmRoutes(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t)
	id := f.ids["broyeur"]
	var since time.Time
	if err := f.store.Q().GetContext(context.Background(), &since, `SELECT updated_at FROM interventions WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	at := routeWeek.Add(33 * time.Hour)
	write := activities.RouteWrite{InterventionID: id, TechnicienID: f.marie, DatePlanifiee: at, DureeEstimee: 90, UnchangedSince: since}
	// Not written yet: still pending when the wait ends.
	res, _ := run[activities.ConfirmRoutesResult](t, f.fixture, f.acts.ConfirmRoutes, activities.ConfirmRoutesInput{Ecritures: []activities.RouteWrite{write}, Wait: 100 * time.Millisecond})
	if len(res.Appliquees) != 0 || len(res.Ignorees) != 1 {
		t.Fatalf("pending: %+v", res)
	}
	f.assign(t, id, f.marie, at, false)
	if res, _ = run[activities.ConfirmRoutesResult](t, f.fixture, f.acts.ConfirmRoutes, activities.ConfirmRoutesInput{Ecritures: []activities.RouteWrite{write}, Wait: time.Second}); len(res.Appliquees) != 1 {
		t.Fatalf("applied: %+v", res)
	}
	// Someone planned it elsewhere meanwhile: ignored at once, with the reason.
	f.assign(t, id, f.youssef, at, true)
	if res, _ = run[activities.ConfirmRoutesResult](t, f.fixture, f.acts.ConfirmRoutes, activities.ConfirmRoutesInput{Ecritures: []activities.RouteWrite{write}, Wait: time.Minute}); len(res.Ignorees) != 1 || res.Ignorees[0].Raison == "" {
		t.Fatalf("changed meanwhile: %+v", res)
	}
}

// TestWeeklyPlanningWorkflowPlansRoutes runs the weekly planning workflow (the route planner's
// version) on the SDK's test environment with the real activities on PostgreSQL; the interventions'
// workflows are played by the signal handlers, which write the planning as their transition
// would (and refuse a re-planning of changed work, as the real one does).
func TestWeeklyPlanningWorkflowPlansRoutes(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t)
	before := f.problem(t, time.Now())
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// The activities are real (the solver, PostgreSQL): on a loaded machine they take longer than
	// the test environment's default 3 s of wall time.
	env.SetTestTimeout(2 * time.Minute)
	f.acts.Log = zap.NewNop()
	orchestration.Register(env, f.acts)
	var mu sync.Mutex
	var signals []string
	apply := func(signal string) func(_, wfID, _, _ string, arg any) error {
		return func(_, wfID, _, _ string, arg any) error {
			req := arg.(workflows.TransitionRequest)
			mu.Lock()
			signals = append(signals, signal+" "+wfID)
			mu.Unlock()
			var id int64
			if err := f.store.Q().GetContext(context.Background(), &id, `SELECT id FROM interventions WHERE workflow_id = $1`, wfID); err != nil {
				return err
			}
			f.assign(t, id, *req.TechnicienID, *req.DatePlanifiee, req.Fixe)
			return nil
		}
	}
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalPlanned, mock.Anything).Return(apply(workflows.SignalPlanned))
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalReplanned, mock.Anything).Return(apply(workflows.SignalReplanned))
	week := routeWeek.Add(60 * time.Hour)
	env.ExecuteWorkflow(workflows.WeeklyPlanningWorkflow, workflows.PlanningInput{WeekStart: &week})
	var res workflows.PlanningResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Solveur == nil || res.Solveur.Iterations == 0 || !res.Semaine.Equal(routeWeek) {
		t.Fatalf("result %+v", res)
	}
	// The three open interventions are planned, the fixed one stays, the movable one moves or stays.
	news := 0
	for _, c := range res.Changements {
		if c.Nature == domain.ChangementNouvelle {
			news++
		}
		if c.InterventionID == f.ids["fixee"] {
			t.Fatalf("fixed work changed: %+v", c)
		}
	}
	if news != 3 || len(res.Affectations) != len(res.Changements) || len(res.NonAffectees) != 0 || len(signals) != len(res.Changements) {
		t.Fatalf("changes %+v, signals %v, non affectées %+v", res.Changements, signals, res.NonAffectees)
	}
	// The week as written to the database holds, by the independent checker, against the problem
	// as it stood before the run.
	sol, err := before.SolutionFrom(f.stored(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(before.Routing, sol); err != nil {
		t.Fatalf("the plannings written: %v", err)
	}
	if len(sol.Unassigned) != 0 {
		t.Fatalf("unassigned %+v", sol.Unassigned)
	}
	// The techniciens whose week changed are told, once each.
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE type = 'info' AND titre = 'Votre planning de la semaine'`); n == 0 || n > 3 {
		t.Fatalf("%d notifications", n)
	}
	// Each says the week's day and his first work in the planning's zone (Casablanca), labelled,
	// never in UTC: the first of his changes, as the workflow returned it in UTC.
	var notices []struct {
		UserID  int64  `db:"user_id"`
		Message string `db:"message"`
	}
	if err := f.store.Q().SelectContext(context.Background(), &notices, `SELECT destinataire_id AS user_id, message FROM notifications WHERE titre = 'Votre planning de la semaine'`); err != nil {
		t.Fatal(err)
	}
	withTime := 0
	for _, n := range notices {
		var first time.Time
		for _, c := range res.Changements {
			var user int64
			if c.TechnicienID == nil || c.DatePlanifiee == nil || f.store.Q().GetContext(context.Background(), &user, `SELECT user_id FROM techniciens WHERE id = $1`, *c.TechnicienID) != nil || user != n.UserID {
				continue
			}
			if first.IsZero() || c.DatePlanifiee.Before(first) {
				first = *c.DatePlanifiee
			}
		}
		want := "la semaine du 03/03/2031." // work taken away only: no first work to tell
		if !first.IsZero() {
			want += " La première est le " + first.In(casablanca).Format("02/01/2006 à 15:04") + " (heure de Casablanca)."
			withTime++
		}
		if !strings.HasSuffix(n.Message, want) || strings.Contains(n.Message, "UTC") || strings.Contains(n.Message, "{") {
			t.Errorf("notice %q, want it to end with %q", n.Message, want)
		}
	}
	if withTime == 0 {
		t.Errorf("no notice with a time: %+v", notices)
	}
	var prog workflows.RouteProgress
	v, err := env.QueryWorkflow(workflows.QueryRouteProgress)
	if err != nil || v.Get(&prog) != nil || prog.Etape != workflows.RouteStepTerminee || prog.Appliquees != len(res.Changements) {
		t.Fatalf("progress %+v %v", prog, err)
	}
}

// Urgent work goes into the day's routes at "now": what is planned stays unless it must give way.
func TestPlanRoutesUrgentInsertion(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t)
	// Monday: Marie is at the broyeur in Mohammedia 09:00–10:30 (planned by an earlier run).
	f.assign(t, f.ids["broyeur"], f.marie, routeWeek.Add(9*time.Hour), false)
	now := routeWeek.Add(9*time.Hour + 30*time.Minute)
	plan, _ := run[activities.PlanRoutesResult](t, f.fixture, f.acts.PlanRoutes, activities.PlanRoutesInput{UrgentID: ptr(f.ids["fuite"]), Maintenant: now})
	if !plan.Debut.Equal(routeWeek) || plan.Jours != 1 {
		t.Fatalf("plan of %v for %d days", plan.Debut, plan.Jours)
	}
	var leak *activities.RouteWrite
	for i, w := range plan.Ecritures {
		if w.InterventionID == f.ids["broyeur"] {
			t.Fatalf("work under way moved: %+v", w)
		}
		if w.InterventionID == f.ids["fuite"] {
			leak = &plan.Ecritures[i]
		}
	}
	// Only Marie has Hydraulique: after the broyeur (10:30) and the drive back to Aïn Sebaâ.
	if leak == nil || leak.TechnicienID != f.marie || leak.Replan || leak.DatePlanifiee.Before(routeWeek.Add(10*time.Hour+30*time.Minute)) ||
		leak.DatePlanifiee.In(casablanca).Day() != routeWeek.Day() {
		t.Fatalf("urgent work: %+v (non planifiées %+v)", leak, plan.NonPlanifiees)
	}
}
