package documents

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// ReportData is everything the intervention report shows. It is filled by storage (one read)
// so that rendering is a pure function, testable without a database.
type ReportData struct {
	InterventionID int64
	Titre          string
	Description    string
	Type           string
	Priorite       string
	Statut         string
	DateCreation   time.Time
	DateDebut      *time.Time
	DateFin        *time.Time
	DateLimite     *time.Time
	Rapport        string
	TempsPasse     *int // minutes
	Equipement     string
	EquipementType string
	Localisation   string
	NumeroSerie    string
	Client         string
	Technicien     string
	Timeline       []TimelineEntry
	// Checklist is the intervention's procedure with what was filled in (none: no section).
	Checklist   []ChecklistLine
	GeneratedAt time.Time
}

// ChecklistLine is one checklist item as the report prints it.
type ChecklistLine struct {
	Libelle     string
	Valeur      string // "" when not filled
	Unite       string
	Obligatoire bool
	HorsLimites bool
}

// TimelineEntry is one line of the historique shown in the report.
type TimelineEntry struct {
	Date   time.Time
	Action string
	Acteur string
	Detail string
}

// casablanca is the zone dates are printed in; falling back to UTC keeps rendering working on
// a machine without tzdata.
func casablanca() *time.Location {
	if loc, err := time.LoadLocation("Africa/Casablanca"); err == nil {
		return loc
	}
	return time.UTC
}

// RenderReport draws the report as a PDF (A4, French). Text goes through fpdf's cp1252
// translator, which covers French accents.
func RenderReport(d ReportData) ([]byte, error) {
	loc := casablanca()
	date := func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.In(loc).Format("02/01/2006 15:04")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr(fmt.Sprintf("Rapport d'intervention n°%d", d.InterventionID)), false)
	pdf.SetAuthor("MIF Maroc", false)
	pdf.SetCreationDate(d.GeneratedAt)
	pdf.SetModificationDate(d.GeneratedAt)
	pdf.SetAutoPageBreak(true, 20)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.CellFormat(0, 10, tr(fmt.Sprintf("MIF Maroc — rapport n°%d — page %d/{nb}", d.InterventionID, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AliasNbPages("")
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr("Rapport d'intervention"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 12)
	pdf.CellFormat(0, 7, tr(fmt.Sprintf("n°%d — %s", d.InterventionID, d.Titre)), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.CellFormat(0, 6, tr("Généré le "+d.GeneratedAt.In(loc).Format("02/01/2006 15:04")), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	section := func(title string) {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 12)
		pdf.SetFillColor(230, 236, 245)
		pdf.CellFormat(0, 8, tr(title), "", 1, "L", true, 0, "")
		pdf.SetFont("Helvetica", "", 10)
	}
	row := func(label, value string) {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(45, 6, tr(label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 6, tr(value), "", "L", false)
	}
	dash := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	}

	section("Intervention")
	row("Type", dash(d.Type))
	row("Priorité", dash(d.Priorite))
	row("Statut", dash(d.Statut))
	row("Créée le", date(&d.DateCreation))
	row("Date limite", date(d.DateLimite))
	row("Début", date(d.DateDebut))
	row("Fin", date(d.DateFin))
	temps := "—"
	if d.TempsPasse != nil {
		temps = fmt.Sprintf("%d min (%dh%02d)", *d.TempsPasse, *d.TempsPasse/60, *d.TempsPasse%60)
	}
	row("Temps passé", temps)
	row("Description", dash(d.Description))

	section("Équipement et client")
	row("Équipement", dash(d.Equipement))
	row("Type", dash(d.EquipementType))
	row("Localisation", dash(d.Localisation))
	row("N° de série", dash(d.NumeroSerie))
	row("Client", dash(d.Client))
	row("Technicien", dash(d.Technicien))

	section("Rapport du technicien")
	pdf.MultiCell(0, 6, tr(dash(d.Rapport)), "", "L", false)

	if len(d.Checklist) > 0 {
		section("Checklist")
		for _, c := range d.Checklist {
			v := c.Valeur
			switch {
			case v == "" && c.Obligatoire:
				v = "NON RENSEIGNÉ (obligatoire)"
			case v == "":
				v = "—"
			case v == "true":
				v = "oui"
			case v == "false":
				v = "non"
			}
			if c.Unite != "" && c.Valeur != "" {
				v += " " + c.Unite
			}
			if c.HorsLimites {
				v += " — HORS LIMITES"
			}
			row(c.Libelle, v)
		}
	}

	section("Chronologie")
	if len(d.Timeline) == 0 {
		pdf.CellFormat(0, 6, tr("Aucun événement."), "", 1, "L", false, 0, "")
	}
	for _, e := range d.Timeline {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(32, 5, e.Date.In(loc).Format("02/01/2006 15:04"), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		line := actionLabel(e.Action)
		if e.Acteur != "" {
			line += " — " + e.Acteur
		}
		if e.Detail != "" {
			line += " — " + e.Detail
		}
		pdf.MultiCell(0, 5, tr(line), "", "L", false)
	}

	section("Signatures")
	pdf.Ln(2)
	y := pdf.GetY()
	if y > 240 {
		pdf.AddPage()
		y = pdf.GetY()
	}
	pdf.SetFont("Helvetica", "", 10)
	for i, who := range []string{"Le technicien", "Le client"} {
		x := 10.0 + float64(i)*97
		pdf.Rect(x, y, 90, 35, "D")
		pdf.SetXY(x+2, y+2)
		pdf.CellFormat(86, 5, tr(who), "", 0, "L", false, 0, "")
		pdf.SetXY(x+2, y+28)
		pdf.CellFormat(86, 5, tr("Nom, date et signature"), "", 0, "L", false, 0, "")
	}
	pdf.SetY(y + 40)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("documents: render report: %w", err)
	}
	return buf.Bytes(), nil
}

// actionLabel names a historique action in French for the timeline; unknown actions are shown
// as they are recorded.
func actionLabel(a string) string {
	switch a {
	case "creation":
		return "Création"
	case "assignation":
		return "Assignation"
	case "demarrage":
		return "Démarrage"
	case "pause":
		return "Mise en attente"
	case "reprise":
		return "Reprise"
	case "cloture":
		return "Clôture"
	case "annulation":
		return "Annulation"
	case "retard":
		return "Délai dépassé"
	case "escalade":
		return "Escalade"
	case "evaluation":
		return "Évaluation du client"
	}
	return strings.ReplaceAll(a, "_", " ")
}
