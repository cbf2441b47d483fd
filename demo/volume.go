package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// What counts as demo data. The volume data set marks everything it creates, so that a database
// can be told apart from a real installation before anything is written:
//   - accounts and clients: e-mail addresses under DemoDomain;
//   - equipment: serial numbers starting with SerialPrefix;
//   - interventions: workflow IDs starting with volumeWorkflowPrefix, followed by the seed, the
//     number of interventions and the index, so the IDs also tell which data set is there.
//
// The demo seed's own rows (Seed) are demo data too. Anything else — another account, client or
// piece of equipment — is real data, and GenerateVolume refuses to run unless forced.
const (
	DemoDomain           = "demo.mif.ma"
	SerialPrefix         = "DEMO-"
	volumeWorkflowPrefix = "intervention/demo-"
)

// MinVolume is the smallest data set GenerateVolume makes (every status needs a few rows).
const MinVolume = 100

var (
	// ErrNotDemoDatabase: the database holds rows that are not demo data (and Force is off).
	ErrNotDemoDatabase = errors.New("demo: the database holds data that is not demo data")
	// ErrOtherVolume: the database holds a volume data set made with another seed or size.
	ErrOtherVolume = errors.New("demo: the database already holds another volume data set")
)

// VolumeOptions shape a volume data set.
type VolumeOptions struct {
	// Interventions is the number of interventions (N); the installation is sized from it:
	// N/50 equipment, N/2000 techniciens (at least 4), a client per 25 machines.
	Interventions int
	// Seed makes the data set reproducible: the same seed, size and Now give the same rows.
	Seed int64
	// Force allows writing into a database that holds data other than demo data.
	Force bool
	// Now is the end of the two years of history (default: the current time).
	Now time.Time
	// SLA and PreventiveLeadTime are the platform's settings, so that deadlines, lateness and
	// preventive due dates agree with what the workflows compute (default: the defaults).
	SLA                config.SLA
	PreventiveLeadTime time.Duration
	// Timezone of working hours (default Africa/Casablanca).
	Timezone string
	// PasswordHash is the bcrypt hash of Password for the generated accounts (computed when
	// empty; harnesses pass it to save a bcrypt per database).
	PasswordHash string
}

// VolumeResult tells what GenerateVolume did.
type VolumeResult struct {
	// Generated is false when the database already held this very data set (nothing written).
	Generated     bool
	Seed          int64
	Interventions int
	// Counts of the rows written, by table (empty when nothing was written).
	Rows    map[string]int
	Elapsed time.Duration
}

