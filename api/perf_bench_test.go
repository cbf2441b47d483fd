package api_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/authz"
	"github.com/mifmaroc/mif/config"
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

// BenchmarkInterventionDetailVsSQL compares, in one run and at the same concurrency,
// GET /api/v1/interventions/{id} through the whole API (middleware, token check, principal —
// cached or not —, detail query, JSON) with the two statements the uncached API runs per request
// (storage.RequestStatements) sent straight to PostgreSQL: the in-process counterpart of
// `make loadtest-vs-pgbench`. On a mif demo --volume database (MIF_PERF_DATABASE_URL):
//
//	go test -run '^$' -bench BenchmarkInterventionDetailVsSQL -cpu 2 ./api/
func BenchmarkInterventionDetailVsSQL(b *testing.B) {
	url := os.Getenv("MIF_PERF_DATABASE_URL")
	if url == "" {
		b.Skip("MIF_PERF_DATABASE_URL is not set (a database built by mif demo --volume)")
	}
	ctx := context.Background()
	const pool = 20
	db, err := storage.Open(ctx, url, pool)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	st := storage.New(db)
	var maxID int64
	if err := st.Q().GetContext(ctx, &maxID, `SELECT max(id) FROM interventions`); err != nil {
		b.Fatal(err)
	}
	u, err := st.GetUserByLogin(ctx, "responsable@mif.ma")
	if err != nil {
		b.Fatal(err)
	}
	principalSQL, detailSQL := storage.RequestStatements()
	b.Run("sql", func(b *testing.B) {
		b.SetParallelism(50) // 100 clients on 2 CPUs, over the pool of 20
		b.RunParallel(func(pb *testing.PB) {
			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
			for pb.Next() {
				rows, err := st.Q().QueryxContext(ctx, principalSQL, u.ID, "bench-jti")
				if err != nil {
					b.Error(err)
					return
				}
				_ = rows.Close()
				rows, err = st.Q().QueryxContext(ctx, detailSQL, 1+rnd.Int64N(maxID))
				if err != nil {
					b.Error(err)
					return
				}
				_ = rows.Close()
			}
		})
	})
	for _, cached := range []bool{false, true} {
		name := "api_uncached"
		if cached {
			name = "api_cached"
		}
		b.Run(name, func(b *testing.B) {
			cfg, err := config.Load(config.ModeDev, func(k string) (string, bool) {
				v, ok := map[string]string{"DATABASE_URL": url, "MIF_LOG_LEVEL": "error", "MIF_DATA_DIR": b.TempDir(),
					"MIF_PRINCIPAL_CACHE": strconv.FormatBool(cached)}[k]
				return v, ok
			})
			if err != nil {
				b.Fatal(err)
			}
			tokens, err := authn.NewTokens(cfg.JWT, filepath.Join(b.TempDir(), "jwt.pem"))
			if err != nil {
				b.Fatal(err)
			}
			az, err := authz.NewDefault()
			if err != nil {
				b.Fatal(err)
			}
			srv, err := api.New(api.Deps{Config: cfg, Store: st, Tokens: tokens, Authz: az, Log: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(srv.Close)
			hs := httptest.NewServer(srv.Handler())
			b.Cleanup(hs.Close)
			tok, err := tokens.Issue(u)
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
			get := func(id int64) int {
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/interventions/%d", hs.URL, id), nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return 0
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				return res.StatusCode
			}
			if s := get(maxID); s != http.StatusOK { // warms the cache's LISTEN connection up
				b.Fatalf("GET: %d", s)
			}
			b.ResetTimer()
			b.SetParallelism(50)
			b.RunParallel(func(pb *testing.PB) {
				rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
				for pb.Next() {
					if s := get(1 + rnd.Int64N(maxID)); s != http.StatusOK && s != http.StatusNotFound {
						b.Errorf("GET: %d", s)
						return
					}
				}
			})
		})
	}
}
