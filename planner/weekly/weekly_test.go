package weekly

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/routing"
)

var casa = mustLoc("Africa/Casablanca")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

var travel = Haversine{DetourFactor: 1.3, SpeedKmh: 50}

func at(day, hour, minute int) time.Time {
	// Monday 2031-03-03 is day 0.
	return time.Date(2031, 3, 3+day, hour, minute, 0, 0, casa)
}

func week(open ...domain.Creneau) []domain.Creneau {
	var out []domain.Creneau
	for _, j := range domain.Jours[:5] {
		for _, c := range open {
			out = append(out, domain.Creneau{Jour: j, Debut: c.Debut, Fin: c.Fin})
		}
	}
	return out
}

func slot(debut, fin string) domain.Creneau { return domain.Creneau{Debut: debut, Fin: fin} }

// A week in Morocco: Marie in Casablanca (hydraulique 5, soudure 2, a welding set), Hicham in
// Agadir (froid 3, électricité 2), Youssef in Rabat working Saturday mornings too (électricité 4).
func fixture() Input {
	techs := []Technicien{
		{ID: 1, Nom: "Marie", Disponible: true, Base: &domain.Point{Latitude: 33.5841, Longitude: -7.6330},
			Horaires: week(slot("08:00", "17:00")), Competences: map[string]int{"Hydraulique": 5, "soudure": 2}, Outils: []string{"Poste à souder"}},
		{ID: 2, Nom: "Hicham", Disponible: true, Base: &domain.Point{Latitude: 30.4226, Longitude: -9.5961},
			Horaires: week(slot("06:30", "15:30")), Competences: map[string]int{"froid industriel": 3, "électricité industrielle": 2}},
		{ID: 3, Nom: "Youssef", Disponible: true, Base: &domain.Point{Latitude: 33.9716, Longitude: -6.8498},
			Horaires:    append(week(slot("08:00", "17:00")), domain.Creneau{Jour: "samedi", Debut: "08:00", Fin: "12:00"}),
			Competences: map[string]int{"électricité industrielle": 4}},
		{ID: 4, Nom: "Absent", Disponible: false, Base: &domain.Point{Latitude: 33.6, Longitude: -7.6},
			Horaires: week(slot("08:00", "17:00")), Competences: map[string]int{"hydraulique": 5, "soudure": 5, "froid industriel": 5, "électricité industrielle": 5}},
	}
	ainSebaa := &Site{ID: 10, Nom: "Usine d'Aïn Sebaâ", Ville: "Casablanca", Position: domain.Point{Latitude: 33.6054, Longitude: -7.5336},
		Horaires: week(slot("07:00", "19:00"))}
	mohammedia := &Site{ID: 11, Nom: "Centre de broyage", Ville: "Mohammedia", Position: domain.Point{Latitude: 33.6861, Longitude: -7.4108},
		Horaires: week(slot("08:00", "12:00"), slot("14:00", "18:00"))}
	rabat := &Site{ID: 12, Nom: "Dépôt de Rabat", Ville: "Rabat", Position: domain.Point{Latitude: 33.9862, Longitude: -6.8194}}
	agadir := &Site{ID: 13, Nom: "Usine d'Agadir", Ville: "Agadir", Position: domain.Point{Latitude: 30.3986, Longitude: -9.5155},
		Horaires: week(slot("06:00", "14:00"))}
	deadline := at(1, 12, 0) // Tuesday noon
	hydro := map[string]int{"hydraulique": 3}
	both := map[string]int{"hydraulique": 3, "soudure": 1}
	froid := map[string]int{"froid industriel": 2, "électricité industrielle": 2}
	elec := map[string]int{"électricité industrielle": 3}
	its := []Intervention{
		{ID: 100, Titre: "Fuite presse", Statut: domain.StatutOuverte, Priorite: domain.PrioriteCritique, Urgence: true, Site: ainSebaa, Competences: hydro, Duree: 120, Echeance: &deadline},
		{ID: 101, Titre: "Broyeur", Statut: domain.StatutOuverte, Priorite: domain.PrioriteHaute, Site: mohammedia, Competences: both, Outils: []string{"poste à souder"}, Duree: 180},
		{ID: 102, Titre: "Tank à lait", Statut: domain.StatutOuverte, Priorite: domain.PrioriteNormale, Site: agadir, Competences: froid, Duree: 90},
		{ID: 103, Titre: "Armoire", Statut: domain.StatutOuverte, Priorite: domain.PrioriteBasse, Site: rabat, Competences: elec, Duree: 60},
		// Needs a level nobody has: hydraulique 3 AND électricité 3 (Marie has the one, Youssef the other).
		{ID: 104, Titre: "Ligne mixte", Statut: domain.StatutOuverte, Priorite: domain.PrioriteNormale, Site: ainSebaa,
			Competences: map[string]int{"hydraulique": 3, "électricité industrielle": 3}, Duree: 60},
		{ID: 105, Titre: "Sans site", Statut: domain.StatutOuverte, Priorite: domain.PrioriteNormale, Competences: hydro, Duree: 60},
		// Under way since Wednesday 09:00 (its planning), pinned there.
		{ID: 106, Titre: "En cours", Statut: domain.StatutEnCours, Priorite: domain.PrioriteNormale, Site: ainSebaa, Competences: hydro, Duree: 120,
			Planning: &Planning{TechnicienID: 1, Debut: at(2, 9, 0), Duree: 120}},
		// Fixed by a responsable on Thursday 14:00 at Mohammedia.
		{ID: 107, Titre: "Fixée", Statut: domain.StatutPlanifiee, Priorite: domain.PrioriteBasse, Site: mohammedia, Competences: hydro, Duree: 60,
			Planning: &Planning{TechnicienID: 1, Debut: at(3, 14, 0), Duree: 60, Fixe: true}},
		// Planned by an earlier run on Friday 16:00 in Rabat for Marie: free to move.
		{ID: 108, Titre: "Replanifiable", Statut: domain.StatutPlanifiee, Priorite: domain.PrioriteNormale, Site: rabat, Competences: elec, Duree: 60,
			Planning: &Planning{TechnicienID: 3, Debut: at(4, 16, 0), Duree: 60}},
		// Planned next week: not part of this one.
		{ID: 109, Titre: "Semaine prochaine", Statut: domain.StatutPlanifiee, Priorite: domain.PrioriteNormale, Site: rabat, Competences: elec, Duree: 60,
			Planning: &Planning{TechnicienID: 3, Debut: at(8, 9, 0), Duree: 60}},
		{ID: 110, Titre: "Terminée", Statut: domain.StatutTerminee, Priorite: domain.PrioriteNormale, Site: rabat, Duree: 60},
	}
	return Input{Debut: at(0, 0, 0), Jours: 7, Location: casa, Maintenant: at(0, 6, 0), Techniciens: techs, Interventions: its}
}

