package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/planner/routing"
	"github.com/mifmaroc/mif/planner/weekly"
	"github.com/mifmaroc/mif/storage"
)

// The route planning's picture of the demo installation, built into a problem the solver answers
// feasibly.
func TestLoadRoutingInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	q := st.Q()
	id := func(query string, args ...any) int64 {
		t.Helper()
		var v int64
		if err := q.GetContext(ctx, &v, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return v
	}
	loc, _ := time.LoadLocation("Africa/Casablanca")
	monday := time.Date(2031, 3, 3, 0, 0, 0, 0, loc)
	marie := id(`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	insert := func(titre, serie string, prio domain.Priorite, limite *time.Time) int64 {
		t.Helper()
		in, _, err := st.InsertIntervention(ctx, "wf/"+titre, domain.NewIntervention{Titre: titre, Description: "tournée de test",
			TypeIntervention: domain.TypeCorrective, Priorite: prio, DateLimite: limite,
			EquipementID: id(`SELECT id FROM equipements WHERE numero_serie = $1`, serie)})
		if err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	limite := monday.Add(36 * time.Hour)
	presse := insert("presse", "PH001-2023-001", domain.PrioriteCritique, &limite)
	broyeur := insert("broyeur", "BB07-2019-114", domain.PrioriteHaute, nil)
	tank := insert("tank", "TL12-2020-010", domain.PrioriteNormale, nil)
	fixed := insert("fixee", "CA3-2021-553", domain.PrioriteBasse, nil)
	if _, err := q.ExecContext(ctx, `UPDATE interventions SET statut = 'planifiee', technicien_id = $2 WHERE id = $1`, fixed, marie); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee, fixe)
		VALUES ($1, $2, $3, 90, TRUE)`, fixed, marie, monday.Add(3*24*time.Hour+10*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Broyeur needs Hydraulique and Soudure at level 3 now: Marie has Soudure 3.
	if _, err := q.ExecContext(ctx, `UPDATE equipement_type_competences SET niveau_requis = 3 WHERE type_equipement = 'Broyeur'`); err != nil {
		t.Fatal(err)
	}
	sla := map[domain.Priorite]time.Duration{domain.PrioriteCritique: 4 * time.Hour, domain.PrioriteHaute: 24 * time.Hour,
		domain.PrioriteNormale: 72 * time.Hour, domain.PrioriteBasse: 168 * time.Hour}
	techs, its, err := st.LoadRoutingInput(ctx, monday, monday.AddDate(0, 0, 7), nil, 120, sla)
	if err != nil {
		t.Fatal(err)
	}
	if len(techs) != 3 || len(its) != 4 {
		t.Fatalf("%d techniciens, %d interventions", len(techs), len(its))
	}
	byID := map[int64]weekly.Intervention{}
	for _, it := range its {
		byID[it.ID] = it
	}
	if it := byID[broyeur]; it.Site == nil || it.Site.Ville != "Mohammedia" || len(it.Site.Horaires) != 10 ||
		it.Competences["hydraulique"] != 3 || it.Competences["soudure"] != 3 || !slices.Equal(it.Outils, []string{"Poste à souder"}) {
		t.Fatalf("broyeur: %+v %+v", it, it.Site)
	}
	if it := byID[presse]; it.Echeance == nil || !it.Echeance.Equal(limite) || it.Duree != 120 || it.Planning != nil {
		t.Fatalf("presse: %+v", it)
	}
	// No date_limite: the contract's 48 h SLA of the dairy.
	if it := byID[tank]; it.Echeance == nil || time.Until(*it.Echeance) > 49*time.Hour || time.Until(*it.Echeance) < 47*time.Hour {
		t.Fatalf("tank: %+v", it.Echeance)
	}
	if it := byID[fixed]; it.Planning == nil || !it.Planning.Fixe || it.Planning.TechnicienID != marie || it.Duree != 90 {
		t.Fatalf("fixed: %+v", it.Planning)
	}
	for _, tc := range techs {
		if tc.Base == nil || len(tc.Horaires) < 5 || !tc.Disponible {
			t.Fatalf("technicien %+v", tc)
		}
		if tc.ID == marie && (tc.Competences["hydraulique"] != 5 || tc.Competences["soudure"] != 3) {
			t.Fatalf("marie's competences %+v", tc.Competences)
		}
	}
	// One technicien: his planned work and the unplanned work only.
	techs1, its1, err := st.LoadRoutingInput(ctx, monday, monday.AddDate(0, 0, 7), &marie, 120, sla)
	if err != nil || len(techs1) != 1 || len(its1) != 4 {
		t.Fatalf("%d techniciens, %d interventions, %v", len(techs1), len(its1), err)
	}

	p, err := weekly.Build(ctx, weekly.Input{Debut: monday, Jours: 7, Location: loc, Maintenant: monday.Add(6 * time.Hour),
		Techniciens: techs, Interventions: its}, weekly.Haversine{DetourFactor: 1.3, SpeedKmh: 50})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := routing.Solve(ctx, p.Routing, routing.Options{Seed: 1, Iterations: 500})
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(p.Routing, sol); err != nil {
		t.Fatal(err)
	}
	out := p.Decode(sol)
	if len(out.Affectations) != 4 || len(out.NonPlanifiees) != 0 {
		t.Fatalf("outcome %+v", out)
	}
}
