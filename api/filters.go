package api

import (
	"net/http"
	"time"

	"github.com/mifmaroc/mif/domain"
)

// filterValue is one value of a filter menu: what to pass in the query (valeur), what to show
// (libelle), how many of the caller's interventions carry it.
type filterValue struct {
	Valeur  string `json:"valeur"`
	Libelle string `json:"libelle"`
	Nombre  int    `json:"nombre"`
}

// dateSpan is the earliest and latest date a date filter can usefully bound.
type dateSpan struct {
	Min *time.Time `json:"min"`
	Max *time.Time `json:"max"`
}

// interventionFilters answers, for every filter of GET /interventions, the values it can take
// among the interventions the caller may see: every statut, priorité and type (with a count,
// possibly 0), the equipment and techniciens that appear, and the span of the dates.
func (s *Server) interventionFilters(w http.ResponseWriter, r *http.Request) {
	counts, span, err := s.store.InterventionFilterValues(r.Context(), principalFrom(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := map[string]map[string]int{}
	out := map[string]any{}
	ids := map[string][]filterValue{"equipement_id": {}, "technicien_id": {}}
	for _, c := range counts {
		if _, ok := ids[c.Filtre]; ok {
			ids[c.Filtre] = append(ids[c.Filtre], filterValue{Valeur: c.Valeur, Libelle: c.Label, Nombre: c.Nombre})
			continue
		}
		if n[c.Filtre] == nil {
			n[c.Filtre] = map[string]int{}
		}
		n[c.Filtre][c.Valeur] = c.Nombre
	}
	enum := func(filtre string, values []string, label func(string) string) []filterValue {
		list := make([]filterValue, len(values))
		for i, v := range values {
			list[i] = filterValue{Valeur: v, Libelle: label(v), Nombre: n[filtre][v]}
		}
		return list
	}
	out["statut"] = enum("statut", strs(domain.StatutsIntervention), func(v string) string { return domain.StatutIntervention(v).Label() })
	out["priorite"] = enum("priorite", strs(domain.Priorites), func(v string) string { return domain.Priorite(v).Label() })
	out["type_intervention"] = enum("type_intervention", strs(domain.TypesIntervention), func(v string) string { return domain.TypeIntervention(v).Label() })
	out["urgence"] = enum("urgence", []string{"true", "false"}, func(v string) string { return map[string]string{"true": "Urgente", "false": "Non urgente"}[v] })
	out["en_retard"] = enum("en_retard", []string{"true", "false"}, func(v string) string { return map[string]string{"true": "En retard", "false": "Dans les délais"}[v] })
	out["equipement_id"], out["technicien_id"] = ids["equipement_id"], ids["technicien_id"]
	out["date_creation"] = dateSpan{span.CreationMin, span.CreationMax}
	out["date_limite"] = dateSpan{span.LimiteMin, span.LimiteMax}
	writeJSON(w, http.StatusOK, out)
}

// strs lists enum values as strings.
func strs[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
