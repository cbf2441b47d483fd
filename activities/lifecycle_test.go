package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

type fixture struct {
	store *storage.Store
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store := storage.New(testdb.New(t))
	if err := demo.Seed(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: store, Log: zap.NewNop()}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &fixture{store: store, acts: acts, env: env}
}

func (f *fixture) id(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := f.store.Q().GetContext(context.Background(), &id, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return id
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.store.Q().GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// run executes an activity twice with the same input, as a retry after a lost answer would: the
// second run must find the work done.
func run[T any](t *testing.T, f *fixture, act any, in any) (first, second T) {
	t.Helper()
	for i, dst := range []*T{&first, &second} {
		v, err := f.env.ExecuteActivity(act, in)
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if err := v.Get(dst); err != nil {
			t.Fatal(err)
		}
	}
	return first, second
}

func TestActivitiesLifecycleAgainstPostgres(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	marie := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	responsable := f.id(t, `SELECT id FROM users WHERE email = 'responsable@mif.ma'`)

	// Create: the contract of the equipment gives the SLA (24 h).
	created, again := run[activities.CreateInterventionResult](t, f, f.acts.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID: "intervention/act-test", Intervention: domain.NewIntervention{Titre: "Fuite", Description: "Fuite sur le vérin principal",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteCritique, EquipementID: presse, CreateurID: &responsable},
	})
	row := created.Intervention
	if !created.Created || again.Created || again.Intervention.ID != row.ID {
		t.Fatalf("create twice: %+v / %+v", created, again)
	}
	p := created.Policy
	if p.DeadlineSource != activities.SLASourceContrat || !p.Deadline.Equal(row.DateCreation.Add(24*time.Hour)) || !p.Escalate {
		t.Fatalf("policy %+v", p)
	}

	// Automatic assignment: the Presse calls for Hydraulique, which only Marie Dubois has.
	start := time.Now().Add(time.Hour).Truncate(time.Minute)
	found, _ := run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, activities.FindTechnicienInput{
		InterventionID: row.ID, EquipementID: presse, Start: start, Duree: 120})
	if found.Technicien == nil || found.Technicien.TechnicienID != marie || found.Candidates != 1 {
		t.Fatalf("candidate %+v", found)
	}

	write := func(seq string, from, to domain.StatutIntervention, action string) domain.TransitionWrite {
		return domain.TransitionWrite{InterventionID: row.ID, EventKey: "intervention/act-test/transition/" + seq, De: from, Vers: to,
			Action: action, ActeurID: &responsable, Date: time.Now()}
	}
	assign := write("1", domain.StatutOuverte, domain.StatutPlanifiee, "assignation")
	assign.TechnicienID, assign.DatePlanifiee, assign.DureeEstimee = &marie, &start, 120
	a1, a2 := run[activities.TransitionResult](t, f, f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: assign})
	if !a1.Applied || a2.Applied || a2.Intervention.Statut != domain.StatutPlanifiee || *a2.Intervention.TechnicienID != marie {
		t.Fatalf("assign twice: %+v / %+v", a1, a2)
	}
	if n := f.count(t, `SELECT count(*) FROM plannings WHERE intervention_id = $1`, row.ID); n != 1 {
		t.Fatalf("%d plannings", n)
	}
	// Marie is now busy at that time: nobody else has the competence.
	busy, _ := run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, activities.FindTechnicienInput{
		EquipementID: presse, Start: start.Add(30 * time.Minute), Duree: 60})
	if busy.Technicien != nil {
		t.Fatalf("overlapping candidate %+v", busy)
	}

	// A transition from a status the row is not in is refused, typed, and writes nothing.
	_, err := f.env.ExecuteActivity(f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: write("9", domain.StatutEnAttente, domain.StatutEnCours, "reprise")})
	if de, ok := temporalerr.Unwrap(err); !ok || !errors.Is(de, domain.ErrInvalidTransition) {
		t.Fatalf("invalid transition: %v", err)
	}

	run[activities.TransitionResult](t, f, f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: write("2", domain.StatutPlanifiee, domain.StatutEnCours, "demarrage")})
	eq, _ := f.store.GetEquipement(ctx, presse)
	if eq.Statut != domain.EquipementEnMaintenance {
		t.Fatalf("equipment during work: %s", eq.Statut)
	}
	rapport, temps := "Joint remplacé", 95
	done := write("3", domain.StatutEnCours, domain.StatutTerminee, "cloture")
	done.Rapport, done.TempsPasse = &rapport, &temps
	c1, _ := run[activities.TransitionResult](t, f, f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: done})
	eq, _ = f.store.GetEquipement(ctx, presse)
	if c1.Intervention.DateFin == nil || eq.Statut != domain.EquipementOperationnel || eq.DerniereMaintenance == nil || !eq.DerniereMaintenance.Equal(*c1.Intervention.DateFin) {
		t.Fatalf("completion: %+v, equipment %+v", c1.Intervention, eq)
	}
	if n := f.count(t, `SELECT count(*) FROM plannings WHERE intervention_id = $1 AND statut = 'terminee'`, row.ID); n != 1 {
		t.Fatal("planning not terminee")
	}
	// One historique row per event: creation + 3 transitions, and 2 equipment events.
	if n := f.count(t, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1`, row.ID); n != 4 {
		t.Fatalf("%d intervention historique rows, want 4", n)
	}
	if n := f.count(t, `SELECT count(*) FROM historique WHERE entite = 'equipement' AND entite_id = $1`, presse); n != 2 {
		t.Fatalf("%d equipment historique rows, want 2", n)
	}

	// Notifications: stakeholders (creator + Marie's account) + responsables, once per dedup key.
	notice := activities.NotifyInterventionInput{InterventionID: row.ID, Stakeholders: true, Roles: []domain.Role{domain.RoleResponsable},
		Notification: domain.NewNotification{Titre: "Terminée", Message: "Intervention terminée", Event: "intervention.cloture", DedupKey: done.EventKey}}
	n1, n2 := run[activities.NotifyResult](t, f, f.acts.NotifyIntervention, notice)
	if len(n1.Created) != 2 || len(n2.Created) != 0 {
		t.Fatalf("notifications: first %d, retry %d (want 2 then 0)", len(n1.Created), len(n2.Created))
	}

	// Late marking and escalation levels are recorded once.
	l1, l2 := run[activities.TransitionResult](t, f, f.acts.MarkLate, activities.MarkLateInput{InterventionID: row.ID, Deadline: time.Now(), EventKey: "x/retard"})
	if l1.Applied || l2.Applied {
		t.Fatal("a finished intervention was marked late")
	}
	for range 2 {
		if _, err := f.env.ExecuteActivity(f.acts.RecordEscalation, activities.RecordEscalationInput{InterventionID: row.ID, Level: 1, Reason: "test", EventKey: "x/escalade/1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM historique WHERE event_key = 'x/escalade/1'`); n != 1 {
		t.Fatalf("%d escalation rows", n)
	}
}

