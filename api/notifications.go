package api

import (
	"net/http"
)

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	lue := q.boolean("lue")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListNotifications(r.Context(), principalFrom(r.Context()).UserID, lue, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

func (s *Server) unreadNotifications(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.CountUnreadNotifications(r.Context(), principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"non_lues": n})
}

func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.store.MarkNotificationRead(r.Context(), principalFrom(r.Context()).UserID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) markAllNotificationsRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.MarkAllNotificationsRead(r.Context(), principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"marquees": n})
}

func (s *Server) deleteNotification(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.DeleteNotification(r.Context(), principalFrom(r.Context()).UserID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
