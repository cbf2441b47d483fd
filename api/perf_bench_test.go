package api_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// BenchmarkReadPaths times the dashboard, the KPIs and the lists behind the seed's scenario on a
// database built by `mif demo --volume N` (README, Load testing), named by MIF_PERF_DATABASE_URL;
// it is skipped without it. Run it with:
//
//	MIF_PERF_DATABASE_URL='postgres://postgres@127.0.0.1:5432/perf_load?sslmode=disable' \
//	  go test -run '^$' -bench BenchmarkReadPaths -benchtime 100x ./api/
func BenchmarkReadPaths(b *testing.B) {
	url := os.Getenv("MIF_PERF_DATABASE_URL")
	if url == "" {
		b.Skip("MIF_PERF_DATABASE_URL is not set (a database built by mif demo --volume)")
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, url, 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	st := storage.New(db)
	var clientID, techID int64
	if err := st.Q().GetContext(ctx, &clientID, `SELECT c.client_id FROM contrats c JOIN contrat_equipements ce ON ce.contrat_id = c.id
		GROUP BY c.client_id ORDER BY count(*) DESC, c.client_id LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	if err := st.Q().GetContext(ctx, &techID, `SELECT technicien_id FROM interventions WHERE technicien_id IS NOT NULL
		GROUP BY technicien_id ORDER BY count(*) DESC, technicien_id LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	principals := []struct {
		name string
		p    domain.Principal
	}{
		{"responsable", domain.Principal{UserID: 1, Role: domain.RoleResponsable}},
		{"client", domain.Principal{UserID: 2, Role: domain.RoleClient, ClientID: &clientID}},
		{"technicien", domain.Principal{UserID: 3, Role: domain.RoleTechnicien, TechnicienID: &techID}},
	}
	page := storage.Page{Limit: 20}
	for _, pr := range principals {
		b.Run("dashboard_stats/"+pr.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := st.DashboardStats(ctx, pr.p, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, pr := range principals[:2] {
		b.Run("dashboard_kpi/"+pr.name, func(b *testing.B) {
			for b.Loop() {
				fin := time.Now()
				if _, _, err := st.DashboardKPI(ctx, pr.p, fin.Add(-90*24*time.Hour), fin, page); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("equipements_list/"+pr.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := st.ListEquipements(ctx, pr.p, domain.EquipementFiltre{}, storage.Sort{Field: "id"}, page); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("interventions_list/"+pr.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := st.ListInterventions(ctx, pr.p, domain.InterventionFiltre{}, storage.DefaultInterventionSort, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("techniciens_list", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.ListTechniciens(ctx, principals[0].p, domain.TechnicienFiltre{}, storage.Sort{Field: "id"}, page); err != nil {
				b.Fatal(err)
			}
		}
	})
}