func TestActivitiesMarkLateOnce(t *testing.T) {
	f := newFixture(t)
	eq := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'TL12-2020-010'`)
	res, _ := run[activities.CreateInterventionResult](t, f, f.acts.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID: "intervention/late", Intervention: domain.NewIntervention{Titre: "Froid", Description: "Température trop haute",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteBasse, EquipementID: eq}})
	l1, l2 := run[activities.TransitionResult](t, f, f.acts.MarkLate, activities.MarkLateInput{InterventionID: res.Intervention.ID, Deadline: time.Now(), EventKey: "intervention/late/retard"})
	if !l1.Applied || l2.Applied || !l2.Intervention.EnRetard {
		t.Fatalf("mark late twice: %+v / %+v", l1, l2)
	}
	if n := f.count(t, `SELECT count(*) FROM historique WHERE entite_id = $1 AND action = 'retard'`, res.Intervention.ID); n != 1 {
		t.Fatalf("%d late rows", n)
	}
}

func TestActivitiesPlanningAndHousekeeping(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, serie := range []string{"PH001-2023-001", "TL12-2020-010", "CA3-2021-553"} {
		eq := f.id(t, `SELECT id FROM equipements WHERE numero_serie = $1`, serie)
		if _, _, err := f.store.InsertIntervention(ctx, "intervention/plan-"+serie, domain.NewIntervention{Titre: "Travaux " + serie,
			Description: "Intervention à planifier", TypeIntervention: domain.TypeCorrective, Priorite: domain.Priorites[i], EquipementID: eq}); err != nil {
			t.Fatal(err)
		}
	}
	week := time.Date(2030, 1, 7, 12, 0, 0, 0, time.UTC) // a Monday far ahead: the whole week is free
	v, err := f.env.ExecuteActivity(f.acts.PlanWeek, activities.PlanWeekInput{WeekStart: &week, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var plan activities.PlanWeekResult
	if err := v.Get(&plan); err != nil {
		t.Fatal(err)
	}
	// Presse → Hydraulique (Marie), Cuve réfrigérée → Froid (Hicham), Compresseur → Pneumatique (Marie).
	if len(plan.Plan.Assignments) != 3 || len(plan.Plan.Unassigned) != 0 || len(plan.Workflows) != 3 {
		t.Fatalf("plan %+v", plan.Plan)
	}
	if plan.WeekStart.Weekday() != time.Monday || plan.WeekStart.Hour() != 0 {
		t.Fatalf("week start %v", plan.WeekStart)
	}

	// Every demo equipment is due within 5 days: one notice per equipment and responsable, once.
	first, second := run[activities.MaintenanceDueResult](t, f, f.acts.NotifyMaintenanceDue, activities.MaintenanceDueInput{Now: time.Now()})
	if first.Due != 5 || first.Notifications != 5 || second.Notifications != 0 {
		t.Fatalf("maintenance due: %+v then %+v", first, second)
	}

	eq := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	pv, err := f.env.ExecuteActivity(f.acts.LoadPreventivePlan, activities.PreventivePlanInput{EquipementID: eq})
	if err != nil {
		t.Fatal(err)
	}
	var pp activities.PreventivePlan
	if err := pv.Get(&pp); err != nil {
		t.Fatal(err)
	}
	if !pp.Active || pp.Frequence != 30 || pp.Prochaine == nil || pp.LeadTime != 7*24*time.Hour {
		t.Fatalf("preventive plan %+v", pp)
	}
	for range 2 {
		if _, err := f.env.ExecuteActivity(f.acts.RecordMaintenance, activities.RecordMaintenanceInput{EquipementID: eq, Date: time.Now(), EventKey: "m/1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM historique WHERE event_key = 'm/1'`); n != 1 {
		t.Fatalf("%d maintenance rows", n)
	}
	// An older maintenance (the completion of an intervention already recorded a later one) moves
	// nothing and writes nothing.
	before, _ := f.store.GetEquipement(ctx, eq)
	if _, err := f.env.ExecuteActivity(f.acts.RecordMaintenance, activities.RecordMaintenanceInput{EquipementID: eq, Date: time.Now().Add(-time.Hour), EventKey: "m/0"}); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.GetEquipement(ctx, eq)
	if n := f.count(t, `SELECT count(*) FROM historique WHERE event_key = 'm/0'`); n != 0 || !after.DerniereMaintenance.Equal(*before.DerniereMaintenance) {
		t.Fatalf("an older maintenance wrote %d rows, derniere %v → %v", n, before.DerniereMaintenance, after.DerniereMaintenance)
	}
	gone, err := f.env.ExecuteActivity(f.acts.LoadPreventivePlan, activities.PreventivePlanInput{EquipementID: 999999})
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Get(&pp); err != nil || pp.Active {
		t.Fatalf("missing equipment: %+v %v", pp, err)
	}
}

