package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/planner/weekly"
)

// echeanceSQL is an intervention's (alias i) deadline: date_limite, else the tightest resolution
// SLA of the active contracts covering its equipment when it was created, else the default of
// its priority (joined as d.secondes), as the workflows compute it.
const echeanceSQL = `COALESCE(i.date_limite, i.date_creation + make_interval(secs => COALESCE(
	(SELECT min(k.sla_resolution_heures) FROM contrats k JOIN contrat_equipements ce ON ce.contrat_id = k.id
	 WHERE ce.equipement_id = i.equipement_id AND k.statut = 'actif'
	   AND i.date_creation::date BETWEEN k.date_debut AND k.date_fin)::bigint * 3600,
	d.secondes)::double precision))`

// creneauxJSON aggregates timetable rows (alias h) as JSON.
const creneauxJSON = `json_agg(json_build_object('jour', h.jour, 'debut', to_char(h.debut, 'HH24:MI'), 'fin', to_char(h.fin, 'HH24:MI'))
	ORDER BY h.jour, h.debut)`

type creneauJSON struct {
	Jour  int    `json:"jour"`
	Debut string `json:"debut"`
	Fin   string `json:"fin"`
}

func decodeCreneaux(raw []byte) ([]domain.Creneau, error) {
	var rows []creneauJSON
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, err
	}
	out := make([]domain.Creneau, len(rows))
	for i, r := range rows {
		out[i] = domain.Creneau{Jour: domain.JourNom(r.Jour), Debut: r.Debut, Fin: r.Fin}
	}
	return out, nil
}

