package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
	"github.com/mifmaroc/mif/internal/testdb"
	"github.com/mifmaroc/mif/storage"
)

func TestPurgeExpiredTokensIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := storage.New(testdb.New(t))
	u, err := store.CreateUser(ctx, storage.NewUser{Email: "purge@mif.ma", Role: domain.RoleClient}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, exp := range []time.Duration{-time.Hour, -time.Minute, time.Hour} {
		if err := store.CreateRefreshToken(ctx, storage.NewRefreshToken{UserID: u.ID, TokenHash: "h" + string(rune('0'+i)),
			FamilyID: uuid.New(), ExpiresAt: now.Add(exp)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ago := range []time.Duration{40 * 24 * time.Hour, time.Hour} {
		if err := store.RecordLoginAttempt(ctx, "x@mif.ma", "1.2.3.4", false, now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts := &activities.Activities{Store: store, Log: zap.NewNop()}
	env.RegisterActivity(acts)
	in := activities.PurgeExpiredTokensInput{Before: now, LoginAttemptsBefore: now.AddDate(0, 0, -30)}
	for run, want := range []activities.PurgeExpiredTokensResult{{RefreshTokens: 2, LoginAttempts: 1}, {}} {
		v, err := env.ExecuteActivity(acts.PurgeExpiredTokens, in)
		if err != nil {
			t.Fatal(err)
		}
		var got activities.PurgeExpiredTokensResult
		if err := v.Get(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("run %d: %+v, want %+v", run, got, want)
		}
	}
	if _, err := store.GetRefreshToken(ctx, "h2"); err != nil {
		t.Fatal("the live token was purged")
	}
}
