package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/api"
	"github.com/mifmaroc/mif/devenv"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/pgcluster"
	"github.com/mifmaroc/mif/internal/poll"
	"github.com/mifmaroc/mif/workflows"
)

// wantUnavailable checks a 503 with Retry-After and the given problem code.
func wantUnavailable(t *testing.T, res *apitest.Response, code api.ProblemCode, what string) {
	t.Helper()
	if res.Status != http.StatusServiceUnavailable {
		t.Fatalf("%s: %d, want 503: %s", what, res.Status, res.Body)
	}
	if p := res.Problem(t); p.Code != code || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%s: code %q Retry-After %q, want %q and a delay", what, p.Code, res.Header.Get("Retry-After"), code)
	}
}

// TestOutagePostgresStoppedAndStarted runs the platform on a throwaway PostgreSQL cluster, stops
// the cluster and starts it again: meanwhile every request — the principal lookup of an
// authenticated one, a login, a create — answers 503 dependency_unavailable with Retry-After
// (never a 500), and once the cluster is back the same requests succeed, nothing lost.
func TestOutagePostgresStoppedAndStarted(t *testing.T) {
	t.Parallel()
	pg := pgcluster.Start(t)
	env := apitest.New(t, apitest.WithDatabase(pg.URL()))
	tok := env.Token(apitest.Responsable)
	in := createOpen(t, env, "Avant la panne", 1)

	pg.Stop()
	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(in.ID), Token: tok})
	wantUnavailable(t, res, api.CodeDependencyUnavailable, "read with PostgreSQL stopped")
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok, Body: newIntervention("Pendant la panne")})
	wantUnavailable(t, res, api.CodeDependencyUnavailable, "create with PostgreSQL stopped")
	res = env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/equipements", Token: tok, NoCheck: true})
	wantUnavailable(t, res, api.CodeDependencyUnavailable, "list with PostgreSQL stopped")
	res = env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/auth/login", NoCheck: true,
		Body: map[string]string{"username": apitest.Responsable, "password": "irrelevant-Password1"}})
	wantUnavailable(t, res, api.CodeDependencyUnavailable, "login with PostgreSQL stopped")

	pg.Restart()
	poll.Until(t, "reads served again", func() error {
		res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(in.ID), Token: tok})
		if res.Status != http.StatusOK {
			return fmt.Errorf("%d %s", res.Status, res.Body)
		}
		return nil
	})
	after := createOpen(t, env, "Après la panne", 1)
	if n := countRows(t, env, `SELECT count(*) FROM interventions WHERE id IN ($1, $2)`, in.ID, after.ID); n != 2 {
		t.Fatalf("%d interventions, want 2", n)
	}
}

