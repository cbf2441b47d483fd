package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// The in-memory model of a volume data set. It is built first (deterministically from the seed),
// then ids are taken from the tables' sequences, then everything is written with COPY.

const day = 24 * time.Hour

type vClient struct {
	id                                             int64
	seed                                           bool // one of the demo seed's clients (exists already)
	nom, ville, email, telephone, adresse, contact string
	creation                                       time.Time
	contrat                                        *vContrat // the one in force
	ancien                                         *vContrat // an expired earlier contract, or nil
	userID                                         int64     // its client account
	account                                        *vUser
	sites                                          []*vSite
}

type vContrat struct {
	id                  int64
	numero              string
	client              *vClient
	debut, fin          time.Time
	reponse, resolution int
	statut              string
	seed                bool
}

type vUser struct {
	id                 int64
	email, nom, prenom string
	role               domain.Role
	client             *vClient
	creation           time.Time
	derniereConnexion  *time.Time
}

type vTech struct {
	id, userID  int64
	user        *vUser // nil for the seed's techniciens
	specialite  string
	niveau      string
	ville       string
	telephone   string
	disponible  bool
	competences []string // names
	niveaux     []int
	creation    time.Time
	base        *domain.Point    // nil for the seed's techniciens (the seed gave them theirs)
	horaires    []domain.Creneau // nil: Monday to Friday from heure_debut to heure_fin
}

type vEquip struct {
	id                           int64
	nom, typ, modele, serie, loc string
	specialite                   string
	installation                 time.Time
	frequence                    int // days, 0 = no preventive cycle
	statut                       domain.StatutEquipement
	retireAt                     time.Time // for retired equipment: nothing after this
	client                       *vClient
	couvert                      bool // under its client's contract
	derniere                     *time.Time
	updated                      time.Time
	creation                     time.Time
	index                        int
	site                         *vSite
}

type vInter struct {
	id         int64
	workflowID string
	titre      string
	descr      string
	typ        domain.TypeIntervention
	statut     domain.StatutIntervention
	prio       domain.Priorite
	urgence    bool
	eq         *vEquip
	tech       *vTech
	createur   *int64
	assigneur  *int64 // who assigned (nil: the system)
	annuleur   *int64

	creation   time.Time
	limite     *time.Time // date_limite as given
	deadline   time.Time  // SLA deadline as the workflow computes it
	assign     *time.Time
	planned    *time.Time
	duree      int
	start      *time.Time
	pause      *time.Time
	resume     *time.Time
	end        *time.Time // date_fin (terminee) or the cancellation
	annuleDe   domain.StatutIntervention
	retard     bool
	rapport    string
	temps      int
	motif      string
	motifPause string
	note       int
	noteAt     time.Time
	updated    time.Time
}

// model is a whole generated installation.
type model struct {
	now, start time.Time
	loc        *time.Location
	r          *rand.Rand
	o          VolumeOptions

	adminID      int64
	responsables []int64  // user ids allowed to create and assign (seed and generated)
	newResp      []*vUser // the generated responsables (their ids join responsables once known)
	clients      []*vClient
	contrats     []*vContrat
	users        []*vUser
	techs        []*vTech
	equips       []*vEquip
	inters       []*vInter

	typeRules map[string][]string // equipment type -> competences it calls for
	eligible  map[string][]*vTech
	emails    map[string]bool
	noms      map[string]bool
}

