package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// CSV import and export (issue 15). Exports stream every row the caller may see (the list's
// scoping and filters), `;`-separated with a UTF-8 BOM and French dates and decimals, as French
// spreadsheets expect (`?separateur=virgule` for `,`). Imports stream the body through
// encoding/csv (UTF-8 with or without BOM, `;` or `,` sniffed from the header line, columns named
// as the JSON fields, French dates 02/01/2006 or ISO), validate every line with the same rules as
// the API, and write in one transaction: all lines or none (`mode=tout`, the default), or the
// valid ones (`mode=valides`, each line under a savepoint); `dry_run=true` validates and writes
// nothing. The answer is a report with the errors per line and column.

// utf8BOM starts a UTF-8 file written by Excel.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvDateLayouts are the date forms an import accepts: French first, then ISO.
var csvDateLayouts = []string{"02/01/2006", "2006-01-02", "02/01/2006 15:04", time.RFC3339}

// maxCSVErrors bounds the errors listed in a report (all are counted).
const maxCSVErrors = 500

// csvWriter writes one export.
type csvWriter struct {
	w     *csv.Writer
	comma rune
	loc   *time.Location
}

// csvSeparatorKey carries the export's separator from csvExport to the handler.
type csvSeparatorKey struct{}

// csvExport takes the export's own parameter (separateur) out of the query before the handler
// reads the list's filters, which refuse parameters they do not know.
func csvExport(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		comma := ';'
		switch q.Get("separateur") {
		case "", "point-virgule":
		case "virgule":
			comma = ','
		default:
			problem(w, r, http.StatusUnprocessableEntity, "separateur: virgule ou point-virgule",
				domain.FieldError{Field: "separateur", Message: "virgule ou point-virgule"})
			return
		}
		q.Del("separateur")
		r2 := r.WithContext(context.WithValue(r.Context(), csvSeparatorKey{}, comma))
		r2.URL.RawQuery = q.Encode()
		h(w, r2)
	}
}

func (s *Server) newCSVWriter(w http.ResponseWriter, r *http.Request, name string) *csvWriter {
	comma, ok := r.Context().Value(csvSeparatorKey{}).(rune)
	if !ok {
		comma = ';'
	}
	loc, err := time.LoadLocation(s.cfg.Workflows.Timezone)
	if err != nil {
		loc = time.UTC
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-`+time.Now().In(loc).Format("20060102")+`.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(utf8BOM)
	cw := csv.NewWriter(w)
	cw.Comma = comma
	return &csvWriter{w: cw, comma: comma, loc: loc}
}

func (c *csvWriter) row(vals ...string) { _ = c.w.Write(vals) }

func (c *csvWriter) date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(c.loc).Format("02/01/2006")
}

func (c *csvWriter) datetime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(c.loc).Format("02/01/2006 15:04")
}

func (c *csvWriter) float(f *float64) string {
	if f == nil {
		return ""
	}
	v := strconv.FormatFloat(*f, 'f', -1, 64)
	if c.comma == ';' {
		v = strings.Replace(v, ".", ",", 1)
	}
	return v
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num[T int | int64](p *T) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(int64(*p), 10)
}