func TestActivitiesPolicyFallsBackToPriority(t *testing.T) {
	f := newFixture(t)
	eq := f.id(t, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Hors contrat', 'Presse', 'HC-1') RETURNING id`)
	res, _ := run[activities.CreateInterventionResult](t, f, f.acts.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID: "intervention/prio", Intervention: domain.NewIntervention{Titre: "Sans contrat", Description: "Équipement hors contrat",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteBasse, EquipementID: eq}})
	p := res.Policy
	if p.DeadlineSource != activities.SLASourcePriorite || !p.Deadline.Equal(res.Intervention.DateCreation.Add(7*24*time.Hour)) || p.Escalate {
		t.Fatalf("policy %+v", p)
	}
	limite := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	res, _ = run[activities.CreateInterventionResult](t, f, f.acts.CreateIntervention, activities.CreateInterventionInput{
		WorkflowID: "intervention/limite", Intervention: domain.NewIntervention{Titre: "Avec date", Description: "Date limite fixée",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, Urgence: true, DateLimite: &limite, EquipementID: eq}})
	if res.Policy.DeadlineSource != activities.SLASourceDateLimite || !res.Policy.Deadline.Equal(limite) || !res.Policy.Escalate {
		t.Fatalf("policy %+v", res.Policy)
	}
}

func TestActivitiesCandidatesLowestLoadFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	marie := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	youssef := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien2@mif.ma'`)
	if _, err := f.store.Q().ExecContext(ctx, `INSERT INTO technicien_competences (technicien_id, competence_id, niveau)
		SELECT $1, id, 2 FROM competences WHERE nom = 'Hydraulique'`, youssef); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 8, 9, 0, 0, 0, time.UTC)
	// Both fit; Marie, more experienced, comes first while both are free.
	v, _ := run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, activities.FindTechnicienInput{EquipementID: presse, Start: start, Duree: 60})
	if v.Technicien == nil || v.Technicien.TechnicienID != marie || v.Candidates != 2 {
		t.Fatalf("first choice %+v", v)
	}
	// Give Marie work (elsewhere in time): Youssef now has the lower load.
	in, _, err := f.store.InsertIntervention(ctx, "wf/charge", domain.NewIntervention{Titre: "Charge", Description: "Travail de Marie",
		TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: presse})
	if err != nil {
		t.Fatal(err)
	}
	other := start.AddDate(0, 0, 3)
	if _, _, err := f.store.ApplyTransition(ctx, domain.TransitionWrite{InterventionID: in.ID, EventKey: "wf/charge/1", De: domain.StatutOuverte,
		Vers: domain.StatutPlanifiee, Action: "assignation", Date: time.Now(), TechnicienID: &marie, DatePlanifiee: &other, DureeEstimee: 60}); err != nil {
		t.Fatal(err)
	}
	v, _ = run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, activities.FindTechnicienInput{EquipementID: presse, Start: start, Duree: 60})
	if v.Technicien == nil || v.Technicien.TechnicienID != youssef || v.Technicien.Actives != 0 {
		t.Fatalf("after load %+v", v.Technicien)
	}
}

// An automatic assignment without a precise date lands in working hours, on a weekday, after the
// technicien's planned work; one with a date keeps it.
func TestActivitiesFindTechnicienNearestWorkingSlot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	marie := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	loc, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	friday := time.Date(2030, 1, 11, 21, 0, 0, 0, loc) // after hours (08:00–17:00), before a weekend
	monday8 := time.Date(2030, 1, 14, 8, 0, 0, 0, loc)
	find := func(in activities.FindTechnicienInput) activities.FindTechnicienResult {
		t.Helper()
		v, _ := run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, in)
		if v.Technicien == nil || v.Technicien.TechnicienID != marie {
			t.Fatalf("%+v: candidate %+v", in, v)
		}
		return v
	}
	if v := find(activities.FindTechnicienInput{EquipementID: presse, Start: friday, Duree: 120, Flexible: true}); v.Start == nil || !v.Start.Equal(monday8) {
		t.Fatalf("flexible start %v, want %v", v.Start, monday8)
	}
	if v := find(activities.FindTechnicienInput{EquipementID: presse, Start: friday, Duree: 120}); v.Start != nil {
		t.Fatalf("a precise date moved to %v", v.Start)
	}

	// Marie is planned Monday 08:00–10:00: the next slot is 10:00, except for that intervention itself.
	in, _, err := f.store.InsertIntervention(ctx, "wf/lundi", domain.NewIntervention{Titre: "Lundi", Description: "Travail du lundi",
		TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: presse})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.ApplyTransition(ctx, domain.TransitionWrite{InterventionID: in.ID, EventKey: "wf/lundi/1", De: domain.StatutOuverte,
		Vers: domain.StatutPlanifiee, Action: "assignation", Date: time.Now(), TechnicienID: &marie, DatePlanifiee: &monday8, DureeEstimee: 120}); err != nil {
		t.Fatal(err)
	}
	if v := find(activities.FindTechnicienInput{EquipementID: presse, Start: friday, Duree: 60, Flexible: true}); v.Start == nil || !v.Start.Equal(monday8.Add(2*time.Hour)) {
		t.Fatalf("after Monday's work: %v", v.Start)
	}
	if v := find(activities.FindTechnicienInput{InterventionID: in.ID, EquipementID: presse, Start: friday, Duree: 60, Flexible: true}); v.Start == nil || !v.Start.Equal(monday8) {
		t.Fatalf("re-assignment of Monday's work: %v", v.Start)
	}
	// Longer than a working day: nobody, the intervention stays open.
	if v, _ := run[activities.FindTechnicienResult](t, f, f.acts.FindTechnicien, activities.FindTechnicienInput{EquipementID: presse, Start: friday, Duree: 600, Flexible: true}); v.Technicien != nil {
		t.Fatalf("a 10 h task was placed: %+v", v)
	}
}

