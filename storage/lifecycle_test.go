package storage_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

func TestPlanningConflictsAndSlotChecks(t *testing.T) {
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.Seed(ctx, st); err != nil {
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
	marie := id(`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien@mif.ma'`)
	youssef := id(`SELECT t.id FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email = 'technicien2@mif.ma'`)
	presse := id(`SELECT id FROM equipements WHERE numero_serie = 'PH001-2023-001'`)
	loc, _ := time.LoadLocation("Africa/Casablanca")
	day := time.Date(2030, 1, 8, 0, 0, 0, 0, loc) // a Tuesday
	plan := func(titre string, tech int64, start time.Time, duree int, limite *time.Time) int64 {
		t.Helper()
		in, _, err := st.InsertIntervention(ctx, "wf/"+titre, domain.NewIntervention{Titre: titre, Description: "conflit de planning",
			TypeIntervention: domain.TypeCorrective, Priorite: domain.PrioriteNormale, EquipementID: presse, DateLimite: limite})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.ApplyTransition(ctx, domain.TransitionWrite{InterventionID: in.ID, EventKey: "wf/" + titre + "/1",
			De: domain.StatutOuverte, Vers: domain.StatutPlanifiee, Action: "assignation", Date: time.Now(),
			TechnicienID: &tech, DatePlanifiee: &start, DureeEstimee: duree}); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	limite := day.Add(9 * time.Hour)
	a := plan("a", marie, day.Add(8*time.Hour), 120, &limite)            // ends 10:00 after its 09:00 deadline
	b := plan("b", marie, day.Add(9*time.Hour), 60, nil)                 // overlaps a
	c := plan("c", marie, day.Add(16*time.Hour+30*time.Minute), 60, nil) // ends 17:30, after heure_fin
	d := plan("d", youssef, day.Add(10*time.Hour), 60, nil)              // Presse needs Hydraulique: Youssef has none

	got, err := st.PlanningConflicts(ctx, "Africa/Casablanca", day, day.AddDate(0, 0, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range got {
		kinds = append(kinds, c.Type+":"+string(rune('a'+c.InterventionID-a)))
	}
	sort.Strings(kinds)
	want := "apres_echeance:a chevauchement:a chevauchement:b competence_manquante:d hors_horaires:c"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("conflicts %v, want %s", kinds, want)
	}
	_ = b
	_ = c
	_ = d

	// Slot checks name every reason.
	err = st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.Add(9*time.Hour+30*time.Minute), 60, 0)
	var ce *domain.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "déjà planifié") {
		t.Fatalf("overlap: %v", err)
	}
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.Add(6*time.Hour), 60, 0); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "horaires") {
		t.Fatalf("hours: %v", err)
	}
	// Its own planning does not conflict with itself.
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.Add(8*time.Hour), 30, a); err != nil {
		t.Fatalf("own planning: %v", err)
	}
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.Add(8*time.Hour), 30, 0); err == nil {
		t.Fatal("overlap with a not seen")
	}
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.AddDate(0, 0, 1).Add(8*time.Hour), 60, 0); err != nil {
		t.Fatalf("free slot refused: %v", err)
	}
	if _, err := q.ExecContext(ctx, `UPDATE techniciens SET disponibilite = FALSE WHERE id = $1`, marie); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", marie, day.AddDate(0, 0, 1).Add(8*time.Hour), 60, 0); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "indisponible") {
		t.Fatalf("unavailable: %v", err)
	}
	var ve *domain.ValidationError
	if err := st.CheckTechnicienSlot(ctx, "Africa/Casablanca", 999999, day, 60, 0); !errors.As(err, &ve) {
		t.Fatalf("unknown technicien: %v", err)
	}
}
