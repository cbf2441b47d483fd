package documents

import (
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// TestReportChangesReadInFrench: the report's timeline writes statut, priorité and type with
// their French labels and dates in the configured zone, never raw values or UTC.
func TestReportChangesReadInFrench(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	got := readableChanges(`{"statut": {"ancien": "planifiee", "nouveau": "en_cours"}, "priorite": "critique",
		"type_intervention": "preventive", "date_planifiee": "2026-12-20T08:00:00Z", "technicien_id": 3}`, loc)
	want := "date planifiée : 20/12/2026 09:00, priorité : Critique, statut : En cours (avant : Planifiée), type : Préventive"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if domain.ZoneLabel(loc) != "heure de Casablanca" {
		t.Fatal(domain.ZoneLabel(loc))
	}
	if _, err := RenderReport(ReportData{InterventionID: 1, Titre: "t", Location: loc, Timeline: []TimelineEntry{
		{Date: time.Now(), Action: "assignation", Changements: `{"statut": {"ancien": "ouverte", "nouveau": "planifiee"}}`}}}); err != nil {
		t.Fatal(err)
	}
}
