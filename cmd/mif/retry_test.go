package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestRetryWaitsUntilTheDependencyAnswers(t *testing.T) {
	calls := 0
	err := retry(context.Background(), time.Minute, zap.NewNop(), "thing", func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("connection refused")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("want success at the third attempt, got %v after %d", err, calls)
	}
}

func TestRetryGivesUpAtTheTotalWait(t *testing.T) {
	calls := 0
	err := retry(context.Background(), 1200*time.Millisecond, zap.NewNop(), "thing", func(context.Context) error {
		calls++
		return errors.New("connection refused")
	})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "MIF_STARTUP_TIMEOUT") {
		t.Fatalf("want the last error and the variable named, got %v", err)
	}
	if calls < 2 {
		t.Fatalf("want several attempts within the total wait, got %d", calls)
	}
}

func TestRetryZeroIsOneAttemptAndStopsWithTheContext(t *testing.T) {
	calls := 0
	fail := func(context.Context) error { calls++; return errors.New("down") }
	if err := retry(context.Background(), 0, zap.NewNop(), "thing", fail); err == nil || calls != 1 {
		t.Fatalf("MIF_STARTUP_TIMEOUT=0: want one failed attempt, got %v after %d", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	if err := retry(ctx, time.Hour, zap.NewNop(), "thing", fail); err == nil || calls != 1 {
		t.Fatalf("cancelled context: want to stop after one attempt, got %v after %d", err, calls)
	}
}