// LoadRoutingInput loads what the route planning of [from, to) needs: every technicien (or one)
// with his base, effective weekly hours, competences and tools; the open interventions, and
// those whose planning starts in the period, with their site, deadline, the competences at
// their level and the tools their equipment type calls for, the parts reserved for them in a van
// and in a warehouse (and each technicien's van stock, from the stocks table), and their
// planning. Unplanned work lasts defaultDuree minutes.
func (s *Store) LoadRoutingInput(ctx context.Context, from, to time.Time, technicienID *int64, defaultDuree int,
	slaDefaults map[domain.Priorite]time.Duration) ([]weekly.Technicien, []weekly.Intervention, error) {
	var techRows []struct {
		ID          int64             `db:"id"`
		UserID      int64             `db:"user_id"`
		Nom         string            `db:"nom"`
		Disponible  bool              `db:"disponible"`
		Lat         *float64          `db:"base_latitude"`
		Lon         *float64          `db:"base_longitude"`
		Outils      domain.TexteListe `db:"outils"`
		Competences []byte            `db:"competences"`
		Horaires    []byte            `db:"horaires"`
		Stock       []byte            `db:"stock"`
	}
	err := s.q.SelectContext(ctx, &techRows, `
		SELECT t.id, t.user_id, trim(u.prenom || ' ' || u.nom) AS nom, t.disponibilite AND u.is_active AS disponible,
			t.base_latitude, t.base_longitude, array_to_json(t.outils) AS outils,
			COALESCE((SELECT json_object_agg(lower(c.nom), tc.niveau) FROM technicien_competences tc
				JOIN competences c ON c.id = tc.competence_id WHERE tc.technicien_id = t.id), '{}') AS competences,
			COALESCE((SELECT `+creneauxJSON+` FROM technicien_horaires_effectifs h WHERE h.technicien_id = t.id), '[]') AS horaires,
			COALESCE((SELECT json_object_agg(lower(pc.reference), floor(st.quantite)::int) FROM stocks st
				JOIN emplacements l ON l.id = st.emplacement_id JOIN pieces pc ON pc.id = st.piece_id
				WHERE l.technicien_id = t.id AND st.quantite >= 1), '{}') AS stock
		FROM techniciens t JOIN users u ON u.id = t.user_id
		WHERE $1::bigint IS NULL OR t.id = $1 ORDER BY t.id`, technicienID)
	if err != nil {
		return nil, nil, wrap("routing techniciens", err)
	}
	techs := make([]weekly.Technicien, len(techRows))
	for i, r := range techRows {
		t := weekly.Technicien{ID: r.ID, UserID: r.UserID, Nom: r.Nom, Disponible: r.Disponible, Outils: r.Outils}
		if r.Lat != nil && r.Lon != nil {
			t.Base = &domain.Point{Latitude: *r.Lat, Longitude: *r.Lon}
		}
		if err := json.Unmarshal(r.Competences, &t.Competences); err != nil {
			return nil, nil, fmt.Errorf("storage: routing techniciens: %w", err)
		}
		if t.Horaires, err = decodeCreneaux(r.Horaires); err != nil {
			return nil, nil, fmt.Errorf("storage: routing techniciens: %w", err)
		}
		if err := json.Unmarshal(r.Stock, &t.Stock); err != nil {
			return nil, nil, fmt.Errorf("storage: routing techniciens: %w", err)
		}
		techs[i] = t
	}

	prios, secs := []string{}, []int64{}
	for p, d := range slaDefaults {
		prios, secs = append(prios, string(p)), append(secs, int64(d/time.Second))
	}
	var rows []struct {
		ID           int64                     `db:"id"`
		WorkflowID   string                    `db:"workflow_id"`
		Titre        string                    `db:"titre"`
		Statut       domain.StatutIntervention `db:"statut"`
		Priorite     domain.Priorite           `db:"priorite"`
		Urgence      bool                      `db:"urgence"`
		UpdatedAt    time.Time                 `db:"updated_at"`
		Echeance     *time.Time                `db:"echeance"`
		Competences  []byte                    `db:"competences"`
		Outils       domain.TexteListe         `db:"outils"`
		SiteID       *int64                    `db:"site_id"`
		SiteNom      *string                   `db:"site_nom"`
		Ville        *string                   `db:"ville"`
		Lat          *float64                  `db:"latitude"`
		Lon          *float64                  `db:"longitude"`
		SiteHoraires []byte                    `db:"site_horaires"`
		PlTech       *int64                    `db:"planning_technicien"`
		PlDebut      *time.Time                `db:"date_planifiee"`
		PlDuree      *int                      `db:"duree_estimee"`
		PlFixe       *bool                     `db:"fixe"`
		Pieces       []byte                    `db:"pieces"`
		PiecesEnt    []byte                    `db:"pieces_entrepot"`
	}
	err = s.q.SelectContext(ctx, &rows, `WITH d AS (SELECT * FROM unnest($4::text[], $5::bigint[]) AS d(priorite, secondes))
		SELECT i.id, i.workflow_id, i.titre, i.statut, i.priorite, i.urgence, i.updated_at, `+echeanceSQL+` AS echeance,
			COALESCE((SELECT json_object_agg(lower(etc.competence_nom), etc.niveau_requis) FROM equipement_type_competences etc
				WHERE lower(etc.type_equipement) = lower(e.type)), '{}') AS competences,
			COALESCE((SELECT array_to_json(array_agg(eto.outil ORDER BY eto.outil)) FROM equipement_type_outils eto
				WHERE lower(eto.type_equipement) = lower(e.type)), '[]') AS outils,
			s.id AS site_id, s.nom AS site_nom, s.ville, s.latitude, s.longitude,
			COALESCE((SELECT `+creneauxJSON+` FROM site_horaires h WHERE h.site_id = s.id), '[]') AS site_horaires,
			p.technicien_id AS planning_technicien, p.date_planifiee, p.duree_estimee, p.fixe,
			COALESCE((SELECT json_object_agg(x.ref, x.qty) FROM (SELECT lower(pc.reference) AS ref, ceil(sum(r.quantite))::int AS qty
				FROM reservations_pieces r JOIN emplacements l ON l.id = r.emplacement_id JOIN pieces pc ON pc.id = r.piece_id
				WHERE r.intervention_id = i.id AND r.statut = 'active' AND l.type = 'vehicule' GROUP BY 1) x), '{}') AS pieces,
			COALESCE((SELECT json_object_agg(x.ref, x.qty) FROM (SELECT lower(pc.reference) AS ref, ceil(sum(r.quantite))::int AS qty
				FROM reservations_pieces r JOIN emplacements l ON l.id = r.emplacement_id JOIN pieces pc ON pc.id = r.piece_id
				WHERE r.intervention_id = i.id AND r.statut = 'active' AND l.type = 'entrepot' GROUP BY 1) x), '{}') AS pieces_entrepot
		FROM interventions i JOIN equipements e ON e.id = i.equipement_id
		LEFT JOIN sites s ON s.id = e.site_id
		LEFT JOIN plannings p ON p.intervention_id = i.id
		LEFT JOIN d ON d.priorite = i.priorite::text
		WHERE (i.statut = 'ouverte' AND ($3::bigint IS NULL OR p.id IS NULL OR p.technicien_id = $3))
		   OR (i.statut IN ('planifiee', 'en_cours', 'en_attente') AND p.date_planifiee >= $1 AND p.date_planifiee < $2
		       AND ($3::bigint IS NULL OR p.technicien_id = $3))
		ORDER BY i.id LIMIT 5000`, from, to, technicienID, pq.Array(prios), pq.Array(secs))
	if err != nil {
		return nil, nil, wrap("routing interventions", err)
	}
	its := make([]weekly.Intervention, len(rows))
	for i, r := range rows {
		it := weekly.Intervention{ID: r.ID, WorkflowID: r.WorkflowID, Titre: r.Titre, Statut: r.Statut, Priorite: r.Priorite,
			Urgence: r.Urgence, Echeance: r.Echeance, Outils: r.Outils, Duree: defaultDuree, UpdatedAt: r.UpdatedAt}
		if err := json.Unmarshal(r.Competences, &it.Competences); err != nil {
			return nil, nil, fmt.Errorf("storage: routing interventions: %w", err)
		}
		if err := json.Unmarshal(r.Pieces, &it.Pieces); err != nil {
			return nil, nil, fmt.Errorf("storage: routing interventions: %w", err)
		}
		if err := json.Unmarshal(r.PiecesEnt, &it.PiecesEntrepot); err != nil {
			return nil, nil, fmt.Errorf("storage: routing interventions: %w", err)
		}
		if r.SiteID != nil {
			it.Site = &weekly.Site{ID: *r.SiteID, Nom: *r.SiteNom, Ville: *r.Ville, Position: domain.Point{Latitude: *r.Lat, Longitude: *r.Lon}}
			if it.Site.Horaires, err = decodeCreneaux(r.SiteHoraires); err != nil {
				return nil, nil, fmt.Errorf("storage: routing interventions: %w", err)
			}
		}
		if r.PlTech != nil && r.PlDebut != nil && r.Statut != domain.StatutOuverte {
			it.Planning = &weekly.Planning{TechnicienID: *r.PlTech, Debut: *r.PlDebut, Duree: *r.PlDuree, Fixe: *r.PlFixe}
			it.Duree = *r.PlDuree
		}
		its[i] = it
	}
	return techs, its, nil
}

