package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

// volume is the number of interventions the volume test and the benchmark seed.
const volume = 100_000

// seedVolume loads the demo data set, 200 more pieces of equipment (the first half under the
// demo client's contract) and n interventions spread over two years, a third of them planned,
// in a few INSERT … SELECT generate_series statements, then refreshes the planner statistics.
func seedVolume(tb testing.TB, n int) *storage.Store {
	tb.Helper()
	ctx := context.Background()
	st := storage.New(testdb.New(tb))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(tb)); err != nil {
		tb.Fatal(err)
	}
	stmts := []string{
		`INSERT INTO equipements (nom, type, modele, numero_serie, localisation, frequence_entretien, date_installation)
		 SELECT 'Machine ' || g, (ARRAY['Presse', 'Broyeur', 'Compresseur', 'Convoyeur'])[1 + g % 4], 'M-' || g,
		        'VOL-' || g, 'Atelier ' || chr(65 + g % 6), 30 + g % 60, now() - interval '3 years'
		 FROM generate_series(1, 200) g`,
		`INSERT INTO contrat_equipements (contrat_id, equipement_id)
		 SELECT (SELECT id FROM contrats WHERE numero = 'CT-2026-001'), e.id FROM equipements e
		 WHERE e.numero_serie LIKE 'VOL-%' AND substr(e.numero_serie, 5)::int <= 100`,
		`INSERT INTO interventions (workflow_id, titre, description, type_intervention, statut, priorite, urgence,
		        date_creation, date_limite, date_debut, date_fin, equipement_id, technicien_id, createur_id,
		        satisfaction_client, en_retard)
		 SELECT 'volume/' || g,
		        (ARRAY['Réparation fuite', 'Remplacement roulement', 'Contrôle vibrations', 'Graissage', 'Calibrage capteur'])[1 + g % 5] || ' #' || g,
		        'Intervention générée pour le banc de charge numéro ' || g,
		        (ARRAY['corrective', 'preventive', 'predictive'])[1 + g % 3],
		        s.statut,
		        (ARRAY['basse', 'normale', 'haute', 'critique'])[1 + (g / 7) % 4],
		        g % 11 = 0,
		        c.created, c.created + interval '3 days',
		        CASE WHEN s.statut IN ('en_cours', 'en_attente', 'terminee') THEN c.created + interval '1 day' END,
		        CASE WHEN s.statut = 'terminee' THEN c.created + interval '1 day' + (g % 96) * interval '1 hour' END,
		        (SELECT array_agg(id ORDER BY id) FROM equipements)[1 + g % (SELECT count(*) FROM equipements)::int],
		        CASE WHEN s.statut <> 'ouverte' THEN (SELECT array_agg(id ORDER BY id) FROM techniciens)[1 + g % 3] END,
		        (SELECT id FROM users WHERE email = 'responsable@mif.ma'),
		        CASE WHEN s.statut = 'terminee' AND g % 3 = 0 THEN 1 + g % 5 END,
		        s.statut NOT IN ('terminee', 'annulee') AND c.created + interval '3 days' < now()
		 FROM generate_series(1, $1) g,
		      LATERAL (SELECT now() - (g % 730) * interval '1 day' - (g % 24) * interval '1 hour' AS created) c,
		      LATERAL (SELECT CASE WHEN g % 730 < 20 THEN (ARRAY['ouverte', 'planifiee', 'en_cours', 'en_attente'])[1 + g % 4]
		                           WHEN g % 50 = 0 THEN 'annulee' ELSE 'terminee' END AS statut) s`,
		`INSERT INTO plannings (intervention_id, technicien_id, date_planifiee, duree_estimee, statut)
		 SELECT i.id, i.technicien_id, i.date_creation + interval '1 day', 60 + i.id % 180,
		        CASE WHEN i.statut = 'terminee' THEN 'terminee' WHEN i.statut = 'annulee' THEN 'annulee' ELSE 'planifiee' END
		 FROM interventions i WHERE i.technicien_id IS NOT NULL AND i.id % 3 = 0`,
		`ANALYZE`,
	}
	for i, q := range stmts {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if _, err := st.Q().ExecContext(ctx, q, args...); err != nil {
			tb.Fatalf("seed volume, statement %d: %v", i, err)
		}
	}
	return st
}

