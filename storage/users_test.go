package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/storage"
)

func TestUserRoleChangesKeepTheSchemaRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	client, err := st.GetUserByLogin(ctx, "client@cimatlas.ma")
	if err != nil || client.ClientID == nil {
		t.Fatalf("demo client %+v %v", client, err)
	}
	admin, _ := st.GetUserByLogin(ctx, "admin@mif.ma")
	tech := domain.RoleTechnicien
	// Leaving the client role detaches the company (the schema forbids a non-client with one) and
	// becoming a technicien creates the profile.
	u, err := st.UpdateUser(ctx, client.ID, storage.UserChanges{Role: &tech}, &admin.ID)
	if err != nil || u.Role != domain.RoleTechnicien || u.ClientID != nil {
		t.Fatalf("role change: %+v %v", u, err)
	}
	prof, err := st.GetUserProfile(ctx, u.ID)
	if err != nil || prof.Technicien == nil || prof.Client != nil {
		t.Fatalf("profile %+v %v", prof, err)
	}
	h, _ := st.ListHistorique(ctx, "user", u.ID)
	if len(h) == 0 || h[len(h)-1].ActeurID == nil || *h[len(h)-1].ActeurID != admin.ID {
		t.Fatalf("historique %+v", h)
	}
	// No change, no historique row.
	before := len(h)
	nom := u.Nom
	if _, err := st.UpdateUser(ctx, u.ID, storage.UserChanges{Nom: &nom}, &admin.ID); err != nil {
		t.Fatal(err)
	}
	if h, _ := st.ListHistorique(ctx, "user", u.ID); len(h) != before {
		t.Fatalf("an empty change was recorded")
	}
	taken := "admin@mif.ma"
	if _, err := st.UpdateUser(ctx, u.ID, storage.UserChanges{Email: &taken}, nil); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	if _, err := st.UpdateUser(ctx, 987654, storage.UserChanges{Nom: &nom}, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestListUsersFiltersAndProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(ctx, st, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	role := domain.RoleTechnicien
	users, total, err := st.ListUsers(ctx, storage.UserFilter{Role: &role, Limit: 50})
	if err != nil || total != 3 || len(users) != 3 {
		t.Fatalf("techniciens: %d %d %v", total, len(users), err)
	}
	for _, u := range users {
		if u.Technicien == nil || len(u.Technicien.Competences) == 0 {
			t.Fatalf("profile of %s: %+v", u.Email, u.Technicien)
		}
	}
	inactive := false
	if _, total, err := st.ListUsers(ctx, storage.UserFilter{IsActive: &inactive, Limit: 50}); err != nil || total != 0 {
		t.Fatalf("inactive: %d %v", total, err)
	}
}
