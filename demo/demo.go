// Package demo seeds the demonstration data set that `mif dev` and `mif seed` load: a few
// clients with contracts, sites in seven Moroccan cities, equipment at those sites, technicians
// with skills, home bases, working hours and tools, and one account per role. Seeding is
// idempotent: rows are matched on their natural keys, so running it twice changes nothing.
package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/storage"
)

// Password is the password of every demo account (it satisfies the password policy).
const Password = "MifMaroc#2026"

// Account is a demo login shown by `mif dev`.
type Account struct {
	Email string
	Role  domain.Role
}

type user struct {
	email, nom, prenom string
	role               domain.Role
	client             string // client name for client accounts
	specialite         string
	niveau             string
	localisation       string
	competences        map[string]int
}

var clients = []struct{ nom, ville, email string }{
	{"Cimenterie Atlas", "Casablanca", "maintenance@cimatlas.ma"},
	{"Laiterie du Souss", "Agadir", "technique@laiteriesouss.ma"},
}

var competences = []struct{ nom, categorie string }{
	{"Hydraulique", "Mécanique"}, {"Pneumatique", "Mécanique"}, {"Électricité industrielle", "Électrique"},
	{"Automatisme", "Électrique"}, {"Froid industriel", "Thermique"}, {"Soudure", "Mécanique"},
}

var users = []user{
	{email: "admin@mif.ma", nom: "Alaoui", prenom: "Karim", role: domain.RoleAdmin},
	{email: "responsable@mif.ma", nom: "Bennani", prenom: "Salma", role: domain.RoleResponsable},
	{email: "technicien@mif.ma", nom: "Dubois", prenom: "Marie", role: domain.RoleTechnicien,
		specialite: "Hydraulique", niveau: "senior", localisation: "Casablanca",
		competences: map[string]int{"Hydraulique": 5, "Pneumatique": 4, "Soudure": 3}},
	{email: "technicien2@mif.ma", nom: "El Amrani", prenom: "Youssef", role: domain.RoleTechnicien,
		specialite: "Électricité", niveau: "confirme", localisation: "Casablanca",
		competences: map[string]int{"Électricité industrielle": 4, "Automatisme": 4}},
	{email: "technicien3@mif.ma", nom: "Tazi", prenom: "Hicham", role: domain.RoleTechnicien,
		specialite: "Froid", niveau: "junior", localisation: "Agadir",
		competences: map[string]int{"Froid industriel": 3, "Électricité industrielle": 2}},
	{email: "client@cimatlas.ma", nom: "Berrada", prenom: "Nadia", role: domain.RoleClient, client: "Cimenterie Atlas"},
	{email: "client@laiteriesouss.ma", nom: "Idrissi", prenom: "Omar", role: domain.RoleClient, client: "Laiterie du Souss"},
}

var equipements = []struct {
	nom, typ, modele, serie, localisation, client string
	frequence                                     int
}{
	{"Presse hydraulique PH-001", "Presse", "HPX-2000", "PH001-2023-001", "Atelier A", "Cimenterie Atlas", 30},
	{"Broyeur à boulets BB-07", "Broyeur", "FLS-UMS", "BB07-2019-114", "Atelier B", "Cimenterie Atlas", 90},
	{"Compresseur d'air CA-3", "Compresseur", "Atlas Copco GA55", "CA3-2021-553", "Local technique", "Cimenterie Atlas", 60},
	{"Tank à lait TL-12", "Cuve réfrigérée", "Serap 10000L", "TL12-2020-010", "Salle de réception", "Laiterie du Souss", 30},
	{"Pasteurisateur PS-2", "Pasteurisateur", "Tetra Therm", "PS2-2022-201", "Ligne 1", "Laiterie du Souss", 45},
}

var contrats = []struct {
	numero, client      string
	reponse, resolution int
}{
	{"CT-2026-001", "Cimenterie Atlas", 4, 24},
	{"CT-2026-002", "Laiterie du Souss", 8, 48},
}

// Accounts lists the demo logins.
func Accounts() []Account {
	out := make([]Account, len(users))
	for i, u := range users {
		out[i] = Account{Email: u.email, Role: u.role}
	}
	return out
}

// Seed loads the demo data set; it only inserts what is missing.
func Seed(ctx context.Context, st *storage.Store) error {
	return seed(ctx, st, sync.OnceValues(func() (string, error) { return authn.HashPassword(Password) }))
}

// SeedWithPasswordHash is Seed with the bcrypt hash of Password computed by the caller (test
// harnesses compute it once per process instead of once per database).
func SeedWithPasswordHash(ctx context.Context, st *storage.Store, hash string) error {
	return seed(ctx, st, func() (string, error) { return hash, nil })
}

