package domain

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Spare parts inventory (issue 14): the catalogue, the places parts are kept, the stock of each
// part at each place, reservations for planned work, consumption by completed work and the
// ledger of movements.

// Piece is a spare part of the catalogue.
type Piece struct {
	ID           int64   `db:"id" json:"id"`
	Reference    string  `db:"reference" json:"reference"`
	Designation  string  `db:"designation" json:"designation"`
	Unite        string  `db:"unite" json:"unite"`
	CoutUnitaire float64 `db:"cout_unitaire" json:"cout_unitaire"`
	// QuantiteTotale is the stock of every place together.
	QuantiteTotale float64   `db:"quantite_totale" json:"quantite_totale"`
	DateCreation   time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt      time.Time `db:"updated_at" json:"updated_at"`
}

// PieceInput creates or partially updates a part (nil: unchanged).
type PieceInput struct {
	Reference    *string  `json:"reference"`
	Designation  *string  `json:"designation"`
	Unite        *string  `json:"unite"`
	CoutUnitaire *float64 `json:"cout_unitaire"`
}

// Bounds of a part's fields.
const (
	PieceReferenceMaxLen   = 100
	PieceDesignationMaxLen = 300
	PieceUniteMaxLen       = 30
	MaxCoutUnitaire        = 1e9
	// MaxQuantite bounds every quantity (NUMERIC(14,3) holds more).
	MaxQuantite = 1e9
)

// Normalize trims the text fields.
func (in *PieceInput) Normalize() { trimAll(in.Reference, in.Designation, in.Unite) }

// Validate checks the fields present; create demands reference and designation.
func (in PieceInput) Validate(create bool) error {
	var v Validator
	checkName(&v, "reference", in.Reference, create, PieceReferenceMaxLen)
	checkName(&v, "designation", in.Designation, create, PieceDesignationMaxLen)
	checkName(&v, "unite", in.Unite, false, PieceUniteMaxLen)
	if in.CoutUnitaire != nil {
		c := *in.CoutUnitaire
		v.Check(!math.IsNaN(c) && c >= 0 && c <= MaxCoutUnitaire && decimals(c, 2), "cout_unitaire",
			"montant positif ou nul, 2 décimales au plus")
	}
	return v.Err()
}

// TypeEmplacement says what kind of place keeps parts.
type TypeEmplacement string

// Kinds of place.
const (
	EmplacementEntrepot TypeEmplacement = "entrepot"
	EmplacementVehicule TypeEmplacement = "vehicule"
)

// TypesEmplacement lists the kinds of place.
var TypesEmplacement = []TypeEmplacement{EmplacementEntrepot, EmplacementVehicule}