// Started work that is cancelled gives the equipment back its status before the work; predictive
// work puts it back in service without a derniere_maintenance; and nothing is put back in service
// while other work on the same equipment goes on.
func TestActivitiesEquipementStatusFollowsTheWork(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	marie := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	if _, err := f.store.Q().ExecContext(ctx, `UPDATE equipements SET statut = 'en_panne', derniere_maintenance = NULL WHERE id = $1`, presse); err != nil {
		t.Fatal(err)
	}
	statut := func() domain.StatutEquipement {
		t.Helper()
		eq, err := f.store.GetEquipement(ctx, presse)
		if err != nil {
			t.Fatal(err)
		}
		return eq.Statut
	}
	// open creates an intervention of the given type and takes it to en_cours.
	seq := 0
	open := func(name string, typ domain.TypeIntervention) (int64, func(from, to domain.StatutIntervention, action string)) {
		t.Helper()
		in, _, err := f.store.InsertIntervention(ctx, "wf/"+name, domain.NewIntervention{Titre: name, Description: "Travail " + name,
			TypeIntervention: typ, Priorite: domain.PrioriteNormale, EquipementID: presse})
		if err != nil {
			t.Fatal(err)
		}
		apply := func(from, to domain.StatutIntervention, action string) {
			t.Helper()
			seq++
			w := domain.TransitionWrite{InterventionID: in.ID, EventKey: "wf/" + name + "/" + string(rune('a'+seq)), De: from, Vers: to, Action: action, Date: time.Now()}
			if to == domain.StatutPlanifiee {
				when := time.Now().Add(time.Duration(seq) * 24 * time.Hour)
				w.TechnicienID, w.DatePlanifiee, w.DureeEstimee = &marie, &when, 60
			}
			if to == domain.StatutTerminee {
				r := "fait"
				w.Rapport = &r
			}
			if to == domain.StatutAnnulee {
				m := "annulée"
				w.Motif = &m
			}
			run[activities.TransitionResult](t, f, f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: w})
		}
		apply(domain.StatutOuverte, domain.StatutPlanifiee, "assignation")
		apply(domain.StatutPlanifiee, domain.StatutEnCours, "demarrage")
		return in.ID, apply
	}

	_, repair := open("repair", domain.TypeCorrective)
	if s := statut(); s != domain.EquipementEnMaintenance {
		t.Fatalf("during the repair: %s", s)
	}
	repair(domain.StatutEnCours, domain.StatutAnnulee, "annulation")
	if s := statut(); s != domain.EquipementEnPanne {
		t.Fatalf("after the cancelled repair: %s, want en_panne as before", s)
	}

	// Two works at once: the first to end leaves the equipment in maintenance.
	_, predictive := open("predictive", domain.TypePredictive)
	_, other := open("other", domain.TypeCorrective)
	predictive(domain.StatutEnCours, domain.StatutTerminee, "cloture")
	if s := statut(); s != domain.EquipementEnMaintenance {
		t.Fatalf("while other work goes on: %s", s)
	}
	other(domain.StatutEnCours, domain.StatutTerminee, "cloture")
	eq, _ := f.store.GetEquipement(ctx, presse)
	if eq.Statut != domain.EquipementOperationnel || eq.DerniereMaintenance == nil {
		t.Fatalf("after all the work: %+v", eq)
	}

	// Predictive work alone: back in service, derniere_maintenance untouched.
	before := *eq.DerniereMaintenance
	_, check := open("check", domain.TypePredictive)
	check(domain.StatutEnCours, domain.StatutTerminee, "cloture")
	eq, _ = f.store.GetEquipement(ctx, presse)
	if eq.Statut != domain.EquipementOperationnel || !eq.DerniereMaintenance.Equal(before) {
		t.Fatalf("after predictive work: %+v", eq)
	}
}

