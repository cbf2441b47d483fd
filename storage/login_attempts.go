package storage

import (
	"context"
	"time"
)

// LoginFailures counts the failed logins of one key in the window that starts at since.
type LoginFailures struct {
	Count int        `db:"count"`
	Last  *time.Time `db:"last"`
}

// RecordLoginAttempt appends one attempt. identifiant is the login as typed (lower-cased),
// whether or not such an account exists, so that throttling reveals nothing about accounts.
func (s *Store) RecordLoginAttempt(ctx context.Context, identifiant, ip string, success bool, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO login_attempts (identifiant, ip, success, attempted_at) VALUES ($1, $2, $3, $4)`,
		identifiant, ip, success, at)
	return wrap("record login attempt", err)
}

// AccountLoginFailures counts the failures for identifiant since the later of `since` and its last
// successful login: a success clears the account's slate.
func (s *Store) AccountLoginFailures(ctx context.Context, identifiant string, since time.Time) (LoginFailures, error) {
	var f LoginFailures
	err := s.q.GetContext(ctx, &f, `
		SELECT count(*) AS count, max(attempted_at) AS last FROM login_attempts
		WHERE identifiant = $1 AND NOT success AND attempted_at > GREATEST($2::timestamptz,
			COALESCE((SELECT max(attempted_at) FROM login_attempts WHERE identifiant = $1 AND success), '-infinity'))`,
		identifiant, since)
	return f, wrap("count account login failures", err)
}

// IPLoginFailures counts the failures from ip since `since`. A success does not clear them: one
// address spraying passwords over many accounts would otherwise reset its own counter.
func (s *Store) IPLoginFailures(ctx context.Context, ip string, since time.Time) (LoginFailures, error) {
	var f LoginFailures
	err := s.q.GetContext(ctx, &f, `
		SELECT count(*) AS count, max(attempted_at) AS last FROM login_attempts
		WHERE ip = $1 AND NOT success AND attempted_at > $2`, ip, since)
	return f, wrap("count ip login failures", err)
}

// PurgeLoginAttempts deletes attempts older than before (they no longer count in any window).
func (s *Store) PurgeLoginAttempts(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM login_attempts WHERE attempted_at < $1`, before)
	if err != nil {
		return 0, wrap("purge login attempts", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ReserveLoginAttempt serialises the attempts on one account name: under a transaction-scoped
// advisory lock it counts the recent failures of identifiant and ip, asks allow whether the
// attempt may proceed and, if so, records it as failed before the password is even checked
// (MarkLoginSucceeded flips it afterwards). Parallel guesses therefore see each other and cannot
// all slip through one free slot. It returns the attempt's id, or 0 when allow refused.
func (s *Store) ReserveLoginAttempt(ctx context.Context, identifiant, ip string, since, at time.Time,
	allow func(account, byIP LoginFailures) bool) (int64, error) {
	var id int64
	err := s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('login:' || $1, 0))`, identifiant); err != nil {
			return wrap("lock login attempts", err)
		}
		acc, err := tx.AccountLoginFailures(ctx, identifiant, since)
		if err != nil {
			return err
		}
		byIP, err := tx.IPLoginFailures(ctx, ip, since)
		if err != nil {
			return err
		}
		if !allow(acc, byIP) {
			return nil
		}
		err = tx.q.GetContext(ctx, &id, `INSERT INTO login_attempts (identifiant, ip, success, attempted_at)
			VALUES ($1, $2, false, $3) RETURNING id`, identifiant, ip, at)
		return wrap("record login attempt", err)
	})
	return id, err
}

// MarkLoginSucceeded turns a reserved attempt into a success.
func (s *Store) MarkLoginSucceeded(ctx context.Context, id int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE login_attempts SET success = true WHERE id = $1`, id)
	return wrap("mark login succeeded", err)
}