func solve(t *testing.T, p *Problem) *routing.Solution {
	t.Helper()
	sol, err := routing.Solve(context.Background(), p.Routing, routing.Options{Seed: 7, Iterations: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(p.Routing, sol); err != nil {
		t.Fatal(err)
	}
	return sol
}

func TestBuildAndDecodeAWeek(t *testing.T) {
	in := fixture()
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	// The unavailable technicien has no route; the finished and next week's work are no tasks;
	// the intervention without a site is left out with its reason.
	if len(p.Routing.Technicians) != 3 {
		t.Fatalf("technicians %+v", p.Routing.Technicians)
	}
	for _, id := range []string{"i109", "i110", "i105"} {
		if slices.ContainsFunc(p.Routing.Tasks, func(x routing.Task) bool { return x.ID == id }) {
			t.Errorf("%s should not be a task", id)
		}
	}
	if len(p.Ecartees) != 1 || p.Ecartees[0].InterventionID != 105 || !strings.Contains(p.Ecartees[0].Raison, "aucun site") {
		t.Fatalf("ecartees %+v", p.Ecartees)
	}
	youssef := p.Routing.Technicians[slices.IndexFunc(p.Routing.Technicians, func(x routing.Technician) bool { return x.ID == "3" })]
	if len(youssef.Shifts) != 6 {
		t.Fatalf("Youssef works Monday to Saturday: %+v", youssef.Shifts)
	}
	sol := solve(t, p)
	out := p.Decode(sol)

	byID := map[int64]Affectation{}
	for _, a := range out.Affectations {
		byID[a.InterventionID] = a
	}
	// Pinned work stays where it was.
	if a := byID[106]; !a.Figee || a.TechnicienID != 1 || !a.DatePlanifiee.Equal(at(2, 9, 0)) {
		t.Errorf("work under way moved: %+v", a)
	}
	if a := byID[107]; !a.Figee || !a.DatePlanifiee.Equal(at(3, 14, 0)) {
		t.Errorf("fixed work moved: %+v", a)
	}
	// Every competence at its level: only Marie does the broyeur (hydraulique 3 and soudure 1 and
	// the welding set); nobody has both hydraulique 3 and électricité 3.
	if a, ok := byID[101]; !ok || a.TechnicienID != 1 {
		t.Errorf("broyeur: %+v", a)
	}
	reasons := map[int64]string{}
	for _, n := range out.NonPlanifiees {
		reasons[n.InterventionID] = n.Raison
	}
	if !strings.Contains(reasons[104], "aucun technicien ne réunit toutes les compétences") {
		t.Errorf("104: %q", reasons[104])
	}
	if _, ok := byID[102]; !ok || byID[102].TechnicienID != 2 {
		t.Errorf("tank in Agadir goes to Hicham: %+v", byID[102])
	}
	// Urgent and critical, due Tuesday noon: served by then.
	if a, ok := byID[100]; !ok || a.DatePlanifiee.Add(120*time.Minute).After(at(1, 12, 0)) {
		t.Errorf("urgent work late: %+v", a)
	}
	// Starts are whole minutes, inside the site's hours, ending before closing, after now.
	for _, a := range out.Affectations {
		if a.Figee {
			continue
		}
		it := in.Interventions[slices.IndexFunc(in.Interventions, func(x Intervention) bool { return x.ID == a.InterventionID })]
		local := a.DatePlanifiee.In(casa)
		if local.Second() != 0 || a.DatePlanifiee.Before(in.Maintenant) {
			t.Errorf("%d at %v", a.InterventionID, local)
		}
		if len(it.Site.Horaires) > 0 {
			jour := domain.JourNom(domain.JourDe(local))
			m := local.Hour()*60 + local.Minute()
			inside := slices.ContainsFunc(it.Site.Horaires, func(c domain.Creneau) bool {
				d, f, _ := c.Minutes()
				return c.Jour == jour && m >= d && m+a.DureeEstimee <= f
			})
			if !inside {
				t.Errorf("%d at %v (%s) outside the site's hours", a.InterventionID, local, jour)
			}
		}
	}
	// What changed: new work, and the movable planning either moved or unchanged (counted).
	changed := map[int64]domain.ChangementPlanning{}
	for _, c := range out.Changements {
		changed[c.InterventionID] = c
	}
	if c := changed[100]; c.Nature != domain.ChangementNouvelle || c.AncienTechnicienID != nil {
		t.Errorf("100: %+v", c)
	}
	if _, moved := changed[108]; !moved && out.Inchangees != 1 {
		t.Errorf("108 neither changed nor counted unchanged: %+v", out)
	}
	if c, moved := changed[108]; moved && (c.AncienneDate == nil || !c.AncienneDate.Equal(at(4, 16, 0))) {
		t.Errorf("108: %+v", c)
	}
	// The stored answer, read back as a solution, passes the independent checker.
	back, err := p.SolutionFrom(out.Affectations)
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(p.Routing, back); err != nil {
		t.Fatalf("plannings as written: %v", err)
	}
	if math.Abs(back.Distance-sol.Distance) > 1e-6 {
		t.Errorf("distance %v, solver's %v", back.Distance, sol.Distance)
	}
}

func TestOneTechnicienOneDay(t *testing.T) {
	in := fixture()
	in.Jours, in.Debut = 1, at(4, 0, 0) // Friday
	in.Maintenant = at(4, 7, 0)
	marie := int64(3) // Youssef, really: his Friday
	in.TechnicienID = &marie
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Routing.Technicians) != 1 || len(p.Routing.Technicians[0].Shifts) != 1 {
		t.Fatalf("%+v", p.Routing.Technicians)
	}
	// His own planned work of the day, and unplanned work; not Marie's.
	var ids []string
	for _, x := range p.Routing.Tasks {
		ids = append(ids, x.ID)
	}
	if !slices.Contains(ids, "i108") || slices.Contains(ids, "i106") || slices.Contains(ids, "i107") {
		t.Fatalf("tasks %v", ids)
	}
	out := p.Decode(solve(t, p))
	for _, a := range out.Affectations {
		if a.TechnicienID != 3 || a.DatePlanifiee.In(casa).Day() != 7 {
			t.Errorf("%+v", a)
		}
	}
}

// A pinned job outside the technicien's hours stretches his day instead of being dropped, and
// the next shift of a split day never overlaps the stretched one.
func TestPinStretchesTheShift(t *testing.T) {
	in := fixture()
	in.Techniciens[0].Horaires = week(slot("08:00", "12:00"), slot("13:00", "17:00"))
	in.Interventions[6].Planning.Debut = at(2, 11, 30) // 106: 11:30–13:30, across lunch
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	marie := p.Routing.Technicians[slices.IndexFunc(p.Routing.Technicians, func(x routing.Technician) bool { return x.ID == "1" })]
	for k := 1; k < len(marie.Shifts); k++ {
		if marie.Shifts[k].Start < marie.Shifts[k-1].End {
			t.Fatalf("shifts overlap: %+v", marie.Shifts)
		}
	}
	out := p.Decode(solve(t, p))
	found := false
	for _, a := range out.Affectations {
		found = found || (a.InterventionID == 106 && a.DatePlanifiee.Equal(at(2, 11, 30)))
	}
	if !found {
		t.Fatalf("pinned work dropped: %+v %+v", out.Affectations, out.NonPlanifiees)
	}
}

func TestHaversineProvider(t *testing.T) {
	lat1, lon1, lat2, lon2 := 33.5731, -7.5898, 34.0209, -6.8416 // Casablanca, Rabat
	tr, err := travel.Travel(context.Background(), []routing.Site{routing.SiteLatLon("casa", lat1, lon1), routing.SiteLatLon("rabat", lat2, lon2)})
	if err != nil {
		t.Fatal(err)
	}
	km := routing.HaversineKm(lat1, lon1, lat2, lon2)
	if km < 85 || km > 89 {
		t.Fatalf("Casablanca–Rabat %v km as the crow flies", km)
	}
	if math.Abs(tr.Distance[0][1]-1.3*km) > 1e-9 || tr.Time[0][1] != math.Ceil(1.3*km/50*60) || tr.Time[1][0] != tr.Time[0][1] || tr.Time[0][0] != 0 {
		t.Fatalf("travel %+v", tr)
	}
	if _, err := (Haversine{DetourFactor: 1.3}).Travel(context.Background(), nil); err == nil {
		t.Fatal("speed 0 accepted")
	}
}

func TestTourneeOfADay(t *testing.T) {
	base := &domain.Point{Latitude: 33.5841, Longitude: -7.6330}
	in := fixture()
	var sites []*Site
	for _, it := range in.Interventions[:4] {
		sites = append(sites, it.Site)
	}
	etapes := []Etape{
		{InterventionID: 2, Titre: "Broyeur", Site: sites[1], Debut: at(0, 11, 0), Duree: 60},
		{InterventionID: 1, Titre: "Presse", Site: sites[0], Debut: at(0, 9, 0), Duree: 90},
		{InterventionID: 3, Titre: "Sans site", Debut: at(0, 13, 0), Duree: 30},
		// Rabat right after Mohammedia: not reachable in time.
		{InterventionID: 4, Titre: "Armoire", Site: sites[3], Debut: at(0, 12, 15), Duree: 60},
	}
	tr, err := Tournee(context.Background(), 1, base, "2031-03-03", etapes, travel)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Etapes) != 4 || tr.Etapes[0].InterventionID != 1 || tr.Etapes[1].InterventionID != 2 || tr.Etapes[2].InterventionID != 4 {
		t.Fatalf("order %+v", tr.Etapes)
	}
	first, second, rabat := tr.Etapes[0], tr.Etapes[1], tr.Etapes[2]
	if !first.ArriveeEstimee.Equal(first.Debut) || tr.Depart == nil || !tr.Depart.Add(time.Duration(first.TrajetMinutes)*time.Minute).Equal(first.Debut) {
		t.Errorf("first stop: %+v, depart %v", first, tr.Depart)
	}
	if !second.ArriveeEstimee.Equal(first.Fin.Add(time.Duration(second.TrajetMinutes)*time.Minute)) || second.AttenteMinutes <= 0 || second.Retard {
		t.Errorf("second stop: %+v", second)
	}
	if !rabat.Retard || rabat.AttenteMinutes != 0 || rabat.Position == nil {
		t.Errorf("rabat: %+v", rabat)
	}
	if tr.Etapes[3].Position != nil || !strings.Contains(tr.Avertissement, "l'intervention 3 n'a pas de site") {
		t.Errorf("stop without site: %+v %q", tr.Etapes[3], tr.Avertissement)
	}
	sum := tr.RetourTrajetKm
	for _, e := range tr.Etapes {
		sum += e.TrajetKm
	}
	if tr.Retour == nil || math.Abs(sum-tr.TotalKm) > 1e-9 || tr.TotalKm < 150 {
		t.Errorf("totals %+v", tr)
	}
}

