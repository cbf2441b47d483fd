package domain

import (
	"encoding/json"
	"time"
)

// Historique is one audit-trail row: who did what to which entity, and what changed.
type Historique struct {
	ID          int64           `db:"id" json:"id"`
	Entite      string          `db:"entite" json:"entite"`
	EntiteID    int64           `db:"entite_id" json:"entite_id"`
	Action      string          `db:"action" json:"action"`
	ActeurID    *int64          `db:"acteur_id" json:"acteur_id"`
	Changements json.RawMessage `db:"changements" json:"changements"`
	DateAction  time.Time       `db:"date_action" json:"date_action"`
}

// EntitesHistorique lists the kinds of entity the audit trail records, for the audit filter. A
// new kind of entity written with storage.RecordHistorique must be added here (a test in api
// checks the source for it).
var EntitesHistorique = []string{"checklist", "client", "competence", "compteur", "contrat", "demande", "document", "emplacement", "equipement", "intervention", "piece", "site", "technicien", "user", "webhook", "zone"}
