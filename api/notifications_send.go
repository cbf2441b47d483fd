package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mifmaroc/mif/domain"
)

// sendNotificationRequest is a message a responsable or an administrator sends to one user
// (the earlier system's POST /notifications/).
type sendNotificationRequest struct {
	DestinataireID *int64                   `json:"destinataire_id"`
	Titre          *string                  `json:"titre"`
	Message        *string                  `json:"message"`
	Type           *domain.TypeNotification `json:"type"`
	Metadata       map[string]any           `json:"metadata"`
}

// sendNotification stores the message in the recipient's inbox, where his open streams get it at
// once. An Idempotency-Key makes a retried request send it once.
func (s *Server) sendNotification(w http.ResponseWriter, r *http.Request) {
	var body sendNotificationRequest
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var v domain.Validator
	v.Check(body.DestinataireID != nil && *body.DestinataireID > 0, "destinataire_id", "obligatoire")
	titre := optText(&v, "titre", body.Titre, 200)
	message := optText(&v, "message", body.Message, 2000)
	v.Check(titre != nil && strings.TrimSpace(*titre) != "", "titre", "obligatoire")
	v.Check(message != nil && strings.TrimSpace(*message) != "", "message", "obligatoire")
	typ := domain.NotificationInfo
	if body.Type != nil {
		typ = *body.Type
		v.Check(typ.Valid(), "type", "info, warning, error ou success")
	}
	if err := v.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	p := principalFrom(ctx)
	dest, err := s.store.GetUser(ctx, *body.DestinataireID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !dest.IsActive) {
		err = &domain.ValidationError{Fields: []domain.FieldError{{Field: "destinataire_id", Message: "utilisateur introuvable ou désactivé"}}}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	meta := map[string]any{}
	for k, val := range body.Metadata {
		meta[k] = val
	}
	meta["expediteur_id"] = p.UserID
	n := domain.NewNotification{Titre: strings.TrimSpace(*titre), Message: strings.TrimSpace(*message), Type: typ,
		Event: "notification.manuelle", Metadata: meta}
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		key, err := idempotencyKey(r, p, "notification")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		n.DedupKey = key
	}
	created, err := s.store.CreateNotifications(ctx, []int64{dest.ID}, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(created) == 0 { // a retried request: the message was sent the first time
		existing, err := s.store.NotificationByDedupKey(ctx, dest.ID, n.DedupKey)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, existing)
		return
	}
	writeJSON(w, http.StatusCreated, created[0])
}

// userNotifications lists another user's inbox (administrators), with the filters of
// GET /notifications.
func (s *Server) userNotifications(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "user_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.store.GetUser(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	q := newQuery(r)
	lue := q.boolean("lue")
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListNotifications(r.Context(), id, lue, page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}
