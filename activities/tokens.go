package activities

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/temporalerr"
)

// PurgeExpiredTokensInput names the cut-off: refresh tokens that expired before Before are
// deleted, and login attempts older than LoginAttemptsBefore (zero: kept). The caller (a daily
// Schedule) computes the times, so that a retried activity deletes the same set.
type PurgeExpiredTokensInput struct {
	Before              time.Time
	LoginAttemptsBefore time.Time
}

// PurgeExpiredTokensResult counts what was deleted.
type PurgeExpiredTokensResult struct {
	RefreshTokens       int64
	LoginAttempts       int64
	RevokedAccessTokens int64
}

// PurgeExpiredTokens deletes expired refresh tokens (and old login attempts). Idempotent: a
// retry deletes only what is left.
func (a *Activities) PurgeExpiredTokens(ctx context.Context, in PurgeExpiredTokensInput) (PurgeExpiredTokensResult, error) {
	var res PurgeExpiredTokensResult
	n, err := a.Store.PurgeExpiredRefreshTokens(ctx, in.Before)
	if err != nil {
		return res, temporalerr.Wrap(err)
	}
	res.RefreshTokens = n
	if res.RevokedAccessTokens, err = a.Store.PurgeRevokedAccessTokens(ctx, in.Before); err != nil {
		return res, temporalerr.Wrap(err)
	}
	if !in.LoginAttemptsBefore.IsZero() {
		if res.LoginAttempts, err = a.Store.PurgeLoginAttempts(ctx, in.LoginAttemptsBefore); err != nil {
			return res, temporalerr.Wrap(err)
		}
	}
	if a.Log != nil {
		a.Log.Info("expired tokens purged", zap.Int64("refresh_tokens", res.RefreshTokens), zap.Int64("login_attempts", res.LoginAttempts))
	}
	return res, nil
}
