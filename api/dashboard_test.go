package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestDashboardAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	presseID, broyeurID, tankID := f.equipement(presse), f.equipement(broyeur), f.equipement(tankLait)
	dubois := f.technicien(apitest.Technicien)
	now := time.Now().UTC()
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))) }
	f.intervention("i1", presseID, domain.PrioriteHaute, map[string]any{"statut": "terminee", "date_creation": h(-10), "date_debut": h(-9),
		"date_fin": h(-8), "date_limite": h(-7), "satisfaction_client": 4, "technicien_id": dubois})
	f.intervention("i2", tankID, domain.PrioriteHaute, map[string]any{"statut": "terminee", "date_creation": h(-20), "date_debut": h(-18),
		"date_fin": h(-16), "date_limite": h(-18), "satisfaction_client": 5})
	f.intervention("i3", presseID, domain.PrioriteCritique, nil)
	i4 := f.intervention("i4", broyeurID, domain.PrioriteNormale, map[string]any{"statut": "en_cours", "date_debut": h(-1), "technicien_id": dubois})
	f.intervention("i5", broyeurID, domain.PrioriteBasse, map[string]any{"statut": "terminee", "date_creation": h(-246), "date_debut": h(-243), "date_fin": h(-240)})
	// Dubois has 240 minutes planned this week: 240 / (5 × 9 h × 60) = 8.9 %.
	f.exec(`INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee) VALUES ($1, $2, now() + interval '1 day', 240)`, i4, dubois)

	stats := func(t *testing.T, who string) domain.DashboardStats {
		var st domain.DashboardStats
		f.want(t, http.StatusOK, who, "GET", "/api/v1/dashboard/stats", nil).JSON(t, &st)
		return st
	}
	str := func(s *string) string {
		if s == nil {
			return "<nil>"
		}
		return *s
	}
	num := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}

	// On time: i1 (before its date_limite) and i5 (no date_limite, never marked late by its SLA
	// clock); i2 finished after its date_limite: 2 of 3.
	t.Run("managers see everything, computed from the data", func(t *testing.T) {
		for _, who := range []string{apitest.Admin, apitest.Responsable} {
			st := stats(t, who)
			i, e, tc, k := st.Interventions, st.Equipements, st.Techniciens, st.KPI
			if i.Total != 5 || i.Ouvertes != 1 || i.EnCours != 1 || i.TermineesSemaine != 2 || i.Critiques != 1 {
				t.Errorf("%s interventions %+v", who, i)
			}
			if e.Total != 5 || e.Operationnels != 5 || e.EnPanne != 0 || e.MaintenanceDue != 5 {
				t.Errorf("%s equipements %+v", who, e)
			}
			if tc.Total != 3 || tc.Disponibles != 3 || tc.EnIntervention != 1 || tc.ChargeMoyenne != 3.0 {
				t.Errorf("%s techniciens %+v", who, tc)
			}
			if str(k.TempsMoyenResolution) != "4.0 heures" || num(k.TauxRespectDelais) != 66.7 || num(k.SatisfactionClient) != 4.5 {
				t.Errorf("%s kpi %s %v %v", who, str(k.TempsMoyenResolution), num(k.TauxRespectDelais), num(k.SatisfactionClient))
			}
		}
	})

	t.Run("a client's dashboard covers its equipment only", func(t *testing.T) {
		st := stats(t, apitest.Client)
		i, e, tc, k := st.Interventions, st.Equipements, st.Techniciens, st.KPI
		if i.Total != 4 || i.Ouvertes != 1 || i.EnCours != 1 || i.TermineesSemaine != 1 || i.Critiques != 1 {
			t.Errorf("interventions %+v", i)
		}
		if e.Total != 3 || tc.Total != 0 {
			t.Errorf("equipements %+v techniciens %+v", e, tc)
		}
		if str(k.TempsMoyenResolution) != "4.0 heures" || num(k.TauxRespectDelais) != 100 || num(k.SatisfactionClient) != 4 {
			t.Errorf("kpi %s %v %v", str(k.TempsMoyenResolution), num(k.TauxRespectDelais), num(k.SatisfactionClient))
		}
		st = stats(t, apitest.Client2)
		if st.Interventions.Total != 1 || st.Equipements.Total != 2 || num(st.KPI.TauxRespectDelais) != 0 {
			t.Errorf("client2 %+v", st)
		}
	})

	t.Run("a technicien's dashboard is its own work", func(t *testing.T) {
		st := stats(t, apitest.Technicien)
		if st.Interventions.Total != 2 || st.Interventions.EnCours != 1 || st.Interventions.TermineesSemaine != 1 ||
			st.Techniciens.Total != 1 || st.Techniciens.EnIntervention != 1 || st.Techniciens.ChargeMoyenne != 8.9 ||
			str(st.KPI.TempsMoyenResolution) != "2.0 heures" {
			t.Errorf("technicien %+v %s", st, str(st.KPI.TempsMoyenResolution))
		}
		st = stats(t, apitest.Technicien2)
		if st.Interventions.Total != 0 || st.KPI.TempsMoyenResolution != nil || st.KPI.TauxRespectDelais != nil || st.KPI.SatisfactionClient != nil {
			t.Errorf("technicien2 (no work) %+v", st)
		}
	})

	t.Run("kpi: MTTR, MTBF and preventive compliance", func(t *testing.T) {
		f.intervention("p1", presseID, domain.PrioriteNormale, map[string]any{"type_intervention": "preventive", "statut": "terminee",
			"date_limite": h(-48), "date_debut": h(-73), "date_fin": h(-72)})
		f.intervention("p2", presseID, domain.PrioriteNormale, map[string]any{"type_intervention": "preventive", "date_limite": h(-24)})
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/dashboard/kpi", nil)
		var k domain.DashboardKPI
		res.JSON(t, &k)
		if total(t, res) != 5 || len(k.Equipements) != 5 {
			t.Fatalf("equipements %d (total %d)", len(k.Equipements), total(t, res))
		}
		type row struct {
			id         int64
			pannes     int
			mttr, mtbf float64
		}
		want := []row{{presseID, 2, 1, 1079.5}, {broyeurID, 2, 3, 1078.5}, {tankID, 1, 2, 2158}}
		for i, w := range want {
			g := k.Equipements[i]
			if g.EquipementID != w.id || g.Pannes != w.pannes || num(g.MTTRHeures) != w.mttr || num(g.MTBFHeures) != w.mtbf {
				t.Errorf("row %d: %+v mttr %v mtbf %v, want %+v", i, g, num(g.MTTRHeures), num(g.MTBFHeures), w)
			}
		}
		if k.Equipements[4].Pannes != 0 || k.Equipements[4].MTBFHeures != nil {
			t.Errorf("no failure, no MTBF: %+v", k.Equipements[4])
		}
		p := k.Preventif
		if p.Prevues != 2 || p.RealiseesATemps != 1 || p.RealiseesEnRetard != 0 || num(p.TauxConformite) != 50 {
			t.Errorf("preventif %+v %v", p, num(p.TauxConformite))
		}
		// The client's report covers its three machines.
		var kc domain.DashboardKPI
		res = f.want(t, http.StatusOK, apitest.Client, "GET", "/api/v1/dashboard/kpi?date_debut="+day(now.AddDate(0, 0, -30))+"&date_fin="+day(now), nil)
		res.JSON(t, &kc)
		if total(t, res) != 3 || kc.Preventif.Prevues != 2 {
			t.Errorf("client kpi %+v", kc)
		}
		// An empty period: no failure, compliance unknown.
		res = f.want(t, http.StatusOK, apitest.Admin, "GET", "/api/v1/dashboard/kpi?date_debut=2020-01-01&date_fin=2020-01-31&limit=2", nil)
		var empty domain.DashboardKPI
		res.JSON(t, &empty)
		if len(empty.Equipements) != 2 || empty.Equipements[0].Pannes != 0 || empty.Preventif.TauxConformite != nil {
			t.Errorf("empty period %+v", empty)
		}
		f.want422(t, "date_fin", apitest.Admin, "GET", "/api/v1/dashboard/kpi?date_debut=2020-01-01&date_fin=2025-01-01", nil)
		f.want422(t, "date_debut", apitest.Admin, "GET", "/api/v1/dashboard/kpi?date_debut=janvier", nil)
	})
}
