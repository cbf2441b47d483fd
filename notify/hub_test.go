package notify

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
)

// With PostgreSQL unreachable, Subscribe gives up when the caller's context ends instead of
// hanging the request, and leaves no subscription behind.
func TestSubscribeHonoursContextWhenDatabaseIsDown(t *testing.T) {
	h := NewHub("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", zap.NewNop())
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := h.Subscribe(ctx, 7); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) != 0 || h.listener != nil {
		t.Fatalf("left behind: %d subscriptions, listener %v", len(h.subs), h.listener)
	}
}

func TestClosedHubRefuses(t *testing.T) {
	h := NewHub("postgres://127.0.0.1:1/none", zap.NewNop())
	h.Close()
	if _, err := h.Subscribe(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v", err)
	}
}

func TestParsePayload(t *testing.T) {
	for in, want := range map[string][2]int64{"12:345": {12, 345}, "0:1": {0, 0}, "a:1": {0, 0}, "12": {0, 0}, "1:-4": {0, 0}} {
		u, id, ok := parsePayload(in)
		if ok != (want[0] != 0) || u != want[0] || id != want[1] {
			t.Errorf("parsePayload(%q) = %d, %d, %v", in, u, id, ok)
		}
	}
}