func yesNo(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

// exportPages calls page for successive pages of exportPageSize rows until one comes back short,
// flushing after each (the rows leave as they are read).
func exportPages(c *csvWriter, page func(storage.Page) (int, error)) error {
	const exportPageSize = 200
	for off := 0; ; off += exportPageSize {
		n, err := page(storage.Page{Limit: exportPageSize, Offset: off})
		c.w.Flush()
		if err != nil || n < exportPageSize {
			return err
		}
	}
}

func (s *Server) exportEquipements(w http.ResponseWriter, r *http.Request) {
	f, sort, _, err := equipementQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	c := s.newCSVWriter(w, r, "equipements")
	c.row("id", "nom", "type", "modele", "numero_serie", "localisation", "statut", "date_installation", "frequence_entretien",
		"derniere_maintenance", "prochaine_maintenance", "site_id", "site_nom", "interventions_count")
	s.logExport(r, exportPages(c, func(pg storage.Page) (int, error) {
		items, _, err := s.store.ListEquipements(r.Context(), p, f, sort, pg)
		for _, e := range items {
			site := ""
			if e.Site != nil {
				site = e.Site.Nom
			}
			c.row(strconv.FormatInt(e.ID, 10), e.Nom, e.Type, e.Modele, e.NumeroSerie, e.Localisation, string(e.Statut),
				c.date(e.DateInstallation), num(e.FrequenceEntretien), c.date(e.DerniereMaintenance), c.date(e.ProchaineMaintenance),
				num(e.SiteID), site, strconv.Itoa(e.InterventionsCount))
		}
		return len(items), err
	}))
}

func (s *Server) exportClients(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	recherche, actif := q.text("q", maxSearchLen), q.boolean("is_active")
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	c := s.newCSVWriter(w, r, "clients")
	c.row("id", "nom", "email", "telephone", "adresse", "ville", "contact_nom", "is_active", "contrats_count", "date_creation")
	s.logExport(r, exportPages(c, func(pg storage.Page) (int, error) {
		items, _, err := s.store.ListClients(r.Context(), p, recherche, actif, pg)
		for _, k := range items {
			c.row(strconv.FormatInt(k.ID, 10), k.Nom, str(k.Email), str(k.Telephone), str(k.Adresse), str(k.Ville), str(k.ContactNom),
				yesNo(k.IsActive), strconv.Itoa(k.ContratsCount), c.date(&k.DateCreation))
		}
		return len(items), err
	}))
}

func (s *Server) exportSites(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.SiteFiltre{ClientID: q.id("client_id"), Ville: q.text("ville", domain.SiteVilleMaxLen), Recherche: q.text("q", maxSearchLen)}
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	c := s.newCSVWriter(w, r, "sites")
	c.row("id", "client_id", "client_nom", "nom", "adresse", "ville", "latitude", "longitude", "equipements_count")
	s.logExport(r, exportPages(c, func(pg storage.Page) (int, error) {
		items, _, err := s.store.ListSites(r.Context(), p, f, pg)
		for _, x := range items {
			c.row(strconv.FormatInt(x.ID, 10), strconv.FormatInt(x.ClientID, 10), x.ClientNom, x.Nom, x.Adresse, x.Ville,
				c.float(&x.Latitude), c.float(&x.Longitude), strconv.Itoa(x.EquipementsCount))
		}
		return len(items), err
	}))
}

func (s *Server) exportTechniciens(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r)
	f := domain.TechnicienFiltre{Competence: q.text("competence", 100), Disponibilite: q.boolean("disponibilite"),
		Localisation: q.text("localisation", domain.TechnicienTexteMaxLen), Recherche: q.text("q", maxSearchLen)}
	if err := q.err(); err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	c := s.newCSVWriter(w, r, "techniciens")
	c.row("id", "nom", "prenom", "email", "specialite", "niveau_experience", "disponibilite", "telephone", "localisation_base",
		"base_latitude", "base_longitude", "competences")
	s.logExport(r, exportPages(c, func(pg storage.Page) (int, error) {
		items, _, err := s.store.ListTechniciens(r.Context(), p, f, storage.Sort{Field: "id"}, pg)
		for _, t := range items {
			comps := make([]string, len(t.Competences))
			for i, k := range t.Competences {
				comps[i] = k.Nom + ":" + strconv.Itoa(k.Niveau)
			}
			c.row(strconv.FormatInt(t.ID, 10), t.Nom, t.Prenom, t.Email, t.Specialite, string(t.NiveauExperience), yesNo(t.Disponibilite),
				str(t.Telephone), str(t.LocalisationBase), c.float(t.BaseLatitude), c.float(t.BaseLongitude), strings.Join(comps, "|"))
		}
		return len(items), err
	}))
}

func (s *Server) exportInterventions(w http.ResponseWriter, r *http.Request) {
	f, sort, _, err := interventionQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	c := s.newCSVWriter(w, r, "interventions")
	c.row("id", "titre", "type_intervention", "statut", "priorite", "urgence", "equipement_id", "equipement_nom", "technicien_id",
		"date_creation", "date_limite", "date_debut", "date_fin", "en_retard", "temps_passe", "satisfaction_client")
	s.logExport(r, exportPages(c, func(pg storage.Page) (int, error) {
		items, _, err := s.store.ListInterventions(r.Context(), p, f, sort, pg)
		for _, it := range items {
			c.row(strconv.FormatInt(it.ID, 10), it.Titre, string(it.TypeIntervention), string(it.Statut), string(it.Priorite), yesNo(it.Urgence),
				strconv.FormatInt(it.EquipementID, 10), it.Equipement.Nom, num(it.TechnicienID), c.datetime(&it.DateCreation),
				c.datetime(it.DateLimite), c.datetime(it.DateDebut), c.datetime(it.DateFin), yesNo(it.EnRetard), num(it.TempsPasse),
				num(it.SatisfactionClient))
		}
		return len(items), err
	}))
}

// logExport records an export that broke after its first bytes left (the status is sent: the
// client sees a truncated file).
func (s *Server) logExport(r *http.Request, err error) {
	if err != nil && s.log != nil {
		s.log.Error("CSV export interrupted: " + err.Error())
	}
}

