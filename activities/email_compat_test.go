package activities_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

// TestNotificationEmailNamesTheInterventionAndSkipsTheDigestWhenUrgent: an e-mail about an
// intervention links to its page in the frontend and names equipment, site, priority, status and
// technicien in French, dates in the planning time zone, labelled; critical or urgent work is
// mailed at once although the recipient is within the digest window, ordinary work waits.
func TestNotificationEmailNamesTheInterventionAndSkipsTheDigestWhenUrgent(t *testing.T) {
	t.Parallel()
	f := newMailFixture(t, 10*time.Minute)
	ctx := context.Background()
	tech := f.user(t, "technicien@mif.ma")
	var techID int64
	if err := f.store.Q().GetContext(ctx, &techID, `SELECT id FROM techniciens WHERE user_id = $1`, tech.ID); err != nil {
		t.Fatal(err)
	}
	insert := func(titre string, prio domain.Priorite) int64 {
		t.Helper()
		var id int64
		if err := f.store.Q().GetContext(ctx, &id, `INSERT INTO interventions (workflow_id, titre, type_intervention, statut, priorite,
			equipement_id, technicien_id, date_limite) VALUES ($1, $2, 'corrective', 'en_cours', $3, 1, $4, '2026-12-20T08:00:00Z') RETURNING id`,
			"test/"+titre+strconv.FormatInt(time.Now().UnixNano(), 10), titre, prio, techID); err != nil {
			t.Fatal(err)
		}
		return id
	}
	notify := func(titre string, intervention int64) []int64 {
		t.Helper()
		res, err := f.acts.Notify(ctx, activities.NotifyInput{UserIDs: []int64{tech.ID}, Notification: domain.NewNotification{
			Titre: titre, Message: titre + ".", Type: domain.NotificationInfo, Event: "intervention.test",
			Metadata: map[string]any{"intervention_id": intervention}, DedupKey: titre,
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, n := range res.Created {
			ids = append(ids, n.ID)
		}
		return ids
	}
	critical := insert("Réparation fuite hydraulique", domain.PrioriteCritique)
	normal := insert("Graissage", domain.PrioriteNormale)

	// A first e-mail opens the quiet window.
	if res := f.send(t, f.notify(t, []int64{tech.ID}, "Bienvenue", "info", "welcome")); res.Sent != 1 {
		t.Fatalf("first send %+v", res)
	}
	f.waitMail(t, 1)
	// Ordinary work within the window waits for the digest.
	if res := f.send(t, notify("Graissage planifié", normal)); res.Sent != 0 || res.Queued != 1 {
		t.Fatalf("ordinary work %+v", res)
	}
	// Critical work does not: out now (with what was waiting).
	if res := f.send(t, notify("Intervention critique", critical)); res.Sent != 2 {
		t.Fatalf("critical work %+v", res)
	}
	m := f.waitMail(t, 2)[1]
	for _, want := range []string{
		"http://localhost:3000/interventions/" + strconv.FormatInt(critical, 10),
		"n°" + strconv.FormatInt(critical, 10) + " — Réparation fuite hydraulique",
		"Priorité : Critique", "Statut : En cours", "Technicien : Marie Dubois", "Équipement : ",
		"Date limite : 20/12/2026 09:00 (heure de Casablanca)", "(heure de Casablanca)",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `href="http://localhost:3000/interventions/`+strconv.FormatInt(critical, 10)+`"`) || !strings.Contains(m.HTML, "Critique") {
		t.Errorf("html:\n%s", m.HTML)
	}
	if strings.Contains(m.Text, "critique,") || strings.Contains(m.Text, "en_cours") || strings.Contains(m.Text, " UTC") {
		t.Errorf("raw values in the text:\n%s", m.Text)
	}
}
