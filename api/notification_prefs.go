package api

import (
	"net/http"
	"regexp"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// emailPreferences is the body and answer of /notifications/preferences.
type emailPreferences struct {
	// Enabled false stops every notification e-mail (in-app notifications remain).
	Enabled *bool `json:"enabled"`
	// Events turns e-mail on or off per event name (intervention.assigned, ...); events not
	// listed follow the default.
	Events map[string]bool `json:"events"`
}

var eventName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// maxEventPrefs bounds the preferences document a user can store.
const maxEventPrefs = 100

func (s *Server) registerNotificationPreferenceRoutes() {
	const path = "/api/v1/notifications/preferences"
	s.handle(http.MethodGet, path, "notifications:read", s.getEmailPreferences)
	s.handle(http.MethodPut, path, "notifications:update", s.putEmailPreferences)
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
	events := p.Events
	if events == nil {
		events = map[string]bool{}
	}
	return emailPreferences{Enabled: &enabled, Events: events}
}

// putEmailPreferences replaces the caller's e-mail preferences.
func (s *Server) putEmailPreferences(w http.ResponseWriter, r *http.Request) {
	var req emailPreferences
	if err := decodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(len(req.Events) <= maxEventPrefs, "events", "%d événements au maximum", maxEventPrefs)
	for name := range req.Events {
		if !eventName.MatchString(name) || len(name) > 100 {
			v.Add("events", "nom d'événement invalide: %q (ex. intervention.assigned)", name)
			break
		}
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
