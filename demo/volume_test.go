package demo_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

func TestMain(m *testing.M) { apitest.Main(m) }

const volumeN = 400

// count runs a query answering one integer.
func count(t *testing.T, st *storage.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.Q().GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestVolumeDataSet generates a small data set into a platform and checks that it is what the
// generator claims: counts, every status, coherent dates and lateness, referential integrity,
// sequences left usable, the API answering reads on it, lifecycle calls through the workflows the
// open interventions get, and the refusal rules.
func TestVolumeDataSet(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	st := env.Store
	before := loadedSchema(t, st)
	res, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: volumeN, Seed: 7, SLA: env.Config.SLA,
		PreventiveLeadTime: env.Config.Workflows.PreventiveLeadTime, PasswordHash: testpasswords.DemoHash(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated || res.Rows["interventions"] != volumeN {
		t.Fatalf("result %+v", res)
	}

	t.Run("counts", func(t *testing.T) {
		if n := count(t, st, `SELECT count(*) FROM interventions`); n != volumeN {
			t.Errorf("%d interventions, want %d", n, volumeN)
		}
		if n := count(t, st, `SELECT count(*) FROM equipements WHERE numero_serie LIKE 'DEMO-%'`); n != volumeN/50 {
			t.Errorf("%d equipment, want N/50 = %d", n, volumeN/50)
		}
		if n := count(t, st, `SELECT count(*) FROM techniciens t JOIN users u ON u.id = t.user_id WHERE u.email LIKE '%@demo.mif.ma'`); n < 4 {
			t.Errorf("%d generated techniciens", n)
		}
		if n := count(t, st, `SELECT count(*) FROM technicien_competences tc JOIN techniciens t ON t.id = tc.technicien_id
			JOIN users u ON u.id = t.user_id WHERE u.email LIKE '%@demo.mif.ma'`); n < 8 {
			t.Errorf("%d competences of generated techniciens, want at least 2 each", n)
		}
		for table, n := range res.Rows {
			if n == 0 {
				t.Errorf("no row written in %s", table)
			}
		}
		if n := count(t, st, `SELECT count(*) FROM notifications WHERE email_statut IS DISTINCT FROM 'ignore'`); n != 0 {
			t.Errorf("%d generated notifications would be e-mailed by the digest", n)
		}
	})

	t.Run("indexes, constraints and triggers as before", func(t *testing.T) {
		if after := loadedSchema(t, st); after != before {
			t.Errorf("after the load:\n%s\nbefore:\n%s", after, before)
		}
	})

	t.Run("dashboard counters as the trigger keeps them", func(t *testing.T) {
		// The counters are written once for the whole load instead of by the row trigger: taking
		// every intervention away again as the trigger does on a deletion must leave nothing.
		// One snapshot, rolled back: the platform may write meanwhile.
		tx, err := st.DB().BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		var counted int
		if err := tx.GetContext(ctx, &counted, `SELECT coalesce(sum(n), 0) FROM intervention_counters WHERE portee = 'a'`); err != nil {
			t.Fatal(err)
		}
		if counted != volumeN {
			t.Errorf("the counters count %d interventions, want %d", counted, volumeN)
		}
		if _, err := tx.ExecContext(ctx, `SELECT intervention_counters_add(i, -1) FROM interventions i`); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := tx.SelectContext(ctx, &left, `SELECT concat_ws(' ', portee, cle, statut, priorite, sum(n), sum(resolues), sum(resolution_s),
				sum(a_temps), sum(notes), sum(notes_somme))
			FROM intervention_counters GROUP BY portee, cle, statut, priorite
			HAVING (sum(n), sum(resolues), sum(resolution_s), sum(a_temps), sum(notes), sum(notes_somme)) <> (0, 0, 0, 0, 0, 0)`); err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("%d keys off by (n, resolues, resolution_s, a_temps, notes, notes_somme), e.g. %s", len(left), left[0])
		}
	})

	t.Run("geography", func(t *testing.T) {
		checks := map[string]string{
			"equipment without a site": `SELECT count(*) FROM equipements WHERE site_id IS NULL`,
			"equipment at another client's site": `SELECT count(*) FROM equipements e JOIN sites s ON s.id = e.site_id
				JOIN contrat_equipements ce ON ce.equipement_id = e.id JOIN contrats k ON k.id = ce.contrat_id
				WHERE k.client_id <> s.client_id`,
			"site outside Morocco":      `SELECT count(*) FROM sites WHERE latitude NOT BETWEEN 27 AND 36 OR longitude NOT BETWEEN -14 AND -1`,
			"technicien without a base": `SELECT count(*) FROM techniciens WHERE base_latitude IS NULL`,
			"technicien base far from his city": `SELECT count(*) FROM techniciens t WHERE t.localisation_base = 'Casablanca'
				AND (abs(t.base_latitude - 33.5731) > 0.1 OR abs(t.base_longitude + 7.5898) > 0.1)`,
		}
		for what, q := range checks {
			if n := count(t, st, q); n != 0 {
				t.Errorf("%s: %d", what, n)
			}
		}
		if n := count(t, st, `SELECT count(DISTINCT client_id) FROM sites`); n != count(t, st, `SELECT count(*) FROM clients`) {
			t.Errorf("sites for %d clients", n)
		}
		if n := count(t, st, `SELECT count(*) FROM site_horaires`); n == 0 {
			t.Error("no opening hours")
		}
	})

	t.Run("every status and kind", func(t *testing.T) {
		for _, s := range []string{"ouverte", "planifiee", "en_cours", "en_attente", "terminee", "annulee"} {
			if n := count(t, st, `SELECT count(*) FROM interventions WHERE statut = $1`, s); n == 0 {
				t.Errorf("no intervention %s", s)
			}
		}
		for _, s := range []string{"corrective", "preventive", "predictive"} {
			if n := count(t, st, `SELECT count(*) FROM interventions WHERE type_intervention = $1`, s); n == 0 {
				t.Errorf("no %s intervention", s)
			}
		}
		if n := count(t, st, `SELECT count(*) FROM interventions WHERE en_retard`); n == 0 || n > volumeN/3 {
			t.Errorf("%d late interventions", n)
		}
		if n := count(t, st, `SELECT count(*) FROM interventions WHERE date_creation < now() - interval '600 days'`); n == 0 {
			t.Errorf("no history older than 600 days")
		}
	})

	t.Run("coherent rows", func(t *testing.T) {
		checks := map[string]string{
			"finished without report, time or dates": `SELECT count(*) FROM interventions WHERE statut = 'terminee'
				AND (rapport IS NULL OR temps_passe IS NULL OR date_debut IS NULL OR date_fin IS NULL)`,
			"dates out of order": `SELECT count(*) FROM interventions WHERE date_debut < date_creation OR date_fin < date_debut
				OR date_fin > now() OR date_creation > now() OR date_debut > now()`,
			"not finished with a date_fin or report": `SELECT count(*) FROM interventions WHERE statut <> 'terminee'
				AND (date_fin IS NOT NULL OR rapport IS NOT NULL)`,
			"open without start while working": `SELECT count(*) FROM interventions WHERE statut IN ('en_cours', 'en_attente') AND date_debut IS NULL`,
			"assigned status without technicien": `SELECT count(*) FROM interventions WHERE statut IN ('planifiee', 'en_cours', 'en_attente', 'terminee')
				AND technicien_id IS NULL`,
			"ouverte with technicien": `SELECT count(*) FROM interventions WHERE statut = 'ouverte' AND technicien_id IS NOT NULL`,
			"cancelled without motif": `SELECT count(*) FROM interventions WHERE statut = 'annulee' AND motif_annulation IS NULL`,
			"technicien without its planning": `SELECT count(*) FROM interventions i WHERE technicien_id IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM plannings p WHERE p.intervention_id = i.id AND p.technicien_id = i.technicien_id)`,
			"planning status out of step": `SELECT count(*) FROM interventions i JOIN plannings p ON p.intervention_id = i.id
				WHERE p.statut <> CASE i.statut WHEN 'planifiee' THEN 'planifiee' WHEN 'terminee' THEN 'terminee'
					WHEN 'annulee' THEN 'annulee' ELSE 'en_cours' END`,
			"finished late against a date_limite but not marked": `SELECT count(*) FROM interventions WHERE statut = 'terminee'
				AND date_limite IS NOT NULL AND (date_fin > date_limite) <> en_retard`,
			"open past a date_limite but not marked": `SELECT count(*) FROM interventions WHERE statut IN ('ouverte', 'planifiee', 'en_cours')
				AND date_limite < now() AND NOT en_retard`,
			"lateness without its historique": `SELECT count(*) FROM interventions i WHERE en_retard <> EXISTS (SELECT 1 FROM historique h
				WHERE h.entite = 'intervention' AND h.entite_id = i.id AND h.action = 'retard')`,
			"not exactly one creation entry": `SELECT count(*) FROM interventions i WHERE (SELECT count(*) FROM historique h
				WHERE h.entite = 'intervention' AND h.entite_id = i.id AND h.action = 'creation') <> 1`,
			"last transition does not give the status": `SELECT count(*) FROM interventions i WHERE i.statut <> coalesce((SELECT h.changements->'statut'->>'nouveau'
				FROM historique h WHERE h.entite = 'intervention' AND h.entite_id = i.id AND h.changements->'statut'->>'nouveau' IS NOT NULL
				ORDER BY h.date_action DESC, h.id DESC LIMIT 1), 'ouverte')`,
			"historique of a missing intervention": `SELECT count(*) FROM historique h WHERE h.entite = 'intervention'
				AND NOT EXISTS (SELECT 1 FROM interventions i WHERE i.id = h.entite_id)`,
			"equipment in maintenance without work, or the reverse": `SELECT count(*) FROM equipements e WHERE e.numero_serie LIKE 'DEMO-%'
				AND (e.statut = 'en_maintenance') <> EXISTS (SELECT 1 FROM interventions i WHERE i.equipement_id = e.id AND i.statut IN ('en_cours', 'en_attente'))`,
			"work on retired equipment after it was retired": `SELECT count(*) FROM interventions i JOIN equipements e ON e.id = i.equipement_id
				WHERE e.statut = 'retire' AND (i.statut NOT IN ('terminee', 'annulee') OR i.date_creation > e.updated_at)`,
			"derniere_maintenance not the last completion": `SELECT count(*) FROM equipements e WHERE e.numero_serie LIKE 'DEMO-%'
				AND e.derniere_maintenance IS DISTINCT FROM (SELECT max(date_fin) FROM interventions i WHERE i.equipement_id = e.id
				AND i.statut = 'terminee' AND i.type_intervention IN ('preventive', 'corrective'))`,
			"preventive cycle due within the lead time": `SELECT count(*) FROM equipements e WHERE e.numero_serie LIKE 'DEMO-%'
				AND e.frequence_entretien IS NOT NULL AND e.statut <> 'retire'
				AND e.derniere_maintenance + make_interval(days => e.frequence_entretien) < now() + interval '7 days'`,
			"client account without its client": `SELECT count(*) FROM users WHERE role = 'client' AND client_id IS NULL`,
		}
		for name, q := range checks {
			if n := count(t, st, q); n != 0 {
				t.Errorf("%s: %d rows", name, n)
			}
		}
		if n := count(t, st, `SELECT count(*) FROM contrat_equipements ce JOIN equipements e ON e.id = ce.equipement_id
			JOIN contrats k ON k.id = ce.contrat_id JOIN clients c ON c.id = k.client_id WHERE c.nom IN ('Cimenterie Atlas', 'Laiterie du Souss')
			AND e.numero_serie LIKE 'DEMO-%'`); n == 0 {
			t.Errorf("the demo seed's clients got no equipment: their accounts would see no volume")
		}
	})

	t.Run("sequences stay usable", func(t *testing.T) {
		for _, table := range []string{"clients", "users", "techniciens", "contrats", "equipements", "interventions", "plannings", "historique", "notifications"} {
			var ok bool
			if err := st.Q().GetContext(ctx, &ok, `SELECT (SELECT last_value FROM `+table+`_id_seq) >= (SELECT coalesce(max(id), 0) FROM `+table+`)`); err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("%s: sequence behind the rows", table)
			}
		}
		var eq int64
		if err := st.Q().GetContext(ctx, &eq, `SELECT min(id) FROM equipements WHERE numero_serie LIKE 'DEMO-%' AND statut = 'operationnel'`); err != nil {
			t.Fatal(err)
		}
		r := env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/interventions", Token: env.Token(apitest.Responsable),
			Body: map[string]any{"titre": "Après le volume", "description": "Création après la génération du volume.",
				"type_intervention": "corrective", "equipement_id": eq}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create after the volume: %d %s", r.Status, r.Body)
		}
	})

	t.Run("reads", func(t *testing.T) {
		for _, who := range []string{apitest.Responsable, apitest.Client} {
			for _, path := range []string{"/api/v1/interventions?limit=50", "/api/v1/equipements", "/api/v1/dashboard/stats",
				"/api/v1/interventions?statut=en_attente", "/api/v1/notifications"} {
				r := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: env.Token(who)})
				// Clients are not among the recipients of intervention notifications.
				empty := r.Header.Get("X-Total-Count") == "0" && !(who == apitest.Client && strings.HasPrefix(path, "/api/v1/notifications"))
				if r.Status != http.StatusOK || empty {
					t.Errorf("%s %s: %d %s %s", who, path, r.Status, r.Header.Get("X-Total-Count"), r.Body)
				}
			}
		}
		if r := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/planning", Token: env.Token(apitest.Responsable)}); r.Status != http.StatusOK {
			t.Errorf("planning: %d %s", r.Status, r.Body)
		}
		// A client sees only the work on its own machines.
		own := count(t, st, `SELECT count(*) FROM interventions i WHERE EXISTS (SELECT 1 FROM contrat_equipements ce JOIN contrats k ON k.id = ce.contrat_id
			JOIN clients c ON c.id = k.client_id WHERE ce.equipement_id = i.equipement_id AND c.nom = 'Cimenterie Atlas')`)
		r := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions?limit=1", Token: env.Token(apitest.Client)})
		if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(own) || own == 0 || own == volumeN {
			t.Errorf("the client sees %s interventions, %d are on its machines", got, own)
		}
		var tech string
		if err := st.Q().GetContext(ctx, &tech, `SELECT u.email FROM users u JOIN techniciens t ON t.user_id = u.id
			WHERE u.email LIKE '%@demo.mif.ma' ORDER BY u.id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		var mine []map[string]any
		r = env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions/mine?limit=200", Token: env.Token(tech)})
		r.JSON(t, &mine)
		if r.Status != http.StatusOK || len(mine) == 0 {
			t.Errorf("a generated technicien sees no work of his: %d", r.Status)
		}
	})

	t.Run("finished interventions answer from the archive and stay final", func(t *testing.T) {
		var id int64
		if err := st.Q().GetContext(ctx, &id, `SELECT min(id) FROM interventions WHERE statut = 'terminee' AND workflow_id LIKE 'intervention/demo-%'`); err != nil {
			t.Fatal(err)
		}
		tok := env.Token(apitest.Responsable)
		var wf struct {
			Source     string `json:"source"`
			Statut     string `json:"statut"`
			Historique []struct {
				Vers string `json:"vers"`
			} `json:"historique"`
		}
		r := env.Do(t, apitest.Request{Method: http.MethodGet, Path: "/api/v1/interventions/" + apitest.ID(id) + "/workflow", Token: tok})
		r.JSON(t, &wf)
		if r.Status != http.StatusOK || wf.Source != "archive" || wf.Statut != "terminee" || len(wf.Historique) < 3 ||
			wf.Historique[len(wf.Historique)-1].Vers != "terminee" {
			t.Errorf("workflow of a generated finished intervention: %d %s", r.Status, r.Body)
		}
		r = env.Do(t, apitest.Request{Method: http.MethodPost, Path: "/api/v1/interventions/" + apitest.ID(id) + "/cancel", Token: tok,
			Body: map[string]string{"motif": "essai"}})
		if r.Status != http.StatusConflict {
			t.Errorf("cancel of a finished intervention: %d %s", r.Status, r.Body)
		}
	})

	t.Run("open interventions get their workflows", func(t *testing.T) {
		open := count(t, st, `SELECT count(*) FROM interventions WHERE workflow_id LIKE 'intervention/demo-%' AND statut NOT IN ('terminee', 'annulee')`)
		actx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		n, err := demo.AttachWorkflows(actx, env.Workflows.Interventions, st, true)
		if err != nil {
			t.Fatal(err)
		}
		if n != open {
			t.Fatalf("attached %d workflows, %d open interventions", n, open)
		}
		var row struct {
			ID    int64  `db:"id"`
			Email string `db:"email"`
		}
		if err := st.Q().GetContext(ctx, &row, `SELECT i.id, u.email FROM interventions i JOIN techniciens t ON t.id = i.technicien_id
			JOIN users u ON u.id = t.user_id WHERE i.statut = 'planifiee' AND i.workflow_id LIKE 'intervention/demo-%' ORDER BY i.id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/interventions/" + apitest.ID(row.ID)
		var wf struct {
			Source string `json:"source"`
			Statut string `json:"statut"`
		}
		r := env.Do(t, apitest.Request{Method: http.MethodGet, Path: path + "/workflow", Token: env.Token(apitest.Responsable)})
		r.JSON(t, &wf)
		if r.Status != http.StatusOK || wf.Source != "workflow" || wf.Statut != "planifiee" {
			t.Fatalf("workflow of a planned generated intervention: %d %s", r.Status, r.Body)
		}
		// It reads in the Temporal Web UI like one created through the API: n° — titre — ….
		var wfID string
		if err := st.Q().GetContext(ctx, &wfID, `SELECT workflow_id FROM interventions WHERE id = $1`, row.ID); err != nil {
			t.Fatal(err)
		}
		desc, err := env.Temporal.DescribeWorkflow(ctx, wfID, "")
		if err != nil {
			t.Fatal(err)
		}
		var summary string
		if err := converter.GetDefaultDataConverter().FromPayload(desc.RawResponse.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary); err != nil ||
			!strings.HasPrefix(summary, "n°"+apitest.ID(row.ID)+" — ") {
			t.Errorf("summary of an attached workflow %q, %v", summary, err)
		}
		// Its technicien starts it, through the workflow.
		r = env.Do(t, apitest.Request{Method: http.MethodPost, Path: path + "/start", Token: env.Token(row.Email)})
		var got struct {
			Statut    string     `json:"statut"`
			DateDebut *time.Time `json:"date_debut"`
		}
		r.JSON(t, &got)
		if r.Status != http.StatusOK || got.Statut != "en_cours" || got.DateDebut == nil {
			t.Fatalf("start of a generated intervention: %d %s", r.Status, r.Body)
		}
		// Attaching again leaves the running workflows alone.
		if n2, err := demo.AttachWorkflows(actx, env.Workflows.Interventions, st, true); err != nil || n2 != open {
			t.Fatalf("attach again: %d, %v", n2, err)
		}
		r = env.Do(t, apitest.Request{Method: http.MethodGet, Path: path, Token: env.Token(apitest.Responsable)})
		r.JSON(t, &got)
		if got.Statut != "en_cours" {
			t.Errorf("after attaching again the intervention is %s", got.Statut)
		}
	})

	t.Run("the same data set again writes nothing", func(t *testing.T) {
		before := count(t, st, `SELECT count(*) FROM historique`)
		again, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: volumeN, Seed: 7})
		if err != nil || again.Generated {
			t.Fatalf("again: %+v, %v", again, err)
		}
		if after := count(t, st, `SELECT count(*) FROM historique`); after != before {
			t.Errorf("historique %d -> %d", before, after)
		}
	})

	t.Run("another data set is refused", func(t *testing.T) {
		for _, o := range []demo.VolumeOptions{{Interventions: volumeN, Seed: 8}, {Interventions: volumeN + 1, Seed: 7},
			{Interventions: volumeN, Seed: 8, Force: true}} {
			if _, err := demo.GenerateVolume(ctx, st, o); !errors.Is(err, demo.ErrOtherVolume) {
				t.Errorf("%+v: %v, want ErrOtherVolume", o, err)
			}
		}
	})
}

