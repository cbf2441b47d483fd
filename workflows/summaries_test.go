package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/workflows"
)

// TestDescriptionsReadForManagers: each kind's summary is one line that names what the run is
// about, and never leaks a webhook URL's query (it may carry a token).
func TestDescriptionsReadForManagers(t *testing.T) {
	t.Parallel()
	week := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tech, urgent := int64(2), int64(9)
	for _, c := range []struct {
		got  workflows.Description
		want string
	}{
		{workflows.DescribeEscalation(42, "Fuite", domain.PrioriteCritique, "Fuite — critique — Presse PH-001 — Cimenterie Atlas", time.Hour, 90*time.Minute),
			"Escalade — n°42 — Fuite — critique — Presse PH-001 — Cimenterie Atlas"},
		{workflows.DescribeEscalation(42, "Fuite", domain.PrioriteCritique, "", time.Hour, 2*time.Hour), "Escalade — n°42 — Fuite — critique"},
		{workflows.DescribePreventiveCycle(6, "Presse PH-900", 30), "Cycle préventif — Presse PH-900 — tous les 30 jours"},
		{workflows.DescribePreventiveCycle(6, "", 0), "Cycle préventif — équipement 6"},
		{workflows.DescribePreventiveOccurrence("Presse PH-900", 30, week, week), "Maintenance préventive — normale — Presse PH-900 — échéance 07/12/2026"},
		{workflows.DescribeWeeklyPlanning(&week, false), "Planning hebdomadaire — semaine du 07/12/2026"},
		{workflows.DescribeRoutePlanning(workflows.RoutePlanningInput{Debut: &week, Jours: 2, TechnicienID: &tech}),
			"Optimisation des tournées — 2 jour(s) — à partir du 07/12/2026 — technicien 2"},
		{workflows.DescribeRoutePlanning(workflows.RoutePlanningInput{UrgentID: &urgent}),
			"Optimisation des tournées — insertion de l'urgence n°9 — tous les techniciens"},
		{workflows.DescribeDemande(domain.Demande{ID: 7, ClientNom: "Cimenterie Atlas", EquipementNom: "Presse PH-001", Urgence: domain.PrioriteHaute, Description: "Bruit"}),
			"Demande client n°7 — Cimenterie Atlas — Presse PH-001 — haute"},
		{workflows.DescribeWebhook(domain.WebhookAbonnement{ID: 3, URL: "https://erp.example/hook?token=secret", Description: "ERP"}),
			"Webhook n°3 — https://erp.example/hook — ERP"},
		{workflows.DescribeHousekeeping(workflows.TaskOverdueScan), "Entretien quotidien — Contrôle des interventions en retard"},
	} {
		if c.got.Summary != c.want {
			t.Errorf("summary %q, want %q", c.got.Summary, c.want)
		}
		if c.got.Details == "" || strings.Contains(c.got.Details+c.got.Summary, "secret") {
			t.Errorf("%q: details %q", c.got.Summary, c.got.Details)
		}
	}
	if d := workflows.DescribeEscalation(42, "Fuite", domain.PrioriteCritique, "", time.Hour, 90*time.Minute).Details; !strings.Contains(d, "1 h après") || !strings.Contains(d, "1 h 30 après") {
		t.Errorf("escalation details %q", d)
	}
}
