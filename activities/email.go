package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/domain"
	mifmail "github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/storage"
	"github.com/mifmaroc/mif/temporalerr"
)

// Mailer is what the e-mail activities need: the SMTP sender, the templates, the frontend the
// messages link to, the time zone their dates are written in, and the digest window.
type Mailer struct {
	Sender    *mifmail.Sender
	Templates *mifmail.Templates
	// AppURL is the web frontend's base URL (MIF_FRONTEND_URL): every e-mail links to it, and
	// a notification about an intervention to its page, AppURL/interventions/{id}.
	AppURL string
	// Location is MIF_PLANNING_TIMEZONE: every date of an e-mail is written there, labelled.
	Location *time.Location
	// DigestWindow: a user who got an e-mail less than this ago gets the next ones grouped in one
	// digest, sent by SendEmailDigests. Zero sends every notification at once.
	DigestWindow time.Duration
}

// NewMailer builds a Mailer from the SMTP settings; timezone is MIF_PLANNING_TIMEZONE.
func NewMailer(sender *mifmail.Sender, appURL, timezone string, window time.Duration) (*Mailer, error) {
	t, err := mifmail.LoadTemplates()
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("activities: mail time zone: %w", err)
	}
	return &Mailer{Sender: sender, Templates: t, AppURL: strings.TrimRight(appURL, "/"), Location: loc, DigestWindow: window}, nil
}

func (a *Activities) mailEnabled() bool {
	return a.Mail != nil && a.Mail.Sender != nil && a.Mail.Sender.Enabled()
}

// SendNotificationEmailsInput lists notifications just created by Notify (NotifyResult.Created).
type SendNotificationEmailsInput struct {
	NotificationIDs []int64
}

// SendNotificationEmailsResult counts what happened: Sent notifications went out now (alone or
// with others waiting for the same user); the rest of the queued ones wait for the digest.
type SendNotificationEmailsResult struct {
	Queued int
	Sent   int
}

// SendNotificationEmails e-mails the listed notifications to the recipients whose preferences
// ask for them. Workflows run it as a separate activity AFTER Notify, so that an SMTP failure
// (retried here) never undoes or delays the in-app notification. A recipient who received an
// e-mail within the digest window is not mailed again now: the notification waits and goes out
// grouped with the others in the next digest (SendEmailDigests).
func (a *Activities) SendNotificationEmails(ctx context.Context, in SendNotificationEmailsInput) (SendNotificationEmailsResult, error) {
	if !a.mailEnabled() || len(in.NotificationIDs) == 0 {
		return SendNotificationEmailsResult{}, nil
	}
	users, err := a.Store.QueueNotificationEmails(ctx, in.NotificationIDs)
	if err != nil {
		return SendNotificationEmailsResult{}, temporalerr.Wrap(err)
	}
	res := SendNotificationEmailsResult{Queued: len(users)}
	if len(users) == 0 {
		return res, nil
	}
	due, err := a.Store.UsersDueForEmail(ctx, users, a.Mail.DigestWindow, time.Now())
	if err != nil {
		return res, temporalerr.Wrap(err)
	}
	// Critical or urgent work (and errors: lateness, escalation) does not wait for the digest.
	urgent, err := a.Store.UsersWithUrgentMail(ctx, in.NotificationIDs)
	if err != nil {
		return res, temporalerr.Wrap(err)
	}
	for _, u := range urgent {
		if slices.Contains(users, u) && !slices.Contains(due, u) {
			due = append(due, u)
		}
	}
	n, err := a.sendPending(ctx, due)
	res.Sent = n
	return res, err
}

// unconsideredHorizon bounds how far back the digest looks for notifications never considered
// for e-mail: older ones (e.g. from before e-mail was configured) are not mailed out of the blue.
const unconsideredHorizon = 24 * time.Hour

// SendEmailDigestsInput is empty; the struct keeps the signature open.
type SendEmailDigestsInput struct{}

// SendEmailDigestsResult counts the e-mails and the notifications they carried.
type SendEmailDigestsResult struct {
	Users         int
	Notifications int
}

// SendEmailDigests sends every user whose quiet period is over one e-mail with all their waiting
// notifications (a digest when there are several). NotificationDigestWorkflow runs it on a
// schedule every digest window.
func (a *Activities) SendEmailDigests(ctx context.Context, _ SendEmailDigestsInput) (SendEmailDigestsResult, error) {
	if !a.mailEnabled() {
		return SendEmailDigestsResult{}, nil
	}
	// Notifications of the last day that no SendNotificationEmails call covered (its caller's
	// Notify was retried and returned no ids, or the workflow does not call it) are decided now.
	for {
		ids, err := a.Store.UnconsideredNotificationIDs(ctx, time.Now().Add(-unconsideredHorizon), 500)
		if err != nil {
			return SendEmailDigestsResult{}, temporalerr.Wrap(err)
		}
		if len(ids) == 0 {
			break
		}
		if _, err := a.Store.QueueNotificationEmails(ctx, ids); err != nil {
			return SendEmailDigestsResult{}, temporalerr.Wrap(err)
		}
	}
	due, err := a.Store.UsersDueForEmail(ctx, nil, a.Mail.DigestWindow, time.Now())
	if err != nil {
		return SendEmailDigestsResult{}, temporalerr.Wrap(err)
	}
	n, err := a.sendPending(ctx, due)
	return SendEmailDigestsResult{Users: len(due), Notifications: n}, err
}

