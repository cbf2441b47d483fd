package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

// TestRequestStatementsAreWhatTheAPIRuns: the exported statements, run by hand with the
// parameters the harness gives pgbench, answer the same principal and intervention as the
// store's own methods.
func TestRequestStatementsAreWhatTheAPIRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	st := storage.New(db)
	if _, err := demo.GenerateVolume(ctx, st, demo.VolumeOptions{Interventions: demo.MinVolume, Seed: 1, PasswordHash: testpasswords.DemoHash(t)}); err != nil {
		t.Fatal(err)
	}
	u, err := st.GetUserByLogin(ctx, "responsable@mif.ma")
	if err != nil {
		t.Fatal(err)
	}
	principal, detail := storage.RequestStatements()
	var p struct {
		ID      int64 `db:"id"`
		Role    string
		Revoked bool `db:"revoked"`
	}
	row := db.QueryRowxContext(ctx, principal, u.ID, "some-jti")
	cols := map[string]any{}
	if err := row.MapScan(cols); err != nil {
		t.Fatal(err)
	}
	p.ID, p.Role, p.Revoked = cols["id"].(int64), fmt.Sprint(cols["role"]), cols["revoked"].(bool)
	want, _, revoked, err := st.PrincipalFor(ctx, u.ID, "some-jti")
	if err != nil || p.ID != want.UserID || p.Role != string(want.Role) || p.Revoked != revoked {
		t.Fatalf("principal statement: %+v, store: %+v %v %v", p, want, revoked, err)
	}
	var id int64
	if err := db.GetContext(ctx, &id, `SELECT max(id) FROM interventions`); err != nil {
		t.Fatal(err)
	}
	cols = map[string]any{}
	if err := db.QueryRowxContext(ctx, detail, id).MapScan(cols); err != nil {
		t.Fatal(err)
	}
	d, err := st.GetInterventionDetail(ctx, domain.Principal{UserID: u.ID, Role: domain.RoleResponsable}, id)
	if err != nil || cols["id"].(int64) != d.ID || fmt.Sprint(cols["titre"]) != d.Titre || cols["eq_nom"] == nil {
		t.Fatalf("detail statement: %v, store: %+v %v", cols, d, err)
	}
}