func (m *model) between(a, b time.Duration) time.Duration {
	if b <= a {
		return a
	}
	return a + time.Duration(m.r.Int64N(int64(b-a)))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (m *model) chance(p float64) bool { return m.r.Float64() < p }

func ptr[T any](v T) *T { return &v }

// workTime moves t into working hours (Monday–Friday, 08:00–17:00 local), keeping its day when
// it can, so that plans and starts look like a real site's.
func (m *model) workTime(t time.Time) time.Time {
	lt := t.In(m.loc)
	for lt.Weekday() == time.Saturday || lt.Weekday() == time.Sunday {
		lt = lt.AddDate(0, 0, 1)
	}
	h := lt.Hour()
	if h < 8 || h >= 17 {
		lt = time.Date(lt.Year(), lt.Month(), lt.Day(), 8+m.r.IntN(8), 15*m.r.IntN(4), 0, 0, m.loc)
	}
	return lt.UTC()
}

// pastWorkTime is workTime for work already done: it moves back a day at a time until the work
// (a few hours) ends before now.
func (m *model) pastWorkTime(t time.Time) time.Time {
	w := m.workTime(t)
	for i := 0; i < 10 && w.Add(6*time.Hour).After(m.now); i++ {
		t = t.Add(-day)
		w = m.workTime(t)
	}
	return w
}

// creationTime draws a moment in [from, to), fewer of them at week-ends and at night.
func (m *model) creationTime(from, to time.Time) time.Time {
	for range 4 {
		t := from.Add(m.between(0, to.Sub(from)))
		lt := t.In(m.loc)
		weekend := lt.Weekday() == time.Saturday || lt.Weekday() == time.Sunday
		night := lt.Hour() < 7 || lt.Hour() >= 20
		if (!weekend || m.chance(0.25)) && (!night || m.chance(0.2)) {
			return t.Truncate(time.Second)
		}
	}
	return from.Add(m.between(0, to.Sub(from))).Truncate(time.Second)
}

func (m *model) personne() (prenom, nom string) { return pick(m.r, prenoms), pick(m.r, noms) }

func slug(s string) string {
	repl := strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ç", "c", "î", "i", "ï", "i",
		"ô", "o", "û", "u", "ù", "u", "'", "", "’", "")
	s = repl.Replace(strings.ToLower(s))
	var b strings.Builder
	dash := false
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// email returns a unique address under the demo domain: the parts, reduced to ASCII, joined by
// dots.
func (m *model) email(parts ...string) string {
	for i, p := range parts {
		parts[i] = slug(p)
	}
	base := strings.Join(parts, ".")
	e := base + "@" + DemoDomain
	for n := 2; m.emails[e]; n++ {
		e = fmt.Sprintf("%s%d@%s", base, n, DemoDomain)
	}
	m.emails[e] = true
	return e
}

func (m *model) telephone(mobile bool) string {
	if mobile {
		return fmt.Sprintf("+212 6 %02d %02d %02d %02d", m.r.IntN(100), m.r.IntN(100), m.r.IntN(100), m.r.IntN(100))
	}
	return fmt.Sprintf("+212 5 22 %02d %02d %02d", m.r.IntN(100), m.r.IntN(100), m.r.IntN(100))
}

func (m *model) newUser(role domain.Role, client *vClient) *vUser {
	prenom, nom := m.personne()
	u := &vUser{email: m.email(prenom, nom), nom: nom, prenom: prenom, role: role, client: client,
		creation: m.start.Add(-m.between(0, 200*day)).Truncate(time.Second)}
	if m.chance(0.8) {
		u.derniereConnexion = ptr(m.now.Add(-m.between(time.Hour, 20*day)).Truncate(time.Second))
	}
	m.users = append(m.users, u)
	return u
}

// sizes derives the shape of the installation from the number of interventions.
type sizes struct {
	equipements, clients, techniciens, responsables, ouvertes int
}

func sizesFor(n int) sizes {
	s := sizes{equipements: max(5, n/50)}
	s.clients = max(1, (s.equipements+24)/25-len(clients))
	s.techniciens = max(4, n/2000)
	s.responsables = max(1, n/25000)
	// Work in progress: about 0.5 % of two years of work, at least three per open status.
	s.ouvertes = max(12, n/200)
	return s
}

// build creates clients, contracts, accounts, techniciens and equipment.
func (m *model) build(seedRefs seedRefs) {
	sz := sizesFor(m.o.Interventions)
	for _, c := range seedRefs.clients {
		m.clients = append(m.clients, c)
		m.contrats = append(m.contrats, c.contrat)
		m.noms[strings.ToLower(c.nom)] = true
	}
	for range sz.clients {
		c := &vClient{ville: pick(m.r, villes)}
		nom := pick(m.r, secteurs) + " " + pick(m.r, enseignes)
		if m.noms[strings.ToLower(nom)] {
			nom += " " + c.ville
		}
		for n := 2; m.noms[strings.ToLower(nom)]; n++ {
			nom = fmt.Sprintf("%s %s %d", pick(m.r, secteurs), pick(m.r, enseignes), n)
		}
		m.noms[strings.ToLower(nom)] = true
		if f := pick(m.r, formesJuridiques); f != "" {
			c.nom = nom + " " + f
		} else {
			c.nom = nom
		}
		c.email = m.email("maintenance", nom)
		c.telephone = m.telephone(false)
		c.adresse = fmt.Sprintf("Lot %d, %s, %s", 1+m.r.IntN(180), pick(m.r, zonesIndustrielles), c.ville)
		p, n := m.personne()
		c.contact = p + " " + n
		c.creation = m.start.Add(-m.between(30*day, 400*day)).Truncate(time.Second)
		k := &vContrat{client: c, statut: "actif",
			debut:      dateOnly(c.creation),
			fin:        dateOnly(m.now.Add(m.between(120*day, 700*day))),
			reponse:    pick(m.r, []int{4, 8, 24}),
			resolution: pick(m.r, []int{24, 48, 72, 120}),
		}
		k.numero = fmt.Sprintf("CT-%d-V%04d", k.debut.Year(), len(m.contrats)+1)
		c.contrat = k
		m.contrats = append(m.contrats, k)
		if m.chance(0.15) {
			old := &vContrat{client: c, statut: "expire", debut: k.debut.AddDate(-2, 0, 0), fin: k.debut.AddDate(0, 0, -1),
				reponse: 24, resolution: 120}
			old.numero = fmt.Sprintf("CT-%d-V%04d", old.debut.Year(), len(m.contrats)+1)
			c.ancien = old
			m.contrats = append(m.contrats, old)
		}
		m.clients = append(m.clients, c)
		c.account = m.newUser(domain.RoleClient, c)
	}

	m.responsables = append(m.responsables, seedRefs.responsables...)
	for range sz.responsables {
		m.newResp = append(m.newResp, m.newUser(domain.RoleResponsable, nil))
	}

	m.techs = append(m.techs, seedRefs.techs...)
	allComp := append(seedCompetenceNames(), competenceNames(competencesVolume)...)
	for range sz.techniciens {
		u := m.newUser(domain.RoleTechnicien, nil)
		te := pick(m.r, typesEquipement)
		t := &vTech{user: u, specialite: te.specialite, niveau: pick(m.r, niveaux), ville: pick(m.r, villes),
			telephone: m.telephone(true), disponible: m.chance(0.95), creation: u.creation}
		t.competences = []string{te.specialite}
		for len(t.competences) < 2+m.r.IntN(3) {
			if c := pick(m.r, allComp); !slices.Contains(t.competences, c) {
				t.competences = append(t.competences, c)
			}
		}
		for range t.competences {
			t.niveaux = append(t.niveaux, 1+m.r.IntN(5))
		}
		m.techs = append(m.techs, t)
	}
	m.eligible = map[string][]*vTech{}
	for _, te := range typesEquipement {
		var ok []*vTech
		for _, t := range m.techs {
			for _, c := range m.typeRules[strings.ToLower(te.typ)] {
				if slices.ContainsFunc(t.competences, func(x string) bool { return strings.EqualFold(x, c) }) {
					ok = append(ok, t)
					break
				}
			}
		}
		if len(ok) == 0 {
			ok = m.techs
		}
		m.eligible[te.typ] = ok
	}

	perType := map[string]int{}
	for i := range sz.equipements {
		te := pick(m.r, typesEquipement)
		perType[te.code]++
		e := &vEquip{typ: te.typ, specialite: te.specialite, modele: pick(m.r, te.modeles), loc: pick(m.r, localisations),
			statut: domain.EquipementOperationnel, index: i}
		e.nom = fmt.Sprintf("%s %s-%03d", pick(m.r, te.noms), te.code, perType[te.code])
		if m.chance(0.85) {
			e.installation = m.start.Add(-m.between(30*day, 6*365*day))
		} else {
			e.installation = m.start.Add(m.between(0, 600*day))
		}
		e.installation = e.installation.Truncate(time.Hour)
		e.creation = e.installation.Add(-m.between(day, 20*day))
		e.serie = fmt.Sprintf("%s%s-%d-%05d", SerialPrefix, te.code, e.installation.Year(), i+1)
		// Seed clients get their share of the machines, so that their accounts see work too.
		e.client = m.clients[m.r.IntN(len(m.clients))]
		e.couvert = m.chance(0.92)
		switch {
		case m.chance(0.01):
			e.statut = domain.EquipementRetire
			e.retireAt = m.now.Add(-m.between(30*day, 300*day))
			if e.retireAt.Before(e.installation.Add(90 * day)) {
				e.statut = domain.EquipementOperationnel
			}
		case m.chance(0.01):
			e.statut = domain.EquipementHorsService
		}
		if e.statut == domain.EquipementOperationnel && m.chance(0.6) {
			e.frequence = pick(m.r, frequences)
		}
		e.updated = e.creation
		m.equips = append(m.equips, e)
	}
}

func dateOnly(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

func competenceNames(cs []struct{ nom, categorie string }) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.nom
	}
	return out
}

