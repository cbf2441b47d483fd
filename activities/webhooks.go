package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/documents"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
	"github.com/mifmaroc/mif/webhook"
)

// WaitWebhookEventsInput asks for the events of a subscription after Cursor.
type WaitWebhookEventsInput struct {
	AbonnementID int64
	Cursor       int64
	Max          int
	// Wait bounds how long the activity polls for new events before answering none.
	Wait time.Duration
}

// WaitWebhookEventsResult lists the next events (oldest first); Active is false once the
// subscription is suspended or deleted (its workflow then ends).
type WaitWebhookEventsResult struct {
	EventIDs []int64
	Active   bool
}

// webhookPollInterval is how often WaitWebhookEvents looks at the outbox.
const webhookPollInterval = 500 * time.Millisecond

// WaitWebhookEvents records the subscription's cursor and polls the outbox until events arrive
// or Wait has passed (heartbeating, so a lost worker is noticed).
func (a *Activities) WaitWebhookEvents(ctx context.Context, in WaitWebhookEventsInput) (WaitWebhookEventsResult, error) {
	deadline := time.Now().Add(in.Wait)
	for {
		ids, ok, err := a.Store.NextWebhookEvents(ctx, in.AbonnementID, in.Cursor, in.Max)
		if err != nil {
			return WaitWebhookEventsResult{}, temporalerr.Wrap(err)
		}
		if !ok || len(ids) > 0 || time.Now().After(deadline) {
			return WaitWebhookEventsResult{EventIDs: ids, Active: ok}, nil
		}
		activity.RecordHeartbeat(ctx, in.Cursor)
		select {
		case <-ctx.Done():
			return WaitWebhookEventsResult{}, ctx.Err()
		case <-time.After(webhookPollInterval):
		}
	}
}

// DeliverWebhookInput is one event to send to one subscription.
type DeliverWebhookInput struct {
	AbonnementID int64
	EvenementID  int64
	Replay       bool
}

// DeliverWebhookResult: Delivered on a 2xx answer; Paused when this failure suspended the
// subscription; Skipped when the subscription was no longer active.
type DeliverWebhookResult struct {
	Delivered, Paused, Skipped bool
	StatusCode                 int
}

// webhookBody is what a subscriber receives.
type webhookBody struct {
	ID       int64           `json:"id"`
	Type     string          `json:"type"`
	Date     time.Time       `json:"date"`
	Entite   string          `json:"entite"`
	EntiteID int64           `json:"entite_id"`
	Donnees  json.RawMessage `json:"donnees"`
}

// DeliverWebhook makes one signed attempt (Temporal retries a failure with exponential backoff)
// and logs it. The destination is checked against the SSRF guard at connection time.
func (a *Activities) DeliverWebhook(ctx context.Context, in DeliverWebhookInput) (DeliverWebhookResult, error) {
	cfg := a.webhookConfig()
	sub, err := a.Store.WebhookForDelivery(ctx, in.AbonnementID)
	if errors.Is(err, domain.ErrNotFound) {
		return DeliverWebhookResult{Skipped: true}, nil
	}
	if err != nil {
		return DeliverWebhookResult{}, temporalerr.Wrap(err)
	}
	if sub.Statut != domain.WebhookActif && !in.Replay {
		return DeliverWebhookResult{Skipped: true}, nil
	}
	ev, err := a.Store.GetWebhookEvent(ctx, in.EvenementID)
	if err != nil {
		return DeliverWebhookResult{}, temporalerr.Wrap(err)
	}
	secret, err := a.webhookSecret(sub.SecretChiffre)
	if err != nil {
		return DeliverWebhookResult{}, temporal.NewNonRetryableApplicationError("webhook secret unreadable", "WebhookSecret", err)
	}
	body, err := json.Marshal(webhookBody{ID: ev.ID, Type: ev.Type, Date: ev.DateEvenement, Entite: ev.Entite, EntiteID: ev.EntiteID, Donnees: ev.Donnees})
	if err != nil {
		return DeliverWebhookResult{}, err
	}
	start := time.Now()
	code, sendErr := send(ctx, webhook.NewGuard(cfg.AllowHosts).Client(cfg.Timeout), sub.URL, secret, ev, body)
	at := storage.WebhookAttempt{AbonnementID: in.AbonnementID, EvenementID: ev.ID, Tentative: int(activity.GetInfo(ctx).Attempt),
		Rejeu: in.Replay, Succes: sendErr == nil, Duree: time.Since(start)}
	if code != 0 {
		at.CodeHTTP = &code
	}
	if sendErr != nil {
		msg := sendErr.Error()
		at.Erreur = &msg
	}
	paused, owner, err := a.Store.RecordWebhookAttempt(ctx, at, cfg.PauseAfter)
	if err != nil {
		return DeliverWebhookResult{}, temporalerr.Wrap(err)
	}
	if paused && owner != nil {
		_, err := a.Store.CreateNotifications(ctx, []int64{*owner}, domain.NewNotification{
			Titre:    "Webhook suspendu",
			Message:  fmt.Sprintf("L'abonnement webhook n° %d (%s) est suspendu après %d échecs de livraison consécutifs ; réactivez-le une fois le destinataire réparé.", in.AbonnementID, sub.URL, cfg.PauseAfter),
			Type:     domain.NotificationError,
			Event:    "webhook.suspendu",
			Metadata: map[string]any{"webhook_id": in.AbonnementID},
			DedupKey: fmt.Sprintf("webhook/%d/suspendu/%d", in.AbonnementID, ev.ID),
		})
		if err != nil {
			a.Log.Warn("webhook owner not notified", zap.Int64("webhook_id", in.AbonnementID), zap.Error(err))
		}
	}
	res := DeliverWebhookResult{Delivered: sendErr == nil, Paused: paused, StatusCode: code}
	if sendErr != nil && !paused {
		return res, temporal.NewApplicationError(sendErr.Error(), "WebhookDeliveryFailed")
	}
	return res, nil
}

// send posts body, signed, and reports the status code; any answer but 2xx is an error.
func send(ctx context.Context, c *http.Client, url, secret string, ev domain.WebhookEvenement, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	now := time.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "MIF-Webhooks/1")
	req.Header.Set(webhook.HeaderID, fmt.Sprint(ev.ID))
	req.Header.Set(webhook.HeaderEvent, ev.Type)
	req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, now, body))
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("réponse HTTP %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

func (a *Activities) webhookConfig() config.Webhooks {
	if a.Config != nil {
		return a.Config.Webhooks
	}
	return config.Webhooks{MaxAttempts: 8, PauseAfter: 20, Timeout: 10 * time.Second}
}

// webhookSecret decrypts a subscription's secret with FERNET_KEYS.
func (a *Activities) webhookSecret(sealed string) (string, error) {
	if a.Config == nil || len(a.Config.FernetKeys) == 0 {
		return "", documents.ErrNoKeys
	}
	kr, err := documents.ParseKeys(a.Config.FernetKeys)
	if err != nil {
		return "", err
	}
	plain, err := kr.Decrypt([]byte(sealed))
	return string(plain), err
}
