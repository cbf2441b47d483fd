package workflows

import (
	"testing"
	"time"
)

// TestTimerNamesInThePlatformZone: a timer's name shows its time where the managers are, labelled.
func TestTimerNamesInThePlatformZone(t *testing.T) {
	t.Parallel()
	casa, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Fatal(err)
	}
	SetTimerZone(casa)
	if got, want := noticeTime(time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)), "01/12/2026 17:00 (heure de Casablanca)"; got != want {
		t.Fatalf("noticeTime = %q, want %q", got, want)
	}
}
