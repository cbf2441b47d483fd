package migrations_test

import (
	"errors"
	"testing"

	"github.com/lib/pq"

	"github.com/mifmaroc/mif/internal/testdb"
)

// The geography of migrations 00100 and 00101: ranges and pairs enforced by the schema, and the
// effective working hours of a technicien.
func TestGeographySchema(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	code := func(err error) string {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) {
			return string(pqErr.Code)
		}
		return ""
	}
	var client, user, tech int64
	if err := db.QueryRow(`INSERT INTO clients (nom) VALUES ('Client') RETURNING id`).Scan(&client); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		sql  string
	}{
		{"latitude 91", `INSERT INTO sites (client_id, nom, latitude, longitude) VALUES ($1, 'a', 91, 0)`},
		{"longitude -181", `INSERT INTO sites (client_id, nom, latitude, longitude) VALUES ($1, 'b', 0, -181)`},
	} {
		if _, err := db.Exec(c.sql, client); code(err) != "23514" {
			t.Errorf("%s: %v, want a check violation", c.what, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO sites (client_id, nom, latitude, longitude) VALUES ($1, 'c', NULL, 0)`, client); code(err) != "23502" {
		t.Errorf("a site without latitude: %v", err)
	}
	if err := db.QueryRow(`INSERT INTO users (email, role) VALUES ('t@example.com', 'technicien') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`INSERT INTO techniciens (user_id) VALUES ($1) RETURNING id`, user).Scan(&tech); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE techniciens SET base_latitude = 33.5 WHERE id = $1`, tech); code(err) != "23514" {
		t.Errorf("half a base: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO technicien_horaires (technicien_id, jour, debut, fin) VALUES ($1, 8, '08:00', '12:00')`, tech); code(err) != "23514" {
		t.Errorf("day 8: %v", err)
	}
	days := func() (n int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*) FROM technicien_horaires_effectifs WHERE technicien_id = $1`, tech).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := days(); n != 5 {
		t.Errorf("default timetable: %d days, want 5", n)
	}
	if _, err := db.Exec(`INSERT INTO technicien_horaires (technicien_id, jour, debut, fin) VALUES ($1, 6, '08:00', '12:00')`, tech); err != nil {
		t.Fatal(err)
	}
	if n := days(); n != 1 {
		t.Errorf("explicit timetable: %d days, want only Saturday", n)
	}
}
