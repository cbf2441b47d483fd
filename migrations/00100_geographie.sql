-- +goose Up
-- Geography for the route planning (issue 10): client sites with coordinates and opening hours,
-- each equipment at a site (its interventions inherit it), and for each technicien a home base
-- and working hours per weekday.

CREATE TABLE sites (
    id            BIGSERIAL PRIMARY KEY,
    client_id     BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    nom           TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    adresse       TEXT NOT NULL DEFAULT '',
    ville         TEXT NOT NULL DEFAULT '',
    -- WGS 84 degrees. Required: a site without a place cannot be routed to.
    latitude      DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sites_client_nom_key ON sites (client_id, lower(nom));

-- Opening hours, local time (MIF_PLANNING_TIMEZONE), several intervals a day allowed (a lunch
-- break). A site with no row is accessible whenever a technicien works; a site with rows is
-- closed on the days that have none. Overlaps are refused by the domain's validation.
CREATE TABLE site_horaires (
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    jour    SMALLINT NOT NULL CHECK (jour BETWEEN 1 AND 7), -- ISO 8601: 1 = lundi, 7 = dimanche
    debut   TIME NOT NULL,
    fin     TIME NOT NULL,
    CONSTRAINT site_horaires_ordre CHECK (fin > debut),
    PRIMARY KEY (site_id, jour, debut)
);

ALTER TABLE equipements ADD COLUMN site_id BIGINT REFERENCES sites (id) ON DELETE RESTRICT;
CREATE INDEX equipements_site_idx ON equipements (site_id) WHERE site_id IS NOT NULL;

-- The home base, where a technicien's day starts and ends (localisation_base stays its label).
ALTER TABLE techniciens
    ADD COLUMN base_latitude  DOUBLE PRECISION CHECK (base_latitude BETWEEN -90 AND 90),
    ADD COLUMN base_longitude DOUBLE PRECISION CHECK (base_longitude BETWEEN -180 AND 180),
    ADD CONSTRAINT techniciens_base_complete CHECK ((base_latitude IS NULL) = (base_longitude IS NULL));

-- Working hours per weekday. They extend heure_debut/heure_fin rather than duplicate them: a
-- technicien without rows here works Monday to Friday from heure_debut to heure_fin, as before;
-- rows, when present, say exactly which days and hours he works.
CREATE TABLE technicien_horaires (
    technicien_id BIGINT NOT NULL REFERENCES techniciens (id) ON DELETE CASCADE,
    jour          SMALLINT NOT NULL CHECK (jour BETWEEN 1 AND 7),
    debut         TIME NOT NULL,
    fin           TIME NOT NULL,
    CONSTRAINT technicien_horaires_ordre CHECK (fin > debut),
    PRIMARY KEY (technicien_id, jour, debut)
);

-- The one home of that rule: every query that needs a technicien's hours on a weekday reads
-- this view.
CREATE VIEW technicien_horaires_effectifs AS
SELECT h.technicien_id, h.jour, h.debut, h.fin
FROM technicien_horaires h
UNION ALL
SELECT t.id, d.jour::smallint, t.heure_debut, t.heure_fin
FROM techniciens t CROSS JOIN generate_series(1, 5) AS d (jour)
WHERE NOT EXISTS (SELECT 1 FROM technicien_horaires h WHERE h.technicien_id = t.id);

-- +goose Down
DROP VIEW technicien_horaires_effectifs;
DROP TABLE technicien_horaires;
ALTER TABLE techniciens DROP CONSTRAINT techniciens_base_complete,
    DROP COLUMN base_longitude, DROP COLUMN base_latitude;
DROP INDEX equipements_site_idx;
ALTER TABLE equipements DROP COLUMN site_id;
DROP TABLE site_horaires;
DROP TABLE sites;