func seedCompetenceNames() []string { return competenceNames(competences) }

// window is the time a client gives for work of this priority when it sets a date_limite.
func (m *model) window(p domain.Priorite) time.Duration {
	switch p {
	case domain.PrioriteCritique:
		return m.between(4*time.Hour, 8*time.Hour)
	case domain.PrioriteHaute:
		return m.between(day, 2*day)
	case domain.PrioriteNormale:
		return m.between(3*day, 5*day)
	}
	return m.between(7*day, 14*day)
}

// deadline is the SLA deadline as the workflow computes it: date_limite, else the contract in
// force on the equipment at creation, else the default of the priority.
func (m *model) deadline(in *vInter) time.Time {
	if in.limite != nil {
		return *in.limite
	}
	if in.eq.couvert {
		k := in.eq.client.contrat
		if !in.creation.Before(k.debut) && !dateOnly(in.creation).After(k.fin) {
			return in.creation.Add(time.Duration(k.resolution) * time.Hour)
		}
	}
	switch in.prio {
	case domain.PrioriteCritique:
		return in.creation.Add(m.o.SLA.Critique)
	case domain.PrioriteHaute:
		return in.creation.Add(m.o.SLA.Haute)
	case domain.PrioriteNormale:
		return in.creation.Add(m.o.SLA.Normale)
	}
	return in.creation.Add(m.o.SLA.Basse)
}

