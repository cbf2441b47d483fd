package storage

import (
	"context"
	"time"
)

// RevokeAccessToken ends one access token before its expiry (logout). Revoking twice is harmless.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, userID int64, expiresAt time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO revoked_access_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (jti) DO NOTHING`, jti, userID, expiresAt)
	return wrap("revoke access token", err)
}

// EndAllSessions signs an account out everywhere: refresh tokens revoked and the credentials epoch
// (password_changed_at, carried by access tokens as pwd_at) moved, so every access token dies.
func (s *Store) EndAllSessions(ctx context.Context, userID int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.RevokeUserRefreshTokens(ctx, userID); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE users SET password_changed_at = clock_timestamp() WHERE id = $1`, userID)
		return wrap("end all sessions", err)
	})
}

// PurgeRevokedAccessTokens deletes the denylist entries of tokens that have expired anyway.
func (s *Store) PurgeRevokedAccessTokens(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM revoked_access_tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, wrap("purge revoked access tokens", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("purge revoked access tokens", err)
}