// GenerateVolume writes a volume data set (after the demo seed, which it loads first): clients
// and contracts, accounts, techniciens with their competences, equipment, and Interventions
// interventions over the two years before Now in every status, with their plannings, historique
// and notifications. Everything is written in one transaction with COPY, ids taken from the
// tables' sequences (so the API keeps creating rows afterwards). The big tables are loaded
// without their secondary indexes, foreign keys and per-row bookkeeping triggers, which are
// rebuilt, checked and done once for all the rows in the same transaction (bulk,
// withoutTrigger, countInterventions): interventions, plannings, historique and notifications
// are locked, reads included, until the commit.
//
// It refuses (ErrNotDemoDatabase) a database holding data that is not demo data unless Force is
// set, and ErrOtherVolume when another volume data set is there. When this very data set (same
// seed and size) is already there, it writes nothing and reports Generated=false.
//
// Finished interventions have no workflow: GET /interventions/{id}/workflow answers them from the
// row and its historique (source "archive"), and every lifecycle call is refused (409) as for any
// finished intervention. The open ones get theirs from AttachWorkflows.
func GenerateVolume(ctx context.Context, st *storage.Store, o VolumeOptions) (VolumeResult, error) {
	began := time.Now()
	res := VolumeResult{Seed: o.Seed, Interventions: o.Interventions}
	if o.Interventions < MinVolume {
		return res, fmt.Errorf("demo: at least %d interventions", MinVolume)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.SLA == (config.SLA{}) {
		o.SLA = config.DefaultSLA()
	}
	if o.PreventiveLeadTime == 0 {
		o.PreventiveLeadTime = config.DefaultWorkflows().PreventiveLeadTime
	}
	if o.Timezone == "" {
		o.Timezone = "Africa/Casablanca"
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		loc = time.FixedZone("+01", 3600)
	}
	// Checked before the demo seed is loaded (a real database must not receive it) and again
	// under the lock below.
	if err := checkDatabase(ctx, st.Q(), o); err != nil {
		if errors.Is(err, errSameVolume) {
			res.Elapsed = time.Since(began)
			return res, nil
		}
		return res, err
	}
	hash := func() (string, error) { return o.PasswordHash, nil }
	if o.PasswordHash == "" {
		var once string
		hash = func() (string, error) {
			if once != "" {
				return once, nil
			}
			h, err := hashPassword()
			once = h
			return h, err
		}
	}
	if err := seed(ctx, st, hash); err != nil {
		return res, err
	}
	pw, err := hash()
	if err != nil {
		return res, err
	}

	db := st.DB()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("demo: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// One generator at a time; the checks are repeated under the lock.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('mif demo volume'))`); err != nil {
		return res, fmt.Errorf("demo: lock: %w", err)
	}
	if err := checkDatabase(ctx, txQueryer{tx}, o); err != nil {
		if errors.Is(err, errSameVolume) {
			res.Elapsed = time.Since(began)
			return res, nil
		}
		return res, err
	}
	refs, err := loadSeedRefs(ctx, tx)
	if err != nil {
		return res, err
	}
	m := &model{
		now: o.Now, start: o.Now.Add(-730 * day), loc: loc, o: o,
		r:         rand.New(rand.NewPCG(uint64(o.Seed), uint64(o.Seed)^0x6d69662d766f6c75)),
		typeRules: refs.typeRules, adminID: refs.adminID,
		emails: map[string]bool{}, noms: map[string]bool{},
	}
	for _, e := range refs.emails {
		m.emails[e] = true
	}
	m.build(refs)
	m.geographie(refs)
	w := &writer{ctx: ctx, tx: tx, rows: map[string]int{}, passwordHash: pw, now: o.Now}
	if err := w.allocate(m); err != nil {
		return res, err
	}
	for _, u := range m.newResp {
		m.responsables = append(m.responsables, u.id)
	}
	m.interventions()
	if err := w.write(m, refs); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("demo: commit: %w", err)
	}
	// The new interventions' dashboard counters went in one row per key (countInterventions):
	// fold them with the delta rows already there (migration 00102) and vacuum away the folded
	// rows now rather than at the first dashboard.
	if _, err := db.ExecContext(ctx, `SELECT intervention_counters_compact()`); err != nil {
		return res, fmt.Errorf("demo: fold the dashboard counters: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM intervention_counters`); err != nil {
		return res, fmt.Errorf("demo: vacuum the dashboard counters: %w", err)
	}
	// Fresh statistics, so that the first queries on the new rows are planned for their volume.
	if _, err := db.ExecContext(ctx, `ANALYZE intervention_counters, clients, sites, site_horaires, users, techniciens, technicien_competences,
		technicien_horaires, contrats, equipements, contrat_equipements, interventions, plannings, historique, notifications`); err != nil {
		return res, fmt.Errorf("demo: analyze: %w", err)
	}
	res.Generated, res.Rows, res.Elapsed = true, w.rows, time.Since(began)
	return res, nil
}

// errSameVolume: the database already holds the data set asked for.
var errSameVolume = errors.New("demo: this volume data set is already there")

type txQueryer struct{ tx *sql.Tx }

func (q txQueryer) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return q.tx.QueryRowContext(ctx, query, args...).Scan(dest)
}

// queryer is the little checkDatabase needs, in or out of the transaction.
type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// checkDatabase decides whether the data set may be written: ErrNotDemoDatabase when real data is
// there (unless forced), errSameVolume when this data set is there, ErrOtherVolume when another.
func checkDatabase(ctx context.Context, q queryer, o VolumeOptions) error {
	if !o.Force {
		var foreign string
		err := q.GetContext(ctx, &foreign, `SELECT coalesce((
			SELECT 'account ' || email FROM users WHERE NOT (email = ANY($1) OR email LIKE '%@' || $4) LIMIT 1), (
			SELECT 'client ' || nom FROM clients WHERE NOT (lower(nom) = ANY($2) OR coalesce(email, '') LIKE '%@' || $4) LIMIT 1), (
			SELECT 'equipment ' || numero_serie FROM equipements WHERE NOT (numero_serie = ANY($3) OR numero_serie LIKE $5 || '%') LIMIT 1),
			'')`, pq.Array(seedEmails()), pq.Array(seedClientNames()), pq.Array(seedSerials()), DemoDomain, SerialPrefix)
		if err != nil {
			return fmt.Errorf("demo: check database: %w", err)
		}
		if foreign != "" {
			return fmt.Errorf("%w (%s); use an empty database, or force", ErrNotDemoDatabase, foreign)
		}
	}
	var existing string
	err := q.GetContext(ctx, &existing, `SELECT coalesce((SELECT workflow_id FROM interventions WHERE workflow_id LIKE $1 || '%' ORDER BY id LIMIT 1), '')`,
		volumeWorkflowPrefix)
	if err != nil {
		return fmt.Errorf("demo: check database: %w", err)
	}
	if existing == "" {
		var accounts bool
		if err := q.GetContext(ctx, &accounts, `SELECT EXISTS (SELECT 1 FROM users WHERE email LIKE '%@' || $1)`, DemoDomain); err != nil {
			return fmt.Errorf("demo: check database: %w", err)
		}
		if accounts {
			return fmt.Errorf("%w (accounts under %s without their interventions)", ErrOtherVolume, DemoDomain)
		}
		return nil
	}
	seed, n, ok := parseVolumeWorkflowID(existing)
	if ok && seed == o.Seed && n == o.Interventions {
		return errSameVolume
	}
	return fmt.Errorf("%w (seed %d, %d interventions); generate into an empty database", ErrOtherVolume, seed, n)
}

