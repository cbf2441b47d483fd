package testdb

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/internal/poll"
)

// TestBudgetWaitsForReleasedConnections: a reservation that does not fit waits until enough is
// released, one larger than the budget fails at once, and a wait that lasts too long fails with
// the holders named.
func TestBudgetWaitsForReleasedConnections(t *testing.T) {
	t.Parallel()
	b := newBudget(5)
	relA, err := b.take("A", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	relB, err := b.take("B", 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		rel, err := b.take("C", 3, time.Minute)
		if err == nil {
			rel()
		}
		got <- err
	}()
	relB() // 2 free: C (3) still waits
	select {
	case err := <-got:
		t.Fatalf("C got its connections with only 2 free (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	relA()
	relA() // releasing twice gives back nothing more
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("C still waits although 5 connections are free")
	}
	b.mu.Lock()
	used, holders := b.used, len(b.holders)
	b.mu.Unlock()
	if used != 0 || holders != 0 {
		t.Fatalf("after every release: used %d, %d holders", used, holders)
	}

	if _, err := b.take("D", 6, time.Minute); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("a reservation above the budget: %v", err)
	}
	rel, err := b.take("E", 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer rel()
	if _, err := b.take("F", 2, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "held by E (4)") {
		t.Fatalf("a wait past its limit: %v", err)
	}
}

func TestBudgetSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"": DefaultBudget, "40": 40, " 12 ": 12, "0": DefaultBudget, "-3": DefaultBudget, "many": DefaultBudget} {
		if got := budgetSize(in); got != want {
			t.Errorf("budgetSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestWithParam(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/postgres?application_name=mif_t+x&sslmode=disable"},
		{"postgres://h/db?application_name=mine", "postgres://h/db?application_name=mine"},
		{"host=/tmp dbname=postgres", "host=/tmp dbname=postgres application_name='mif_t x'"},
		{"host=/tmp application_name=mine", "host=/tmp application_name=mine"},
	} {
		if got := withParam(tc.in, "application_name", "mif_t x"); got != tc.want {
			t.Errorf("withParam(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBudgetServesInArrivalOrder: a small reservation that would fit does not overtake a larger
// one that came first (which would otherwise wait for ever on a busy binary).
func TestBudgetServesInArrivalOrder(t *testing.T) {
	t.Parallel()
	b := newBudget(5)
	relA, err := b.take("A", 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	waiting := func(n int) func() error {
		return func() error {
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.queue) != n {
				return fmt.Errorf("%d waiting, want %d", len(b.queue), n)
			}
			return nil
		}
	}
	bServed := make(chan func(), 1)
	go func() {
		rel, err := b.take("B", 3, time.Minute)
		if err != nil {
			rel = func() {}
		}
		bServed <- rel
	}()
	poll.Until(t, "B waiting", waiting(1))
	// C (1) would fit beside A (4) at once; it must wait behind B, and be served after it.
	cSawB := make(chan bool, 1)
	go func() {
		rel, err := b.take("C", 1, time.Minute)
		if err != nil {
			cSawB <- false
			return
		}
		b.mu.Lock()
		cSawB <- b.holders["B"] == 3
		b.mu.Unlock()
		rel()
	}()
	poll.Until(t, "C waiting behind B", waiting(2))
	relA()
	if !<-cSawB {
		t.Fatal("C was served before B, which came first")
	}
	(<-bServed)()
}