// CSVErreur is one error of an import: the line (1 = header) and column at fault.
type CSVErreur struct {
	Ligne   int    `json:"ligne"`
	Colonne string `json:"colonne"`
	Message string `json:"message"`
}

// CSVRapport is the answer to an import.
type CSVRapport struct {
	Ressource    string      `json:"ressource"`
	DryRun       bool        `json:"dry_run"`
	Mode         string      `json:"mode"`
	Separateur   string      `json:"separateur"`
	Lignes       int         `json:"lignes"`
	Valides      int         `json:"valides"`
	Ecrites      int         `json:"ecrites"`
	ErreursTotal int         `json:"erreurs_total"`
	Erreurs      []CSVErreur `json:"erreurs"`
}

// csvLine reads the fields of one record by column name, collecting conversion errors.
type csvLine struct {
	vals map[string]string
	errs []domain.FieldError
}

func (l *csvLine) text(col string) *string {
	v, ok := l.vals[col]
	if !ok || v == "" {
		return nil
	}
	return &v
}

func (l *csvLine) int64(col string) *int64 {
	v := l.text(col)
	if v == nil {
		return nil
	}
	n, err := strconv.ParseInt(*v, 10, 64)
	if err != nil {
		l.errs = append(l.errs, domain.FieldError{Field: col, Message: "entier attendu"})
		return nil
	}
	return &n
}

func (l *csvLine) int(col string) *int {
	n := l.int64(col)
	if n == nil {
		return nil
	}
	i := int(*n)
	return &i
}

// float accepts a decimal point or a French decimal comma.
func (l *csvLine) float(col string) *float64 {
	v := l.text(col)
	if v == nil {
		return nil
	}
	f, err := strconv.ParseFloat(strings.Replace(*v, ",", ".", 1), 64)
	if err != nil {
		l.errs = append(l.errs, domain.FieldError{Field: col, Message: "nombre attendu (33,6 ou 33.6)"})
		return nil
	}
	return &f
}

func (l *csvLine) date(col string) *time.Time {
	v := l.text(col)
	if v == nil {
		return nil
	}
	for _, layout := range csvDateLayouts {
		if t, err := time.Parse(layout, *v); err == nil {
			return &t
		}
	}
	l.errs = append(l.errs, domain.FieldError{Field: col, Message: "date attendue (JJ/MM/AAAA)"})
	return nil
}

func (l *csvLine) boolean(col string) *bool {
	v := l.text(col)
	if v == nil {
		return nil
	}
	switch strings.ToLower(*v) {
	case "oui", "vrai", "true", "1", "o", "x":
		b := true
		return &b
	case "non", "faux", "false", "0", "n":
		b := false
		return &b
	}
	l.errs = append(l.errs, domain.FieldError{Field: col, Message: "oui ou non attendu"})
	return nil
}

// csvImporter is what one resource's import needs: its columns, how a line becomes a create
// call, and what to do for each created row once the transaction committed.
type csvImporter struct {
	ressource string
	columns   []string
	required  []string
	// create validates the line and writes it with tx; it returns the follow-up to run after
	// the commit (nil for none).
	create func(ctx context.Context, tx *storage.Store, l *csvLine, acteur int64) (func(context.Context), error)
}

// errCSVRollback undoes a dry run or a refused all-or-nothing import.
var errCSVRollback = errors.New("csv import rolled back")

func (s *Server) importCSV(imp csvImporter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := newQuery(r)
		dry := q.boolean("dry_run")
		mode := enum(q, "mode", []string{"tout", "valides"})
		if err := q.err(); err != nil {
			s.fail(w, r, err)
			return
		}
		rep := CSVRapport{Ressource: imp.ressource, DryRun: dry != nil && *dry, Mode: "tout", Erreurs: []CSVErreur{}}
		if mode != nil {
			rep.Mode = *mode
		}
		acteur := principalFrom(r.Context()).UserID
		var after []func(context.Context)
		err := s.store.InTx(r.Context(), func(tx *storage.Store) error {
			after = nil
			return s.readCSV(r, tx, imp, acteur, &rep, &after)
		})
		if errors.Is(err, errCSVRollback) {
			err = nil
			after = nil
			rep.Ecrites = 0
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, f := range after {
			f(r.Context())
		}
		writeJSON(w, http.StatusOK, rep)
	}
}