// sendPending mails each user its waiting notifications; it goes on after one user's failure
// and reports the first error, so one bad address does not hold everyone's mail.
func (a *Activities) sendPending(ctx context.Context, users []int64) (int, error) {
	total := 0
	var firstErr error
	for _, uid := range users {
		n, err := a.Store.SendPendingEmails(ctx, uid, func(rows []storage.PendingEmail) error {
			return a.Mail.send(ctx, a.Store, rows)
		})
		total += n
		if err != nil {
			a.Log.Warn("notification e-mail not sent", zap.Int64("user_id", uid), zap.Error(err))
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil && mifmail.Permanent(firstErr) {
		// The relay refused (bad address, policy): retrying will not help; the rows stay
		// 'en_attente' and the next digest run tries again after the operator fixes it.
		return total, temporal.NewNonRetryableApplicationError("e-mail refusé par le relais SMTP", "SMTPRefused", firstErr)
	}
	return total, firstErr
}

// localDate writes t in the mail's zone, labelled: "20/12/2024 09:00 (heure de Casablanca)".
func (m *Mailer) localDate(t time.Time) string { return domain.LocalTime(t, m.Location) }

// send renders and delivers one e-mail carrying rows (all for the same user). A notification
// about an intervention names its equipment, site, priority, status and technicien, and links to
// its page in the frontend.
func (m *Mailer) send(ctx context.Context, store *storage.Store, rows []storage.PendingEmail) error {
	if len(rows) == 0 {
		return nil
	}
	u := rows[0]
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = notificationInterventionID(r.Metadata)
	}
	ivs, err := store.InterventionsForMail(ctx, ids)
	if err != nil {
		return err
	}
	items := make([]mifmail.Item, len(rows))
	for i, r := range rows {
		it := mifmail.Item{Titre: r.Titre, Message: r.Message, Type: typeLabel(string(r.Type)), Date: m.localDate(r.DateCreation)}
		if iv, ok := ivs[ids[i]]; ok {
			it.Lien = fmt.Sprintf("%s/interventions/%d", m.AppURL, iv.ID)
			it.Intervention = fmt.Sprintf("n°%d — %s", iv.ID, iv.Titre)
			it.Equipement, it.Site, it.Technicien = iv.Equipement, iv.Site, iv.Technicien
			it.Priorite, it.Statut = iv.Priorite.Label(), iv.Statut.Label()
			if iv.Urgence {
				it.Priorite += " (urgente)"
			}
			if iv.DateLimite != nil {
				it.DateLimite = m.localDate(*iv.DateLimite)
			}
		}
		items[i] = it
	}
	subject := "[MIF] " + rows[0].Titre
	if len(rows) > 1 {
		subject = fmt.Sprintf("[MIF] %d nouvelles notifications", len(rows))
	}
	prenom := strings.TrimSpace(u.Prenom)
	if prenom == "" {
		prenom = strings.TrimSpace(u.Nom)
	}
	text, html, err := m.Templates.Notification(mifmail.NotificationData{Prenom: prenom, Subject: subject, AppURL: m.AppURL, Items: items})
	if err != nil {
		return err
	}
	if u.Email == "" {
		return errors.New("activities: destinataire sans adresse e-mail")
	}
	return m.Sender.Send(ctx, mifmail.Message{
		To:      []*mail.Address{{Name: strings.TrimSpace(u.Prenom + " " + u.Nom), Address: u.Email}},
		Subject: subject, Text: text, HTML: html,
		// Stable across retries of the same batch, so a duplicate is recognisable.
		MessageID: fmt.Sprintf("notification-%d-%d", rows[0].ID, rows[len(rows)-1].ID),
	})
}

// notificationInterventionID is the intervention a notification is about (0: none).
func notificationInterventionID(meta []byte) int64 {
	var m struct {
		InterventionID json.Number `json:"intervention_id"`
	}
	if json.Unmarshal(meta, &m) != nil {
		return 0
	}
	id, err := m.InterventionID.Int64()
	if err != nil {
		return 0
	}
	return id
}

func typeLabel(t string) string {
	switch t {
	case "warning":
		return "Avertissement"
	case "error":
		return "Erreur"
	case "success":
		return "Succès"
	}
	return "Information"
}
