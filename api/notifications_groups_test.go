package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

// Notifications of one event close together read as one digest; a gap longer than the window, a
// different event or a different read state starts another.
func TestNotificationGroupsDigestTheInbox(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, apitest.WithEnv("MIF_NOTIFICATION_GROUP_WINDOW", "10m"))
	ctx := context.Background()
	user := env.User(apitest.Technicien).ID
	other := env.User(apitest.Technicien2).ID
	base := time.Now().Add(-3 * time.Hour).UTC()
	insert := func(who int64, event string, at time.Time, lue bool) int64 {
		t.Helper()
		var id int64
		err := env.Store.DB().GetContext(ctx, &id, `INSERT INTO notifications (titre, message, type, destinataire_id, lue, date_creation, metadata)
			VALUES ('Nouvelle intervention assignée', 'message', 'info', $1, $2, $3, jsonb_build_object('event', $4::text)) RETURNING id`,
			who, lue, at, event)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := insert(user, "intervention.assignation", base, false)
	a2 := insert(user, "intervention.assignation", base.Add(8*time.Minute), false)
	a3 := insert(user, "intervention.assignation", base.Add(16*time.Minute), false) // chained: 8 min after a2
	late := insert(user, "intervention.assignation", base.Add(2*time.Hour), false)  // gap: a new digest
	esc := insert(user, "intervention.escalade", base.Add(9*time.Minute), false)    // another event
	read := insert(user, "intervention.assignation", base.Add(5*time.Minute), true) // another read state
	insert(other, "intervention.assignation", base.Add(time.Minute), false)         // another inbox

	res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/notifications/groupes/", Token: env.Token(apitest.Technicien)})
	if res.Status != http.StatusOK {
		t.Fatalf("groups: %d %s", res.Status, res.Body)
	}
	var groups []domain.NotificationGroupe
	res.JSON(t, &groups)
	if res.Header.Get("X-Total-Count") != "4" || len(groups) != 4 {
		t.Fatalf("want 4 digests, got %d (total %s): %+v", len(groups), res.Header.Get("X-Total-Count"), groups)
	}
	if g := groups[0]; g.Nombre != 1 || g.NotificationIDs[0] != late {
		t.Fatalf("newest digest: %+v", g)
	}
	var chained *domain.NotificationGroupe
	for i := range groups {
		if groups[i].Nombre == 3 {
			chained = &groups[i]
		}
	}
	if chained == nil || chained.Derniere.ID != a3 || chained.NotificationIDs[2] != a1 || chained.NotificationIDs[1] != a2 ||
		chained.Titre != "3 notifications : Nouvelle intervention assignée" || chained.Lue {
		t.Fatalf("chained digest: %+v", chained)
	}
	for _, g := range groups {
		if g.Nombre == 1 && g.NotificationIDs[0] != late && g.NotificationIDs[0] != esc && g.NotificationIDs[0] != read {
			t.Fatalf("unexpected digest %+v", g)
		}
	}

	unread := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/notifications/groupes?lue=false&limit=1", Token: env.Token(apitest.Technicien)})
	if unread.Header.Get("X-Total-Count") != "3" {
		t.Fatalf("unread digests total %s", unread.Header.Get("X-Total-Count"))
	}
	if bad := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/notifications/groupes?lue=peut-etre", Token: env.Token(apitest.Technicien)}); bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad lue: %d", bad.Status)
	}
	if res := env.Do(t, apitest.Request{Method: "GET", Path: "/api/v1/notifications/groupes"}); res.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", res.Status)
	}
}