func (m *model) priorite() (domain.Priorite, bool) {
	x := m.r.Float64()
	var p domain.Priorite
	switch {
	case x < 0.15:
		p = domain.PrioriteBasse
	case x < 0.65:
		p = domain.PrioriteNormale
	case x < 0.90:
		p = domain.PrioriteHaute
	default:
		p = domain.PrioriteCritique
	}
	urg := (p == domain.PrioriteHaute && m.chance(0.15)) || (p == domain.PrioriteCritique && m.chance(0.5))
	return p, urg
}

func (m *model) responsable() *int64 { return ptr(pick(m.r, m.responsables)) }

func (m *model) technicien(e *vEquip) *vTech { return pick(m.r, m.eligible[e.typ]) }

// corrective fills the wording of corrective or predictive work.
func (m *model) wording(in *vInter) {
	if in.typ == domain.TypePredictive {
		w := pick(m.r, predictifs)
		in.titre, in.descr = w.titre+" — "+in.eq.nom, w.description
		in.rapport = pick(m.r, rapportsPredictifs)
		return
	}
	w := pick(m.r, pannes)
	in.titre, in.descr = w.titre+" — "+in.eq.nom, w.description
	in.rapport = pick(m.r, rapportsCorrectifs)
}

// preventiveHistory plans the past occurrences of every preventive cycle. The last one is recent
// enough that the next due date lies beyond the lead time: the cycles that the worker starts on
// this data sleep until then instead of opening a burst of interventions at once.
func (m *model) preventiveHistory(budget int) []*vInter {
	lead := m.o.PreventiveLeadTime
	type occ struct {
		eq   *vEquip
		work time.Time
		k    int
	}
	var all []occ
	for _, e := range m.equips {
		if e.frequence == 0 {
			continue
		}
		f := time.Duration(e.frequence) * day
		last := m.now.Add(-day)
		if span := f - lead - 5*day; span > day {
			last = m.now.Add(-m.between(day, span))
		}
		first := m.start
		if e.installation.Add(f).After(first) {
			first = e.installation.Add(f)
		}
		for k := 0; ; k++ {
			w := last.Add(-time.Duration(k) * f)
			if k > 0 {
				w = w.Add(m.between(-2*day, 2*day))
			}
			if w.Add(-lead).Before(first) {
				break
			}
			all = append(all, occ{e, w, k})
		}
	}
	if len(all) > budget {
		// Keep the most recent occurrences: the cycles then simply start later in the history.
		slices.SortStableFunc(all, func(a, b occ) int { return b.work.Compare(a.work) })
		all = all[:budget]
	}
	out := make([]*vInter, 0, len(all))
	for _, o := range all {
		e := o.eq
		in := &vInter{typ: domain.TypePreventive, eq: e, prio: domain.PrioriteNormale, statut: domain.StatutTerminee}
		if m.chance(0.3) {
			in.prio = domain.PrioriteBasse
		}
		in.titre = fmt.Sprintf("Maintenance préventive %d jours — %s", e.frequence, e.nom)
		in.descr = "Gamme de maintenance préventive : graissage, contrôle des serrages, des sécurités et des pièces d'usure."
		in.rapport = pick(m.r, rapportsPreventifs)
		plan := m.pastWorkTime(o.work)
		due := dateOnly(plan.Add(m.between(day, 3*day)))
		if m.chance(0.05) && o.k > 0 { // done late: planned after its due date
			plan = m.pastWorkTime(due.Add(m.between(day, 3*day)))
		}
		in.limite = ptr(due)
		in.creation = due.Add(-lead).Add(m.between(0, time.Hour)).Truncate(time.Second)
		if !in.creation.Before(plan) {
			in.creation = plan.Add(-m.between(time.Hour, day))
		}
		in.assign = ptr(in.creation.Add(m.between(time.Second, 5*time.Second)))
		in.planned = ptr(plan)
		in.tech = m.technicien(e)
		in.duree = pick(m.r, []int{60, 90, 120, 180, 240})
		if o.k > 0 && m.chance(0.05) {
			in.statut = domain.StatutAnnulee
			in.annuleDe = domain.StatutPlanifiee
			in.annuleur = m.responsable()
			in.end = ptr(plan.Add(-m.between(time.Hour, day)))
			if in.end.Before(*in.assign) {
				in.end = ptr(in.assign.Add(time.Minute))
			}
			in.motif = motifsAnnulation[4]
		} else {
			in.start = ptr(plan.Add(m.between(0, 40*time.Minute)))
			in.temps = in.duree - 30 + m.r.IntN(61)
			in.end = ptr(in.start.Add(time.Duration(in.temps) * time.Minute))
		}
		in.deadline = m.deadline(in)
		in.retard = in.end.After(in.deadline)
		out = append(out, in)
	}
	return out
}

