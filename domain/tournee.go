package domain

import "time"

// Types of the route planning (issue 10) that the API answers and Temporal histories keep.

// Point is a place on the map (WGS 84 degrees).
type Point struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// EtapeTournee is one stop of a technicien's day as it will be driven: the trip from the
// previous place, the estimated arrival, the service.
type EtapeTournee struct {
	Ordre          int                `json:"ordre"`
	InterventionID int64              `json:"intervention_id"`
	Titre          string             `json:"titre"`
	Priorite       Priorite           `json:"priorite"`
	Statut         StatutIntervention `json:"statut"`
	SiteID         int64              `json:"site_id"`
	SiteNom        string             `json:"site_nom"`
	Ville          string             `json:"ville"`
	Position       *Point             `json:"position"` // nil: the equipment has no site
	// ArriveeEstimee is the ETA: the end of the previous stop (or the departure) plus the trip.
	ArriveeEstimee time.Time `json:"arrivee_estimee"`
	// Debut and Fin are the planned service (date_planifiee and its duration).
	Debut          time.Time `json:"debut"`
	Fin            time.Time `json:"fin"`
	TrajetMinutes  float64   `json:"trajet_minutes"`
	TrajetKm       float64   `json:"trajet_km"`
	AttenteMinutes float64   `json:"attente_minutes"`
	// Retard is true when the planned start comes before the estimated arrival: the plan as
	// stored cannot be driven (a manual change that ignored travel, say).
	Retard bool `json:"retard"`
}

// Tournee is a technicien's day: from his base through his stops and back.
type Tournee struct {
	TechnicienID int64          `json:"technicien_id"`
	Date         string         `json:"date"`
	Base         *Point         `json:"base"`
	Depart       *time.Time     `json:"depart"`
	Retour       *time.Time     `json:"retour"`
	Etapes       []EtapeTournee `json:"etapes"`
	// RetourTrajet* is the drive home after the last stop.
	RetourTrajetMinutes float64 `json:"retour_trajet_minutes"`
	RetourTrajetKm      float64 `json:"retour_trajet_km"`
	TotalKm             float64 `json:"total_km"`
	TotalTrajetMinutes  float64 `json:"total_trajet_minutes"`
	// Avertissement explains a day that cannot be drawn (no base, a stop without a site).
	Avertissement string `json:"avertissement,omitempty"`
}

// Natures of a planning change made by the route planning.
const (
	ChangementNouvelle   = "nouvelle"   // was not planned, now is
	ChangementDeplacee   = "deplacee"   // same technicien, another time
	ChangementReaffectee = "reaffectee" // another technicien (and maybe another time)
)

// ChangementPlanning is what the route planning changed for one intervention.
type ChangementPlanning struct {
	InterventionID     int64      `json:"intervention_id"`
	Nature             string     `json:"nature"`
	TechnicienID       *int64     `json:"technicien_id"`
	DatePlanifiee      *time.Time `json:"date_planifiee"`
	DureeEstimee       int        `json:"duree_estimee"`
	AncienTechnicienID *int64     `json:"ancien_technicien_id"`
	AncienneDate       *time.Time `json:"ancienne_date"`
	// ApresEcheance: the deadline could not be met anyway (the work is late already); it is
	// served as soon as possible.
	ApresEcheance bool   `json:"apres_echeance"`
	Raison        string `json:"raison,omitempty"`
}

// InterventionNonPlanifiee is work the route planning could not place, and why.
type InterventionNonPlanifiee struct {
	InterventionID int64  `json:"intervention_id"`
	Raison         string `json:"raison"`
}

// AffectationTournee is one stop of a planned route.
type AffectationTournee struct {
	InterventionID int64     `json:"intervention_id"`
	TechnicienID   int64     `json:"technicien_id"`
	DatePlanifiee  time.Time `json:"date_planifiee"`
	DureeEstimee   int       `json:"duree_estimee"`
	// Ordre is the stop's place in its route (1 first).
	Ordre int `json:"ordre"`
	// Figee: pinned work (under way, or fixed by a responsable), left where it was.
	Figee bool `json:"figee"`
}

// ArretReappro is a restocking stop of a planned route (issue 14): the technicien's van lacks
// parts for the work after it, so he passes by a warehouse that holds them.
type ArretReappro struct {
	TechnicienID   int64     `json:"technicien_id"`
	EmplacementID  int64     `json:"emplacement_id"`
	EmplacementNom string    `json:"emplacement_nom"`
	SiteID         int64     `json:"site_id"`
	Date           time.Time `json:"date"`
	DureeEstimee   int       `json:"duree_estimee"`
	// Ordre is the stop's place in its route (1 first), among the interventions' stops.
	Ordre int `json:"ordre"`
	// AvantInterventionID is the intervention it comes before.
	AvantInterventionID int64 `json:"avant_intervention_id"`
	// Pieces are what the stops after it need until the next restocking (lower-cased part
	// reference → units): the van leaves with them.
	Pieces map[string]int `json:"pieces"`
}
