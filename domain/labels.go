package domain

import (
	"strconv"
	"strings"
	"time"
)

// The French labels people read (e-mails, PDF reports, notifications, filter menus) for the
// values the API and the database keep as identifiers: one table per enum, so "en_cours" reads
// "En cours" everywhere. A value without a label reads as itself (never an empty text).

var statutLabels = map[StatutIntervention]string{
	StatutOuverte:   "Ouverte",
	StatutPlanifiee: "Planifiée",
	StatutEnCours:   "En cours",
	StatutEnAttente: "En attente",
	StatutTerminee:  "Terminée",
	StatutAnnulee:   "Annulée",
}

var prioriteLabels = map[Priorite]string{
	PrioriteBasse:    "Basse",
	PrioriteNormale:  "Normale",
	PrioriteHaute:    "Haute",
	PrioriteCritique: "Critique",
}

var typeLabels = map[TypeIntervention]string{
	TypeCorrective: "Corrective",
	TypePreventive: "Préventive",
	TypePredictive: "Prédictive",
}

var statutEquipementLabels = map[StatutEquipement]string{
	EquipementOperationnel:  "Opérationnel",
	EquipementEnMaintenance: "En maintenance",
	EquipementEnPanne:       "En panne",
	EquipementHorsService:   "Hors service",
	EquipementRetire:        "Retiré",
}

var statutPlanningLabels = map[StatutPlanning]string{
	PlanningPlanifiee: "Planifié",
	PlanningEnCours:   "En cours",
	PlanningTerminee:  "Terminé",
	PlanningAnnulee:   "Annulé",
	PlanningReportee:  "Reporté",
}

func label[K ~string](table map[K]string, v K) string {
	if l, ok := table[v]; ok {
		return l
	}
	return string(v)
}

// Label is the status as people read it ("En cours").
func (s StatutIntervention) Label() string { return label(statutLabels, s) }

// Label is the priority as people read it ("Critique").
func (p Priorite) Label() string { return label(prioriteLabels, p) }

// Label is the kind of work as people read it ("Préventive").
func (t TypeIntervention) Label() string { return label(typeLabels, t) }

// Label is the machine's state as people read it ("En panne").
func (s StatutEquipement) Label() string { return label(statutEquipementLabels, s) }

// Label is the slot's state as people read it ("Planifié").
func (s StatutPlanning) Label() string { return label(statutPlanningLabels, s) }

// InterventionSummary is the one line a manager reads for an intervention in the Temporal Web UI
// and in messages: "n°42 — Réparation fuite hydraulique — haute — Presse PH-001 — Cimenterie
// Atlas". A zero numero (not yet inserted) and empty names are left out.
func InterventionSummary(numero int64, titre string, p Priorite, equipement, client string) string {
	parts := make([]string, 0, 5)
	if numero > 0 {
		parts = append(parts, "n°"+strconv.FormatInt(numero, 10))
	}
	for _, s := range []string{titre, strings.ToLower(p.Label()), equipement, client} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " — ")
}

// zoneLabels names the time zones people read; another zone reads as its IANA name.
var zoneLabels = map[string]string{"Africa/Casablanca": "heure de Casablanca", "UTC": "UTC", "Europe/Paris": "heure de Paris"}

// ZoneLabel is how people read a time zone's name ("heure de Casablanca"); another zone reads as
// its IANA name.
func ZoneLabel(loc *time.Location) string {
	if label, ok := zoneLabels[loc.String()]; ok {
		return label
	}
	return loc.String()
}

// LocalTime writes t in loc, labelled: "20/12/2024 09:00 (heure de Casablanca)" (UTC when loc is nil).
func LocalTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("02/01/2006 15:04") + " (" + ZoneLabel(loc) + ")"
}