// readCSV streams the records into tx, filling the report.
func (s *Server) readCSV(r *http.Request, tx *storage.Store, imp csvImporter, acteur int64, rep *CSVRapport, after *[]func(context.Context)) error {
	ctx := r.Context()
	br := bufio.NewReaderSize(r.Body, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	comma := ','
	if bytes.Count(head, []byte{';'}) >= bytes.Count(head, []byte{','}) && bytes.Contains(head, []byte{';'}) {
		comma = ';'
	}
	rep.Separateur = string(comma)
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return &domain.ValidationError{Fields: []domain.FieldError{{Field: "body", Message: "en-tête CSV illisible ou fichier vide"}}}
	}
	var v domain.Validator
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		header[i] = h
		known := false
		for _, c := range imp.columns {
			known = known || c == h
		}
		v.Check(known, "colonne "+h, "colonne inconnue (attendues: %s)", strings.Join(imp.columns, ", "))
		v.Check(!seen[h], "colonne "+h, "colonne en double")
		seen[h] = true
	}
	for _, c := range imp.required {
		v.Check(seen[c], "colonne "+c, "colonne obligatoire absente")
	}
	if err := v.Err(); err != nil {
		return err
	}
	addErr := func(line int, col, msg string) {
		rep.ErreursTotal++
		if len(rep.Erreurs) < maxCSVErrors {
			rep.Erreurs = append(rep.Erreurs, CSVErreur{Ligne: line, Colonne: col, Message: msg})
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rep.Lignes++
			addErr(pe.Line, "", "ligne CSV mal formée: "+pe.Err.Error())
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				continue
			}
			break
		}
		if err != nil {
			return err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		rep.Lignes++
		if len(rec) != len(header) {
			addErr(line, "", fmt.Sprintf("%d champs, %d attendus", len(rec), len(header)))
			continue
		}
		l := &csvLine{vals: make(map[string]string, len(rec))}
		for i, val := range rec {
			l.vals[header[i]] = strings.TrimSpace(val)
		}
		if _, err := tx.Q().ExecContext(ctx, `SAVEPOINT csv_ligne`); err != nil {
			return err
		}
		follow, err := imp.create(ctx, tx, l, acteur)
		var ve *domain.ValidationError
		var ce *domain.ConflictError
		switch {
		case err == nil && len(l.errs) == 0:
			if _, err := tx.Q().ExecContext(ctx, `RELEASE SAVEPOINT csv_ligne`); err != nil {
				return err
			}
			rep.Valides++
			if follow != nil {
				*after = append(*after, follow)
			}
			continue
		case err == nil, errors.As(err, &ve), errors.As(err, &ce):
		default:
			return err
		}
		if _, err := tx.Q().ExecContext(ctx, `ROLLBACK TO SAVEPOINT csv_ligne`); err != nil {
			return err
		}
		for _, fe := range l.errs {
			addErr(line, fe.Field, fe.Message)
		}
		if ve != nil {
			for _, fe := range ve.Fields {
				if !slices.ContainsFunc(l.errs, func(e domain.FieldError) bool { return e.Field == fe.Field }) {
					addErr(line, fe.Field, fe.Message)
				}
			}
		}
		if ce != nil {
			addErr(line, "", ce.Reason)
		}
	}
	rep.Ecrites = rep.Valides
	if rep.DryRun || (rep.Mode == "tout" && rep.ErreursTotal > 0) {
		return errCSVRollback
	}
	return nil
}

// The importers: columns are the JSON fields of the resource's creation.

func (s *Server) clientImporter() csvImporter {
	return csvImporter{ressource: "clients", required: []string{"nom"},
		columns: []string{"nom", "email", "telephone", "adresse", "ville", "contact_nom", "is_active"},
		create: func(ctx context.Context, tx *storage.Store, l *csvLine, acteur int64) (func(context.Context), error) {
			in := domain.ClientInput{Nom: l.text("nom"), Email: l.text("email"), Telephone: l.text("telephone"), Adresse: l.text("adresse"),
				Ville: l.text("ville"), ContactNom: l.text("contact_nom"), IsActive: l.boolean("is_active")}
			in.Normalize()
			if err := in.Validate(true); err != nil || len(l.errs) > 0 {
				return nil, err
			}
			_, err := tx.CreateClient(ctx, in, acteur)
			return nil, err
		}}
}

func (s *Server) siteImporter() csvImporter {
	return csvImporter{ressource: "sites", required: []string{"client_id", "nom", "latitude", "longitude"},
		columns: []string{"client_id", "nom", "adresse", "ville", "latitude", "longitude"},
		create: func(ctx context.Context, tx *storage.Store, l *csvLine, acteur int64) (func(context.Context), error) {
			in := domain.SiteInput{ClientID: l.int64("client_id"), Nom: l.text("nom"), Adresse: l.text("adresse"), Ville: l.text("ville"),
				Latitude: l.float("latitude"), Longitude: l.float("longitude")}
			in.Normalize()
			if err := in.Validate(true); err != nil || len(l.errs) > 0 {
				return nil, err
			}
			_, err := tx.CreateSite(ctx, in, acteur)
			return nil, err
		}}
}

