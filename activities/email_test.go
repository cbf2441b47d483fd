package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/demo"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/internal/testpasswords"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/storage"
)

type mailFixture struct {
	store *storage.Store
	sink  *mail.Sink
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
}

func newMailFixture(t *testing.T, window time.Duration) *mailFixture {
	t.Helper()
	store := storage.New(testdb.New(t))
	if err := demo.SeedWithPasswordHash(context.Background(), store, testpasswords.DemoHash(t)); err != nil {
		t.Fatal(err)
	}
	sink, err := mail.StartSink("127.0.0.1:0", mail.SinkOptions{Username: "mif", Password: "relay-pass", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	sender, err := mail.NewSender(config.SMTP{Addr: sink.Addr(), Username: "mif", Password: "relay-pass", From: "MIF Maroc <noreply@mif.ma>", StartTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	sender.TLSConfig = sink.ClientTLSConfig()
	mailer, err := activities.NewMailer(sender, "http://localhost:3000", "Africa/Casablanca", window)
	if err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: store, Log: zap.NewNop(), Mail: mailer}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &mailFixture{store: store, sink: sink, acts: acts, env: env}
}

func (f *mailFixture) user(t *testing.T, email string) domain.User {
	t.Helper()
	u, err := f.store.GetUserByLogin(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *mailFixture) notify(t *testing.T, users []int64, titre, event, key string) []int64 {
	t.Helper()
	res, err := f.acts.Notify(context.Background(), activities.NotifyInput{UserIDs: users, Notification: domain.NewNotification{
		Titre: titre, Message: titre + " : « Réparation fuite hydraulique »", Type: domain.NotificationInfo, Event: event, DedupKey: key,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(res.Created))
	for i, n := range res.Created {
		ids[i] = n.ID
	}
	return ids
}

func (f *mailFixture) send(t *testing.T, ids []int64) activities.SendNotificationEmailsResult {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.SendNotificationEmails, activities.SendNotificationEmailsInput{NotificationIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.SendNotificationEmailsResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *mailFixture) digest(t *testing.T) activities.SendEmailDigestsResult {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.SendEmailDigests, activities.SendEmailDigestsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.SendEmailDigestsResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *mailFixture) waitMail(t *testing.T, n int) []mail.Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := f.sink.Wait(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d messages received, want %d", len(got), n)
	}
	return got
}

// TestNotificationEmailsPreferencesAndDigest sends through a real SMTP server (STARTTLS, AUTH
// PLAIN): the first event goes out at once, per preferences; the next ones within the window are
// grouped into one digest.
func TestNotificationEmailsPreferencesAndDigest(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t, 10*time.Minute)
	ctx := context.Background()
	tech, tech2, resp := f.user(t, "technicien@mif.ma"), f.user(t, "technicien2@mif.ma"), f.user(t, "responsable@mif.ma")
	if _, err := f.store.Q().ExecContext(ctx, `UPDATE users SET email_preferences = '{"events": {"intervention.assignation": false}}' WHERE id = $1`, tech2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Q().ExecContext(ctx, `UPDATE users SET email_preferences = '{"enabled": false}' WHERE id = $1`, resp.ID); err != nil {
		t.Fatal(err)
	}

	ids := f.notify(t, []int64{tech.ID, tech2.ID, resp.ID}, "Intervention assignée", "intervention.assignation", "assign/42")
	if res := f.send(t, ids); res.Sent != 1 || res.Queued != 1 {
		t.Fatalf("first send = %+v", res)
	}
	msgs := f.waitMail(t, 1)
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != tech.Email || m.Subject != "[MIF] Intervention assignée" || !m.TLS || m.AuthUser != "mif" {
		t.Fatalf("message = %+v", m)
	}
	if !strings.Contains(m.Text, "Bonjour Marie") || !strings.Contains(m.Text, "« Réparation fuite hydraulique »") ||
		!strings.Contains(m.HTML, "Intervention assignée") || !strings.Contains(m.HTML, "http://localhost:3000") {
		t.Fatalf("content:\n%s\n%s", m.Text, m.HTML)
	}
	// A retry of the same activity sends nothing more.
	if res := f.send(t, ids); res.Sent != 0 {
		t.Fatalf("retry = %+v", res)
	}

	// Two more events within the window: queued for the digest, not sent one by one.
	more := append(f.notify(t, []int64{tech.ID}, "SLA dépassé", "intervention.en_retard", "sla/42"),
		f.notify(t, []int64{tech.ID}, "Intervention escaladée", "intervention.escalade", "esc/42")...)
	if res := f.send(t, more); res.Sent != 0 || res.Queued != 1 {
		t.Fatalf("within the window = %+v", res)
	}
	if res := f.digest(t); res.Notifications != 0 {
		t.Fatalf("digest before the window ends = %+v", res)
	}
	// The window passes.
	if _, err := f.store.Q().ExecContext(ctx, `UPDATE notifications SET email_envoye_at = now() - interval '11 minutes' WHERE email_statut = 'envoye'`); err != nil {
		t.Fatal(err)
	}
	if res := f.digest(t); res.Users != 1 || res.Notifications != 2 {
		t.Fatalf("digest = %+v", res)
	}
	msgs = f.waitMail(t, 2)
	d := msgs[1]
	if d.Subject != "[MIF] 2 nouvelles notifications" || !strings.Contains(d.Text, "SLA dépassé") || !strings.Contains(d.Text, "Intervention escaladée") ||
		strings.Count(d.HTML, "<li") != 2 {
		t.Fatalf("digest message = %+v", d)
	}
	if res := f.digest(t); res.Notifications != 0 {
		t.Fatalf("second digest run = %+v", res)
	}
	var statuts []string
	if err := f.store.Q().SelectContext(ctx, &statuts, `SELECT u.email || '=' || COALESCE(n.email_statut, 'null')
		FROM notifications n JOIN users u ON u.id = n.destinataire_id ORDER BY n.id`); err != nil {
		t.Fatal(err)
	}
	want := []string{"responsable@mif.ma=ignore", "technicien@mif.ma=envoye", "technicien2@mif.ma=ignore", "technicien@mif.ma=envoye", "technicien@mif.ma=envoye"}
	if strings.Join(statuts, ",") != strings.Join(want, ",") {
		t.Fatalf("email_statut = %v", statuts)
	}
}

// TestNotificationEmailFailureKeepsInApp: with the relay down the activity fails (and Temporal
// would retry it); the in-app notifications are there all the same, and the mail goes out once
// the relay is back.
func TestNotificationEmailFailureKeepsInApp(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t, 0)
	tech := f.user(t, "technicien@mif.ma")
	down, err := mail.NewSender(config.SMTP{Addr: "127.0.0.1:1", From: "noreply@mif.ma", StartTLS: false})
	if err != nil {
		t.Fatal(err)
	}
	working := f.acts.Mail.Sender
	f.acts.Mail.Sender = down
	ids := f.notify(t, []int64{tech.ID}, "Panne équipement", "equipement.en_panne", "panne/7")
	if _, err := f.env.ExecuteActivity(f.acts.SendNotificationEmails, activities.SendNotificationEmailsInput{NotificationIDs: ids}); err == nil {
		t.Fatal("want an error while the relay is down")
	}
	n, err := f.store.GetNotificationFor(context.Background(), tech.ID, ids[0])
	if err != nil || n.Titre != "Panne équipement" {
		t.Fatalf("in-app notification: %+v %v", n, err)
	}
	f.acts.Mail.Sender = working
	if res := f.send(t, ids); res.Sent != 1 {
		t.Fatalf("after the relay is back = %+v", res)
	}
	if m := f.waitMail(t, 1); m[0].Subject != "[MIF] Panne équipement" {
		t.Fatalf("message = %+v", m[0])
	}
}

// TestDigestPicksUpForgottenNotifications: a notification whose ids never reached
// SendNotificationEmails (a retried Notify returns none) is still e-mailed by the digest run;
// one older than a day is not mailed out of the blue.
func TestDigestPicksUpForgottenNotifications(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t, 5*time.Minute)
	ctx := context.Background()
	tech := f.user(t, "technicien@mif.ma")
	old := f.notify(t, []int64{tech.ID}, "Ancienne notification", "intervention.assignation", "old/1")
	if _, err := f.store.Q().ExecContext(ctx, `UPDATE notifications SET date_creation = now() - interval '3 days' WHERE id = $1`, old[0]); err != nil {
		t.Fatal(err)
	}
	f.notify(t, []int64{tech.ID}, "Intervention terminée", "intervention.cloture", "done/9")
	if res := f.digest(t); res.Users != 1 || res.Notifications != 1 {
		t.Fatalf("digest = %+v", res)
	}
	if m := f.waitMail(t, 1); m[0].Subject != "[MIF] Intervention terminée" {
		t.Fatalf("message = %+v", m[0])
	}
	if res := f.digest(t); res.Notifications != 0 {
		t.Fatalf("second run = %+v", res)
	}
}