// parseVolumeWorkflowID reads the seed and size out of a workflow ID made by volumeWorkflowID.
func parseVolumeWorkflowID(id string) (seed int64, n int, ok bool) {
	parts := strings.Split(strings.TrimPrefix(id, volumeWorkflowPrefix), "-")
	if len(parts) < 3 {
		return 0, 0, false
	}
	// The seed may be negative: it is everything but the last two fields.
	s, err1 := strconv.ParseInt(strings.Join(parts[:len(parts)-2], "-"), 10, 64)
	v, err2 := strconv.Atoi(parts[len(parts)-2])
	return s, v, err1 == nil && err2 == nil
}

func seedEmails() []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.email
	}
	return out
}

func seedClientNames() []string {
	out := make([]string, len(clients))
	for i, c := range clients {
		out[i] = strings.ToLower(c.nom)
	}
	return out
}

func seedSerials() []string {
	out := make([]string, len(equipements))
	for i, e := range equipements {
		out[i] = e.serie
	}
	return out
}

// seedRefs are the demo seed's rows that the volume data set builds on.
type seedRefs struct {
	adminID      int64
	responsables []int64
	clients      []*vClient
	techs        []*vTech
	emails       []string
	competences  map[string]int64 // lower(nom) -> id
	typeRules    map[string][]string
	sites        map[int64][]*vSite // the seed clients' sites, by client id
}