// openWork is the work in progress: recent interventions in every open status. Each open status
// gets at least a quarter of its share, and the first four cover them all.
func (m *model) openWork(n int, usable []*vEquip) []*vInter {
	statuts := []domain.StatutIntervention{domain.StatutOuverte, domain.StatutPlanifiee, domain.StatutEnCours, domain.StatutEnAttente}
	out := make([]*vInter, 0, n)
	for i := range n {
		st := statuts[i%4]
		if i >= 4 {
			x := m.r.Float64()
			switch {
			case x < 0.25:
				st = domain.StatutOuverte
			case x < 0.60:
				st = domain.StatutPlanifiee
			case x < 0.85:
				st = domain.StatutEnCours
			default:
				st = domain.StatutEnAttente
			}
		}
		e := pick(m.r, usable)
		in := &vInter{eq: e, statut: st, typ: domain.TypeCorrective}
		if m.chance(0.15) {
			in.typ = domain.TypePredictive
		}
		in.prio, in.urgence = m.priorite()
		m.wording(in)
		in.createur = m.responsable()
		// Three in four are within their deadline: the age is drawn against it.
		lo, hi := 5*time.Minute, 4*day
		switch st {
		case domain.StatutPlanifiee:
			lo, hi = time.Hour, 10*day
		case domain.StatutEnCours:
			lo, hi = 3*time.Hour, 7*day
		case domain.StatutEnAttente:
			lo, hi = day, 14*day
		}
		in.creation = m.now
		if m.chance(0.3) {
			in.limite = ptr(m.now.Add(m.window(in.prio)))
		}
		w := m.deadline(in).Sub(m.now)
		age := m.between(lo, min(hi, w*9/10))
		if m.chance(0.25) {
			age = m.between(max(lo, w), max(lo, w)+3*day)
		}
		in.creation = m.now.Add(-age).Truncate(time.Second)
		if in.limite != nil {
			in.limite = ptr(in.limite.Add(-age).Truncate(time.Minute))
		}
		in.duree = pick(m.r, []int{60, 90, 120, 180, 240, 360})
		if st != domain.StatutOuverte {
			in.tech = m.technicien(e)
			in.assigneur = m.responsable()
			a := in.creation.Add(m.between(10*time.Minute, min(2*day, age/3)))
			in.assign = &a
		}
		switch st {
		case domain.StatutPlanifiee:
			p := m.workTime(m.now.Add(m.between(-day, 10*day)))
			if p.Before(*in.assign) {
				p = m.workTime(in.assign.Add(time.Hour))
			}
			in.planned = &p
		case domain.StatutEnCours, domain.StatutEnAttente:
			p := in.assign.Add(m.between(30*time.Minute, m.now.Sub(*in.assign)/2))
			in.planned = &p
			s := p.Add(m.between(0, 20*time.Minute))
			in.start = &s
			if st == domain.StatutEnAttente {
				ps := s.Add(m.between(30*time.Minute, max(time.Hour, m.now.Sub(s)/2)))
				if ps.After(m.now.Add(-5 * time.Minute)) {
					ps = m.now.Add(-5 * time.Minute)
				}
				in.pause = &ps
				in.motifPause = pick(m.r, motifsPause)
			}
		}
		in.deadline = m.deadline(in)
		clock := m.now // the SLA clock stops while work is paused
		if in.pause != nil {
			clock = *in.pause
		}
		in.retard = in.deadline.Before(clock)
		in.rapport = ""
		out = append(out, in)
	}
	return out
}

