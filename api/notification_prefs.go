package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// emailPreferences is the body and answer of /notifications/preferences.
type emailPreferences struct {
	// Enabled false stops every notification e-mail (in-app notifications remain).
	Enabled *bool `json:"enabled"`
	// Events turns e-mail on or off per event of the catalogue (storage.NotificationEvents); in a
	// request, events not listed follow the default; an answer lists every event with its
	// effective value.
	Events map[string]bool `json:"events"`
}

func (s *Server) getEmailPreferences(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.GetEmailPreferences(r.Context(), principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, prefsAnswer(p))
}

func prefsAnswer(p storage.EmailPreferences) emailPreferences {
	enabled := p.Enabled == nil || *p.Enabled
	return emailPreferences{Enabled: &enabled, Events: p.Effective()}
}

// putEmailPreferences replaces the caller's e-mail preferences.
func (s *Server) putEmailPreferences(w http.ResponseWriter, r *http.Request) {
	var req emailPreferences
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	var unknown []string
	for name := range req.Events {
		if !storage.KnownNotificationEvent(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		known := make([]string, 0, len(storage.NotificationEvents()))
		for _, e := range storage.NotificationEvents() {
			known = append(known, e.Name)
		}
		if len(unknown) > 3 {
			unknown = append(unknown[:3], "…")
		}
		v.Add("events", "événement inconnu: %s (événements possibles: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := storage.EmailPreferences{Enabled: req.Enabled, Events: req.Events}
	uid := principalFrom(r.Context()).UserID
	if err := s.store.SetEmailPreferences(r.Context(), uid, p); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, prefsAnswer(p))
}
