package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mifmaroc/mif/storage"
)

// TestInterventionListsUseIndexes seeds 100 000 interventions and checks with EXPLAIN that no
// list reads the whole interventions table: every filter and sort is served by an index.
func TestInterventionListsUseIndexes(t *testing.T) {
	t.Parallel()
	st := seedVolume(t, volume)
	ctx := context.Background()
	for _, c := range volumeCases(st) {
		plan, err := st.ExplainInterventions(ctx, c.p, c.f, c.sort, storage.Page{Limit: 50})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if strings.Contains(plan, "Seq Scan on interventions") {
			t.Errorf("%s reads the whole interventions table:\n%s", c.name, plan)
		} else {
			t.Logf("%s:\n%s", c.name, plan)
		}
	}
}