func loadSeedRefs(ctx context.Context, tx *sql.Tx) (seedRefs, error) {
	refs := seedRefs{competences: map[string]int64{}, typeRules: map[string][]string{}, sites: map[int64][]*vSite{}}
	fail := func(what string, err error) (seedRefs, error) {
		return refs, fmt.Errorf("demo: load %s: %w", what, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email, role FROM users ORDER BY id`)
	if err != nil {
		return fail("accounts", err)
	}
	for rows.Next() {
		var id int64
		var email, role string
		if err := rows.Scan(&id, &email, &role); err != nil {
			rows.Close()
			return fail("accounts", err)
		}
		refs.emails = append(refs.emails, email)
		switch {
		case email == "admin@mif.ma":
			refs.adminID = id
		case role == string(domain.RoleResponsable) && email == "responsable@mif.ma":
			refs.responsables = append(refs.responsables, id)
		}
	}
	rows.Close()
	if refs.adminID == 0 || len(refs.responsables) == 0 {
		return fail("accounts", errors.New("the demo seed's admin and responsable are missing"))
	}

	rows, err = tx.QueryContext(ctx, `SELECT c.id, c.nom, coalesce(c.ville, ''), c.date_creation, k.id, k.numero, k.date_debut, k.date_fin,
			coalesce(k.sla_reponse_heures, 24), coalesce(k.sla_resolution_heures, 72), coalesce(u.id, 0)
		FROM clients c JOIN contrats k ON k.client_id = c.id AND k.statut = 'actif'
		LEFT JOIN users u ON u.client_id = c.id AND u.email = ANY($2)
		WHERE lower(c.nom) = ANY($1) ORDER BY c.id, k.id`, pq.Array(seedClientNames()), pq.Array(seedEmails()))
	if err != nil {
		return fail("clients", err)
	}
	seen := map[int64]bool{}
	for rows.Next() {
		c := &vClient{seed: true}
		k := &vContrat{seed: true, client: c, statut: "actif"}
		if err := rows.Scan(&c.id, &c.nom, &c.ville, &c.creation, &k.id, &k.numero, &k.debut, &k.fin, &k.reponse, &k.resolution, &c.userID); err != nil {
			rows.Close()
			return fail("clients", err)
		}
		if seen[c.id] {
			continue
		}
		seen[c.id] = true
		c.contrat = k
		refs.clients = append(refs.clients, c)
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `SELECT t.id, t.user_id, t.specialite, coalesce(string_agg(c.nom, '|' ORDER BY c.nom), '')
		FROM techniciens t JOIN users u ON u.id = t.user_id
		LEFT JOIN technicien_competences tc ON tc.technicien_id = t.id LEFT JOIN competences c ON c.id = tc.competence_id
		WHERE u.email = ANY($1) GROUP BY t.id ORDER BY t.id`, pq.Array(seedEmails()))
	if err != nil {
		return fail("techniciens", err)
	}
	for rows.Next() {
		t := &vTech{}
		var comps string
		if err := rows.Scan(&t.id, &t.userID, &t.specialite, &comps); err != nil {
			rows.Close()
			return fail("techniciens", err)
		}
		if comps != "" {
			t.competences = strings.Split(comps, "|")
		}
		refs.techs = append(refs.techs, t)
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `SELECT lower(type_equipement), competence_nom FROM equipement_type_competences ORDER BY 1, 2`)
	if err != nil {
		return fail("competence rules", err)
	}
	for rows.Next() {
		var typ, comp string
		if err := rows.Scan(&typ, &comp); err != nil {
			rows.Close()
			return fail("competence rules", err)
		}
		refs.typeRules[typ] = append(refs.typeRules[typ], comp)
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `SELECT s.id, s.client_id, s.nom, s.ville FROM sites s JOIN clients c ON c.id = s.client_id
		WHERE lower(c.nom) = ANY($1) ORDER BY s.id`, pq.Array(seedClientNames()))
	if err != nil {
		return fail("sites", err)
	}
	for rows.Next() {
		s := &vSite{seed: true}
		var client int64
		if err := rows.Scan(&s.id, &client, &s.nom, &s.ville); err != nil {
			rows.Close()
			return fail("sites", err)
		}
		refs.sites[client] = append(refs.sites[client], s)
	}
	rows.Close()
	return refs, rows.Err()
}

// writer puts the model into the database, in the transaction, table by table.
type writer struct {
	ctx          context.Context
	tx           *sql.Tx
	rows         map[string]int
	passwordHash string
	now          time.Time
}

// ids takes n values from the sequence of table's id column: rows written with them never
// collide with rows the API creates later.
func (w *writer) ids(table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)`, table, n)
	if err != nil {
		return nil, fmt.Errorf("demo: ids of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("demo: ids of %s: %w", table, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// allocate gives ids to everything built so far (not the interventions, generated afterwards).
func (w *writer) allocate(m *model) error {
	var newClients []*vClient
	for _, c := range m.clients {
		if !c.seed {
			newClients = append(newClients, c)
		}
	}
	ids, err := w.ids("clients", len(newClients))
	if err != nil {
		return err
	}
	for i, c := range newClients {
		c.id = ids[i]
	}
	var newSites []*vSite
	for _, c := range newClients {
		newSites = append(newSites, c.sites...)
	}
	if ids, err = w.ids("sites", len(newSites)); err != nil {
		return err
	}
	for i, s := range newSites {
		s.id = ids[i]
	}
	if ids, err = w.ids("users", len(m.users)); err != nil {
		return err
	}
	for i, u := range m.users {
		u.id = ids[i]
		if u.client != nil {
			u.client.userID = u.id
		}
	}
	var newTechs []*vTech
	for _, t := range m.techs {
		if t.user != nil {
			newTechs = append(newTechs, t)
		}
	}
	if ids, err = w.ids("techniciens", len(newTechs)); err != nil {
		return err
	}
	for i, t := range newTechs {
		t.id, t.userID = ids[i], t.user.id
	}
	var newContrats []*vContrat
	for _, k := range m.contrats {
		if !k.seed {
			newContrats = append(newContrats, k)
		}
	}
	if ids, err = w.ids("contrats", len(newContrats)); err != nil {
		return err
	}
	for i, k := range newContrats {
		k.id = ids[i]
	}
	if ids, err = w.ids("equipements", len(m.equips)); err != nil {
		return err
	}
	for i, e := range m.equips {
		e.id = ids[i]
	}
	return nil
}

// copyIn streams rows into table with COPY.
func (w *writer) copyIn(table string, cols []string, emit func(put func(vals ...any) error) error) error {
	// lib/pq turns a prepared COPY ... FROM STDIN into a COPY stream fed by Exec.
	stmt, err := w.tx.PrepareContext(w.ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("demo: copy %s: %w", table, err)
	}
	n := 0
	put := func(vals ...any) error {
		n++
		for i, v := range vals {
			if t, ok := v.(time.Time); ok {
				vals[i] = t.Truncate(time.Second) // times read as a person would write them
			}
		}
		_, err := stmt.ExecContext(w.ctx, vals...)
		return err
	}
	if err := emit(put); err != nil {
		_ = stmt.Close()
		return fmt.Errorf("demo: copy %s: %w", table, err)
	}
	if _, err := stmt.ExecContext(w.ctx); err != nil {
		_ = stmt.Close()
		return fmt.Errorf("demo: copy %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("demo: copy %s: %w", table, err)
	}
	w.rows[table] += n
	return nil
}

// nullable turns nil pointers into NULL for COPY.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func nonZero[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return string(b)
}

func (w *writer) write(m *model, refs seedRefs) error {
	for _, step := range []func(*model, seedRefs) error{
		w.writeReference, w.writeInterventions, w.writeHistorique, w.writeNotifications,
	} {
		if err := step(m, refs); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) writeReference(m *model, refs seedRefs) error {
	err := w.copyIn("clients", []string{"id", "nom", "email", "telephone", "adresse", "ville", "contact_nom", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, c := range m.clients {
				if c.seed {
					continue
				}
				if err := put(c.id, c.nom, c.email, c.telephone, c.adresse, c.ville, c.contact, c.creation, c.creation); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	if err := w.writeSites(m); err != nil {
		return err
	}
	err = w.copyIn("users", []string{"id", "email", "password_hash", "nom", "prenom", "role", "client_id", "date_creation",
		"derniere_connexion", "password_changed_at", "updated_at"},
		func(put func(...any) error) error {
			for _, u := range m.users {
				var client any
				if u.client != nil {
					client = u.client.id
				}
				if err := put(u.id, u.email, w.passwordHash, u.nom, u.prenom, string(u.role), client, u.creation,
					nullable(u.derniereConnexion), u.creation, u.creation); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = w.copyIn("techniciens", []string{"id", "user_id", "specialite", "niveau_experience", "disponibilite", "telephone",
		"localisation_base", "base_latitude", "base_longitude", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, t := range m.techs {
				if t.user == nil {
					continue
				}
				var lat, lon any
				if t.base != nil {
					lat, lon = t.base.Latitude, t.base.Longitude
				}
				if err := put(t.id, t.userID, t.specialite, t.niveau, t.disponible, t.telephone, t.ville, lat, lon, t.creation, t.creation); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = w.copyIn("technicien_horaires", []string{"technicien_id", "jour", "debut", "fin"},
		func(put func(...any) error) error {
			for _, t := range m.techs {
				for _, c := range t.horaires {
					if err := put(t.id, domain.JourISO(c.Jour), c.Debut, c.Fin); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	// The catalogue gains a few skills; ids of every skill by name.
	for _, c := range competencesVolume {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO competences (nom, categorie) VALUES ($1, $2) ON CONFLICT (lower(nom)) DO NOTHING`,
			c.nom, c.categorie); err != nil {
			return fmt.Errorf("demo: competence: %w", err)
		}
	}
	comp := map[string]int64{}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT id, lower(nom) FROM competences`)
	if err != nil {
		return fmt.Errorf("demo: competences: %w", err)
	}
	for rows.Next() {
		var id int64
		var nom string
		if err := rows.Scan(&id, &nom); err != nil {
			rows.Close()
			return fmt.Errorf("demo: competences: %w", err)
		}
		comp[nom] = id
	}
	rows.Close()
	err = w.copyIn("technicien_competences", []string{"technicien_id", "competence_id", "niveau"},
		func(put func(...any) error) error {
			for _, t := range m.techs {
				if t.user == nil {
					continue
				}
				for i, c := range t.competences {
					if err := put(t.id, comp[strings.ToLower(c)], t.niveaux[i]); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = w.copyIn("contrats", []string{"id", "numero", "client_id", "date_debut", "date_fin", "sla_reponse_heures",
		"sla_resolution_heures", "statut", "description", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, k := range m.contrats {
				if k.seed {
					continue
				}
				if err := put(k.id, k.numero, k.client.id, k.debut, k.fin, k.reponse, k.resolution, k.statut,
					"Contrat de maintenance préventive et corrective", k.debut, k.debut); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = w.copyIn("equipements", []string{"id", "nom", "type", "modele", "numero_serie", "localisation", "date_installation",
		"frequence_entretien", "statut", "derniere_maintenance", "site_id", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, e := range m.equips {
				var site any
				if e.site != nil {
					site = e.site.id
				}
				if err := put(e.id, e.nom, e.typ, e.modele, e.serie, e.loc, e.installation, nonZero(e.frequence), string(e.statut),
					nullable(e.derniere), site, e.creation, e.updated); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	return w.copyIn("contrat_equipements", []string{"contrat_id", "equipement_id"},
		func(put func(...any) error) error {
			for _, e := range m.equips {
				if !e.couvert {
					continue
				}
				if err := put(e.client.contrat.id, e.id); err != nil {
					return err
				}
				if a := e.client.ancien; a != nil && e.installation.Before(a.fin) {
					if err := put(a.id, e.id); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

func (w *writer) writeInterventions(m *model, _ seedRefs) error {
	ids, err := w.ids("interventions", len(m.inters))
	if err != nil {
		return err
	}
	for i, in := range m.inters {
		in.id = ids[i]
	}
	err = w.withoutTrigger("interventions", "intervention_counters_insert_delete", func() error {
		if err := w.bulk("interventions", func() error { return w.copyInterventions(m) }); err != nil {
			return err
		}
		return w.countInterventions(ids)
	})
	if err != nil {
		return err
	}
	return w.bulk("plannings", func() error { return w.copyPlannings(m) })
}

// bulk runs load, which writes many rows into table, with the table's foreign keys and its
// non-unique indexes set aside, then adds them back as they were: building an index once from
// the rows, and checking a foreign key with one join, cost a fraction of keeping them up to date
// row after row (for N = 100 000, a million rows into eleven indexes and seven foreign keys).
// The DDL is part of the transaction: a failure rolls the indexes and constraints back with the
// rows, and every row is checked against the constraints before the commit all the same. The
// unique indexes stay (they may back a constraint or an ON CONFLICT). Other sessions wait on
// table until the commit, readers too.
func (w *writer) bulk(table string, load func() error) error {
	var drop, add, index []string
	rows, err := w.tx.QueryContext(w.ctx, `SELECT 'ALTER TABLE ' || conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(conname),
			'ALTER TABLE ' || conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(conname) || ' ' || pg_get_constraintdef(oid), false
		FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'
		UNION ALL
		SELECT 'DROP INDEX ' || indexrelid::regclass, pg_get_indexdef(indexrelid), true
		FROM pg_index i WHERE indrelid = $1::regclass AND NOT indisunique
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, table)
	if err != nil {
		return fmt.Errorf("demo: indexes of %s: %w", table, err)
	}
	for rows.Next() {
		var d, a string
		var isIndex bool
		if err := rows.Scan(&d, &a, &isIndex); err != nil {
			rows.Close()
			return fmt.Errorf("demo: indexes of %s: %w", table, err)
		}
		drop = append(drop, d)
		if isIndex {
			index = append(index, a)
		} else {
			add = append(add, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("demo: indexes of %s: %w", table, err)
	}
	for _, q := range drop {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return fmt.Errorf("demo: %s: %w", q, err)
		}
	}
	if err := load(); err != nil {
		return err
	}
	for _, q := range slices.Concat(index, add) {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return fmt.Errorf("demo: %s: %w", q, err)
		}
	}
	return nil
}

// withoutTrigger runs load with a row trigger of table disabled, and enables it again. ALTER
// TABLE is transactional: a failure rolls the trigger back on with the rows; and it locks table
// against every other writer until the commit, so that no row written elsewhere meanwhile misses
// the trigger.
func (w *writer) withoutTrigger(table, trigger string, load func() error) error {
	if _, err := w.tx.ExecContext(w.ctx, `ALTER TABLE `+table+` DISABLE TRIGGER `+trigger); err != nil {
		return fmt.Errorf("demo: disable %s: %w", trigger, err)
	}
	if err := load(); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, `ALTER TABLE `+table+` ENABLE TRIGGER `+trigger); err != nil {
		return fmt.Errorf("demo: enable %s: %w", trigger, err)
	}
	return nil
}

// countInterventions adds the new interventions to the dashboard counters (migration 00102) in
// one statement. The row trigger would add three delta rows per intervention — 300 000
// single-row inserts for N = 100 000, most of the load's time, then folded by
// intervention_counters_compact; this adds their folded sums directly, with the aggregate the
// migration filled the counters with (the same figures as intervention_counters_add), so the
// counters end as the trigger and a compaction would leave them.
func (w *writer) countInterventions(ids []int64) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO intervention_counters (portee, cle, statut, priorite, n, resolues, resolution_s, a_temps, notes, notes_somme)
		SELECT p.portee, p.cle, i.statut, i.priorite, count(*),
			count(*) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL),
			COALESCE(sum(extract(epoch FROM i.date_fin - i.date_creation)) FILTER (WHERE i.statut = 'terminee' AND i.date_fin IS NOT NULL), 0),
			count(*) FILTER (WHERE i.statut = 'terminee' AND NOT i.en_retard AND COALESCE(i.date_limite IS NULL OR i.date_fin <= i.date_limite, FALSE)),
			count(i.satisfaction_client), COALESCE(sum(i.satisfaction_client), 0)
		FROM interventions i JOIN unnest($1::bigint[]) AS new (id) ON new.id = i.id
		CROSS JOIN LATERAL (VALUES ('a', 0::bigint), ('e', i.equipement_id), ('t', i.technicien_id)) p (portee, cle)
		WHERE p.cle IS NOT NULL
		GROUP BY p.portee, p.cle, i.statut, i.priorite`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("demo: dashboard counters: %w", err)
	}
	return nil
}

func (w *writer) copyInterventions(m *model) error {
	return w.copyIn("interventions", []string{"id", "workflow_id", "titre", "description", "type_intervention", "statut", "priorite",
		"urgence", "date_creation", "date_limite", "date_debut", "date_fin", "equipement_id", "technicien_id", "createur_id",
		"rapport", "temps_passe", "satisfaction_client", "en_retard", "motif_annulation", "updated_at"},
		func(put func(...any) error) error {
			for _, in := range m.inters {
				var tech, fin, rapport, temps any
				if in.tech != nil {
					tech = in.tech.id
				}
				if in.statut == domain.StatutTerminee {
					fin, rapport, temps = *in.end, in.rapport, in.temps
				}
				if err := put(in.id, in.workflowID, in.titre, in.descr, string(in.typ), string(in.statut), string(in.prio),
					in.urgence, in.creation, nullable(in.limite), nullable(in.start), fin, in.eq.id, tech, nullable(in.createur),
					rapport, temps, nonZero(in.note), in.retard, nonZero(in.motif), in.updated); err != nil {
					return err
				}
			}
			return nil
		})
}

func (w *writer) copyPlannings(m *model) error {
	return w.copyIn("plannings", []string{"intervention_id", "technicien_id", "date_planifiee", "duree_estimee", "statut",
		"notes", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, in := range m.inters {
				if in.assign == nil || in.tech == nil {
					continue
				}
				st := map[domain.StatutIntervention]domain.StatutPlanning{
					domain.StatutPlanifiee: domain.PlanningPlanifiee, domain.StatutEnCours: domain.PlanningEnCours,
					domain.StatutEnAttente: domain.PlanningEnCours, domain.StatutTerminee: domain.PlanningTerminee,
					domain.StatutAnnulee: domain.PlanningAnnulee,
				}[in.statut]
				notes := ""
				if in.typ == domain.TypePreventive {
					notes = "cycle préventif"
				}
				if err := put(in.id, in.tech.id, *in.planned, in.duree, string(st), notes, *in.assign, in.updated); err != nil {
					return err
				}
			}
			return nil
		})
}

// event is one historique row.
type event struct {
	entite  string
	id      int64
	action  string
	acteur  *int64
	changes map[string]any
	at      time.Time
}

// events are the historique rows of one intervention (and of its equipment), as the workflow's
// activities write them.
func (m *model) events(in *vInter) []event {
	var out []event
	add := func(action string, acteur *int64, at time.Time, changes map[string]any) {
		out = append(out, event{"intervention", in.id, action, acteur, changes, at})
	}
	move := func(from, to domain.StatutIntervention) map[string]any {
		return map[string]any{"statut": map[string]any{"ancien": from, "nouveau": to}}
	}
	var techUser *int64
	if in.tech != nil {
		techUser = ptr(in.tech.userID)
	}
	add("creation", in.createur, in.creation, map[string]any{"titre": in.titre, "type_intervention": in.typ, "priorite": in.prio,
		"urgence": in.urgence, "equipement_id": in.eq.id, "statut": domain.StatutOuverte})
	if in.assign != nil && in.tech != nil {
		c := move(domain.StatutOuverte, domain.StatutPlanifiee)
		c["technicien_id"], c["date_planifiee"], c["duree_estimee"] = in.tech.id, *in.planned, in.duree
		add("assignation", in.assigneur, *in.assign, c)
	}
	if in.start != nil {
		add("demarrage", techUser, *in.start, move(domain.StatutPlanifiee, domain.StatutEnCours))
		out = append(out, event{"equipement", in.eq.id, "maintenance_en_cours", techUser,
			map[string]any{"statut": domain.EquipementEnMaintenance, "ancien_statut": domain.EquipementOperationnel, "intervention_id": in.id}, *in.start})
	}
	if in.pause != nil {
		c := move(domain.StatutEnCours, domain.StatutEnAttente)
		c["motif"] = in.motifPause
		add("pause", techUser, *in.pause, c)
	}
	if in.resume != nil {
		add("reprise", techUser, *in.resume, move(domain.StatutEnAttente, domain.StatutEnCours))
	}
	if in.retard {
		out = append(out, event{"intervention", in.id, "retard", nil, map[string]any{"en_retard": true, "echeance": in.deadline}, in.deadline})
	}
	switch in.statut {
	case domain.StatutTerminee:
		c := move(domain.StatutEnCours, domain.StatutTerminee)
		c["temps_passe"] = in.temps
		add("cloture", techUser, *in.end, c)
		ec := map[string]any{"statut": domain.EquipementOperationnel, "intervention_id": in.id}
		if in.typ != domain.TypePredictive {
			ec["derniere_maintenance"] = *in.end
		}
		out = append(out, event{"equipement", in.eq.id, "maintenance_terminee", techUser, ec, *in.end})
		if in.note > 0 {
			add("evaluation", nonZeroPtr(in.eq.client.userID), in.noteAt, map[string]any{"satisfaction_client": in.note})
		}
	case domain.StatutAnnulee:
		c := move(in.annuleDe, domain.StatutAnnulee)
		c["motif"] = in.motif
		add("annulation", in.annuleur, *in.end, c)
		if in.annuleDe == domain.StatutEnCours {
			out = append(out, event{"equipement", in.eq.id, "maintenance_annulee", in.annuleur,
				map[string]any{"statut": domain.EquipementOperationnel, "intervention_id": in.id}, *in.end})
		}
	}
	return out
}

func nonZeroPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (w *writer) writeHistorique(m *model, _ seedRefs) error {
	// The webhooks' trigger (migration 00141) queues an event per historique row for the active
	// subscriptions that want it: a query per row, which writes nothing when no subscription is
	// active. The subscriptions are locked until the commit (none can be activated meanwhile) and,
	// when none is active, the trigger is off for the COPY.
	if _, err := w.tx.ExecContext(w.ctx, `LOCK TABLE webhook_abonnements IN SHARE MODE`); err != nil {
		return fmt.Errorf("demo: lock the webhook subscriptions: %w", err)
	}
	var subscribed bool
	if err := w.tx.QueryRowContext(w.ctx, `SELECT EXISTS (SELECT 1 FROM webhook_abonnements WHERE statut = 'actif')`).Scan(&subscribed); err != nil {
		return fmt.Errorf("demo: webhook subscriptions: %w", err)
	}
	load := func() error { return w.bulk("historique", func() error { return w.copyHistorique(m) }) }
	if subscribed {
		return load()
	}
	return w.withoutTrigger("historique", "historique_webhooks", load)
}

func (w *writer) copyHistorique(m *model) error {
	return w.copyIn("historique", []string{"entite", "entite_id", "action", "acteur_id", "changements", "date_action"},
		func(put func(...any) error) error {
			for _, in := range m.inters {
				for _, e := range m.events(in) {
					if err := put(e.entite, e.id, e.action, nullable(e.acteur), jsonText(e.changes), e.at); err != nil {
						return err
					}
				}
			}
			return nil
		})
}

// notificationHorizon: the inboxes hold the notifications of the last weeks only (older ones
// would be read and forgotten; two years of them would dwarf every other table).
const notificationHorizon = 60 * day

// writeNotifications writes the in-app notifications that the workflows send on each
// transition (stakeholders: creator and technicien; responsables too on completion and lateness)
// for the recent interventions. They are marked as never e-mailed (email_statut 'ignore') so the
// digest does not mail them.
func (w *writer) writeNotifications(m *model, _ seedRefs) error {
	var responsables []int64
	responsables = append(responsables, m.responsables...)
	since := m.now.Add(-notificationHorizon)
	return w.bulk("notifications", func() error { return w.copyNotifications(m, responsables, since) })
}

func (w *writer) copyNotifications(m *model, responsables []int64, since time.Time) error {
	return w.copyIn("notifications", []string{"titre", "message", "type", "destinataire_id", "lue", "date_creation",
		"date_lecture", "metadata", "email_statut"},
		func(put func(...any) error) error {
			for _, in := range m.inters {
				if in.updated.Before(since) {
					continue
				}
				stake := []int64{}
				if in.createur != nil {
					stake = append(stake, *in.createur)
				}
				if in.tech != nil && in.tech.userID != 0 {
					stake = append(stake, in.tech.userID)
				}
				everyone := recipients(stake, responsables)
				stake = recipients(stake, nil)
				send := func(at time.Time, titre, msg, typ, evt string, statut domain.StatutIntervention, to []int64) error {
					if at.Before(since) {
						return nil
					}
					meta := jsonText(map[string]any{"event": evt, "statut": statut, "intervention_id": in.id})
					for _, u := range to {
						lue := m.now.Sub(at) > 3*day || m.chance(0.3)
						var lecture any
						if lue {
							l := at.Add(m.between(10*time.Minute, 2*day))
							if l.After(m.now) {
								l = m.now
							}
							lecture = l
						}
						if err := put(titre, msg, typ, u, lue, at, lecture, meta, "ignore"); err != nil {
							return err
						}
					}
					return nil
				}
				var err error
				if in.assign != nil && in.tech != nil {
					err = send(*in.assign, "Intervention planifiée", fmt.Sprintf("L'intervention « %s » est planifiée le %s (%d min).",
						in.titre, in.planned.UTC().Format("2006-01-02 15:04 UTC"), in.duree), "info", "intervention.assignation", domain.StatutPlanifiee, stake)
				}
				if err == nil && in.start != nil {
					err = send(*in.start, "Intervention en_cours", fmt.Sprintf("L'intervention « %s » est passée de planifiee à en_cours.", in.titre),
						"info", "intervention.demarrage", domain.StatutEnCours, stake)
				}
				if err == nil && in.retard {
					err = send(in.deadline, "Intervention en retard", fmt.Sprintf("L'intervention « %s » a dépassé son échéance (%s).",
						in.titre, in.deadline.UTC().Format("2006-01-02 15:04 UTC")), "error", "intervention.en_retard", in.statut, everyone)
				}
				if err == nil && in.statut == domain.StatutTerminee {
					err = send(*in.end, "Intervention terminee", fmt.Sprintf("L'intervention « %s » est passée de en_cours à terminee.", in.titre),
						"success", "intervention.cloture", domain.StatutTerminee, everyone)
				}
				if err == nil && in.statut == domain.StatutAnnulee {
					err = send(*in.end, "Intervention annulee", fmt.Sprintf("L'intervention « %s » est passée de %s à annulee.", in.titre, in.annuleDe),
						"warning", "intervention.annulation", domain.StatutAnnulee, stake)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
}

// recipients is a and b without duplicates, in order (as Notify sends once per user).
func recipients(a, b []int64) []int64 {
	out := make([]int64, 0, len(a)+len(b))
	for _, id := range slices.Concat(a, b) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func hashPassword() (string, error) { return authn.HashPassword(Password) }

// writeSites writes the generated clients' sites and their opening hours.
func (w *writer) writeSites(m *model) error {
	err := w.copyIn("sites", []string{"id", "client_id", "nom", "adresse", "ville", "latitude", "longitude", "date_creation", "updated_at"},
		func(put func(...any) error) error {
			for _, c := range m.clients {
				for _, s := range c.sites {
					if s.seed {
						continue
					}
					if err := put(s.id, c.id, s.nom, s.adresse, s.ville, s.at.Latitude, s.at.Longitude, c.creation, c.creation); err != nil {
						return err
					}
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	return w.copyIn("site_horaires", []string{"site_id", "jour", "debut", "fin"},
		func(put func(...any) error) error {
			for _, c := range m.clients {
				for _, s := range c.sites {
					if s.seed {
						continue
					}
					for _, h := range s.horaires {
						if err := put(s.id, domain.JourISO(h.Jour), h.Debut, h.Fin); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
}
