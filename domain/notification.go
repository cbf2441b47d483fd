package domain

import (
	"encoding/json"
	"time"
)

// Notification is an in-app message to one user (seed shape).
type Notification struct {
	ID             int64            `db:"id" json:"id"`
	Titre          string           `db:"titre" json:"titre"`
	Message        string           `db:"message" json:"message"`
	Type           TypeNotification `db:"type" json:"type"`
	DestinataireID int64            `db:"destinataire_id" json:"destinataire_id"`
	Lue            bool             `db:"lue" json:"lue"`
	DateCreation   time.Time        `db:"date_creation" json:"date_creation"`
	DateLecture    *time.Time       `db:"date_lecture" json:"date_lecture"`
	Metadata       json.RawMessage  `db:"metadata" json:"metadata"`
}

// NewNotification is a message to send to one or more users. Event names the business event
// (e.g. "intervention.assigned"); it is stored in the metadata and drives e-mail preferences.
type NewNotification struct {
	Titre    string
	Message  string
	Type     TypeNotification
	Event    string
	Metadata map[string]any
	// DedupKey identifies the business event: the same key never notifies the same user twice,
	// however often an activity is retried.
	DedupKey string
}

// NotificationGroupe is a digest of an inbox: notifications of the same event that arrived close
// together (each within the grouping window of the previous one) and share their read state.
type NotificationGroupe struct {
	Evenement       string       `json:"evenement"`
	Titre           string       `json:"titre"`
	Nombre          int          `json:"nombre"`
	Lue             bool         `json:"lue"`
	DateDebut       time.Time    `json:"date_debut"`
	DateFin         time.Time    `json:"date_fin"`
	NotificationIDs []int64      `json:"notification_ids"`
	Derniere        Notification `json:"derniere"`
}
