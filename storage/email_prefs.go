package storage

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/domain"
)

// EmailPreferences is the content of users.email_preferences: which events a user also wants by
// e-mail. {"enabled": false} turns e-mail off; "events" overrides the default per event name.
type EmailPreferences struct {
	Enabled *bool           `json:"enabled,omitempty"`
	Events  map[string]bool `json:"events,omitempty"`
}

// NotificationEvent is an event the platform notifies (metadata "event" of its notifications),
// as users choose it in their e-mail preferences.
type NotificationEvent struct {
	Name    string
	Libelle string
	// EmailByDefault is false for events that stay in-app unless a user asks for them by e-mail:
	// they are frequent and rarely call for action.
	EmailByDefault bool
}

// NotificationEvents is the catalogue of the events the workflows and activities notify
// ("intervention." + the historique action of a transition, escalation, SLA, planning,
// equipment). Preferences may name only these: a misspelt name would silently change nothing.
// A new event must be added here to be configurable (until then it is e-mailed by default).
func NotificationEvents() []NotificationEvent {
	return []NotificationEvent{
		{"intervention.assignation", "Intervention assignée ou planifiée", true},
		{"intervention.unassigned", "Intervention sans technicien disponible", true},
		{"intervention.demarrage", "Intervention démarrée", false},
		{"intervention.pause", "Intervention mise en attente", false},
		{"intervention.reprise", "Intervention reprise", false},
		{"intervention.cloture", "Intervention terminée", true},
		{"intervention.annulation", "Intervention annulée", true},
		{"intervention.en_retard", "Délai (SLA) dépassé", true},
		{"intervention.escalade", "Intervention escaladée", true},
		{"equipement.en_panne", "Panne d'équipement", true},
		{"equipement.maintenance_due", "Maintenance préventive à prévoir", true},
		{"planning.hebdomadaire", "Planning hebdomadaire publié", true},
		{"planning.non_affectees", "Interventions non affectées au planning", true},
		{"demande.soumise", "Nouvelle demande client", true},
		{"demande.recue", "Votre demande est reçue", false},
		{"demande.escaladee", "Demande client non triée dans le délai", true},
		{"demande.acceptee", "Votre demande est acceptée", true},
		{"demande.fusionnee", "Votre demande est rattachée à une intervention", true},
		{"demande.rejetee", "Votre demande est refusée", true},
		{"webhook.suspendu", "Abonnement webhook suspendu après des échecs", true},
	}
}

// KnownNotificationEvent reports whether name is in NotificationEvents.
func KnownNotificationEvent(name string) bool {
	return slices.ContainsFunc(NotificationEvents(), func(e NotificationEvent) bool { return e.Name == name })
}

// emailByDefault is the catalogue's default for event; events outside it are e-mailed.
func emailByDefault(event string) bool {
	for _, e := range NotificationEvents() {
		if e.Name == event {
			return e.EmailByDefault
		}
	}
	return true
}

// Wants reports whether an event goes out by e-mail under these preferences.
func (p EmailPreferences) Wants(event string) bool {
	if p.Enabled != nil && !*p.Enabled {
		return false
	}
	if v, ok := p.Events[event]; ok {
		return v
	}
	return emailByDefault(event)
}

// Effective lists every catalogued event with whether it goes out by e-mail under these
// preferences (the master switch aside), so that a user sees every choice, not only overrides.
func (p EmailPreferences) Effective() map[string]bool {
	out := map[string]bool{}
	for _, e := range NotificationEvents() {
		v, ok := p.Events[e.Name]
		if !ok {
			v = e.EmailByDefault
		}
		out[e.Name] = v
	}
	return out
}

