package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/mail"
	"github.com/mifmaroc/mif/workflows"
)

// TestDigestScheduleMailsThroughTemporal runs the real pieces: a Temporal Schedule starts
// NotificationDigestWorkflow on the test's worker, whose activity e-mails the notifications
// waiting (here: created by Notify alone) through a real SMTP server, grouped in one digest.
func TestDigestScheduleMailsThroughTemporal(t *testing.T) {
	t.Parallel()
	sink, err := mail.StartSink("127.0.0.1:0", mail.SinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sender, err := mail.NewSender(config.SMTP{Addr: sink.Addr(), From: "MIF Maroc <noreply@mif.ma>"})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := activities.NewMailer(sender, "http://localhost:3000", "Africa/Casablanca", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.WithActivities(func(a *activities.Activities) { a.Mail = mailer }))
	apitest.Exclusive(t, apitest.Schedules)
	ctx := context.Background()
	tech := e.User(apitest.Technicien)
	acts := &activities.Activities{Store: e.Store, Log: e.Log}
	for i, titre := range []string{"Intervention assignée", "SLA dépassé", "Intervention escaladée"} {
		if _, err := acts.Notify(ctx, activities.NotifyInput{UserIDs: []int64{tech.ID}, Notification: domain.NewNotification{
			Titre: titre, Message: "détail", Event: "intervention.assignation", DedupKey: "digest-e2e/" + string(rune('a'+i)),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Workflows.Schedules.EnsureDigest(ctx, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	// Converges when called again (every worker replica does it at start-up).
	if err := e.Workflows.Schedules.EnsureDigest(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.Workflows.Schedules.EnsureDigest(context.Background(), 0)
	})
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	msgs, err := sink.Wait(waitCtx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Subject != "[MIF] 3 nouvelles notifications" || msgs[0].To[0] != tech.Email {
		t.Fatalf("digest = %+v", msgs[0])
	}
	if err := e.Workflows.Schedules.EnsureDigest(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Temporal.ScheduleClient().GetHandle(ctx, workflows.NotificationDigestScheduleID).Describe(ctx); err == nil {
		t.Fatal("a zero window must remove the schedule")
	}
}
