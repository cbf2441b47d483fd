package api_test

import (
	"context"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/planner"
	"github.com/mifmaroc/mif/planner/routing"
	"github.com/mifmaroc/mif/planner/weekly"
)

type optimisation struct {
	WorkflowID  string `json:"workflow_id"`
	Statut      string `json:"statut"`
	Lien        string `json:"lien"`
	Progression *struct {
		Etape string `json:"etape"`
	} `json:"progression"`
	Resultat *struct {
		Debut                string                            `json:"debut"`
		Jours                int                               `json:"jours"`
		Changements          []domain.ChangementPlanning       `json:"changements"`
		Ignorees             []domain.InterventionNonPlanifiee `json:"ignorees"`
		NonPlanifiees        []domain.InterventionNonPlanifiee `json:"non_planifiees"`
		Figees               int                               `json:"figees"`
		Affectations         []domain.AffectationTournee       `json:"affectations"`
		Reapprovisionnements []domain.ArretReappro             `json:"reapprovisionnements"`
		Solveur              struct {
			Iterations int    `json:"iterations"`
			Graine     uint64 `json:"graine"`
		} `json:"solveur"`
	} `json:"resultat"`
}

// routeEnv is a platform whose open work the route planning will plan: normal priority, no
// date_limite (the contracts' SLA then gives the deadline).
type routeEnv struct {
	env *apitest.Env
	loc *time.Location
}

func (r routeEnv) open(t *testing.T, titre, serie string) int64 {
	t.Helper()
	var eq int64
	if err := r.env.Store.DB().GetContext(context.Background(), &eq, `SELECT id FROM equipements WHERE numero_serie = $1`, serie); err != nil {
		t.Fatal(err)
	}
	return createOpen(t, r.env, titre, eq, func(b map[string]any) {
		b["urgence"], b["priorite"], b["date_limite"] = false, "normale", nil
	}).ID
}

