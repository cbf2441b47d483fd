package weekly

import (
	"context"
	"slices"
	"testing"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/routing"
)

// restockDay is a generated day: Karim's van holds one seal, two jobs at Aïn Sebaâ need one
// each (one reserved in his van, one waiting at a warehouse), a warehouse nearby holds seals and
// one far away holds none.
func restockDay() Input {
	site := &Site{ID: 10, Nom: "Usine d'Aïn Sebaâ", Ville: "Casablanca", Position: domain.Point{Latitude: 33.6054, Longitude: -7.5336}}
	hydro := map[string]int{"hydraulique": 2}
	return Input{Debut: at(0, 0, 0), Jours: 1, Location: casa, Maintenant: at(0, 6, 0),
		Techniciens: []Technicien{{ID: 5, Nom: "Karim", Disponible: true, Base: &domain.Point{Latitude: 33.59, Longitude: -7.62},
			Horaires: week(slot("08:00", "17:00")), Competences: map[string]int{"hydraulique": 3}, Stock: map[string]int{"JT-45": 1}}},
		Interventions: []Intervention{
			{ID: 1, Titre: "Joint presse 1", Statut: domain.StatutOuverte, Priorite: domain.PrioriteHaute, Site: site, Competences: hydro,
				Duree: 60, Pieces: map[string]int{"JT-45": 1}},
			{ID: 2, Titre: "Joint presse 2", Statut: domain.StatutOuverte, Priorite: domain.PrioriteHaute, Site: site, Competences: hydro,
				Duree: 60, PiecesEntrepot: map[string]int{"JT-45": 1}},
		},
		Entrepots: []Entrepot{
			{ID: 70, Nom: "Magasin vide", Site: &Site{ID: 20, Nom: "Zone industrielle", Position: domain.Point{Latitude: 33.60, Longitude: -7.55}},
				Stock: map[string]int{"jt-45": 0, "autre": 9}},
			{ID: 71, Nom: "Magasin central", Site: &Site{ID: 21, Nom: "Sidi Bernoussi", Position: domain.Point{Latitude: 33.61, Longitude: -7.50}},
				Stock: map[string]int{"jt-45": 8}},
			{ID: 72, Nom: "Sans adresse", Stock: map[string]int{"jt-45": 8}},
		},
	}
}

func TestWarehouseRestockStop(t *testing.T) {
	t.Parallel()
	in := restockDay()
	p, err := Build(context.Background(), in, travel)
	if err != nil {
		t.Fatal(err)
	}
	// Only the warehouse with a site that holds the seals is a depot.
	if len(p.Routing.Depots) != 1 || p.Routing.Depots[0].ID != "e71" || !p.Routing.Depots[0].Restock {
		t.Fatalf("depots %+v", p.Routing.Depots)
	}
	if task := p.Routing.Tasks[p.taskIdx["i2"]]; task.Parts["jt-45"] != 1 {
		t.Fatalf("the seal waiting at the warehouse is not needed by the task: %v", task.Parts)
	}
	out := p.Decode(solve(t, p))
	if len(out.NonPlanifiees) != 0 || len(out.Affectations) != 2 {
		t.Fatalf("plan %+v, undone %+v", out.Affectations, out.NonPlanifiees)
	}
	if len(out.Reappros) != 1 {
		t.Fatalf("restocking stops %+v", out.Reappros)
	}
	r := out.Reappros[0]
	second := out.Affectations[1]
	if r.EmplacementID != 71 || r.SiteID != 21 || r.TechnicienID != 5 || r.AvantInterventionID != second.InterventionID ||
		r.Pieces["jt-45"] != 1 || r.Ordre != 2 || second.Ordre != 3 {
		t.Fatalf("restocking stop %+v, then %+v", r, second)
	}
	if !r.Date.After(out.Affectations[0].DatePlanifiee) || !r.Date.Before(second.DatePlanifiee) {
		t.Fatalf("the stop at %v is not between the two jobs (%v, %v)", r.Date, out.Affectations[0].DatePlanifiee, second.DatePlanifiee)
	}

	t.Run("enough in the van: no stop", func(t *testing.T) {
		t.Parallel()
		in := restockDay()
		in.Techniciens[0].Stock = map[string]int{"jt-45": 2}
		p, err := Build(context.Background(), in, travel)
		if err != nil {
			t.Fatal(err)
		}
		if out := p.Decode(solve(t, p)); len(out.Reappros) != 0 || len(out.Affectations) != 2 {
			t.Fatalf("plan %+v, stops %+v", out.Affectations, out.Reappros)
		}
	})
	t.Run("no warehouse holds them: undone with its reason", func(t *testing.T) {
		t.Parallel()
		in := restockDay()
		in.Entrepots = in.Entrepots[:1]
		p, err := Build(context.Background(), in, travel)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Routing.Depots) != 0 {
			t.Fatalf("depots %+v", p.Routing.Depots)
		}
		out := p.Decode(solve(t, p))
		if len(out.Affectations) != 1 || len(out.NonPlanifiees) != 1 || len(out.Reappros) != 0 {
			t.Fatalf("plan %+v, undone %+v", out.Affectations, out.NonPlanifiees)
		}
	})
	t.Run("without warehouses, parts reserved in one do not bind", func(t *testing.T) {
		t.Parallel()
		in := restockDay()
		in.Entrepots = nil
		p, err := Build(context.Background(), in, travel)
		if err != nil {
			t.Fatal(err)
		}
		if task := p.Routing.Tasks[p.taskIdx["i2"]]; len(task.Parts) != 0 || len(p.Routing.Depots) != 0 {
			t.Fatalf("parts %v, depots %v", task.Parts, p.Routing.Depots)
		}
		if !slices.ContainsFunc(p.Routing.Tasks, func(x routing.Task) bool { return x.ID == "i1" && x.Parts["jt-45"] == 1 }) {
			t.Fatalf("tasks %+v", p.Routing.Tasks)
		}
	})
}
