package domain

import "time"

// Asset hierarchy (issue 14): site → zone or production line → equipment, and equipment
// parent/child (a press and its hydraulic unit), with a criticality per equipment.

// Criticite ranks how much an equipment matters to its client's production.
type Criticite string

// Criticalities: A stops production, B slows it, C is secondary.
const (
	CriticiteA Criticite = "A"
	CriticiteB Criticite = "B"
	CriticiteC Criticite = "C"
)

// Criticites lists the criticalities.
var Criticites = []Criticite{CriticiteA, CriticiteB, CriticiteC}

// Valid reports whether c is A, B or C.
func (c Criticite) Valid() bool { return c == CriticiteA || c == CriticiteB || c == CriticiteC }

// PrioriteParDefaut is the priority of an intervention created on equipment of criticality c
// without a priority: A haute, B normale, C basse.
func (c Criticite) PrioriteParDefaut() Priorite {
	switch c {
	case CriticiteA:
		return PrioriteHaute
	case CriticiteC:
		return PrioriteBasse
	}
	return PrioriteNormale
}

// TypeZone says whether a zone is an area or a production line.
type TypeZone string

// Kinds of zone.
const (
	ZoneZone  TypeZone = "zone"
	ZoneLigne TypeZone = "ligne"
)

// TypesZone lists the kinds of zone.
var TypesZone = []TypeZone{ZoneZone, ZoneLigne}

// Zone is an area or a production line of a site.
type Zone struct {
	ID               int64     `db:"id" json:"id"`
	SiteID           int64     `db:"site_id" json:"site_id"`
	SiteNom          string    `db:"site_nom" json:"site_nom"`
	ClientID         int64     `db:"client_id" json:"client_id"`
	Nom              string    `db:"nom" json:"nom"`
	Type             TypeZone  `db:"type" json:"type"`
	EquipementsCount int       `db:"equipements_count" json:"equipements_count"`
	DateCreation     time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt        time.Time `db:"updated_at" json:"updated_at"`
}

// ZoneInput creates or partially updates a zone.
type ZoneInput struct {
	SiteID *int64    `json:"site_id"`
	Nom    *string   `json:"nom"`
	Type   *TypeZone `json:"type"`
}

// Validate checks the fields present; create demands site_id and nom.
func (in *ZoneInput) Validate(create bool) error {
	var v Validator
	trimAll(in.Nom)
	if in.SiteID == nil {
		v.Check(!create, "site_id", "obligatoire")
	} else {
		v.Check(*in.SiteID > 0, "site_id", "identifiant positif attendu")
	}
	checkName(&v, "nom", in.Nom, create, 200)
	if in.Type != nil {
		v.Check(*in.Type == ZoneZone || *in.Type == ZoneLigne, "type", "zone ou ligne attendu")
	}
	return v.Err()
}

// Actif is an equipment placed in the hierarchy.
type Actif struct {
	ID          int64            `db:"id" json:"id"`
	Nom         string           `db:"nom" json:"nom"`
	Type        string           `db:"type" json:"type"`
	NumeroSerie string           `db:"numero_serie" json:"numero_serie"`
	Statut      StatutEquipement `db:"statut" json:"statut"`
	Criticite   Criticite        `db:"criticite" json:"criticite"`
	SiteID      *int64           `db:"site_id" json:"site_id"`
	ZoneID      *int64           `db:"zone_id" json:"zone_id"`
	ParentID    *int64           `db:"parent_id" json:"parent_id"`
	// EnfantsCount counts the direct children; InterventionsOuvertes the unfinished work.
	EnfantsCount          int `db:"enfants_count" json:"enfants_count"`
	InterventionsOuvertes int `db:"interventions_ouvertes" json:"interventions_ouvertes"`
}

// ActifFiltre selects assets in a list.
type ActifFiltre struct {
	SiteID    *int64
	ZoneID    *int64
	ParentID  *int64
	Racines   *bool // only those without a parent
	Criticite *Criticite
}

// NoeudActif is an asset with its sub-assets.
type NoeudActif struct {
	Actif
	Enfants []NoeudActif `json:"enfants"`
}

// ArbreZone is a zone with the assets placed directly in it (and their children).
type ArbreZone struct {
	ID          int64        `json:"id"`
	Nom         string       `json:"nom"`
	Type        TypeZone     `json:"type"`
	Equipements []NoeudActif `json:"equipements"`
}

// ArbreSite is a site with its zones and the assets placed in no zone.
type ArbreSite struct {
	ID          int64        `json:"id"`
	Nom         string       `json:"nom"`
	Ville       string       `json:"ville"`
	ClientID    int64        `json:"client_id"`
	Zones       []ArbreZone  `json:"zones"`
	Equipements []NoeudActif `json:"equipements"`
}

// DeplacementInput moves an asset: under a parent (it takes the parent's site and zone), into a
// zone (it takes the zone's site and leaves its parent), or onto a site (no zone, no parent).
// Exactly one target is given; its children move with it.
type DeplacementInput struct {
	ParentID *int64  `json:"parent_id"`
	ZoneID   *int64  `json:"zone_id"`
	SiteID   *int64  `json:"site_id"`
	Motif    *string `json:"motif"`
}

// Validate checks that exactly one target is given.
func (in *DeplacementInput) Validate() error {
	var v Validator
	n := 0
	for _, f := range []struct {
		name string
		id   *int64
	}{{"parent_id", in.ParentID}, {"zone_id", in.ZoneID}, {"site_id", in.SiteID}} {
		if f.id != nil {
			n++
			v.Check(*f.id > 0, f.name, "identifiant positif attendu")
		}
	}
	v.Check(n == 1, "body", "une seule destination attendue: parent_id, zone_id ou site_id")
	trimAll(in.Motif)
	checkText(&v, "motif", in.Motif, false, 500)
	return v.Err()
}

// What happens to the children and the open work of a retired asset.
const (
	EnfantsRetirer         = "retirer"  // retired with it
	EnfantsDetacher        = "detacher" // stay in service, without parent, where they stand
	InterventionsAnnuler   = "annuler"  // cancelled through their workflows
	InterventionsConserver = "conserver"
)

// RetraitInput says what happens to the children and the open work of an asset being retired;
// without it, an asset that has either is not retired (409).
type RetraitInput struct {
	Enfants       *string `json:"enfants"`
	Interventions *string `json:"interventions"`
}

// Validate checks the choices.
func (in RetraitInput) Validate() error {
	var v Validator
	if in.Enfants != nil {
		v.Check(*in.Enfants == EnfantsRetirer || *in.Enfants == EnfantsDetacher, "enfants", "retirer ou detacher attendu")
	}
	if in.Interventions != nil {
		v.Check(*in.Interventions == InterventionsAnnuler || *in.Interventions == InterventionsConserver, "interventions",
			"annuler ou conserver attendu")
	}
	return v.Err()
}