// finishedWork is the bulk of the history: corrective and predictive work over two years,
// completed (mostly within its deadline) or cancelled.
func (m *model) finishedWork(n int, usable []*vEquip) []*vInter {
	out := make([]*vInter, 0, n)
	for range n {
		e := pick(m.r, usable)
		from := m.start
		if e.installation.After(from) {
			from = e.installation
		}
		to := m.now.Add(-day)
		if e.statut == domain.EquipementRetire {
			to = e.retireAt.Add(-10 * day)
		}
		if !to.After(from) {
			from = to.Add(-30 * day)
		}
		in := &vInter{eq: e, typ: domain.TypeCorrective, statut: domain.StatutTerminee}
		if m.chance(0.15) {
			in.typ = domain.TypePredictive
		}
		in.prio, in.urgence = m.priorite()
		m.wording(in)
		in.createur = m.responsable()
		in.creation = m.creationTime(from, to)
		if m.chance(0.3) {
			in.limite = ptr(in.creation.Add(m.window(in.prio)).Truncate(time.Minute))
		}
		in.deadline = m.deadline(in)
		w := in.deadline.Sub(in.creation)
		in.duree = pick(m.r, []int{60, 90, 120, 180, 240, 360})
		in.tech = m.technicien(e)
		in.assigneur = m.responsable()

		if m.chance(0.07) {
			m.cancelled(in, w)
			out = append(out, in)
			continue
		}
		frac := 0.15 + 0.8*m.r.Float64()
		if m.chance(0.12) {
			frac = 1.05 + 1.5*m.r.Float64()
		}
		fin := in.creation.Add(time.Duration(frac * float64(w)))
		if limit := m.now.Add(-30 * time.Minute); fin.After(limit) {
			// Work created lately that the deadline would end in the future: it ended before now.
			fin = in.creation.Add(time.Duration((0.3 + 0.65*m.r.Float64()) * float64(limit.Sub(in.creation))))
		}
		in.temps = 30 + m.r.IntN(min(450, in.duree+120))
		if in.typ == domain.TypePredictive {
			in.temps = 30 + m.r.IntN(90)
		}
		work := time.Duration(in.temps) * time.Minute
		var paused time.Duration
		if m.chance(0.08) {
			paused = m.between(2*time.Hour, 3*day)
		}
		s := fin.Add(-work - paused)
		if s.Before(in.creation.Add(20 * time.Minute)) {
			s = in.creation.Add(m.between(20*time.Minute, time.Hour))
		}
		if limit := m.now.Add(-30 * time.Minute); s.Add(work + paused).After(limit) {
			paused = 0
			if s.Add(work).After(limit) {
				s = limit.Add(-work)
			}
		}
		in.start = ptr(s.Truncate(time.Second))
		if paused > 0 {
			in.pause = ptr(in.start.Add(time.Duration(float64(work) * m.r.Float64() * 0.8)))
			in.resume = ptr(in.pause.Add(paused))
			in.motifPause = pick(m.r, motifsPause)
		}
		in.end = ptr(in.start.Add(work + paused))
		p := in.start.Add(-m.between(0, 30*time.Minute))
		a := in.creation.Add(time.Duration(float64(p.Sub(in.creation)) * (0.1 + 0.5*m.r.Float64())))
		in.assign, in.planned = ptr(a.Truncate(time.Second)), ptr(p.Truncate(time.Minute))
		if in.planned.Before(*in.assign) {
			in.planned = in.assign
		}
		// The SLA clock stopped during the pause when the deadline came from the contract or
		// the priority; a date_limite is a date.
		clock := *in.end
		if in.limite == nil {
			clock = clock.Add(-paused)
		}
		in.retard = clock.After(in.deadline)
		if in.eq.couvert && m.chance(0.35) {
			in.note = pick(m.r, []int{5, 5, 5, 5, 4, 4, 4, 4, 3, 3, 2, 1})
			in.noteAt = in.end.Add(m.between(time.Hour, 5*day))
			if in.noteAt.After(m.now) {
				in.note = 0
			}
		}
		out = append(out, in)
	}
	return out
}