func (s *Server) equipementImporter() csvImporter {
	return csvImporter{ressource: "equipements", required: []string{"nom", "type", "numero_serie"},
		columns: []string{"nom", "type", "modele", "numero_serie", "localisation", "date_installation", "frequence_entretien",
			"derniere_maintenance", "site_id"},
		create: func(ctx context.Context, tx *storage.Store, l *csvLine, acteur int64) (func(context.Context), error) {
			in := domain.EquipementInput{Nom: l.text("nom"), Type: l.text("type"), Modele: l.text("modele"), NumeroSerie: l.text("numero_serie"),
				Localisation: l.text("localisation"), DateInstallation: l.date("date_installation"), FrequenceEntretien: l.int("frequence_entretien"),
				DerniereMaintenance: l.date("derniere_maintenance"), SiteID: l.int64("site_id")}
			if err := in.Validate(true); err != nil || len(l.errs) > 0 {
				return nil, err
			}
			e, err := tx.CreateEquipement(ctx, in, acteur)
			if err != nil {
				return nil, err
			}
			// Its preventive cycle starts once the row is committed.
			return func(ctx context.Context) { s.notifyEquipementChanged(ctx, e) }, nil
		}}
}

// technicienImporter creates technicien profiles for existing accounts (named by e-mail), with
// their skills from the catalogue as "Nom:niveau|Nom:niveau" (the export's form).
func (s *Server) technicienImporter() csvImporter {
	return csvImporter{ressource: "techniciens", required: []string{"email"},
		columns: []string{"email", "specialite", "niveau_experience", "disponibilite", "telephone", "localisation_base",
			"heure_debut", "heure_fin", "base_latitude", "base_longitude", "competences"},
		create: func(ctx context.Context, tx *storage.Store, l *csvLine, acteur int64) (func(context.Context), error) {
			in := domain.TechnicienInput{Specialite: l.text("specialite"), Disponibilite: l.boolean("disponibilite"),
				Telephone: l.text("telephone"), LocalisationBase: l.text("localisation_base"), HeureDebut: l.text("heure_debut"),
				HeureFin: l.text("heure_fin"),
				Tournee:  domain.TechnicienTournee{BaseLatitude: l.float("base_latitude"), BaseLongitude: l.float("base_longitude")}}
			if n := l.text("niveau_experience"); n != nil {
				ne := domain.NiveauExperience(*n)
				in.NiveauExperience = &ne
			}
			bad := func(col, msg string) (func(context.Context), error) {
				return nil, &domain.ValidationError{Fields: []domain.FieldError{{Field: col, Message: msg}}}
			}
			email := l.text("email")
			if email == nil {
				return bad("email", "obligatoire")
			}
			u, err := tx.GetUserByLogin(ctx, *email)
			if errors.Is(err, domain.ErrNotFound) || (err == nil && u.Role != domain.RoleTechnicien) {
				return bad("email", "aucun compte technicien avec cet e-mail")
			} else if err != nil {
				return nil, err
			}
			in.UserID = &u.ID
			type skill struct {
				id     int64
				niveau int
			}
			var skills []skill
			if c := l.text("competences"); c != nil {
				for _, part := range strings.Split(*c, "|") {
					nom, niv, ok := strings.Cut(strings.TrimSpace(part), ":")
					n, err := strconv.Atoi(strings.TrimSpace(niv))
					if !ok || err != nil || n < 1 || n > 5 {
						return bad("competences", "forme Nom:niveau (1 à 5), séparées par |")
					}
					id, err := tx.CompetenceIDByNom(ctx, strings.TrimSpace(nom))
					if errors.Is(err, domain.ErrNotFound) {
						return bad("competences", "compétence inconnue du catalogue: "+strings.TrimSpace(nom))
					} else if err != nil {
						return nil, err
					}
					skills = append(skills, skill{id, n})
				}
			}
			in.Normalize()
			if err := in.Validate(true); err != nil || len(l.errs) > 0 {
				return nil, err
			}
			t, err := tx.CreateTechnicien(ctx, in, acteur)
			if err != nil {
				return nil, err
			}
			for _, k := range skills {
				if _, err := tx.SetTechnicienCompetence(ctx, t.ID, k.id, k.niveau, acteur); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}}
}