// QueueNotificationEmails decides, for each listed notification not yet considered, whether its
// recipient wants it by e-mail: such rows become 'en_attente', the others 'ignore'. It returns
// the recipients that have mail waiting among the listed notifications (also those queued by an
// earlier attempt, so a retry after a failed send tries again).
func (s *Store) QueueNotificationEmails(ctx context.Context, ids []int64) ([]int64, error) {
	var rows []struct {
		ID     int64           `db:"id"`
		UserID int64           `db:"destinataire_id"`
		Statut *string         `db:"email_statut"`
		Event  string          `db:"event"`
		Prefs  json.RawMessage `db:"email_preferences"`
		Active bool            `db:"is_active"`
	}
	err := s.q.SelectContext(ctx, &rows, `
		SELECT n.id, n.destinataire_id, n.email_statut, COALESCE(n.metadata->>'event', '') AS event,
			u.email_preferences, u.is_active
		FROM notifications n JOIN users u ON u.id = n.destinataire_id
		WHERE n.id = ANY($1) AND (n.email_statut IS NULL OR n.email_statut = 'en_attente')`, pq.Array(ids))
	if err != nil {
		return nil, wrap("queue notification emails", err)
	}
	var queue, ignore []int64
	waiting := map[int64]bool{}
	for _, r := range rows {
		if r.Statut != nil { // queued by an earlier attempt
			waiting[r.UserID] = true
			continue
		}
		var p EmailPreferences
		_ = json.Unmarshal(r.Prefs, &p) // a malformed document means "defaults"
		if r.Active && p.Wants(r.Event) {
			queue = append(queue, r.ID)
			waiting[r.UserID] = true
		} else {
			ignore = append(ignore, r.ID)
		}
	}
	err = s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `UPDATE notifications SET email_statut = 'ignore' WHERE id = ANY($1) AND email_statut IS NULL`, pq.Array(ignore)); err != nil {
			return wrap("queue notification emails", err)
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE notifications SET email_statut = 'en_attente' WHERE id = ANY($1) AND email_statut IS NULL`, pq.Array(queue))
		return wrap("queue notification emails", err)
	})
	users := make([]int64, 0, len(waiting))
	for u := range waiting {
		users = append(users, u)
	}
	slices.Sort(users)
	return users, err
}

// PendingEmail is a notification waiting to go out by e-mail, with its recipient.
type PendingEmail struct {
	domain.Notification
	Email  string `db:"email"`
	Nom    string `db:"nom"`
	Prenom string `db:"prenom"`
}

// UsersDueForEmail lists the users with mail waiting whose last e-mail is older than quiet (or
// who never got one): their waiting notifications may go out now, as one message.
func (s *Store) UsersDueForEmail(ctx context.Context, userIDs []int64, quiet time.Duration, now time.Time) ([]int64, error) {
	out := []int64{}
	var filter any
	if userIDs != nil {
		filter = pq.Array(userIDs)
	}
	err := s.q.SelectContext(ctx, &out, `
		SELECT DISTINCT p.destinataire_id FROM notifications p
		WHERE p.email_statut = 'en_attente' AND ($1::bigint[] IS NULL OR p.destinataire_id = ANY($1))
		  AND NOT EXISTS (SELECT 1 FROM notifications s WHERE s.destinataire_id = p.destinataire_id
			AND s.email_statut = 'envoye' AND s.email_envoye_at > $2)
		ORDER BY 1`, filter, now.Add(-quiet))
	return out, wrap("users due for email", err)
}

// SendPendingEmails locks the user's waiting notifications (rows another worker holds are
// skipped), hands them to send, and marks them sent when send succeeds, all in one transaction.
// A failed send leaves them waiting for the next attempt; a crash after sending and before the
// commit sends them again (at least once: an e-mail is never silently lost).
func (s *Store) SendPendingEmails(ctx context.Context, userID int64, send func([]PendingEmail) error) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx *Store) error {
		var rows []PendingEmail
		err := tx.q.SelectContext(ctx, &rows, `
			SELECT `+notificationColumns+`, u.email, u.nom, u.prenom
			FROM notifications n JOIN users u ON u.id = n.destinataire_id
			WHERE n.destinataire_id = $1 AND n.email_statut = 'en_attente'
			ORDER BY n.id LIMIT 50
			FOR UPDATE OF n SKIP LOCKED`, userID)
		if err != nil {
			return wrap("pending emails", err)
		}
		if len(rows) == 0 {
			return nil
		}
		if err := send(rows); err != nil {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE notifications SET email_statut = 'envoye', email_envoye_at = now() WHERE id = ANY($1)`, pq.Array(ids))
		n = len(rows)
		return wrap("mark emails sent", err)
	})
	return n, err
}

// GetNotificationFor returns one notification of user, or domain.ErrNotFound.
func (s *Store) GetNotificationFor(ctx context.Context, userID, id int64) (domain.Notification, error) {
	var n domain.Notification
	err := s.q.GetContext(ctx, &n, `SELECT `+notificationColumns+` FROM notifications n WHERE n.id = $1 AND n.destinataire_id = $2`, id, userID)
	return n, wrap("get notification", err)
}

// NotificationsAfter returns the user's notifications with an id above afterID, oldest first
// (reconnecting streams replay them).
func (s *Store) NotificationsAfter(ctx context.Context, userID, afterID int64, limit int) ([]domain.Notification, error) {
	out := []domain.Notification{}
	err := s.q.SelectContext(ctx, &out, `SELECT `+notificationColumns+` FROM notifications n
		WHERE n.destinataire_id = $1 AND n.id > $2 ORDER BY n.id LIMIT $3`, userID, afterID, limit)
	return out, wrap("notifications after", err)
}

