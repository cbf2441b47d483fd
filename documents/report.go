package documents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/mifmaroc/mif/domain"
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
	// Pieces are the spare parts consumed, with their cost (the unit cost of the day).
	Pieces []ReportPiece
	// Checklist is the intervention's procedure with what was filled in (none: no section).
	Checklist   []ChecklistLine
	GeneratedAt time.Time
	// Location is MIF_PLANNING_TIMEZONE: every date of the report is printed there, and named
	// (Africa/Casablanca when nil).
	Location *time.Location
}

// ReportPiece is one line of the parts table.
type ReportPiece struct {
	Reference    string
	Designation  string
	Emplacement  string
	Quantite     float64
	Unite        string
	CoutUnitaire float64
	CoutTotal    float64
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
	// Changements is the historique entry's JSON; the report writes it out in French (labels,
	// local dates) when Detail is empty.
	Changements string
}

// reportLocation is the report's zone: d.Location, else Casablanca's, else UTC on a machine
// without tzdata.
func reportLocation(d ReportData) *time.Location {
	if d.Location != nil {
		return d.Location
	}
	if loc, err := time.LoadLocation("Africa/Casablanca"); err == nil {
		return loc
	}
	return time.UTC
}

// RenderReport draws the report as a PDF (A4, French). Text goes through fpdf's cp1252
// translator, which covers French accents.
func RenderReport(d ReportData) ([]byte, error) {
	loc := reportLocation(d)
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
	pdf.CellFormat(0, 6, tr("Généré le "+d.GeneratedAt.In(loc).Format("02/01/2006 15:04")+" — dates en "+domain.ZoneLabel(loc)), "", 1, "L", false, 0, "")
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

	section("Pièces consommées")
	if len(d.Pieces) == 0 {
		pdf.CellFormat(0, 6, tr("Aucune pièce."), "", 1, "L", false, 0, "")
	} else {
		widths := []float64{28, 62, 30, 22, 24, 24}
		// fit shortens a cell's text (translated) to the width it has in the current font.
		fit := func(s string, width float64) string {
			r := []rune(s)
			for len(r) > 1 && pdf.GetStringWidth(tr(string(r))) > width {
				r = r[:len(r)-1]
				if pdf.GetStringWidth(tr(string(r)+"…")) <= width {
					return tr(string(r) + "…")
				}
			}
			return tr(string(r))
		}
		pdf.SetFont("Helvetica", "B", 9)
		for i, h := range []string{"Référence", "Désignation", "Emplacement", "Quantité", "Coût unit.", "Coût"} {
			align := "L"
			if i >= 3 {
				align = "R"
			}
			pdf.CellFormat(widths[i], 6, tr(h), "B", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 9)
		var total float64
		for _, p := range d.Pieces {
			cells := []string{p.Reference, p.Designation, p.Emplacement, qty(p.Quantite) + " " + p.Unite, money(p.CoutUnitaire), money(p.CoutTotal)}
			for i, c := range cells {
				align := "L"
				if i >= 3 {
					align = "R"
				}
				pdf.CellFormat(widths[i], 6, fit(c, widths[i]-1), "", 0, align, false, 0, "")
			}
			pdf.Ln(-1)
			total += p.CoutTotal
		}
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(widths[0]+widths[1]+widths[2]+widths[3]+widths[4], 6, tr("Total pièces"), "T", 0, "R", false, 0, "")
		pdf.CellFormat(widths[5], 6, tr(money(total)), "T", 1, "R", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
	}

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
		detail := e.Detail
		if detail == "" {
			detail = readableChanges(e.Changements, loc)
		}
		if r := []rune(detail); len(r) > 300 {
			detail = string(r[:300]) + "…"
		}
		if detail != "" {
			line += " — " + detail
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

// money prints an amount in dirhams, French style (1 234,50 MAD).
func money(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	intPart, dec, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
	}
	out := b.String() + "," + dec + " MAD"
	if neg {
		out = "-" + out
	}
	return out
}

// qty prints a quantity without useless decimals, with a decimal comma.
func qty(x float64) string { return strings.Replace(strconv.FormatFloat(x, 'f', -1, 64), ".", ",", 1) }

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

// changeLabels name the historique's fields as people read them.
var changeLabels = map[string]string{"statut": "statut", "priorite": "priorité", "type_intervention": "type",
	"date_planifiee": "date planifiée", "duree_estimee": "durée estimée (min)", "temps_passe": "temps passé (min)",
	"date_limite": "date limite", "motif": "motif", "notes": "notes", "niveau": "niveau", "raison": "raison"}

// readableChanges writes a historique entry's changes for the report: French names and labels
// (statut, priorité, type), dates in loc, no ids.
func readableChanges(raw string, loc *time.Location) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		if raw == "{}" || raw == "null" || raw == "" {
			return ""
		}
		return raw
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasSuffix(k, "_id") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		name, ok := changeLabels[k]
		if !ok {
			name = strings.ReplaceAll(k, "_", " ")
		}
		parts = append(parts, name+" : "+readableValue(k, m[k], loc))
	}
	return strings.Join(parts, ", ")
}

func readableValue(key string, v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return "oui"
		}
		return "non"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(loc).Format("02/01/2006 15:04")
		}
		switch key {
		case "statut":
			return domain.StatutIntervention(x).Label()
		case "priorite":
			return domain.Priorite(x).Label()
		case "type_intervention":
			return domain.TypeIntervention(x).Label()
		}
		return x
	case map[string]any:
		if old, ok := x["ancien"]; ok {
			// Written in cp1252 by the PDF: no arrow.
			return readableValue(key, x["nouveau"], loc) + " (avant : " + readableValue(key, old, loc) + ")"
		}
		b, _ := json.Marshal(x)
		return string(b)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