// An automatic assignment (RequireFree) whose slot was taken since the search writes nothing and
// says so; a manual one is written as asked.
func TestActivitiesAssignmentRequiringAFreeSlot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	marie := f.id(t, `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	slot := time.Date(2030, 1, 14, 9, 0, 0, 0, time.UTC)
	assign := func(name string, requireFree bool) (activities.TransitionResult, int64) {
		t.Helper()
		in, _, err := f.store.InsertIntervention(ctx, "wf/"+name, domain.NewIntervention{Titre: name, Description: "Travail " + name,
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: presse})
		if err != nil {
			t.Fatal(err)
		}
		res, again := run[activities.TransitionResult](t, f, f.acts.ApplyTransition, activities.TransitionInput{TransitionWrite: domain.TransitionWrite{
			InterventionID: in.ID, EventKey: "wf/" + name + "/1", De: domain.StatutOuverte, Vers: domain.StatutPlanifiee, Action: "assignation",
			Date: time.Now(), TechnicienID: &marie, DatePlanifiee: &slot, DureeEstimee: 60, RequireFree: requireFree}})
		if res.SlotTaken != again.SlotTaken {
			t.Fatalf("retry answered differently: %+v / %+v", res, again)
		}
		return res, in.ID
	}
	if res, _ := assign("first", true); res.SlotTaken || !res.Applied {
		t.Fatalf("free slot: %+v", res)
	}
	res, second := assign("second", true)
	if !res.SlotTaken || res.Applied {
		t.Fatalf("taken slot: %+v", res)
	}
	if n := f.count(t, `SELECT count(*) FROM plannings WHERE intervention_id = $1`, second); n != 0 {
		t.Fatalf("%d plannings written for a taken slot", n)
	}
	if n := f.count(t, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'assignation'`, second); n != 0 {
		t.Fatalf("%d historique rows for a taken slot", n)
	}
	if got, _ := f.store.GetInterventionByID(ctx, second); got.Statut != domain.StatutOuverte {
		t.Fatalf("statut %s after a taken slot", got.Statut)
	}
	if res, _ := assign("manual", false); res.SlotTaken || !res.Applied {
		t.Fatalf("a manager's overlapping assignment: %+v", res)
	}
}

// The overdue scan finds what the SLA clock would: a passed date_limite, a passed contract SLA,
// a passed default of the priority; not paused work without date_limite, nor what is marked late.
func TestActivitiesFindOverdueUsesEverySLASource(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	presse := f.id(t, `SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`) // contract SLA: 24 h
	bare := f.id(t, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Hors contrat', 'Presse', 'HC-9') RETURNING id`)
	now := time.Now()
	mk := func(name string, eq int64, prio domain.Priorite, age time.Duration, set string) int64 {
		t.Helper()
		in, _, err := f.store.InsertIntervention(ctx, "wf/overdue-"+name, domain.NewIntervention{Titre: name, Description: "Contrôle " + name,
			TypeIntervention: domain.TypeCorrective, Priorite: prio, EquipementID: eq})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Q().ExecContext(ctx, `UPDATE interventions SET date_creation = $2`+set+` WHERE id = $1`, in.ID, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	limite := mk("limite", bare, domain.PrioriteBasse, time.Hour, `, date_limite = now() - interval '1 minute'`)
	contrat := mk("contrat", presse, domain.PrioriteBasse, 25*time.Hour, ``)
	critique := mk("critique", bare, domain.PrioriteCritique, 5*time.Hour, ``)
	mk("contrat-en-cours", presse, domain.PrioriteBasse, 23*time.Hour, ``)
	mk("basse", bare, domain.PrioriteBasse, 48*time.Hour, ``)
	mk("en-pause", presse, domain.PrioriteBasse, 25*time.Hour, `, statut = 'en_attente'`)
	mk("deja-en-retard", bare, domain.PrioriteCritique, 5*time.Hour, `, en_retard = TRUE`)

	v, err := f.env.ExecuteActivity(f.acts.FindOverdue, activities.OverdueInput{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var out activities.OverdueResult
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, r := range out.Interventions {
		got[r.ID] = true
	}
	if len(got) != 3 || !got[limite] || !got[contrat] || !got[critique] {
		t.Fatalf("overdue %+v, want date_limite %d, contract %d, critique %d", out.Interventions, limite, contrat, critique)
	}
}
