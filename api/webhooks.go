package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/webhook"
)

// Webhooks (issue 15): administrators subscribe URLs to event types. The secret is generated
// here, shown once in the creation's answer and kept Fernet-encrypted; deliveries are the
// subscription's WebhookWorkflow's business. Every destination passes the SSRF guard here and
// again at connection time.

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.store.ListWebhooks(r.Context(), page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeList(w, items, total)
}

// checkWebhookURL runs the SSRF guard: a refused destination is a 422 on url.
func (s *Server) checkWebhookURL(r *http.Request, in domain.WebhookInput) error {
	if in.URL == nil {
		return nil
	}
	err := webhook.NewGuard(s.cfg.Webhooks.AllowHosts).CheckURL(r.Context(), *in.URL)
	if errors.Is(err, webhook.ErrRefused) {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "url", Message: strings.TrimPrefix(err.Error(), webhook.ErrRefused.Error()+": ")}}}
	}
	return err
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	in, err := decodeInput[domain.WebhookInput](r, true)
	if err == nil {
		err = s.checkWebhookURL(r, in)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kr, err := documents.ParseKeys(s.cfg.FernetKeys)
	if err != nil || len(s.cfg.FernetKeys) == 0 {
		problem(w, r, http.StatusServiceUnavailable, "chiffrement indisponible: aucune clé FERNET_KEYS configurée pour garder le secret")
		return
	}
	sealed, _, err := kr.Encrypt([]byte(secret))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.store.CreateWebhook(r.Context(), in, string(sealed), principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.wf.Webhooks.Start(r.Context(), a); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, domain.WebhookCree{WebhookAbonnement: a, Secret: secret})
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := decodeInput[domain.WebhookInput](r, false)
	if err == nil {
		err = s.checkWebhookURL(r, in)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.store.UpdateWebhook(r.Context(), id, in, principalFrom(r.Context()).UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.Statut == domain.WebhookActif {
		// Resumed (or still running): a run still open is signalled so that it does not end on
		// the suspension it saw, a closed one is started again.
		if err := s.wf.Webhooks.Resume(r.Context(), a); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, a)
}

// replayWebhook sends one recorded event to the subscription again (202: the delivery workflow
// takes it before new events; the attempts appear in the log with rejeu true).
func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evID, err := pathID(r, "evenement_id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.store.GetWebhook(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := s.store.GetWebhookEvent(r.Context(), evID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.Contains(a.Evenements, ev.Type) {
		problem(w, r, http.StatusConflict, "cet abonnement ne reçoit pas les événements "+ev.Type)
		return
	}
	if err := s.store.RecordWebhookReplay(r.Context(), a.ID, ev.ID, principalFrom(r.Context()).UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.wf.Webhooks.Replay(r.Context(), a, ev.ID); err != nil {
		s.log.Error("webhook replay not signalled", zap.Int64("webhook_id", a.ID), zap.Error(err))
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"webhook_id": a.ID, "evenement_id": ev.ID, "statut": "planifie"})
}