// LoadEntrepots loads the warehouses the route planner may send a technicien to restock at:
// those with a site, with what they hold (whole units, by lower-cased part reference).
func (s *Store) LoadEntrepots(ctx context.Context) ([]weekly.Entrepot, error) {
	var rows []struct {
		ID      int64   `db:"id"`
		Nom     string  `db:"nom"`
		SiteID  int64   `db:"site_id"`
		SiteNom string  `db:"site_nom"`
		Ville   string  `db:"ville"`
		Lat     float64 `db:"latitude"`
		Lon     float64 `db:"longitude"`
		Stock   []byte  `db:"stock"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT l.id, l.nom, s.id AS site_id, s.nom AS site_nom, s.ville, s.latitude, s.longitude,
			COALESCE((SELECT json_object_agg(lower(pc.reference), floor(st.quantite)::int) FROM stocks st
				JOIN pieces pc ON pc.id = st.piece_id WHERE st.emplacement_id = l.id AND st.quantite >= 1), '{}') AS stock
		FROM emplacements l JOIN sites s ON s.id = l.site_id
		WHERE l.type = 'entrepot' ORDER BY l.id LIMIT 500`)
	if err != nil {
		return nil, wrap("routing entrepots", err)
	}
	out := make([]weekly.Entrepot, len(rows))
	for i, r := range rows {
		out[i] = weekly.Entrepot{ID: r.ID, Nom: r.Nom,
			Site: &weekly.Site{ID: r.SiteID, Nom: r.SiteNom, Ville: r.Ville, Position: domain.Point{Latitude: r.Lat, Longitude: r.Lon}}}
		if err := json.Unmarshal(r.Stock, &out[i].Stock); err != nil {
			return nil, fmt.Errorf("storage: routing entrepots: %w", err)
		}
	}
	return out, nil
}