// TestOutageTemporalKilledCreatesSurvive kills the platform's Temporal dev server (persisted in
// its file) and restarts it: meanwhile creates answer 202 with Location to an intervention
// readable as workflow_en_attente, lifecycle requests answer 503 workflow_unavailable within
// MIF_WORKFLOW_WAIT, and once Temporal is back the outbox drains — one workflow per intervention,
// one creation each, nothing lost or doubled — and the pending interventions move on.
func TestOutageTemporalKilledCreatesSurvive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	startTemporal := func(port int) *devenv.TemporalServer {
		srv, err := devenv.StartTemporal(ctx, devenv.TemporalOptions{
			BinPath: temporalCLI(), DBFile: filepath.Join(dir, "temporal.db"),
			Port: port, UIPort: -1, SearchAttributes: workflows.SearchAttributeTypes(),
		})
		if err != nil {
			t.Fatalf("Temporal dev server: %v", err)
		}
		return srv
	}
	port, err := freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	srv := startTemporal(port)
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	env := apitest.New(t, apitest.WithTemporal(srv.Address()),
		apitest.WithEnv("MIF_WORKFLOW_WAIT", "2s"), apitest.WithEnv("MIF_OUTBOX_INTERVAL", "200ms"))
	tok := env.Token(apitest.Responsable)
	marie := technicienID(t, env, apitest.Technicien)
	before := createOpen(t, env, "Avant la panne", 1)
	base := countRows(t, env, `SELECT count(*) FROM interventions`)

	if err := srv.Stop(ctx); err != nil {
		t.Logf("Temporal stopped: %v", err)
	}
	// Creates stand: 202, Location, readable and marked pending; a retry with the same
	// Idempotency-Key reaches the same intervention.
	var pending []domain.InterventionDetail
	for i := range 3 {
		key := "outage-" + uuid.NewString()
		var first domain.InterventionDetail
		for attempt := range 2 {
			res := env.Do(t, apitest.Request{Method: "POST", Path: "/api/v1/interventions", Token: tok,
				Body: newIntervention(fmt.Sprintf("Pendant la panne %d", i)), Header: map[string]string{"Idempotency-Key": key}})
			if res.Status != http.StatusAccepted || res.Header.Get("Location") == "" {
				t.Fatalf("create %d with Temporal down: %d %s", i, res.Status, res.Body)
			}
			var d domain.InterventionDetail
			res.JSON(t, &d)
			if !d.WorkflowEnAttente || d.Statut != domain.StatutOuverte || (attempt == 1 && d.ID != first.ID) {
				t.Fatalf("create %d attempt %d: %+v (first %d)", i, attempt, d, first.ID)
			}
			first = d
		}
		res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(first.ID), Token: tok})
		if res.Status != http.StatusOK {
			t.Fatalf("pending intervention not readable: %d %s", res.Status, res.Body)
		}
		pending = append(pending, first)
	}
	// Lifecycle requests answer 503 within the bound, on a running and on a pending intervention.
	for _, id := range []int64{before.ID, pending[0].ID} {
		began := time.Now()
		res := env.Do(t, apitest.Request{Method: "PUT", Path: "/api/v1/interventions/" + apitest.ID(id) + "/assign", Token: tok,
			Body: map[string]any{"technicien_id": marie}})
		wantUnavailable(t, res, api.CodeWorkflowUnavailable, "assign with Temporal down")
		if took := time.Since(began); took > 15*time.Second {
			t.Errorf("assign with Temporal down answered after %v", took)
		}
	}
	if n := countRows(t, env, `SELECT count(*) FROM intervention_outbox`); n != len(pending) {
		t.Fatalf("%d outbox rows, want %d", n, len(pending))
	}

	srv = startTemporal(port) // on its file: the workflows started before the outage are still there
	poll.Until(t, "the outbox drained", func() error {
		if n := countRows(t, env, `SELECT count(*) FROM intervention_outbox`); n != 0 {
			return fmt.Errorf("%d rows left", n)
		}
		return nil
	}, poll.Timeout(2*time.Minute))
	if n := countRows(t, env, `SELECT count(*) FROM interventions`); n != base+len(pending) {
		t.Fatalf("%d interventions, want %d", n, base+len(pending))
	}
	for _, d := range pending {
		if n := countRows(t, env, `SELECT count(*) FROM historique WHERE entite = 'intervention' AND entite_id = $1 AND action = 'creation'`, d.ID); n != 1 {
			t.Errorf("intervention %d: %d creation rows", d.ID, n)
		}
		poll.Until(t, "the workflow of the formerly pending intervention", func() error {
			_, err := env.Temporal.DescribeWorkflow(ctx, d.WorkflowID, "")
			return err
		})
		// Started by the relay, it reads in the Web UI as one started by the API does.
		summary, details, err := workflowSummary(ctx, env, d.WorkflowID, "")
		if want := "n°" + apitest.ID(d.ID) + " — " + d.Titre + " — "; err != nil || !strings.HasPrefix(summary, want) || !strings.Contains(details, "Équipement : ") {
			t.Errorf("relayed workflow %s: summary %q (want %q…), details %q, %v", d.WorkflowID, summary, want, details, err)
		}
	}
	// The pending interventions now move on through their workflows.
	poll.Until(t, "the formerly pending intervention assigned", func() error {
		res := env.Do(t, apitest.Request{Method: "PUT", Path: "/api/v1/interventions/" + apitest.ID(pending[0].ID) + "/assign", Token: tok,
			Body: map[string]any{"technicien_id": marie}, Header: map[string]string{"Idempotency-Key": "after-" + pending[0].WorkflowID}})
		if res.Status != http.StatusOK {
			return fmt.Errorf("%d %s", res.Status, res.Body)
		}
		return nil
	}, poll.Timeout(time.Minute))
}

// temporalCLI is the Temporal CLI the dev servers of these tests run (as internal/apitest finds it).
func temporalCLI() string {
	if bin := os.Getenv("MIF_TEMPORAL_CLI"); bin != "" {
		return bin
	}
	return filepath.Join("..", "bin", "temporal")
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