// LatestNotificationID is the id of the user's newest notification (0 when none).
func (s *Store) LatestNotificationID(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `SELECT COALESCE(max(id), 0) FROM notifications WHERE destinataire_id = $1`, userID)
	return id, wrap("latest notification", err)
}

// GetEmailPreferences reads a user's e-mail preferences.
func (s *Store) GetEmailPreferences(ctx context.Context, userID int64) (EmailPreferences, error) {
	var raw json.RawMessage
	if err := s.q.GetContext(ctx, &raw, `SELECT email_preferences FROM users WHERE id = $1`, userID); err != nil {
		return EmailPreferences{}, wrap("get email preferences", err)
	}
	var p EmailPreferences
	_ = json.Unmarshal(raw, &p) // a malformed document reads as the defaults
	return p, nil
}

// SetEmailPreferences replaces a user's e-mail preferences and records the change.
func (s *Store) SetEmailPreferences(ctx context.Context, userID int64, p EmailPreferences) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return wrap("set email preferences", err)
	}
	return s.InTx(ctx, func(tx *Store) error {
		old, err := tx.GetEmailPreferences(ctx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE users SET email_preferences = $2 WHERE id = $1`, userID, raw); err != nil {
			return wrap("set email preferences", err)
		}
		return tx.RecordHistorique(ctx, HistoriqueEntry{Entite: "user", EntiteID: userID, Action: "preferences_email", ActeurID: &userID,
			Changements: map[string]any{"email_preferences": map[string]any{"ancien": old, "nouveau": p}}})
	})
}

// UnconsideredNotificationIDs lists notifications created since `since` whose e-mail was never
// decided (email_statut NULL), oldest first.
func (s *Store) UnconsideredNotificationIDs(ctx context.Context, since time.Time, limit int) ([]int64, error) {
	out := []int64{}
	err := s.q.SelectContext(ctx, &out, `SELECT id FROM notifications WHERE email_statut IS NULL AND date_creation > $1
		ORDER BY date_creation, id LIMIT $2`, since, limit)
	return out, wrap("unconsidered notifications", err)
}

// InterventionMailContext is what an e-mail says of the intervention a notification is about.
type InterventionMailContext struct {
	ID         int64                     `db:"id"`
	Titre      string                    `db:"titre"`
	Statut     domain.StatutIntervention `db:"statut"`
	Priorite   domain.Priorite           `db:"priorite"`
	Urgence    bool                      `db:"urgence"`
	DateLimite *time.Time                `db:"date_limite"`
	Equipement string                    `db:"equipement"`
	Site       string                    `db:"site"`
	Technicien string                    `db:"technicien"`
}

// InterventionsForMail loads the e-mail context of the given interventions, by id.
func (s *Store) InterventionsForMail(ctx context.Context, ids []int64) (map[int64]InterventionMailContext, error) {
	out := map[int64]InterventionMailContext{}
	if len(ids) == 0 {
		return out, nil
	}
	rows := []InterventionMailContext{}
	err := s.q.SelectContext(ctx, &rows, `SELECT i.id, i.titre, i.statut, i.priorite, i.urgence, i.date_limite,
			e.nom AS equipement,
			COALESCE(si.nom || COALESCE(', ' || NULLIF(si.ville, ''), ''), NULLIF(e.localisation, ''), '') AS site,
			COALESCE(trim(tu.prenom || ' ' || tu.nom), '') AS technicien
		FROM interventions i JOIN equipements e ON e.id = i.equipement_id
		LEFT JOIN sites si ON si.id = e.site_id
		LEFT JOIN techniciens t ON t.id = i.technicien_id LEFT JOIN users tu ON tu.id = t.user_id
		WHERE i.id = ANY($1)`, pq.Array(ids))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, wrap("interventions for mail", err)
}

// UsersWithUrgentMail lists the recipients of the given notifications that concern critical or
// urgent work (or are errors, as lateness and escalations are): their mail skips the digest.
func (s *Store) UsersWithUrgentMail(ctx context.Context, notificationIDs []int64) ([]int64, error) {
	out := []int64{}
	err := s.q.SelectContext(ctx, &out, `SELECT DISTINCT n.destinataire_id FROM notifications n
		LEFT JOIN interventions i ON i.id = CASE WHEN n.metadata->>'intervention_id' ~ '^[0-9]+$'
			THEN (n.metadata->>'intervention_id')::bigint END
		WHERE n.id = ANY($1) AND (n.type = 'error' OR i.priorite = 'critique' OR i.urgence)
		ORDER BY 1`, pq.Array(notificationIDs))
	return out, wrap("users with urgent mail", err)
}