// TestVolumeRefusesRealData: a database with an account that is not a demo account gets nothing,
// not even the demo seed, unless forced.
func TestVolumeRefusesRealData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if _, err := st.Q().ExecContext(ctx, `INSERT INTO users (email, nom, role) VALUES ('directeur@entreprise.ma', 'Directeur', 'admin')`); err != nil {
		t.Fatal(err)
	}
	hash := testpasswords.DemoHash(t)
	_, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: demo.MinVolume, Seed: 1, PasswordHash: hash})
	if !errors.Is(err, demo.ErrNotDemoDatabase) {
		t.Fatalf("got %v, want ErrNotDemoDatabase", err)
	}
	if n := count(t, st, `SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d accounts after the refusal, want the one there before", n)
	}
	res, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: demo.MinVolume, Seed: 1, Force: true, PasswordHash: hash})
	if err != nil || !res.Generated {
		t.Fatalf("forced: %+v, %v", res, err)
	}
	if n := count(t, st, `SELECT count(*) FROM interventions`); n != demo.MinVolume {
		t.Fatalf("%d interventions after a forced run", n)
	}
	if _, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: demo.MinVolume - 1, Seed: 1, PasswordHash: hash}); err == nil {
		t.Fatal("a data set below the minimum was accepted")
	}
}

// TestVolumeFailureWritesNothing: a failure in the last table leaves none of the data set, and
// the tables loaded before it with their indexes, constraints and triggers as they were.
func TestVolumeFailureWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if _, err := st.Q().ExecContext(ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}
	before := loadedSchema(t, st)
	_, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: demo.MinVolume, Seed: 1, PasswordHash: testpasswords.DemoHash(t)})
	if err == nil || !strings.Contains(err.Error(), "copy notifications") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want the notifications refused", err)
	}
	for _, table := range []string{"interventions", "plannings", "intervention_counters", "notifications"} {
		if n := count(t, st, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s after the failure", n, table)
		}
	}
	if n := count(t, st, `SELECT count(*) FROM historique WHERE entite = 'intervention'`); n != 0 {
		t.Errorf("%d historique rows of interventions after the failure", n)
	}
	if n := count(t, st, `SELECT count(*) FROM users WHERE email LIKE '%@demo.mif.ma'`); n != 0 {
		t.Errorf("%d generated accounts after the failure", n)
	}
	if after := loadedSchema(t, st); after != before {
		t.Errorf("after the failure:\n%s\nbefore:\n%s", after, before)
	}
}

// loadedSchema describes the indexes, foreign keys and triggers of the tables the generator
// loads in bulk, which it sets aside for the load and must leave as they were.
func loadedSchema(t *testing.T, st *storage.Store) string {
	t.Helper()
	var s string
	err := st.Q().GetContext(context.Background(), &s, `WITH t (rel) AS (SELECT unnest('{interventions, plannings, historique, notifications}'::regclass[]))
		SELECT string_agg(d, E'\n' ORDER BY d) FROM (
			SELECT pg_get_indexdef(indexrelid) || CASE WHEN indisvalid AND indisready THEN '' ELSE ' (not valid)' END
			FROM pg_index JOIN t ON indrelid = rel
			UNION ALL
			SELECT format('%s %s %s%s', conrelid::regclass, conname, pg_get_constraintdef(oid), CASE WHEN convalidated THEN '' ELSE ' (not validated)' END)
			FROM pg_constraint JOIN t ON conrelid = rel
			UNION ALL
			SELECT format('%s trigger %s enabled %s', tgrelid::regclass, tgname, tgenabled) FROM pg_trigger JOIN t ON tgrelid = rel
			WHERE NOT tgisinternal) d (d)`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVolumeDeterministic: the same seed, size and date give the same rows; another seed does not.
func TestVolumeDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)
	digest := func(seed int64) string {
		st := storage.New(testdb.New(t))
		if _, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: 300, Seed: seed, Now: now, PasswordHash: testpasswords.DemoHash(t)}); err != nil {
			t.Fatal(err)
		}
		var d string
		err := st.Q().GetContext(ctx, &d, `SELECT md5(
			(SELECT string_agg(concat_ws('|', id, workflow_id, titre, statut, priorite, urgence, date_creation, date_limite, date_debut,
				date_fin, equipement_id, technicien_id, createur_id, temps_passe, satisfaction_client, en_retard), ',' ORDER BY id) FROM interventions) ||
			(SELECT string_agg(concat_ws('|', id, email, role, client_id), ',' ORDER BY id) FROM users) ||
			(SELECT string_agg(concat_ws('|', id, nom, numero_serie, statut, derniere_maintenance), ',' ORDER BY id) FROM equipements WHERE numero_serie LIKE 'DEMO-%') ||
			(SELECT string_agg(concat_ws('|', entite, entite_id, action, acteur_id, changements::text, date_action), ',' ORDER BY id) FROM historique WHERE entite <> 'user') ||
			(SELECT count(*)::text FROM notifications))`)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b, c := digest(42), digest(42), digest(43)
	if a != b {
		t.Errorf("same seed, different data: %s %s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same data")
	}
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
