-- +goose Up
-- Fingerprint of the Fernet key that sealed an encrypted file: key rotation re-encrypts the rows
-- whose cle_id is not the current key's, so a rotation interrupted halfway resumes where it was.
ALTER TABLE documents ADD COLUMN cle_id TEXT;
-- Set for generated documents (intervention reports): a retried activity finds the row that its
-- first attempt wrote instead of creating a second report.
ALTER TABLE documents ADD COLUMN generation_key TEXT;
CREATE UNIQUE INDEX documents_generation_key ON documents (generation_key) WHERE generation_key IS NOT NULL;
CREATE INDEX documents_encrypted_idx ON documents (id) WHERE is_encrypted;
-- One row per version of a document (same owner, type and name).
CREATE UNIQUE INDEX documents_version_key ON documents
    (COALESCE(intervention_id, 0), COALESCE(equipement_id, 0), type_document, nom, version);

-- E-mail delivery of a notification: NULL = not asked for (or not wanted by the user),
-- en_attente = to be sent (alone or in a digest), envoye = sent, ignore = preferences say no.
ALTER TABLE notifications ADD COLUMN email_statut TEXT
    CHECK (email_statut IN ('en_attente', 'envoye', 'ignore'));
ALTER TABLE notifications ADD COLUMN email_envoye_at TIMESTAMPTZ;
CREATE INDEX notifications_email_pending_idx ON notifications (destinataire_id, id) WHERE email_statut = 'en_attente';
-- The digest run also picks up recent notifications nobody asked to e-mail (an activity retried
-- after its answer was lost returns no ids), so none is forgotten.
CREATE INDEX notifications_email_unconsidered_idx ON notifications (date_creation) WHERE email_statut IS NULL;

-- Real time: every new notification is announced on channel mif_notifications with its id and
-- recipient; API replicas LISTEN and push it to that user's open streams. The payload stays tiny
-- (NOTIFY payloads are limited to 8000 bytes): listeners read the row itself.
-- +goose StatementBegin
CREATE FUNCTION notifications_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mif_notifications', NEW.destinataire_id::text || ':' || NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER notifications_announce AFTER INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_announce();

-- +goose Down
DROP TRIGGER notifications_announce ON notifications;
DROP FUNCTION notifications_announce();
DROP INDEX notifications_email_unconsidered_idx;
DROP INDEX notifications_email_pending_idx;
ALTER TABLE notifications DROP COLUMN email_envoye_at;
ALTER TABLE notifications DROP COLUMN email_statut;
DROP INDEX documents_version_key;
DROP INDEX documents_encrypted_idx;
DROP INDEX documents_generation_key;
ALTER TABLE documents DROP COLUMN generation_key;
ALTER TABLE documents DROP COLUMN cle_id;
