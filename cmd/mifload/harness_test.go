package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testpasswords"
)

func TestMain(m *testing.M) { apitest.Main(m) }

// TestScenarioAgainstThePlatform runs the harness, both loops, against a real platform for a few
// seconds: every task of the scenario is sent and answered, technicien users never create, creates
// carry an Idempotency-Key and create rows, and the JSON summary holds what was printed.
func TestScenarioAgainstThePlatform(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	ctx := context.Background()
	for _, mode := range []string{"open", "closed"} {
		t.Run(mode, func(t *testing.T) {
			var before int
			if err := env.Store.Q().GetContext(ctx, &before, `SELECT count(*) FROM interventions`); err != nil {
				t.Fatal(err)
			}
			jsonPath := filepath.Join(t.TempDir(), "summary.json")
			var out bytes.Buffer
			err := runScenario(ctx, []string{"-target", env.URL, "-mode", mode, "-users", "12", "-duration", "3s",
				"-think-min", "100ms", "-think-max", "300ms", "-mix", "responsable=3,technicien=1", "-accounts", "1", "-json", jsonPath}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			var s Summary
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			byName := map[string]EndpointSummary{}
			for _, e := range s.Endpoints {
				byName[e.Endpoint] = e
			}
			for _, ep := range scenario {
				e := byName[ep.Name]
				// Every request answered: a success, or the platform's own refusal under load (503
				// with Retry-After, as when the suite shares a busy machine); never a transport error.
				if e.Requests == 0 || e.Successes == 0 || len(e.Transport) != 0 || e.Successes+e.Statuses["503"] != e.Requests {
					t.Errorf("%s: %+v", ep.Name, e)
				}
			}
			all := byName["all"]
			if all.Requests == 0 || s.Offered != 60 || s.Accounts["responsable"] != 1 || s.Accounts["technicien"] != 1 {
				t.Errorf("summary: %+v", s)
			}
			if !strings.Contains(out.String(), "POST /interventions") || !strings.Contains(out.String(), "rate: offered 60.00/s") {
				t.Errorf("report:\n%s", out.String())
			}
			var created, keyed int
			if err := env.Store.Q().GetContext(ctx, &created, `SELECT count(*) FROM interventions`); err != nil {
				t.Fatal(err)
			}
			// The accepted creates' workflows ran their create (each answers its state query with
			// the row): the rate through Temporal is measured end to end.
			creates := byName[epCreate.Name]
			if u := s.Uptake; u == nil || u.Accepted != creates.Statuses["201"]+creates.Statuses["202"] ||
				u.Checked != min(u.Accepted, uptakeChecked) || u.Rate <= 0 || u.SpanS <= 0 {
				t.Errorf("uptake: %+v for %+v", s.Uptake, creates)
			}
			if !strings.Contains(out.String(), "creates through Temporal: ") {
				t.Errorf("report without the uptake:\n%s", out.String())
			}
			if created-before != byName[epCreate.Name].Successes {
				t.Errorf("%d rows created for %d successful creates", created-before, byName[epCreate.Name].Successes)
			}
			// Only responsables created (the technicien users of the mix only read).
			if err := env.Store.Q().GetContext(ctx, &keyed, `SELECT count(*) FROM interventions i JOIN users u ON u.id = i.createur_id
				WHERE i.titre LIKE '%(charge %' AND u.role <> 'responsable'`); err != nil {
				t.Fatal(err)
			}
			if keyed != 0 {
				t.Errorf("%d interventions created by another role", keyed)
			}
		})
	}
}

func TestRefusesARemoteTarget(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := runScenario(context.Background(), []string{"-target", "http://192.0.2.10:8000", "-duration", "1s"}, &out)
	if err == nil || !strings.Contains(err.Error(), "allow-remote") {
		t.Fatalf("remote target: %v", err)
	}
}

// TestPgbenchComparison runs the comparison for a second on a small data set: both sides run and
// the ratio is computed from them.
func TestPgbenchComparison(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithConns(3)) // pgbench's two clients, and the harness's own look-up
	if _, err := demo.GenerateVolume(context.Background(), env.Store, demo.VolumeOptions{Interventions: demo.MinVolume, Seed: 1,
		PasswordHash: testpasswords.DemoHash(t)}); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(t.TempDir(), "cmp.json")
	var out bytes.Buffer
	err := runPgbench(context.Background(), []string{"-target", env.URL, "-db", env.Config.DatabaseURL, "-clients", "4", "-pool", "2",
		"-duration", "1s", "-json", jsonPath}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var c Comparison
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.API.Requests == 0 || c.APIRate <= 0 || c.PgbenchTPS <= 0 || c.Ratio <= 0 || c.Pool != 2 {
		t.Fatalf("comparison: %+v\n%s", c, out.String())
	}
	if !strings.Contains(out.String(), "ratio API / PostgreSQL alone") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