func TestRaisonInFrench(t *testing.T) {
	for en, fr := range map[string]string{
		"no technician has the skill hydraulique at level 4":        "aucun technicien n'a la compétence « hydraulique » au niveau 4",
		"no technician with the skills carries the tool nacelle":    "aucun technicien compétent n'a l'outil « nacelle »",
		"no room: the 3 qualified technician shifts that reach it…": "pas de place: les 3 journées de techniciens compétents qui peuvent l'atteindre à temps sont pleines",
		"something new": "non planifiable (something new)",
	} {
		if got := Raison(en); got != fr {
			t.Errorf("%q: %q, want %q", en, got, fr)
		}
	}
}

// Urgent work arriving during the day goes into the day's routes; what is under way stays.
func TestInsertUrgentIntoTheDay(t *testing.T) {
	in := fixture()
	in.Debut, in.Jours, in.Maintenant = at(0, 0, 0), 1, at(0, 10, 0)
	ainSebaa := in.Interventions[0].Site
	mohammedia := in.Interventions[1].Site
	hydro := map[string]int{"hydraulique": 1}
	in.Interventions = []Intervention{
		// Marie's Monday: Aïn Sebaâ 09:00–11:00 (under way), Mohammedia 14:00–15:00.
		{ID: 1, Statut: domain.StatutEnCours, Priorite: domain.PrioriteNormale, Site: ainSebaa, Competences: hydro, Duree: 120,
			Planning: &Planning{TechnicienID: 1, Debut: at(0, 9, 0), Duree: 120}},
		{ID: 2, Statut: domain.StatutPlanifiee, Priorite: domain.PrioriteBasse, Site: mohammedia, Competences: hydro, Duree: 60,
			Planning: &Planning{TechnicienID: 1, Debut: at(0, 14, 0), Duree: 60}},
		// The urgent leak at Aïn Sebaâ, three hours' work, before 15:00.
		{ID: 3, Statut: domain.StatutOuverte, Priorite: domain.PrioriteCritique, Urgence: true, Site: ainSebaa, Competences: hydro, Duree: 180,
			Echeance: ptrTime(at(0, 15, 0))},
	}
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	current := []Affectation{{InterventionID: 1, TechnicienID: 1, DatePlanifiee: at(0, 9, 0), DureeEstimee: 120},
		{InterventionID: 2, TechnicienID: 1, DatePlanifiee: at(0, 14, 0), DureeEstimee: 60}}
	out, err := p.InsertUrgent(current, 3, in.Maintenant)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]domain.ChangementPlanning{}
	for _, c := range out.Changements {
		byID[c.InterventionID] = c
	}
	// Only Marie has the competence: the leak follows the work under way (11:00–14:00), the
	// Mohammedia visit, later, moves after it.
	leak, ok := byID[3]
	if !ok || *leak.TechnicienID != 1 || leak.DatePlanifiee.Before(at(0, 11, 0)) || leak.DatePlanifiee.Add(180*time.Minute).After(at(0, 15, 0)) {
		t.Fatalf("urgent: %+v (%+v)", leak, out)
	}
	if c, moved := byID[2]; !moved || c.Nature != domain.ChangementDeplacee || !c.DatePlanifiee.After(*leak.DatePlanifiee) {
		t.Fatalf("Mohammedia: %+v", c)
	}
	if _, moved := byID[1]; moved {
		t.Fatal("work under way moved")
	}
	// The day is still feasible as written.
	back, err := p.SolutionFrom(out.Affectations)
	if err != nil {
		t.Fatal(err)
	}
	if err := routing.Check(p.Routing, back); err != nil {
		t.Fatal(err)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

// Parts reserved for an intervention in a van (issue 14) bind it to a technicien who carries
// them: the work goes to Karim, whose van holds the seals, not to Marie; work whose parts no
// qualified technicien carries is left unplanned with its reason.
func TestReservedPartsFollowTheVan(t *testing.T) {
	in := fixture()
	in.Techniciens = append(in.Techniciens, Technicien{ID: 5, Nom: "Karim", Disponible: true,
		Base: &domain.Point{Latitude: 33.59, Longitude: -7.62}, Horaires: week(slot("08:00", "17:00")),
		Competences: map[string]int{"hydraulique": 5, "soudure": 2}, Outils: []string{"Poste à souder"},
		Stock: map[string]int{"JT-45": 3, "vide": 0}})
	for i := range in.Interventions {
		switch in.Interventions[i].ID {
		case 100:
			in.Interventions[i].Pieces = map[string]int{"JT-45": 2}
		case 102: // froid: only Hicham, whose van is empty
			in.Interventions[i].Pieces = map[string]int{"jt-45": 1}
		}
	}
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	karim := p.Routing.Technicians[slices.IndexFunc(p.Routing.Technicians, func(x routing.Technician) bool { return x.ID == "5" })]
	if len(karim.Stock) != 1 || karim.Stock["jt-45"] != 3 {
		t.Fatalf("Karim's stock %v", karim.Stock)
	}
	task := p.Routing.Tasks[slices.IndexFunc(p.Routing.Tasks, func(x routing.Task) bool { return x.ID == "i100" })]
	if task.Parts["jt-45"] != 2 {
		t.Fatalf("task parts %v", task.Parts)
	}
	out := p.Decode(solve(t, p))
	found := false
	for _, a := range out.Affectations {
		if a.InterventionID == 100 {
			found = true
			if a.TechnicienID != 5 {
				t.Fatalf("the seals are in Karim's van, the work went to %d", a.TechnicienID)
			}
		}
		if a.InterventionID == 102 {
			t.Fatalf("planned without its parts: %+v", a)
		}
	}
	if !found {
		t.Fatalf("intervention 100 unplanned: %+v", out.NonPlanifiees)
	}
	i := slices.IndexFunc(out.NonPlanifiees, func(n domain.InterventionNonPlanifiee) bool { return n.InterventionID == 102 })
	if i < 0 || !strings.Contains(out.NonPlanifiees[i].Raison, "pièces réservées") {
		t.Fatalf("reasons %+v", out.NonPlanifiees)
	}
}