// volumeCase is one list the benchmark times and whose plan the volume test inspects.
type volumeCase struct {
	name string
	p    domain.Principal
	f    domain.InterventionFiltre
	sort storage.Sort
}

func volumeCases(st *storage.Store) []volumeCase {
	admin := domain.Principal{UserID: 1, Role: domain.RoleAdmin}
	var clientID, techID int64
	_ = st.Q().GetContext(context.Background(), &clientID, `SELECT id FROM clients WHERE nom = 'Cimenterie Atlas'`)
	_ = st.Q().GetContext(context.Background(), &techID, `SELECT min(id) FROM techniciens`)
	client := domain.Principal{UserID: 2, Role: domain.RoleClient, ClientID: &clientID}
	statut, prio := domain.StatutEnCours, domain.PrioriteCritique
	preventive := domain.TypePreventive
	var eqID int64
	_ = st.Q().GetContext(context.Background(), &eqID, `SELECT min(id) FROM equipements WHERE numero_serie LIKE 'VOL-%'`)
	since := time.Now().AddDate(0, -1, 0)
	yes := true
	return []volumeCase{
		{"list_newest", admin, domain.InterventionFiltre{}, storage.DefaultInterventionSort},
		{"filter_statut_priorite", admin, domain.InterventionFiltre{Statut: &statut, Priorite: &prio}, storage.DefaultInterventionSort},
		{"filter_technicien", admin, domain.InterventionFiltre{TechnicienID: &techID}, storage.DefaultInterventionSort},
		{"filter_equipement", admin, domain.InterventionFiltre{EquipementID: &eqID}, storage.DefaultInterventionSort},
		{"filter_type_recent", admin, domain.InterventionFiltre{TypeIntervention: &preventive, CreeApres: &since}, storage.DefaultInterventionSort},
		{"filter_urgence", admin, domain.InterventionFiltre{Urgence: &yes}, storage.DefaultInterventionSort},
		{"search_text", admin, domain.InterventionFiltre{Recherche: "roulement #4242"}, storage.DefaultInterventionSort},
		{"overdue", admin, domain.InterventionFiltre{Overdue: true}, storage.Sort{Field: "date_limite"}},
		{"client_own", client, domain.InterventionFiltre{}, storage.DefaultInterventionSort},
		{"sort_date_limite", admin, domain.InterventionFiltre{}, storage.Sort{Field: "date_limite", Desc: true}},
	}
}

// BenchmarkInterventionsVolume times the intervention lists, the detail, the equipment list and
// the dashboard over 100 000 interventions. Run it with:
//
//	go test -run '^$' -bench BenchmarkInterventionsVolume -benchtime 200x ./api/
func BenchmarkInterventionsVolume(b *testing.B) {
	st := seedVolume(b, volume)
	ctx := context.Background()
	page := storage.Page{Limit: 50}
	for _, c := range volumeCases(st) {
		b.Run("list/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := st.ListInterventions(ctx, c.p, c.f, c.sort, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	admin := domain.Principal{UserID: 1, Role: domain.RoleAdmin}
	var id int64
	if err := st.Q().GetContext(ctx, &id, `SELECT id FROM interventions WHERE workflow_id = 'volume/50000'`); err != nil {
		b.Fatal(err)
	}
	b.Run("detail", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.GetInterventionDetail(ctx, admin, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("equipements_list", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.ListEquipements(ctx, admin, domain.EquipementFiltre{}, storage.Sort{Field: "id"}, page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dashboard_stats", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.DashboardStats(ctx, admin, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