// Emplacement is a warehouse or a technicien's van.
type Emplacement struct {
	ID            int64           `db:"id" json:"id"`
	Nom           string          `db:"nom" json:"nom"`
	Type          TypeEmplacement `db:"type" json:"type"`
	TechnicienID  *int64          `db:"technicien_id" json:"technicien_id"`
	TechnicienNom *string         `db:"technicien_nom" json:"technicien_nom"`
	// SiteID is where a warehouse stands (the route planner's restocking stop); a van has none.
	SiteID       *int64    `db:"site_id" json:"site_id"`
	SiteNom      *string   `db:"site_nom" json:"site_nom"`
	DateCreation time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// EmplacementInput creates or partially updates a place. A van names its technicien; a
// warehouse names none.
type EmplacementInput struct {
	Nom          *string          `json:"nom"`
	Type         *TypeEmplacement `json:"type"`
	TechnicienID *int64           `json:"technicien_id"`
	SiteID       *int64           `json:"site_id"`
}

// Normalize trims the name.
func (in *EmplacementInput) Normalize() { trimAll(in.Nom) }

// Validate checks the fields present; create demands nom and type, and a van its technicien.
func (in EmplacementInput) Validate(create bool) error {
	var v Validator
	checkName(&v, "nom", in.Nom, create, 200)
	if in.Type == nil {
		v.Check(!create, "type", "obligatoire")
	} else {
		v.Check(*in.Type == EmplacementEntrepot || *in.Type == EmplacementVehicule, "type", "entrepot ou vehicule attendu")
	}
	if in.TechnicienID != nil {
		v.Check(*in.TechnicienID > 0, "technicien_id", "identifiant positif attendu")
	}
	if in.SiteID != nil {
		v.Check(*in.SiteID > 0, "site_id", "identifiant positif attendu")
	}
	if create && in.Type != nil {
		v.Check(*in.Type != EmplacementVehicule || in.TechnicienID != nil, "technicien_id", "un véhicule appartient à un technicien")
		v.Check(*in.Type != EmplacementEntrepot || in.TechnicienID == nil, "technicien_id", "un entrepôt n'appartient à aucun technicien")
	}
	return v.Err()
}

// Stock is the quantity of one part at one place.
type Stock struct {
	PieceID          int64           `db:"piece_id" json:"piece_id"`
	Reference        string          `db:"reference" json:"reference"`
	Designation      string          `db:"designation" json:"designation"`
	Unite            string          `db:"unite" json:"unite"`
	EmplacementID    int64           `db:"emplacement_id" json:"emplacement_id"`
	EmplacementNom   string          `db:"emplacement_nom" json:"emplacement_nom"`
	EmplacementType  TypeEmplacement `db:"emplacement_type" json:"emplacement_type"`
	Quantite         float64         `db:"quantite" json:"quantite"`
	QuantiteReservee float64         `db:"quantite_reservee" json:"quantite_reservee"`
	// Disponible is what is neither consumed nor promised: quantite − quantite_reservee.
	Disponible   float64  `db:"disponible" json:"disponible"`
	SeuilReappro *float64 `db:"seuil_reappro" json:"seuil_reappro"`
	// SousSeuil: quantite is at or below the reorder threshold.
	SousSeuil    bool      `db:"sous_seuil" json:"sous_seuil"`
	AlerteActive bool      `db:"alerte_active" json:"alerte_active"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// StockFiltre selects stock lines.
type StockFiltre struct {
	PieceID       *int64
	EmplacementID *int64
	TechnicienID  *int64
	SousSeuil     *bool
}

// TypeMouvement is the kind of a stock movement.
type TypeMouvement string

// Kinds of movement. Entree, sortie and ajustement are posted by hand; the others follow from
// consumption, transfers and reservations.
const (
	MouvementEntree          TypeMouvement = "entree"
	MouvementSortie          TypeMouvement = "sortie"
	MouvementAjustement      TypeMouvement = "ajustement"
	MouvementConsommation    TypeMouvement = "consommation"
	MouvementTransfertSortie TypeMouvement = "transfert_sortie"
	MouvementTransfertEntree TypeMouvement = "transfert_entree"
	MouvementReservation     TypeMouvement = "reservation"
	MouvementLiberation      TypeMouvement = "liberation"
)

// TypesMouvement lists every kind (for the list filter); TypesMouvementManuel those posted by hand.
var (
	TypesMouvement = []TypeMouvement{MouvementEntree, MouvementSortie, MouvementAjustement, MouvementConsommation,
		MouvementTransfertSortie, MouvementTransfertEntree, MouvementReservation, MouvementLiberation}
	TypesMouvementManuel = []TypeMouvement{MouvementEntree, MouvementSortie, MouvementAjustement}
)

// Mouvement is one line of the stock ledger.
type Mouvement struct {
	ID             int64         `db:"id" json:"id"`
	PieceID        int64         `db:"piece_id" json:"piece_id"`
	Reference      string        `db:"reference" json:"reference"`
	EmplacementID  int64         `db:"emplacement_id" json:"emplacement_id"`
	EmplacementNom string        `db:"emplacement_nom" json:"emplacement_nom"`
	Type           TypeMouvement `db:"type" json:"type"`
	// Quantite is the signed change of the stock (of the reserved part for reservation and
	// liberation).
	Quantite       float64   `db:"quantite" json:"quantite"`
	QuantiteApres  float64   `db:"quantite_apres" json:"quantite_apres"`
	ReserveeApres  float64   `db:"reservee_apres" json:"reservee_apres"`
	InterventionID *int64    `db:"intervention_id" json:"intervention_id"`
	Groupe         *string   `db:"groupe" json:"groupe"`
	Motif          string    `db:"motif" json:"motif"`
	ActeurID       *int64    `db:"acteur_id" json:"acteur_id"`
	DateMouvement  time.Time `db:"date_mouvement" json:"date_mouvement"`
}

// MouvementFiltre selects ledger lines.
type MouvementFiltre struct {
	PieceID        *int64
	EmplacementID  *int64
	InterventionID *int64
	Type           *TypeMouvement
	Debut, Fin     *time.Time
}

// MouvementInput is a movement posted by hand: an entry (delivery), an exit (loss, scrap) or an
// adjustment, whose quantite is the counted stock (an inventory).
type MouvementInput struct {
	PieceID       *int64         `json:"piece_id"`
	EmplacementID *int64         `json:"emplacement_id"`
	Type          *TypeMouvement `json:"type"`
	Quantite      *float64       `json:"quantite"`
	Motif         *string        `json:"motif"`
}

// Validate checks a manual movement.
func (in *MouvementInput) Validate() error {
	var v Validator
	checkRef(&v, "piece_id", in.PieceID)
	checkRef(&v, "emplacement_id", in.EmplacementID)
	if in.Type == nil {
		v.Add("type", "obligatoire")
	} else {
		v.Check(*in.Type == MouvementEntree || *in.Type == MouvementSortie || *in.Type == MouvementAjustement, "type",
			"entree, sortie ou ajustement attendu")
	}
	zero := in.Type != nil && *in.Type == MouvementAjustement
	checkQuantite(&v, "quantite", in.Quantite, zero)
	trimAll(in.Motif)
	checkText(&v, "motif", in.Motif, in.Type != nil && *in.Type != MouvementEntree, 500)
	return v.Err()
}

// TransfertInput moves a quantity of a part from one place to another.
type TransfertInput struct {
	PieceID           *int64   `json:"piece_id"`
	DeEmplacementID   *int64   `json:"de_emplacement_id"`
	VersEmplacementID *int64   `json:"vers_emplacement_id"`
	Quantite          *float64 `json:"quantite"`
	Motif             *string  `json:"motif"`
}

// Validate checks a transfer.
func (in *TransfertInput) Validate() error {
	var v Validator
	checkRef(&v, "piece_id", in.PieceID)
	checkRef(&v, "de_emplacement_id", in.DeEmplacementID)
	checkRef(&v, "vers_emplacement_id", in.VersEmplacementID)
	if in.DeEmplacementID != nil && in.VersEmplacementID != nil {
		v.Check(*in.DeEmplacementID != *in.VersEmplacementID, "vers_emplacement_id", "doit différer de de_emplacement_id")
	}
	checkQuantite(&v, "quantite", in.Quantite, false)
	trimAll(in.Motif)
	checkText(&v, "motif", in.Motif, false, 500)
	return v.Err()
}

// Transfert is the answer to a transfer: its two ledger lines.
type Transfert struct {
	Groupe string    `json:"groupe"`
	Sortie Mouvement `json:"sortie"`
	Entree Mouvement `json:"entree"`
}

// SeuilInput sets (or, with null, removes) the reorder threshold of a stock line.
type SeuilInput struct {
	PieceID       *int64   `json:"piece_id"`
	EmplacementID *int64   `json:"emplacement_id"`
	SeuilReappro  *float64 `json:"seuil_reappro"`
}

// Validate checks a threshold.
func (in SeuilInput) Validate() error {
	var v Validator
	checkRef(&v, "piece_id", in.PieceID)
	checkRef(&v, "emplacement_id", in.EmplacementID)
	if in.SeuilReappro != nil {
		checkQuantite(&v, "seuil_reappro", in.SeuilReappro, true)
	}
	return v.Err()
}

// StatutReservation is where a reservation stands.
type StatutReservation string

// Statuses of a reservation.
const (
	ReservationActive    StatutReservation = "active"
	ReservationConsommee StatutReservation = "consommee"
	ReservationLiberee   StatutReservation = "liberee"
)

// Reservation holds parts of a place for an intervention until its completion.
type Reservation struct {
	ID             int64             `db:"id" json:"id"`
	InterventionID int64             `db:"intervention_id" json:"intervention_id"`
	PieceID        int64             `db:"piece_id" json:"piece_id"`
	Reference      string            `db:"reference" json:"reference"`
	Designation    string            `db:"designation" json:"designation"`
	EmplacementID  int64             `db:"emplacement_id" json:"emplacement_id"`
	EmplacementNom string            `db:"emplacement_nom" json:"emplacement_nom"`
	Quantite       float64           `db:"quantite" json:"quantite"`
	Statut         StatutReservation `db:"statut" json:"statut"`
	DateCreation   time.Time         `db:"date_creation" json:"date_creation"`
}

// ReservationInput reserves a quantity of a part at a place; a second reservation of the same
// part at the same place adds to the first.
type ReservationInput struct {
	PieceID       *int64   `json:"piece_id"`
	EmplacementID *int64   `json:"emplacement_id"`
	Quantite      *float64 `json:"quantite"`
}

// Validate checks a reservation.
func (in ReservationInput) Validate() error {
	var v Validator
	checkRef(&v, "piece_id", in.PieceID)
	checkRef(&v, "emplacement_id", in.EmplacementID)
	checkQuantite(&v, "quantite", in.Quantite, false)
	return v.Err()
}

// LignePiece is one line of parts consumed by a completion. It travels in workflow histories.
type LignePiece struct {
	PieceID int64 `json:"piece_id"`
	// EmplacementID nil: the van of the intervention's technicien.
	EmplacementID *int64  `json:"emplacement_id,omitempty"`
	Quantite      float64 `json:"quantite"`
}

// Consommation is a line of parts consumed by an intervention, with its cost.
type Consommation struct {
	ID               int64     `db:"id" json:"id"`
	InterventionID   int64     `db:"intervention_id" json:"intervention_id"`
	PieceID          int64     `db:"piece_id" json:"piece_id"`
	Reference        string    `db:"reference" json:"reference"`
	Designation      string    `db:"designation" json:"designation"`
	Unite            string    `db:"unite" json:"unite"`
	EmplacementID    int64     `db:"emplacement_id" json:"emplacement_id"`
	EmplacementNom   string    `db:"emplacement_nom" json:"emplacement_nom"`
	Quantite         float64   `db:"quantite" json:"quantite"`
	CoutUnitaire     float64   `db:"cout_unitaire" json:"cout_unitaire"`
	CoutTotal        float64   `db:"cout_total" json:"cout_total"`
	DateConsommation time.Time `db:"date_consommation" json:"date_consommation"`
}

// CheckQuantite validates a quantity: positive (or zero when zero is allowed), at most
// MaxQuantite, three decimals at most.
func CheckQuantite(v *Validator, field string, q float64, zero bool) {
	ok := !math.IsNaN(q) && q <= MaxQuantite && decimals(q, 3) && (q > 0 || (zero && q == 0))
	if zero {
		v.Check(ok, field, "quantité positive ou nulle, 3 décimales au plus")
	} else {
		v.Check(ok, field, "quantité strictement positive, 3 décimales au plus")
	}
}

func checkQuantite(v *Validator, field string, q *float64, zero bool) {
	if q == nil {
		v.Add(field, "obligatoire")
		return
	}
	CheckQuantite(v, field, *q, zero)
}

// decimals reports whether x has at most n decimals.
func decimals(x float64, n int) bool {
	s := math.Pow10(n)
	return math.Abs(x*s-math.Round(x*s)) < 1e-6
}

func checkRef(v *Validator, field string, id *int64) {
	if id == nil {
		v.Add(field, "obligatoire")
		return
	}
	v.Check(*id > 0, field, "identifiant positif attendu")
}

// checkName checks a name: present when required, and when present 1 to max characters.
func checkName(v *Validator, field string, s *string, required bool, max int) {
	if s == nil {
		v.Check(!required, field, "obligatoire")
		return
	}
	n := utf8.RuneCountInString(*s)
	v.Check(n >= 1 && n <= max, field, "entre 1 et %d caractères", max)
}

// checkText checks a free text: present when required (then not empty), at most max characters.
func checkText(v *Validator, field string, s *string, required bool, max int) {
	if s == nil || *s == "" {
		v.Check(!required, field, "obligatoire")
		return
	}
	v.Check(utf8.RuneCountInString(*s) <= max, field, "%d caractères au maximum", max)
}

func trimAll(ps ...*string) {
	for _, p := range ps {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
}