// TourneeDuJour loads a technicien's base and the work planned for him in [from, to), as p may
// see it (the planning's visibility rules), cancelled work excepted, with each intervention's
// site; domain.ErrNotFound when the technicien does not exist.
func (s *Store) TourneeDuJour(ctx context.Context, p domain.Principal, technicienID int64, from, to time.Time) (*domain.Point, []weekly.Etape, error) {
	var base struct {
		Lat *float64 `db:"base_latitude"`
		Lon *float64 `db:"base_longitude"`
	}
	if err := s.q.GetContext(ctx, &base, `SELECT base_latitude, base_longitude FROM techniciens WHERE id = $1`, technicienID); err != nil {
		return nil, nil, wrap("tournee", err)
	}
	var pt *domain.Point
	if base.Lat != nil && base.Lon != nil {
		pt = &domain.Point{Latitude: *base.Lat, Longitude: *base.Lon}
	}
	w := planningWhere(p, domain.PlanningFiltre{Debut: &from, Fin: &to, TechnicienID: &technicienID})
	w.add("p.statut <> 'annulee' AND i.statut <> 'annulee'")
	var rows []struct {
		ID       int64                     `db:"intervention_id"`
		Titre    string                    `db:"titre"`
		Priorite domain.Priorite           `db:"priorite"`
		Statut   domain.StatutIntervention `db:"statut"`
		Debut    time.Time                 `db:"date_planifiee"`
		Duree    int                       `db:"duree_estimee"`
		SiteID   *int64                    `db:"site_id"`
		SiteNom  *string                   `db:"site_nom"`
		Ville    *string                   `db:"ville"`
		Lat      *float64                  `db:"latitude"`
		Lon      *float64                  `db:"longitude"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT p.intervention_id, i.titre, i.priorite, i.statut, p.date_planifiee, p.duree_estimee,
			s.id AS site_id, s.nom AS site_nom, s.ville, s.latitude, s.longitude
		FROM plannings p JOIN interventions i ON i.id = p.intervention_id
		JOIN equipements e ON e.id = i.equipement_id LEFT JOIN sites s ON s.id = e.site_id
		WHERE `+w.sql()+` ORDER BY p.date_planifiee, p.intervention_id LIMIT 500`, w.args...)
	if err != nil {
		return nil, nil, wrap("tournee", err)
	}
	out := make([]weekly.Etape, len(rows))
	for i, r := range rows {
		e := weekly.Etape{InterventionID: r.ID, Titre: r.Titre, Priorite: r.Priorite, Statut: r.Statut, Debut: r.Debut, Duree: r.Duree}
		if r.SiteID != nil {
			e.Site = &weekly.Site{ID: *r.SiteID, Nom: *r.SiteNom, Ville: *r.Ville, Position: domain.Point{Latitude: *r.Lat, Longitude: *r.Lon}}
		}
		out[i] = e
	}
	return pt, out, nil
}

// PlanningState is an intervention's status, its planning and when its row last changed.
type PlanningState struct {
	Statut        domain.StatutIntervention `db:"statut"`
	TechnicienID  *int64                    `db:"technicien_id"`
	DatePlanifiee *time.Time                `db:"date_planifiee"`
	UpdatedAt     time.Time                 `db:"updated_at"`
}

// PlanningState reads one intervention's PlanningState.
func (s *Store) PlanningState(ctx context.Context, interventionID int64) (PlanningState, error) {
	var st PlanningState
	err := s.q.GetContext(ctx, &st, `SELECT i.statut, p.technicien_id, p.date_planifiee, i.updated_at
		FROM interventions i LEFT JOIN plannings p ON p.intervention_id = i.id WHERE i.id = $1`, interventionID)
	return st, wrap("planning state", err)
}
