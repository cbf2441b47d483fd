package api_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// Once retention has removed a finished workflow, GET /workflow still answers, from the
// intervention's own record, instead of failing.
func TestWorkflowStateAfterRetention(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	in := createOpen(t, env, "Contrôle capteur", 1)
	base := "/api/v1/interventions/" + apitest.ID(in.ID)
	step(t, env, apitest.Responsable, "PUT", base+"/assign", map[string]any{"technicien_id": technicienID(t, env, apitest.Technicien)}, http.StatusOK)
	step(t, env, apitest.Responsable, "POST", base+"/cancel", map[string]any{"motif": "doublon"}, http.StatusOK)

	// Retention is days on a real cluster: stand in for it by pointing the record at a workflow
	// the cluster does not know (what a purged run looks like to a Query).
	ctx := context.Background()
	gone := in.WorkflowID + "-purged"
	if _, err := env.Store.DB().ExecContext(ctx, `UPDATE interventions SET workflow_id = $2 WHERE id = $1`, in.ID, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Temporal.QueryWorkflow(ctx, gone, "", "state"); !errors.As(err, new(*serviceerror.NotFound)) {
		t.Fatalf("query of an unknown workflow: %v", err)
	}

	res := env.Do(t, apitest.Request{Method: "GET", Path: base + "/workflow", Token: env.Token(apitest.Responsable)})
	if res.Status != http.StatusOK {
		t.Fatalf("state of a purged workflow: %d %s", res.Status, res.Body)
	}
	var st struct {
		lifecycleState
		Source string `json:"source"`
	}
	res.JSON(t, &st)
	if st.Source != "archive" || st.Statut != domain.StatutAnnulee || len(st.Historique) != 3 || st.Historique[0].Action != "creation" ||
		st.Historique[1].Vers != domain.StatutPlanifiee || st.Historique[2].De != domain.StatutPlanifiee ||
		st.Historique[2].Vers != domain.StatutAnnulee || st.Historique[2].Date.After(time.Now()) {
		t.Fatalf("archived state: %+v", st)
	}
	live := createOpen(t, env, "Contrôle vanne", 1)
	res = env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/interventions/" + apitest.ID(live.ID) + "/workflow", Token: env.Token(apitest.Responsable)})
	var ls struct {
		Source string `json:"source"`
	}
	res.JSON(t, &ls)
	if res.Status != http.StatusOK || ls.Source != "workflow" {
		t.Fatalf("live workflow: %d %s", res.Status, res.Body)
	}
}