// problem is the routing problem of the days from debut as the database stands now.
func (r routeEnv) problem(t *testing.T, debut time.Time, jours int) *weekly.Problem {
	t.Helper()
	sla := r.env.Config.SLA
	techs, its, err := r.env.Store.LoadRoutingInput(context.Background(), debut, debut.AddDate(0, 0, jours), nil, r.env.Config.Workflows.DefaultDuree,
		map[domain.Priorite]time.Duration{domain.PrioriteCritique: sla.Critique, domain.PrioriteHaute: sla.Haute, domain.PrioriteNormale: sla.Normale, domain.PrioriteBasse: sla.Basse})
	if err != nil {
		t.Fatal(err)
	}
	p, err := weekly.Build(context.Background(), weekly.Input{Debut: debut, Jours: jours, Location: r.loc, Maintenant: time.Now(),
		Techniciens: techs, Interventions: its}, weekly.TravelFor(r.env.Config.Planning.DetourFactor, r.env.Config.Planning.SpeedKmh))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stored reads the active plannings of [from, to) as route stops.
func (r routeEnv) stored(t *testing.T, from, to time.Time) []domain.AffectationTournee {
	t.Helper()
	var rows []struct {
		InterventionID int64     `db:"intervention_id"`
		TechnicienID   int64     `db:"technicien_id"`
		DatePlanifiee  time.Time `db:"date_planifiee"`
		DureeEstimee   int       `db:"duree_estimee"`
	}
	if err := r.env.Store.DB().SelectContext(context.Background(), &rows, `SELECT intervention_id, technicien_id, date_planifiee, duree_estimee
		FROM plannings WHERE date_planifiee >= $1 AND date_planifiee < $2 AND statut = 'planifiee' ORDER BY date_planifiee`, from, to); err != nil {
		t.Fatal(err)
	}
	out := make([]domain.AffectationTournee, len(rows))
	for i, x := range rows {
		out[i] = domain.AffectationTournee{InterventionID: x.InterventionID, TechnicienID: x.TechnicienID, DatePlanifiee: x.DatePlanifiee, DureeEstimee: x.DureeEstimee}
	}
	return out
}

func TestOptimizeTheWeekAndReadTheTournee(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithEnv("MIF_PLANNING_TIME_BUDGET", "5s"))
	loc, _ := time.LoadLocation(env.Config.Workflows.Timezone)
	r := routeEnv{env: env, loc: loc}
	monday := planner.WeekStart(time.Now().In(loc).AddDate(0, 0, 7), loc) // next week: every day ahead
	hicham := technicienID(t, env, "technicien3@mif.ma")
	marie := technicienID(t, env, apitest.Technicien)
	ids := map[string]int64{
		"presse":      r.open(t, "Presse : fuite de vérin", "PH001-2023-001"),
		"broyeur":     r.open(t, "Broyeur : soudure fissurée", "BB07-2019-114"),
		"compresseur": r.open(t, "Compresseur : perte de pression", "CA3-2021-553"),
		"tank":        r.open(t, "Tank à lait : température", "TL12-2020-010"),
	}
	// A responsable fixes the pasteuriser for Hicham on Tuesday 09:00: the optimisation keeps it.
	pasteur := r.open(t, "Pasteurisateur : contrôle", "PS2-2022-201")
	fixedAt := monday.AddDate(0, 0, 1).Add(9 * time.Hour)
	step(t, env, apitest.Responsable, "PUT", "/api/v1/interventions/"+apitest.ID(pasteur)+"/assign",
		map[string]any{"technicien_id": hicham, "date_planifiee": fixedAt.Format(time.RFC3339), "duree_estimee": 90}, http.StatusOK)
	before := r.problem(t, monday, 7)

	body := map[string]any{"semaine": monday.AddDate(0, 0, 2).Format(time.DateOnly)}
	// The key names the run's workflow in the namespace every test of the binary shares.
	key := "semaine-prochaine/" + uuid.NewString()
	// A loaded machine may answer 503 (the run's progress not read in time): the client sends the
	// same request again, with the same key, as the answer says.
	var res *apitest.Response
	waitFor(t, func() bool {
		res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable), Body: body,
			Header: map[string]string{"Idempotency-Key": key}})
		return res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == ""
	}, "an answer other than 503")
	var opt optimisation
	switch res.Status {
	case http.StatusOK:
		res.JSON(t, &opt)
	case http.StatusAccepted:
		// A loaded machine can outlast MIF_PLANNING_OPTIMIZE_WAIT: follow the status URL as a
		// client does.
		res.JSON(t, &opt)
		waitFor(t, func() bool {
			st := env.Do(t, apitest.Request{Method: "GET", Path: opt.Lien, Token: env.Token(apitest.Responsable)})
			opt = optimisation{}
			st.JSON(t, &opt)
			return st.Status == http.StatusOK && opt.Statut == "terminee"
		}, "the optimisation to end")
	default:
		t.Fatalf("optimize: %d %s", res.Status, res.Body)
	}
	if opt.Statut != "terminee" || opt.Resultat == nil || opt.Resultat.Debut != monday.Format(time.DateOnly) || opt.Resultat.Jours != 7 {
		t.Fatalf("answer %s", res.Body)
	}
	got := opt.Resultat
	var planned []int64
	for _, c := range got.Changements {
		if c.Nature != domain.ChangementNouvelle || c.TechnicienID == nil {
			t.Errorf("change %+v", c)
		}
		planned = append(planned, c.InterventionID)
	}
	slices.Sort(planned)
	want := []int64{ids["presse"], ids["broyeur"], ids["compresseur"], ids["tank"]}
	slices.Sort(want)
	if !slices.Equal(planned, want) || got.Figees != 1 || len(got.NonPlanifiees) != 0 || len(got.Ignorees) != 0 || got.Solveur.Iterations == 0 {
		t.Fatalf("result %s", res.Body)
	}
	// What was written — by each intervention's workflow — is what was answered, and it holds by
	// the independent checker against the problem as it stood before.
	stored := r.stored(t, monday, monday.AddDate(0, 0, 7))
	if len(stored) != 5 || len(got.Affectations) != 5 {
		t.Fatalf("stored %+v, answered %+v", stored, got.Affectations)
	}
	for _, a := range got.Affectations {
		i := slices.IndexFunc(stored, func(s domain.AffectationTournee) bool { return s.InterventionID == a.InterventionID })
		if i < 0 || stored[i].TechnicienID != a.TechnicienID || !stored[i].DatePlanifiee.Equal(a.DatePlanifiee) {
			t.Fatalf("answered %+v, stored %+v", a, stored)
		}
		if a.InterventionID == pasteur && (!a.Figee || !a.DatePlanifiee.Equal(fixedAt)) {
			t.Fatalf("fixed work moved: %+v", a)
		}
	}
	sol, err := before.SolutionFrom(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(before.Routing, sol); err != nil {
		t.Fatalf("the week as written: %v", err)
	}
	// Each through its own workflow's transition: one assignation in historique, the planning
	// marked as the route planning's (free to move next time).
	for name, id := range ids {
		if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'assignation'`, id); n != 1 {
			t.Errorf("%s: %d assignation rows in historique", name, n)
		}
		if n := countRows(t, env, `SELECT count(*) FROM plannings WHERE intervention_id = $1 AND NOT fixe AND notes = 'planification des tournées'`, id); n != 1 {
			t.Errorf("%s: planning not written by the route planning", name)
		}
	}
	if n := countRows(t, env, `SELECT count(*) FROM plannings WHERE intervention_id = $1 AND fixe`, pasteur); n != 1 {
		t.Error("the planning chosen by hand is not fixed")
	}
	// The same Idempotency-Key joins the same run.
	again := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable), Body: body,
		Header: map[string]string{"Idempotency-Key": key}})
	var opt2 optimisation
	again.JSON(t, &opt2)
	if again.Status != http.StatusOK || opt2.WorkflowID != opt.WorkflowID || len(opt2.Resultat.Changements) != len(got.Changements) {
		t.Fatalf("retried request: %d %s", again.Status, again.Body)
	}
	status := env.Do(t, apitest.Request{Method: "GET", Path: opt.Lien, Token: env.Token(apitest.Technicien)})
	var opt3 optimisation
	status.JSON(t, &opt3)
	if status.Status != http.StatusOK || opt3.Statut != "terminee" || opt3.Resultat == nil {
		t.Fatalf("status: %d %s", status.Status, status.Body)
	}

	// Marie's busiest day, as a tournée.
	days := map[string]int{}
	for _, a := range stored {
		if a.TechnicienID == marie {
			days[a.DatePlanifiee.In(loc).Format(time.DateOnly)]++
		}
	}
	var day string
	for d, n := range days {
		if day == "" || n > days[day] || (n == days[day] && d < day) {
			day = d
		}
	}
	if day == "" {
		t.Fatalf("nothing planned for Marie: %+v", stored)
	}
	tr := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/technicien/" + apitest.ID(marie) + "/tournee?date=" + day, Token: env.Token(apitest.Technicien)})
	if tr.Status != http.StatusOK {
		t.Fatalf("tournee: %d %s", tr.Status, tr.Body)
	}
	var tournee domain.Tournee
	tr.JSON(t, &tournee)
	if len(tournee.Etapes) != days[day] || tournee.Base == nil || tournee.Depart == nil || tournee.Retour == nil || tournee.Avertissement != "" {
		t.Fatalf("tournee %s", tr.Body)
	}
	total := tournee.RetourTrajetKm
	for i, e := range tournee.Etapes {
		total += e.TrajetKm
		if e.Position == nil || e.Ordre != i+1 || e.Retard || e.Debut.Before(e.ArriveeEstimee) || !e.Fin.After(e.Debut) {
			t.Errorf("stop %d: %+v", i, e)
		}
		if i > 0 && !e.ArriveeEstimee.Equal(tournee.Etapes[i-1].Fin.Add(time.Duration(e.TrajetMinutes*float64(time.Minute)))) {
			t.Errorf("stop %d: ETA %v is not the previous end plus the trip", i, e.ArriveeEstimee)
		}
	}
	if math.Abs(total-tournee.TotalKm) > 1e-9 || tournee.TotalKm <= 0 {
		t.Errorf("total %v km, legs sum to %v", tournee.TotalKm, total)
	}
	// An empty day is a tournée without stops.
	empty := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/technicien/" + apitest.ID(marie) + "/tournee?date=" + monday.AddDate(0, 0, -3).Format(time.DateOnly), Token: env.Token(apitest.Responsable)})
	if empty.Status != http.StatusOK {
		t.Fatalf("empty day: %d %s", empty.Status, empty.Body)
	}

	// Bad input, unknown ids, roles.
	for _, c := range []struct {
		field string
		body  map[string]any
	}{
		{"date", map[string]any{}},
		{"date", map[string]any{"date": "2026-12-07", "semaine": "2026-12-07"}},
		{"semaine", map[string]any{"semaine": "lundi prochain"}},
		{"technicien_id", map[string]any{"date": "2026-12-07", "technicien_id": 987654}},
		{"technicien_id", map[string]any{"intervention_id": ids["presse"], "technicien_id": marie}},
		{"intervention_id", map[string]any{"intervention_id": 987654}},
	} {
		res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable), Body: c.body})
		if res.Status != http.StatusUnprocessableEntity || !slices.ContainsFunc(res.Problem(t).Errors, func(e domain.FieldError) bool { return e.Field == c.field }) {
			t.Errorf("%v: %d %s, want 422 on %s", c.body, res.Status, res.Body, c.field)
		}
	}
	// Planned work is no urgent insertion: 409, nothing changes.
	if res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"intervention_id": ids["presse"]}}); res.Status != http.StatusConflict {
		t.Errorf("urgent insertion of planned work: %d %s", res.Status, res.Body)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/technicien/" + apitest.ID(marie) + "/tournee?date=7/12", Token: env.Token(apitest.Responsable)}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d", res.Status)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/technicien/987654/tournee", Token: env.Token(apitest.Responsable)}); res.Status != http.StatusNotFound {
		t.Errorf("unknown technicien: %d", res.Status)
	}
	for _, who := range []string{apitest.Technicien, apitest.Client} {
		if res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(who), Body: body}); res.Status != http.StatusForbidden {
			t.Errorf("%s optimizes: %d", who, res.Status)
		}
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/technicien/" + apitest.ID(marie) + "/tournee", Token: env.Token(apitest.Client)}); res.Status != http.StatusForbidden {
		t.Errorf("client reads a tournée: %d", res.Status)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/planning/optimize/0123abcd", Token: env.Token(apitest.Responsable)}); res.Status != http.StatusNotFound {
		t.Errorf("unknown optimisation: %d", res.Status)
	}
}

// With MIF_PLANNING_OPTIMIZE_WAIT=0s the answer is 202 and the status URL; the run is then read
// there until it ends. One technicien's day: only his routes change.
func TestOptimizeOneDayAnswers202(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithEnv("MIF_PLANNING_OPTIMIZE_WAIT", "0s"), apitest.WithEnv("MIF_PLANNING_TIME_BUDGET", "3s"))
	loc, _ := time.LoadLocation(env.Config.Workflows.Timezone)
	r := routeEnv{env: env, loc: loc}
	monday := planner.WeekStart(time.Now().In(loc).AddDate(0, 0, 7), loc)
	marie := technicienID(t, env, apitest.Technicien)
	presse := r.open(t, "Presse : graissage", "PH001-2023-001")
	compresseur := r.open(t, "Compresseur : filtre", "CA3-2021-553")
	tank := r.open(t, "Tank : sonde", "TL12-2020-010") // froid: not Marie's
	res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/planning/optimize", Token: env.Token(apitest.Responsable),
		Body: map[string]any{"technicien_id": marie, "date": monday.Format(time.DateOnly)}})
	if res.Status != http.StatusAccepted {
		t.Fatalf("optimize: %d %s", res.Status, res.Body)
	}
	var opt optimisation
	res.JSON(t, &opt)
	if opt.Statut != "en_cours" || opt.Progression == nil || res.Header.Get("Location") != opt.Lien {
		t.Fatalf("202: %s", res.Body)
	}
	waitFor(t, func() bool {
		st := env.Do(t, apitest.Request{Method: "GET", Path: opt.Lien, Token: env.Token(apitest.Responsable)})
		opt = optimisation{}
		st.JSON(t, &opt)
		return st.Status == http.StatusOK && opt.Statut == "terminee"
	}, "the optimisation to end")
	got := opt.Resultat
	var planned []int64
	for _, c := range got.Changements {
		if *c.TechnicienID != marie || c.DatePlanifiee.In(loc).Format(time.DateOnly) != monday.Format(time.DateOnly) {
			t.Errorf("change outside Marie's Monday: %+v", c)
		}
		planned = append(planned, c.InterventionID)
	}
	slices.Sort(planned)
	if !slices.Equal(planned, []int64{presse, compresseur}) || !slices.ContainsFunc(got.NonPlanifiees, func(n domain.InterventionNonPlanifiee) bool { return n.InterventionID == tank }) {
		t.Fatalf("result %+v", got)
	}
}