func seed(ctx context.Context, st *storage.Store, hash func() (string, error)) error {
	return st.InTx(ctx, func(tx *storage.Store) error {
		db := tx.Q()
		ids := map[string]int64{}
		for _, c := range clients {
			id, err := upsertID(ctx, db, `INSERT INTO clients (nom, ville, email) VALUES ($1, $2, $3)
				ON CONFLICT (lower(nom)) DO NOTHING RETURNING id`, `SELECT id FROM clients WHERE lower(nom) = lower($1)`, c.nom, c.nom, c.ville, c.email)
			if err != nil {
				return err
			}
			ids["client:"+c.nom] = id
		}
		for _, c := range competences {
			id, err := upsertID(ctx, db, `INSERT INTO competences (nom, categorie) VALUES ($1, $2)
				ON CONFLICT (lower(nom)) DO NOTHING RETURNING id`, `SELECT id FROM competences WHERE lower(nom) = lower($1)`, c.nom, c.nom, c.categorie)
			if err != nil {
				return err
			}
			ids["competence:"+c.nom] = id
		}
		// Every demo account shares one password: it is hashed once, and only if an account is missing.
		for _, u := range users {
			if err := seedUser(ctx, tx, ids, u, hash); err != nil {
				return err
			}
		}
		for _, c := range contrats {
			id, err := upsertID(ctx, db, `INSERT INTO contrats (numero, client_id, date_debut, date_fin, sla_reponse_heures, sla_resolution_heures, description)
				VALUES ($1, $2, date_trunc('year', now())::date, (date_trunc('year', now()) + interval '2 years')::date, $3, $4, 'Contrat de maintenance préventive et corrective')
				ON CONFLICT (numero) DO NOTHING RETURNING id`, `SELECT id FROM contrats WHERE numero = $1`, c.numero,
				c.numero, ids["client:"+c.client], c.reponse, c.resolution)
			if err != nil {
				return err
			}
			ids["contrat:"+c.client] = id
		}
		for _, e := range equipements {
			id, err := upsertID(ctx, db, `INSERT INTO equipements (nom, type, modele, numero_serie, localisation, frequence_entretien, date_installation, derniere_maintenance)
				VALUES ($1, $2, $3, $4, $5, $6, now() - interval '2 years', now() - make_interval(days => $6 - 5))
				ON CONFLICT (numero_serie) DO NOTHING RETURNING id`, `SELECT id FROM equipements WHERE numero_serie = $1`, e.serie,
				e.nom, e.typ, e.modele, e.serie, e.localisation, e.frequence)
			if err != nil {
				return err
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO contrat_equipements (contrat_id, equipement_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
				ids["contrat:"+e.client], id); err != nil {
				return fmt.Errorf("demo: contrat equipement: %w", err)
			}
		}
		return seedGeographie(ctx, tx, ids)
	})
}

func seedUser(ctx context.Context, tx *storage.Store, ids map[string]int64, u user, passwordHash func() (string, error)) error {
	existing, err := tx.GetUserByLogin(ctx, u.email)
	userID := existing.ID
	if errors.Is(err, domain.ErrNotFound) {
		hash, err := passwordHash()
		if err != nil {
			return err
		}
		var clientID *int64
		if u.client != "" {
			id := ids["client:"+u.client]
			clientID = &id
		}
		created, err := tx.CreateUser(ctx, storage.NewUser{Email: u.email, PasswordHash: &hash, Nom: u.nom, Prenom: u.prenom, Role: u.role, ClientID: clientID}, nil)
		if err != nil {
			return err
		}
		userID = created.ID
		if u.role == domain.RoleTechnicien {
			if _, err := tx.Q().ExecContext(ctx, `UPDATE techniciens SET specialite = $2, niveau_experience = $3, localisation_base = $4, telephone = '+212 600 000 000'
				WHERE user_id = $1`, userID, u.specialite, u.niveau, u.localisation); err != nil {
				return fmt.Errorf("demo: technicien: %w", err)
			}
		}
	} else if err != nil {
		return err
	}
	for name, niveau := range u.competences {
		if _, err := tx.Q().ExecContext(ctx, `INSERT INTO technicien_competences (technicien_id, competence_id, niveau)
			SELECT t.id, $2, $3 FROM techniciens t WHERE t.user_id = $1 ON CONFLICT DO NOTHING`,
			userID, ids["competence:"+name], niveau); err != nil {
			return fmt.Errorf("demo: competence: %w", err)
		}
	}
	return nil
}

// upsertID runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id, and when the row already
// existed, the SELECT that finds it by its natural key.
func upsertID(ctx context.Context, db storage.Queryer, insert, find string, key any, args ...any) (int64, error) {
	var ids []int64
	if err := db.SelectContext(ctx, &ids, insert, args...); err != nil {
		return 0, fmt.Errorf("demo: insert: %w", err)
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	var id int64
	if err := db.GetContext(ctx, &id, find, key); err != nil {
		return 0, fmt.Errorf("demo: find: %w", err)
	}
	return id, nil
}
