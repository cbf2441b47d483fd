package telemetry_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/telemetry"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// businessPlatform is a migrated database with one intervention per statut, and the telemetry
// reading it through a counter of computations.
func businessPlatform(t *testing.T, interval string) (*storage.Store, *telemetry.Telemetry, *atomic.Int32) {
	t.Helper()
	db := testdb.New(t)
	store := storage.New(db)
	ctx := context.Background()
	var equipID int64
	if err := db.GetContext(ctx, &equipID, `INSERT INTO equipements (nom, type, numero_serie) VALUES ('Presse', 'presse', 'SN-METRICS') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for i, row := range []struct {
		statut, priorite, typ string
		late                  bool
		limite                string
		fin                   string
	}{
		{"ouverte", "haute", "corrective", false, "", ""},
		{"en_cours", "critique", "corrective", true, "", ""},
		{"terminee", "basse", "corrective", true, "", ""},
		{"terminee", "normale", "preventive", false, "now() - interval '2 days'", "now() - interval '3 days'"},
		{"terminee", "normale", "preventive", false, "now() - interval '5 days'", "now() - interval '1 day'"},
		{"annulee", "normale", "preventive", false, "now() - interval '4 days'", ""},
	} {
		limite, fin, debut := "NULL", "NULL", "NULL"
		if row.limite != "" {
			limite = row.limite
		}
		if row.fin != "" {
			fin, debut = row.fin, row.fin+" - interval '1 hour'"
		}
		var id int64
		if err := db.GetContext(ctx, &id, `INSERT INTO interventions (workflow_id, titre, type_intervention, statut, priorite, equipement_id, en_retard, date_limite, date_fin, date_debut)
			VALUES ($1, 'métrique', $2, $3, $4, $5, $6, `+limite+`, `+fin+`, `+debut+`) RETURNING id`,
			"test/metrics/"+string(rune('a'+i)), row.typ, row.statut, row.priorite, equipID, row.late); err != nil {
			t.Fatal(err)
		}
		if row.statut == "en_cours" { // reached level 1, then level 2
			for lvl := 1; lvl <= 2; lvl++ {
				if err := store.RecordEscalation(ctx, id, lvl, "test", fmt.Sprintf("test/escalation/%d", lvl)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cfg := config.Telemetry{BusinessMetricsInterval: mustDuration(t, interval)}
	tel, err := telemetry.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	var calls atomic.Int32
	src := func(ctx context.Context, now time.Time) (storage.BusinessMetrics, error) {
		calls.Add(1)
		return store.BusinessMetrics(ctx, now)
	}
	if err := tel.RegisterDatabase(db.DB, src); err != nil {
		t.Fatal(err)
	}
	return store, tel, &calls
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBusinessGaugesFromTheDatabase(t *testing.T) {
	t.Parallel()
	_, tel, _ := businessPlatform(t, "0s")
	reg := tel.Registry()
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"mif_interventions", `statut="ouverte",priorite="haute"`, 1},
		{"mif_interventions", `statut="terminee",priorite="normale"`, 2},
		{"mif_interventions", `statut="planifiee",priorite="critique"`, 0}, // an empty cell is 0, not absent
		{"mif_interventions_overdue", ``, 1},                               // late and unfinished
		{"mif_sla_breaches_total", ``, 2},                                  // late, finished or not
		{"mif_interventions_escalated", `niveau="2"`, 1},                   // its highest level only
		{"mif_interventions_escalated", `niveau="1"`, 0},
		{"mif_preventive_due", ``, 2}, // the cancelled one does not count
		{"mif_preventive_on_time", ``, 1},
		{"mif_preventive_compliance_ratio", ``, 0.5},
		{"mif_emails_waiting", ``, 0},
		{"mif_intervention_outbox_pending", ``, 0},
	} {
		got := gaugeValue(t, reg, tc.name, tc.labels)
		if got != tc.want {
			t.Errorf("%s{%s} = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "go_sql_open_connections"); n != 1 {
		t.Errorf("DB pool statistics: %d go_sql_open_connections series", n)
	}
}

func TestBusinessGaugesAreCachedForTheInterval(t *testing.T) {
	t.Parallel()
	store, tel, calls := businessPlatform(t, "1h")
	reg := tel.Registry()
	for range 5 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("5 scrapes within the interval computed the figures %d times, want 1", n)
	}
	// A change in the database shows only after the interval: the cached value is served.
	if _, err := store.DB().Exec(`UPDATE interventions SET statut = 'annulee' WHERE statut = 'ouverte'`); err != nil {
		t.Fatal(err)
	}
	if got := gaugeValue(t, reg, "mif_interventions", `statut="ouverte",priorite="haute"`); got != 1 {
		t.Fatalf("cached value %v, want 1 until the interval passes", got)
	}
}

func TestBusinessGaugesSurviveADatabaseOutage(t *testing.T) {
	t.Parallel()
	store, tel, _ := businessPlatform(t, "0s")
	reg := tel.Registry()
	if got := gaugeValue(t, reg, "mif_interventions_overdue", ""); got != 1 {
		t.Fatalf("overdue %v", got)
	}
	_ = store.DB().Close()
	// The last figures are served, and the failure is counted.
	if got := gaugeValue(t, reg, "mif_interventions_overdue", ""); got != 1 {
		t.Fatalf("after the outage: overdue %v, want the last value 1", got)
	}
	if got := gaugeValue(t, reg, "mif_business_metrics_errors_total", ""); got < 1 {
		t.Fatalf("errors counted: %v", got)
	}
}

// gaugeValue gathers reg and returns the value of the series name{labels}, labels written as
// `k="v",k2="v2"`.
func gaugeValue(t *testing.T, reg prometheus.Gatherer, name, labels string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, kv := range strings.Split(labels, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			want[k] = strings.Trim(v, `"`)
		}
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{%s}", name, labels)
	return 0
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
