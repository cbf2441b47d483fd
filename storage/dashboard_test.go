package storage_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

// recount is the dashboard's interventions part computed the slow way, from every row (the
// query the counters replaced), for p.
func recount(t *testing.T, st *storage.Store, p domain.Principal, now time.Time) domain.DashboardStats {
	t.Helper()
	cond, args := "TRUE", []any{now.Add(-7 * 24 * time.Hour)}
	switch {
	case p.Role == domain.RoleClient:
		cond, args = `EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
			WHERE ce.equipement_id = i.equipement_id AND c.client_id = $2)`, append(args, *p.ClientID)
	case p.Role == domain.RoleTechnicien:
		cond, args = `i.technicien_id = $2`, append(args, *p.TechnicienID)
	}
	var row struct {
		Total            int      `db:"total"`
		Ouvertes         int      `db:"ouvertes"`
		EnCours          int      `db:"en_cours"`
		TermineesSemaine int      `db:"terminees_semaine"`
		Critiques        int      `db:"critiques"`
		ResolutionH      *float64 `db:"resolution_h"`
		Taux             *float64 `db:"taux"`
		Satisfaction     *float64 `db:"satisfaction"`
	}
	err := st.Q().GetContext(context.Background(), &row, `SELECT count(*) AS total,
			count(*) FILTER (WHERE i.statut = 'ouverte') AS ouvertes,
			count(*) FILTER (WHERE i.statut = 'en_cours') AS en_cours,
			count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin >= $1) AS terminees_semaine,
			count(*) FILTER (WHERE i.priorite = 'critique' AND i.statut NOT IN ('terminee', 'annulee')) AS critiques,
			avg(extract(epoch FROM i.date_fin - i.date_creation) / 3600)
				FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL) AS resolution_h,
			100.0 * count(*) FILTER (WHERE i.statut = 'terminee' AND NOT i.en_retard
					AND (i.date_limite IS NULL OR i.date_fin <= i.date_limite))
				/ NULLIF(count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL), 0) AS taux,
			avg(i.satisfaction_client) AS satisfaction
		FROM interventions i WHERE `+cond, args...)
	if err != nil {
		t.Fatal(err)
	}
	var st2 domain.DashboardStats
	st2.Interventions.Total, st2.Interventions.Ouvertes, st2.Interventions.EnCours = row.Total, row.Ouvertes, row.EnCours
	st2.Interventions.TermineesSemaine, st2.Interventions.Critiques = row.TermineesSemaine, row.Critiques
	if row.ResolutionH != nil {
		txt := fmt.Sprintf("%.1f heures", *row.ResolutionH)
		st2.KPI.TempsMoyenResolution = &txt
	}
	r1 := func(f *float64) *float64 {
		if f == nil {
			return nil
		}
		v := math.Round(*f*10) / 10
		return &v
	}
	st2.KPI.TauxRespectDelais, st2.KPI.SatisfactionClient = r1(row.Taux), r1(row.Satisfaction)
	return st2
}