// cancelled makes in a cancelled intervention: before assignment, once planned, or started —
// all before now.
func (m *model) cancelled(in *vInter, w time.Duration) {
	in.statut = domain.StatutAnnulee
	in.rapport = ""
	in.annuleur = m.responsable()
	in.motif = pick(m.r, motifsAnnulation)
	span := min(w*13/10, m.now.Sub(in.creation)-2*time.Minute)
	at := func(f float64) time.Time {
		return in.creation.Add(time.Duration(f * float64(span))).Truncate(time.Second)
	}
	x := m.r.Float64()
	switch {
	case x < 0.5:
		in.annuleDe = domain.StatutOuverte
		in.tech, in.assigneur = nil, nil
		in.end = ptr(at(0.1 + 0.8*m.r.Float64()))
	case x < 0.9:
		in.annuleDe = domain.StatutPlanifiee
		in.assign = ptr(at(0.05 + 0.25*m.r.Float64()))
		in.planned = ptr(at(0.4 + 0.5*m.r.Float64()))
		in.end = ptr(at(0.3 + 0.05*m.r.Float64()))
	default:
		in.annuleDe = domain.StatutEnCours
		in.assign = ptr(at(0.05 + 0.15*m.r.Float64()))
		in.planned = ptr(at(0.3 + 0.1*m.r.Float64()))
		in.start = ptr(at(0.45 + 0.1*m.r.Float64()))
		in.end = ptr(at(0.6 + 0.4*m.r.Float64()))
	}
	in.retard = in.end.After(in.deadline)
}

