package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
)

func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	ctx := context.Background()
	notify := func(who string, titre string) int64 {
		ns, err := f.env.Store.CreateNotifications(ctx, []int64{f.env.User(who).ID}, domain.NewNotification{
			Titre: titre, Message: "Message " + titre, Type: domain.NotificationInfo, Metadata: map[string]any{"intervention_id": 15}})
		if err != nil || len(ns) != 1 {
			t.Fatalf("notify: %v", err)
		}
		return ns[0].ID
	}
	for _, who := range []string{apitest.Admin, apitest.Responsable, apitest.Technicien, apitest.Client} {
		t.Run(who, func(t *testing.T) {
			n1 := notify(who, "Nouvelle intervention assignée")
			n2 := notify(who, "Maintenance due")
			n3 := notify(who, "Intervention terminée")
			other := notify(apitest.Technicien2, "Pour quelqu'un d'autre")

			res := f.want(t, http.StatusOK, who, "GET", "/api/v1/notifications?lue=false&limit=2", nil)
			var list []domain.Notification
			res.JSON(t, &list)
			if total(t, res) != 3 || len(list) != 2 || list[0].ID != n3 || list[1].ID != n2 || string(list[0].Metadata) != `{"intervention_id":15}` {
				t.Fatalf("list %+v (total %d)", list, total(t, res))
			}
			var count map[string]int
			f.want(t, http.StatusOK, who, "GET", "/api/v1/notifications/unread-count", nil).JSON(t, &count)
			if count["non_lues"] != 3 {
				t.Fatalf("unread %v", count)
			}
			var read domain.Notification
			f.want(t, http.StatusOK, who, "PUT", "/api/v1/notifications/"+apitest.ID(n1)+"/read", nil).JSON(t, &read)
			if !read.Lue || read.DateLecture == nil {
				t.Fatalf("read %+v", read)
			}
			if n := total(t, f.want(t, http.StatusOK, who, "GET", "/api/v1/notifications?lue=true", nil)); n != 1 {
				t.Fatalf("read ones: %d", n)
			}
			// Another user's notification is out of reach.
			f.want(t, http.StatusNotFound, who, "PUT", "/api/v1/notifications/"+apitest.ID(other)+"/read", nil)
			f.want(t, http.StatusNotFound, who, "DELETE", "/api/v1/notifications/"+apitest.ID(other), nil)
			var marked map[string]int
			f.want(t, http.StatusOK, who, "PUT", "/api/v1/notifications/read-all", nil).JSON(t, &marked)
			if marked["marquees"] != 2 {
				t.Fatalf("marked %v", marked)
			}
			f.want(t, http.StatusOK, who, "GET", "/api/v1/notifications/unread-count", nil).JSON(t, &count)
			if count["non_lues"] != 0 {
				t.Fatalf("unread after read-all %v", count)
			}
			f.want(t, http.StatusNoContent, who, "DELETE", "/api/v1/notifications/"+apitest.ID(n2), nil)
			if n := total(t, f.want(t, http.StatusOK, who, "GET", "/api/v1/notifications", nil)); n != 2 {
				t.Fatalf("after delete: %d", n)
			}
			f.want422(t, "lue", who, "GET", "/api/v1/notifications?lue=peut-etre", nil)
			f.want422(t, "limit", who, "GET", "/api/v1/notifications?limit=1000", nil)
			// Clean up so that the next role starts from zero unread for this user's neighbours.
			f.want(t, http.StatusNoContent, apitest.Technicien2, "DELETE", "/api/v1/notifications/"+apitest.ID(other), nil)
		})
	}
}
