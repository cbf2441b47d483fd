package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mifmaroc/mif/domain"
)

// RefreshToken is a stored refresh token (only its hash is kept).
type RefreshToken struct {
	ID        int64      `db:"id"`
	UserID    int64      `db:"user_id"`
	TokenHash string     `db:"token_hash"`
	FamilyID  uuid.UUID  `db:"family_id"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	RotatedAt *time.Time `db:"rotated_at"`
	RevokedAt *time.Time `db:"revoked_at"`
	UserAgent string     `db:"user_agent"`
	IP        string     `db:"ip"`
	// FamilyStartedAt is the login that started the session: the same on every token of the
	// family, so that the session's absolute lifetime survives rotations.
	FamilyStartedAt time.Time `db:"family_started_at"`
}

// NewRefreshToken is a token to store: a new family at login, the same family at rotation.
type NewRefreshToken struct {
	UserID    int64
	TokenHash string
	FamilyID  uuid.UUID
	ExpiresAt time.Time
	UserAgent string
	IP        string
	// CreatedAt is when the token is issued (zero: the database's now()).
	CreatedAt time.Time
	// FamilyStartedAt is the session's login (zero: the database's now()); a rotation copies the
	// old token's.
	FamilyStartedAt time.Time
}

const refreshColumns = `id, user_id, token_hash, family_id, created_at, expires_at, rotated_at, revoked_at, user_agent, ip, family_started_at`

// CreateRefreshToken stores a refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, n NewRefreshToken) error {
	// The user agent is the client's to choose: PostgreSQL refuses NUL and invalid UTF-8 in text,
	// and a byte cut could split a character.
	n.UserAgent = cleanText(n.UserAgent, 300)
	_, err := s.q.ExecContext(ctx, `INSERT INTO refresh_tokens
			(user_id, token_hash, family_id, expires_at, user_agent, ip, created_at, family_started_at)
		VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::timestamptz, now()), COALESCE($8::timestamptz, now()))`,
		n.UserID, n.TokenHash, n.FamilyID, n.ExpiresAt, n.UserAgent, n.IP, nullTime(n.CreatedAt), nullTime(n.FamilyStartedAt))
	return wrap("create refresh token", err)
}

// cleanText makes s storable in a text column: invalid UTF-8 and control characters (NUL
// included) become U+FFFD, and it is cut to at most max bytes on a character boundary.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// RotateRefreshToken exchanges the token whose hash is oldHash for next (same family, same
// FamilyStartedAt), in one transaction that locks the old row, so two concurrent rotations of one
// token cannot both win. Once the old token is known to be current (neither revoked nor rotated),
// allow applies the session's rules to it and returns the new token's expiry; an error from allow
// is returned as is and nothing is written.
//
// It returns the stored old token. Errors: domain.ErrUnauthenticated when the token is unknown,
// expired or revoked, or its account is inactive; domain.ErrRefreshTokenReused when the token was
// already rotated — the whole family is then revoked (committed) before the error is returned.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next NewRefreshToken, now time.Time,
	allow func(old RefreshToken) (time.Time, error)) (RefreshToken, error) {
	var old RefreshToken
	reused := false
	err := s.InTx(ctx, func(tx *Store) error {
		err := tx.q.GetContext(ctx, &old, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, oldHash)
		if err != nil {
			if err = wrap("find refresh token", err); isNotFound(err) {
				return fmt.Errorf("storage: unknown refresh token: %w", domain.ErrUnauthenticated)
			}
			return err
		}
		switch {
		case old.RevokedAt != nil:
			return fmt.Errorf("storage: revoked refresh token: %w", domain.ErrUnauthenticated)
		case old.RotatedAt != nil:
			reused = true
			_, err := tx.RevokeRefreshFamily(ctx, old.FamilyID)
			return err
		}
		expires, err := allow(old)
		if err != nil {
			return err
		}
		if !old.ExpiresAt.After(now) {
			return fmt.Errorf("storage: expired refresh token: %w", domain.ErrUnauthenticated)
		}
		var active bool
		if err := tx.q.GetContext(ctx, &active, `SELECT is_active FROM users WHERE id = $1`, old.UserID); err != nil {
			return wrap("refresh token owner", err)
		}
		if !active {
			return fmt.Errorf("storage: inactive account: %w", domain.ErrUnauthenticated)
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1`, old.ID, now); err != nil {
			return wrap("rotate refresh token", err)
		}
		next.UserID, next.FamilyID, next.FamilyStartedAt, next.ExpiresAt = old.UserID, old.FamilyID, old.FamilyStartedAt, expires
		return tx.CreateRefreshToken(ctx, next)
	})
	if err == nil && reused {
		err = fmt.Errorf("storage: refresh family %s: %w", old.FamilyID, domain.ErrRefreshTokenReused)
	}
	return old, err
}

// RevokeRefreshFamily revokes every token of a family (logout, theft detection).
func (s *Store) RevokeRefreshFamily(ctx context.Context, family uuid.UUID) (int64, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, family)
	if err != nil {
		return 0, wrap("revoke refresh family", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RevokeRefreshTokenFamilyByHash revokes the family of the token whose hash is given (logout).
// An unknown token revokes nothing and is not an error: logout answers the same either way.
func (s *Store) RevokeRefreshTokenFamilyByHash(ctx context.Context, hash string) (int64, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now()
		WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, hash)
	if err != nil {
		return 0, wrap("revoke refresh token", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RevokeUserRefreshTokens revokes every refresh token of an account (password change,
// deactivation).
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, wrap("revoke user refresh tokens", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// GetRefreshToken returns a stored token by hash (tests, diagnostics).
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (RefreshToken, error) {
	var t RefreshToken
	err := s.q.GetContext(ctx, &t, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE token_hash = $1`, hash)
	return t, wrap("get refresh token", err)
}

// PurgeExpiredRefreshTokens deletes the refresh tokens that expired before the given time, and
// returns how many were deleted. Idempotent: a retried purge deletes nothing more.
func (s *Store) PurgeExpiredRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, wrap("purge refresh tokens", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