// interventions generates the N interventions, sorted by creation (ids follow creation order, as
// in a real installation), and settles the equipment's status and last maintenance.
func (m *model) interventions() {
	n := m.o.Interventions
	sz := sizesFor(n)
	var usable, live []*vEquip
	for _, e := range m.equips {
		usable = append(usable, e)
		if e.statut == domain.EquipementOperationnel {
			live = append(live, e)
		}
	}
	if len(live) == 0 {
		live = usable
	}
	open := m.openWork(min(sz.ouvertes, n/3), live)
	prev := m.preventiveHistory(int(math.Round(0.4 * float64(n-len(open)))))
	done := m.finishedWork(n-len(open)-len(prev), usable)
	m.inters = slices.Concat(open, prev, done)
	slices.SortStableFunc(m.inters, func(a, b *vInter) int { return a.creation.Compare(b.creation) })
	for i, in := range m.inters {
		in.workflowID = volumeWorkflowID(m.o.Seed, n, i)
		in.updated = in.creation
		for _, t := range []*time.Time{in.assign, in.start, in.pause, in.resume, in.end} {
			if t != nil && t.After(in.updated) {
				in.updated = *t
			}
		}
		if in.retard && in.deadline.After(in.updated) {
			in.updated = in.deadline
		}
		if in.note > 0 && in.noteAt.After(in.updated) {
			in.updated = in.noteAt
		}
		e := in.eq
		if in.statut == domain.StatutTerminee && in.typ != domain.TypePredictive && (e.derniere == nil || in.end.After(*e.derniere)) {
			e.derniere = in.end
		}
		if in.updated.After(e.updated) && in.start != nil {
			e.updated = in.updated
		}
		if in.statut == domain.StatutEnCours || in.statut == domain.StatutEnAttente {
			e.statut = domain.EquipementEnMaintenance
		}
	}
	// A share of the urgent work not yet started is on machines that broke down.
	for _, in := range m.inters {
		if (in.statut == domain.StatutOuverte || in.statut == domain.StatutPlanifiee) && in.typ == domain.TypeCorrective &&
			(in.urgence || in.prio == domain.PrioriteCritique) && in.eq.statut == domain.EquipementOperationnel && m.chance(0.5) {
			in.eq.statut = domain.EquipementEnPanne
			if in.creation.After(in.eq.updated) {
				in.eq.updated = in.creation
			}
		}
	}
	for _, e := range m.equips {
		if e.statut == domain.EquipementRetire && e.retireAt.After(e.updated) {
			e.updated = e.retireAt
		}
	}
}

// volumeWorkflowID names the workflow of the index-th intervention of the data set generated with
// seed and n. The IDs tell which data set a database holds (see existingVolume).
func volumeWorkflowID(seed int64, n, index int) string {
	return fmt.Sprintf("%s%d-%d-%06d", volumeWorkflowPrefix, seed, n, index)
}
