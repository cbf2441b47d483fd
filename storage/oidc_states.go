package storage

import (
	"context"
	"time"
)

// OIDCLoginState is an OIDC login in flight (see migration 00010).
type OIDCLoginState struct {
	StateHash    string    `db:"state_hash"`
	BrowserHash  string    `db:"browser_hash"`
	Nonce        string    `db:"nonce"`
	CodeVerifier string    `db:"code_verifier"`
	ExpiresAt    time.Time `db:"expires_at"`
}

// SaveOIDCLoginState stores a login in flight, and drops the expired ones on the way (they are
// few and short-lived: no scheduled job needed).
func (s *Store) SaveOIDCLoginState(ctx context.Context, st OIDCLoginState) error {
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_login_states WHERE expires_at < now()`); err != nil {
			return wrap("purge oidc states", err)
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_login_states (state_hash, browser_hash, nonce, code_verifier, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, st.StateHash, st.BrowserHash, st.Nonce, st.CodeVerifier, st.ExpiresAt)
		return wrap("save oidc state", err)
	})
}

// ConsumeOIDCLoginState deletes and returns the state: it can be used only once, even by two
// concurrent callbacks. domain.ErrNotFound when unknown, already used or expired.
func (s *Store) ConsumeOIDCLoginState(ctx context.Context, stateHash string, now time.Time) (OIDCLoginState, error) {
	var st OIDCLoginState
	err := s.q.GetContext(ctx, &st, `DELETE FROM oidc_login_states WHERE state_hash = $1 AND expires_at > $2
		RETURNING state_hash, browser_hash, nonce, code_verifier, expires_at`, stateHash, now)
	return st, wrap("consume oidc state", err)
}
