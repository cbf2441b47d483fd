package domain

import "time"

// Equipement is a machine under maintenance.
type Equipement struct {
	ID                  int64            `db:"id" json:"id"`
	Nom                 string           `db:"nom" json:"nom"`
	Type                string           `db:"type" json:"type"`
	Modele              string           `db:"modele" json:"modele"`
	NumeroSerie         string           `db:"numero_serie" json:"numero_serie"`
	Localisation        string           `db:"localisation" json:"localisation"`
	DateInstallation    *time.Time       `db:"date_installation" json:"date_installation"`
	FrequenceEntretien  *int             `db:"frequence_entretien" json:"frequence_entretien"`
	Statut              StatutEquipement `db:"statut" json:"statut"`
	DerniereMaintenance *time.Time       `db:"derniere_maintenance" json:"derniere_maintenance"`
	// SiteID is the client site where it stands (its interventions are routed there).
	SiteID *int64 `db:"site_id" json:"site_id"`
	// ZoneID, ParentID and Criticite place it in the asset hierarchy (issue 14; see /actifs).
	ZoneID       *int64    `db:"zone_id" json:"zone_id"`
	ParentID     *int64    `db:"parent_id" json:"parent_id"`
	Criticite    Criticite `db:"criticite" json:"criticite"`
	DateCreation time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// ProchaineMaintenance is the next preventive due date: the last maintenance (or, failing that,
// the installation) plus the frequency in days. Nil when the equipment has no preventive cycle.
func (e Equipement) ProchaineMaintenance() *time.Time {
	if e.FrequenceEntretien == nil || *e.FrequenceEntretien <= 0 {
		return nil
	}
	base := e.DerniereMaintenance
	if base == nil {
		base = e.DateInstallation
	}
	if base == nil {
		base = &e.DateCreation
	}
	next := base.AddDate(0, 0, *e.FrequenceEntretien)
	return &next
}
