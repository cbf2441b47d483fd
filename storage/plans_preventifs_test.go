package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

// TestPreventiveOccurrenceRecordedOnce: many concurrent inserts of one occurrence key create it
// once, restart the usage count once (from the meter's total), and write one historique row; a
// meter that a plan follows cannot be deleted, and one of another equipment is refused.
func TestPreventiveOccurrenceRecordedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	admin, _ := st.GetUserByLogin(ctx, "admin@mif.ma")
	var eq, eq2 int64
	if err := st.DB().GetContext(ctx, &eq, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Compresseur', 'Compresseur', 'C-1') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().GetContext(ctx, &eq2, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Presse', 'Presse', 'P-1') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	n, unite := "Heures", "h"
	c, err := st.CreateCompteur(ctx, domain.CompteurInput{EquipementID: &eq, Nom: &n, Unite: &unite}, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := st.CreateCompteur(ctx, domain.CompteurInput{EquipementID: &eq2, Nom: &n, Unite: &unite}, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-48 * time.Hour)
	read := func(id string, v float64, at time.Time) {
		t.Helper()
		res, err := st.RecordReleves(ctx, domain.Principal{Role: domain.RoleResponsable}, c.ID, []domain.ReleveInput{{ReleveID: id, Valeur: &v, DateReleve: &at}}, admin.ID, time.Now())
		if err != nil || res[0].Statut != domain.ReleveEnregistre {
			t.Fatalf("reading %s: %+v %v", id, res, err)
		}
	}
	read("a", 10, t0)
	read("b", 60, t0.Add(24*time.Hour))
	interval := 100.0
	var ve *domain.ValidationError
	if _, err := st.SetPlanPreventif(ctx, eq, domain.PlanPreventifInput{Declencheur: "usage", CompteurID: &c2.ID, IntervalleUsage: &interval}, 0); !errors.As(err, &ve) || ve.Fields[0].Field != "compteur_id" {
		t.Fatalf("meter of another equipment: %v", err)
	}
	plan, err := st.SetPlanPreventif(ctx, eq, domain.PlanPreventifInput{Declencheur: "usage", CompteurID: &c.ID, IntervalleUsage: &interval}, admin.ID)
	if err != nil || plan.UsageBase != 50 || *plan.SeuilUsage != 150 || *plan.UsageDepuis != 0 {
		t.Fatalf("plan %+v %v", plan, err)
	}
	read("c", 200, t0.Add(36*time.Hour))
	var wg sync.WaitGroup
	created := make([]bool, 12)
	for i := range created {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.RecordPreventiveOccurrence(ctx, storage.OccurrencePreventive{EquipementID: eq, Cle: "usage/x/150", Declencheur: "usage",
				Cause: "usage", Echeance: time.Now(), Reference: t0.Add(36 * time.Hour), WorkflowID: "intervention/x"})
			if err != nil {
				t.Error(err)
			}
			created[i] = ok
		}()
	}
	wg.Wait()
	k := 0
	for _, ok := range created {
		if ok {
			k++
		}
	}
	if k != 1 {
		t.Fatalf("%d calls created the occurrence", k)
	}
	plan, err = st.GetPlanPreventif(ctx, domain.Principal{}, eq)
	if err != nil || plan.UsageBase != 190 || *plan.SeuilUsage != 290 || plan.DateReference == nil {
		t.Fatalf("count restarted from the meter's total (190): %+v %v", plan, err)
	}
	var rows int
	if err := st.DB().GetContext(ctx, &rows, `SELECT count(*) FROM historique WHERE entite_id = $1 AND action = 'occurrence_preventive'`, eq); err != nil || rows != 1 {
		t.Fatalf("%d historique rows %v", rows, err)
	}
	if err := st.DeleteCompteur(ctx, c2.ID, admin.ID); err != nil {
		t.Fatalf("a meter no plan follows: %v", err)
	}
	if _, err := st.DB().ExecContext(ctx, `DELETE FROM compteurs WHERE id = $1`, c.ID); err == nil {
		t.Fatal("the plan's meter deleted")
	}
}

func TestPlanPreventifValidation(t *testing.T) {
	t.Parallel()
	f, c, x, neg := 30, int64(3), 500.0, 0.0
	cases := []struct {
		in    domain.PlanPreventifInput
		field string
	}{
		{domain.PlanPreventifInput{}, "declencheur"},
		{domain.PlanPreventifInput{Declencheur: "mensuel"}, "declencheur"},
		{domain.PlanPreventifInput{Declencheur: "calendrier"}, "frequence_jours"},
		{domain.PlanPreventifInput{Declencheur: "calendrier", FrequenceJours: &f, CompteurID: &c}, "compteur_id"},
		{domain.PlanPreventifInput{Declencheur: "usage", IntervalleUsage: &x}, "compteur_id"},
		{domain.PlanPreventifInput{Declencheur: "usage", CompteurID: &c, IntervalleUsage: &neg}, "intervalle_usage"},
		{domain.PlanPreventifInput{Declencheur: "usage", CompteurID: &c, IntervalleUsage: &x, FrequenceJours: &f}, "frequence_jours"},
		{domain.PlanPreventifInput{Declencheur: "premier_atteint", CompteurID: &c, IntervalleUsage: &x}, "frequence_jours"},
		{domain.PlanPreventifInput{Declencheur: "premier_atteint", FrequenceJours: &f, IntervalleUsage: &x}, "compteur_id"},
	}
	for _, tc := range cases {
		var ve *domain.ValidationError
		if err := tc.in.Validate(false); !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
			t.Errorf("%+v: %v, want %s", tc.in, err, tc.field)
		}
	}
	for _, ok := range []domain.PlanPreventifInput{{Declencheur: "calendrier", FrequenceJours: &f}, {Declencheur: "usage", CompteurID: &c, IntervalleUsage: &x},
		{Declencheur: "premier_atteint", FrequenceJours: &f, CompteurID: &c, IntervalleUsage: &x}} {
		if err := ok.Validate(false); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}
