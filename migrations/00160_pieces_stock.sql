-- +goose Up
-- Spare parts inventory (issue 14): a catalogue of parts, the places they are kept (warehouses
-- and each technicien's van), the stock of each part at each place with its reorder threshold,
-- reservations for planned work, the lines consumed by completed work (with the unit cost of the
-- day, for the report and the KPIs) and a ledger of every movement.

CREATE TABLE pieces (
    id            BIGSERIAL PRIMARY KEY,
    reference     TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    designation   TEXT NOT NULL CHECK (length(designation) BETWEEN 1 AND 300),
    unite         TEXT NOT NULL DEFAULT 'pièce' CHECK (length(unite) BETWEEN 1 AND 30),
    -- MAD, excluding tax; the cost of a consumption is copied on its line when it happens.
    cout_unitaire NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (cout_unitaire >= 0),
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pieces_reference_key ON pieces (lower(reference));

CREATE TABLE emplacements (
    id            BIGSERIAL PRIMARY KEY,
    nom           TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    type          TEXT NOT NULL CHECK (type IN ('entrepot', 'vehicule')),
    -- A van belongs to one technicien; a warehouse to nobody.
    technicien_id BIGINT REFERENCES techniciens (id) ON DELETE RESTRICT,
    date_creation TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT emplacements_vehicule_technicien CHECK ((type = 'vehicule') = (technicien_id IS NOT NULL))
);
CREATE UNIQUE INDEX emplacements_nom_key ON emplacements (lower(nom));
CREATE UNIQUE INDEX emplacements_technicien_key ON emplacements (technicien_id) WHERE technicien_id IS NOT NULL;

-- The stock of a part at a place. Both CHECKs are the last line of defence: every write is also a
-- conditional UPDATE, so that concurrent consumptions wait for each other on the row and the
-- second one is refused when the first left too little.
CREATE TABLE stocks (
    piece_id          BIGINT NOT NULL REFERENCES pieces (id) ON DELETE RESTRICT,
    emplacement_id    BIGINT NOT NULL REFERENCES emplacements (id) ON DELETE RESTRICT,
    quantite          NUMERIC(14, 3) NOT NULL DEFAULT 0,
    -- Part of quantite promised to planned interventions (reservations_pieces, statut active).
    quantite_reservee NUMERIC(14, 3) NOT NULL DEFAULT 0,
    -- Reorder threshold: when quantite falls to it or below, the responsables are notified once;
    -- alerte_active stays set until the stock is above the threshold again.
    seuil_reappro     NUMERIC(14, 3) CHECK (seuil_reappro >= 0),
    alerte_active     BOOLEAN NOT NULL DEFAULT false,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (piece_id, emplacement_id),
    CONSTRAINT stocks_quantite_positive CHECK (quantite >= 0),
    CONSTRAINT stocks_reservee_bornee CHECK (quantite_reservee >= 0 AND quantite_reservee <= quantite)
);
CREATE INDEX stocks_emplacement_idx ON stocks (emplacement_id);

CREATE TABLE reservations_pieces (
    id              BIGSERIAL PRIMARY KEY,
    intervention_id BIGINT NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    piece_id        BIGINT NOT NULL,
    emplacement_id  BIGINT NOT NULL,
    quantite        NUMERIC(14, 3) NOT NULL CHECK (quantite > 0),
    -- active: held in stocks.quantite_reservee; consommee: the completion used it; liberee: given
    -- back (cancelled, completed without it, or deleted by hand).
    statut          TEXT NOT NULL DEFAULT 'active' CHECK (statut IN ('active', 'consommee', 'liberee')),
    acteur_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_creation   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (piece_id, emplacement_id) REFERENCES stocks (piece_id, emplacement_id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX reservations_pieces_active_key ON reservations_pieces (intervention_id, piece_id, emplacement_id)
    WHERE statut = 'active';

-- What completed work consumed: written by the completion's transaction.
CREATE TABLE consommations_pieces (
    id                BIGSERIAL PRIMARY KEY,
    intervention_id   BIGINT NOT NULL REFERENCES interventions (id) ON DELETE CASCADE,
    piece_id          BIGINT NOT NULL REFERENCES pieces (id) ON DELETE RESTRICT,
    emplacement_id    BIGINT NOT NULL REFERENCES emplacements (id) ON DELETE RESTRICT,
    quantite          NUMERIC(14, 3) NOT NULL CHECK (quantite > 0),
    cout_unitaire     NUMERIC(12, 2) NOT NULL CHECK (cout_unitaire >= 0),
    date_consommation TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX consommations_pieces_intervention_idx ON consommations_pieces (intervention_id);
CREATE INDEX consommations_pieces_piece_idx ON consommations_pieces (piece_id);

-- The ledger: one row per change of a stock line (quantite or quantite_reservee), with the values
-- after it. A transfer is two rows sharing groupe.
CREATE TABLE mouvements_stock (
    id              BIGSERIAL PRIMARY KEY,
    piece_id        BIGINT NOT NULL REFERENCES pieces (id) ON DELETE RESTRICT,
    emplacement_id  BIGINT NOT NULL REFERENCES emplacements (id) ON DELETE RESTRICT,
    type            TEXT NOT NULL CHECK (type IN ('entree', 'sortie', 'ajustement', 'consommation',
                        'transfert_sortie', 'transfert_entree', 'reservation', 'liberation')),
    -- Signed change of quantite (of quantite_reservee for reservation and liberation).
    quantite        NUMERIC(14, 3) NOT NULL,
    quantite_apres  NUMERIC(14, 3) NOT NULL,
    reservee_apres  NUMERIC(14, 3) NOT NULL,
    intervention_id BIGINT REFERENCES interventions (id) ON DELETE SET NULL,
    groupe          UUID,
    motif           TEXT NOT NULL DEFAULT '',
    acteur_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    date_mouvement  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX mouvements_stock_ligne_idx ON mouvements_stock (piece_id, emplacement_id, date_mouvement);
CREATE INDEX mouvements_stock_intervention_idx ON mouvements_stock (intervention_id) WHERE intervention_id IS NOT NULL;

-- +goose Down
DROP TABLE mouvements_stock;
DROP TABLE consommations_pieces;
DROP TABLE reservations_pieces;
DROP TABLE stocks;
DROP TABLE emplacements;
DROP TABLE pieces;
