package domain

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Statuses of a webhook subscription.
const (
	WebhookActif    = "actif"
	WebhookSuspendu = "suspendu"
)

// WebhookEventTypes are the event types a subscription may name.
var WebhookEventTypes = []string{
	"intervention.created", "intervention.status_changed", "intervention.completed",
	"intervention.overdue", "intervention.escalated", "demande.submitted", "stock.below_threshold",
}

// WebhookAbonnement is an administrator's subscription of a URL to event types. Its signing
// secret never leaves the server after creation (WebhookCree carries it once).
type WebhookAbonnement struct {
	ID                int64    `db:"id" json:"id"`
	URL               string   `db:"url" json:"url"`
	Evenements        []string `db:"-" json:"evenements"`
	Description       string   `db:"description" json:"description"`
	Statut            string   `db:"statut" json:"statut"`
	MotifSuspension   *string  `db:"motif_suspension" json:"motif_suspension"`
	EchecsConsecutifs int      `db:"echecs_consecutifs" json:"echecs_consecutifs"`
	ProprietaireID    *int64   `db:"proprietaire_id" json:"proprietaire_id"`
	// Curseur is the last event handed to the delivery workflow.
	Curseur      int64     `db:"curseur" json:"curseur"`
	DateCreation time.Time `db:"date_creation" json:"date_creation"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// WebhookCree is the answer to a creation: the subscription and its secret, shown this once.
type WebhookCree struct {
	WebhookAbonnement
	Secret string `json:"secret"`
}

// WebhookInput creates (every field but Statut and Description required) or changes a
// subscription (fields left out are unchanged).
type WebhookInput struct {
	URL         *string   `json:"url"`
	Evenements  *[]string `json:"evenements"`
	Description *string   `json:"description"`
	// Statut "actif" resumes a suspended subscription (its failure count starts again);
	// "suspendu" pauses it.
	Statut *string `json:"statut"`
}

// Validate reports every bad field (the URL's destination is checked by the SSRF guard apart).
func (in *WebhookInput) Validate(create bool) error {
	var v Validator
	if in.URL != nil {
		u := strings.TrimSpace(*in.URL)
		in.URL = &u
		p, err := url.Parse(u)
		v.Check(err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && len(u) <= 2000,
			"url", "URL http ou https absolue attendue")
	} else if create {
		v.Add("url", "obligatoire")
	}
	if in.Evenements != nil {
		ev := *in.Evenements
		v.Check(len(ev) > 0, "evenements", "au moins un type d'événement")
		for _, e := range ev {
			if !slices.Contains(WebhookEventTypes, e) {
				v.Add("evenements", "type inconnu %q (attendus: %s)", e, strings.Join(WebhookEventTypes, ", "))
			}
		}
		slices.Sort(ev)
		ev = slices.Compact(ev)
		in.Evenements = &ev
	} else if create {
		v.Add("evenements", "obligatoire")
	}
	if in.Description != nil {
		v.Check(utf8.RuneCountInString(*in.Description) <= 500, "description", "500 caractères au maximum")
	}
	if in.Statut != nil {
		v.Check(*in.Statut == WebhookActif || *in.Statut == WebhookSuspendu, "statut", "actif ou suspendu")
		v.Check(!create || *in.Statut == WebhookActif, "statut", "un abonnement est créé actif")
	}
	return v.Err()
}

// WebhookEvenement is one event to deliver.
type WebhookEvenement struct {
	ID            int64           `db:"id" json:"id"`
	Type          string          `db:"type" json:"type"`
	Entite        string          `db:"entite" json:"entite"`
	EntiteID      int64           `db:"entite_id" json:"entite_id"`
	Donnees       json.RawMessage `db:"donnees" json:"donnees"`
	DateEvenement time.Time       `db:"date_evenement" json:"date"`
}

// WebhookLivraison is one delivery attempt.
type WebhookLivraison struct {
	ID            int64     `db:"id" json:"id"`
	AbonnementID  int64     `db:"abonnement_id" json:"abonnement_id"`
	EvenementID   int64     `db:"evenement_id" json:"evenement_id"`
	Type          string    `db:"type" json:"type"`
	Tentative     int       `db:"tentative" json:"tentative"`
	Rejeu         bool      `db:"rejeu" json:"rejeu"`
	Succes        bool      `db:"succes" json:"succes"`
	CodeHTTP      *int      `db:"code_http" json:"code_http"`
	Erreur        *string   `db:"erreur" json:"erreur"`
	DureeMs       int       `db:"duree_ms" json:"duree_ms"`
	DateTentative time.Time `db:"date_tentative" json:"date_tentative"`
}