func str[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// assertCountersMatch compares the dashboard's interventions figures with a full recount for
// each principal.
func assertCountersMatch(t *testing.T, st *storage.Store, when string, ps map[string]domain.Principal) {
	t.Helper()
	now := time.Now()
	for name, p := range ps {
		got, err := st.DashboardStats(context.Background(), p, now)
		if err != nil {
			t.Fatal(err)
		}
		want := recount(t, st, p, now)
		if got.Interventions != want.Interventions || str(got.KPI.TempsMoyenResolution) != str(want.KPI.TempsMoyenResolution) ||
			str(got.KPI.TauxRespectDelais) != str(want.KPI.TauxRespectDelais) || str(got.KPI.SatisfactionClient) != str(want.KPI.SatisfactionClient) {
			t.Fatalf("%s, %s: counters %+v resolution %s taux %s satisfaction %s; recount %+v resolution %s taux %s satisfaction %s", when, name,
				got.Interventions, str(got.KPI.TempsMoyenResolution), str(got.KPI.TauxRespectDelais), str(got.KPI.SatisfactionClient),
				want.Interventions, str(want.KPI.TempsMoyenResolution), str(want.KPI.TauxRespectDelais), str(want.KPI.SatisfactionClient))
		}
	}
}

// assertListTotalsMatch compares the totals of intervention lists counted from the counters
// (filters on status, priority, one equipment or one technicien) with count(*), and the
// equipment's and techniciens' counts with theirs.
func assertListTotalsMatch(t *testing.T, st *storage.Store, when string, ps map[string]domain.Principal) {
	t.Helper()
	ctx := context.Background()
	var eqID, techID int64
	if err := st.Q().GetContext(ctx, &eqID, `SELECT equipement_id FROM interventions GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := st.Q().GetContext(ctx, &techID, `SELECT min(id) FROM techniciens`); err != nil {
		t.Fatal(err)
	}
	statut, prio := domain.StatutTerminee, domain.PrioriteCritique
	filters := map[string]domain.InterventionFiltre{
		"none": {}, "statut": {Statut: &statut}, "statut+priorite": {Statut: &statut, Priorite: &prio},
		"equipement": {EquipementID: &eqID}, "technicien+priorite": {TechnicienID: &techID, Priorite: &prio},
	}
	for pname, p := range ps {
		for fname, f := range filters {
			_, total, err := st.ListInterventions(ctx, p, f, storage.DefaultInterventionSort, storage.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			cond, args := "TRUE", []any{}
			if p.Role == domain.RoleClient {
				cond = `EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
					WHERE ce.equipement_id = i.equipement_id AND c.client_id = $1)`
				args = append(args, *p.ClientID)
			} else {
				cond, args = "$1::bigint IS NULL", append(args, nil)
			}
			var want int
			err = st.Q().GetContext(ctx, &want, `SELECT count(*) FROM interventions i WHERE `+cond+`
				AND ($2::text IS NULL OR i.statut = $2) AND ($3::text IS NULL OR i.priorite = $3)
				AND ($4::bigint IS NULL OR i.equipement_id = $4) AND ($5::bigint IS NULL OR i.technicien_id = $5)`,
				append(args, f.Statut, f.Priorite, f.EquipementID, f.TechnicienID)...)
			if err != nil {
				t.Fatal(err)
			}
			if total != want {
				t.Fatalf("%s, %s, filter %s: list total %d, count(*) %d", when, pname, fname, total, want)
			}
		}
	}
	eqs, _, err := st.ListEquipements(ctx, ps["responsable"], domain.EquipementFiltre{}, storage.Sort{Field: "id"}, storage.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eqs {
		var want int
		if err := st.Q().GetContext(ctx, &want, `SELECT count(*) FROM interventions WHERE equipement_id = $1`, e.ID); err != nil {
			t.Fatal(err)
		}
		if e.InterventionsCount != want {
			t.Fatalf("%s: equipment %d interventions_count %d, count(*) %d", when, e.ID, e.InterventionsCount, want)
		}
	}
	techs, _, err := st.ListTechniciens(ctx, ps["responsable"], domain.TechnicienFiltre{}, storage.Sort{Field: "id"}, storage.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range techs {
		var want int
		if err := st.Q().GetContext(ctx, &want, `SELECT count(*) FROM interventions WHERE technicien_id = $1
			AND statut IN ('planifiee', 'en_cours', 'en_attente')`, tc.ID); err != nil {
			t.Fatal(err)
		}
		if tc.ChargeActuelle != want {
			t.Fatalf("%s: technicien %d charge_actuelle %d, count(*) %d", when, tc.ID, tc.ChargeActuelle, want)
		}
	}
}

// TestDashboardCountersEqualARecount: the dashboard's intervention figures and the lists'
// counts, read from the counters the trigger keeps, equal a full recount — for every intervention, a client's
// equipment and a technicien's own work — after inserts, transitions, reassignments, ratings,
// concurrent writers, a contract change, deletes and folds of the deltas.
func TestDashboardCountersEqualARecount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t, testdb.Conns(6)))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	q := st.Q()
	var clientID, techID, tech2ID int64
	for dest, query := range map[*int64]string{
		&clientID: `SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`,
		&techID:   `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`,
		&tech2ID:  `SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien2@mif.ma'`,
	} {
		if err := q.GetContext(ctx, dest, query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	ps := map[string]domain.Principal{
		"responsable": {UserID: 1, Role: domain.RoleResponsable},
		"client":      {UserID: 2, Role: domain.RoleClient, ClientID: &clientID},
		"technicien":  {UserID: 3, Role: domain.RoleTechnicien, TechnicienID: &techID},
		"technicien2": {UserID: 4, Role: domain.RoleTechnicien, TechnicienID: &tech2ID},
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := q.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	assertCountersMatch(t, st, "demo data", ps)

	// 300 interventions over every equipment, status, priority, with and without technicien,
	// deadlines, lateness and ratings.
	exec(`INSERT INTO interventions (workflow_id, titre, type_intervention, statut, priorite, date_creation, date_limite,
			date_debut, date_fin, equipement_id, technicien_id, satisfaction_client, en_retard)
		SELECT 'counters/' || g, 'Intervention ' || g, 'corrective',
			(ARRAY['ouverte', 'planifiee', 'en_cours', 'en_attente', 'terminee', 'annulee'])[1 + g % 6],
			(ARRAY['basse', 'normale', 'haute', 'critique'])[1 + g % 4],
			now() - g * interval '7 hours', CASE WHEN g % 3 = 0 THEN now() - g * interval '7 hours' + interval '2 days' END,
			CASE WHEN g % 6 IN (2, 3, 4) THEN now() - g * interval '7 hours' + interval '1 hour' END,
			CASE WHEN g % 6 = 4 THEN now() - g * interval '7 hours' + (g % 50) * interval '1 hour' + interval '1 hour' END,
			(SELECT array_agg(id ORDER BY id) FROM equipements)[1 + g % (SELECT count(*) FROM equipements)::int],
			CASE WHEN g % 6 <> 0 THEN (ARRAY[$1::bigint, $2::bigint])[1 + g % 2] END,
			CASE WHEN g % 6 = 4 AND g % 4 = 0 THEN 1 + g % 5 END, g % 5 = 0
		FROM generate_series(1, 300) g`, techID, tech2ID)
	assertCountersMatch(t, st, "after inserts", ps)
	if err := st.CompactCounters(ctx); err != nil {
		t.Fatal(err)
	}
	assertCountersMatch(t, st, "after a fold", ps)

	// Transitions, reassignments, ratings and lateness, from concurrent writers (with folds
	// among them), each on its own rows.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := 0; k < 10; k++ {
				_, err := q.ExecContext(ctx, `UPDATE interventions SET
						statut = CASE statut WHEN 'ouverte' THEN 'planifiee' WHEN 'planifiee' THEN 'en_cours'
							WHEN 'en_cours' THEN 'terminee' ELSE statut END,
						date_fin = CASE WHEN statut = 'en_cours' THEN now() ELSE date_fin END,
						technicien_id = CASE WHEN technicien_id IS NULL THEN $3::bigint ELSE technicien_id END,
						satisfaction_client = CASE WHEN statut = 'terminee' AND satisfaction_client IS NULL THEN 5 ELSE satisfaction_client END,
						en_retard = NOT en_retard, priorite = CASE WHEN id % 7 = 0 THEN 'critique' ELSE priorite END
					WHERE workflow_id LIKE 'counters/%' AND id % 4 = $1 AND id % 10 = $2`, w, k, tech2ID)
				if err == nil && k%3 == 0 {
					err = st.CompactCounters(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertCountersMatch(t, st, "after concurrent transitions", ps)
	assertListTotalsMatch(t, st, "after concurrent transitions", ps)

	// The client's contract covers one more machine: its dashboard follows at once.
	exec(`INSERT INTO contrat_equipements (contrat_id, equipement_id)
		SELECT (SELECT c.id FROM contrats c WHERE c.client_id = $1 ORDER BY c.id LIMIT 1), e.id FROM equipements e
		WHERE NOT EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats c ON c.id = ce.contrat_id
			WHERE ce.equipement_id = e.id AND c.client_id = $1)
		ORDER BY e.id LIMIT 1`, clientID)
	assertCountersMatch(t, st, "after a contract change", ps)
	assertListTotalsMatch(t, st, "after a contract change", ps)

	exec(`DELETE FROM interventions WHERE workflow_id LIKE 'counters/%' AND id % 3 = 0`)
	assertCountersMatch(t, st, "after deletes", ps)
	assertListTotalsMatch(t, st, "after deletes", ps)
	if err := st.CompactCounters(ctx); err != nil {
		t.Fatal(err)
	}
	assertCountersMatch(t, st, "after deletes and a fold", ps)
	var rows int
	if err := q.GetContext(ctx, &rows, `SELECT count(*) FROM intervention_counters WHERE portee = 'a'`); err != nil {
		t.Fatal(err)
	}
	if rows > 24 { // one row per (statut, priorite) at most once folded
		t.Fatalf("%d rows of scope a after a fold", rows)
	}
}
