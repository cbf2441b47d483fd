package api

import "net/http"

// listNotificationGroups reads the caller's inbox as digests: several notifications of the same
// event in a short window (MIF_NOTIFICATION_GROUP_WINDOW) become one entry with their count and
// ids. GET /notifications keeps the seed's flat list.
func (s *Server) listNotificationGroups(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	lue := q.boolean("lue")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	groups, total, err := s.store.ListNotificationGroups(r.Context(), principalFrom(r.Context()).UserID, lue, s.cfg.NotificationGroupWindow, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, groups, total)
}
