package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/poll"
)

// The cached reads (lists, dashboard) answer from memory while nothing changed, never show a
// caller another scope's answer, never show a caller an answer from before its own write, and
// show a write committed by anyone else soon after PostgreSQL announces it.
func TestReadCache(t *testing.T) {
	t.Parallel()
	// A TTL far longer than the test's steps: a fresh read is served from the cache unless a write
	// drops it (others' writes within a fifth of it: 2 s).
	f := newFixtures(t, apitest.WithEnv("MIF_READ_CACHE_TTL", "10s"))
	poll.Until(t, "read cache live", func() error {
		f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil)
		if h, _, _ := f.env.Server.ReadCacheStats(); h == 0 {
			return errors.New("no hit yet")
		}
		return nil
	})

	all := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil))
	hits, misses, _ := f.env.Server.ReadCacheStats()
	again := f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil)
	if h, m, _ := f.env.Server.ReadCacheStats(); h != hits+1 || m != misses {
		t.Fatalf("second identical read: hits %d→%d, misses %d→%d", hits, h, misses, m)
	}
	if total(t, again) != all || again.Header.Get("Cache-Control") != "no-store" || again.Header.Get("X-Request-ID") == "" {
		t.Fatalf("cached answer: total %d (want %d), headers %v", total(t, again), all, again.Header)
	}

	t.Run("each scope its own answer", func(t *testing.T) {
		mine := total(t, f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath, nil))
		other := total(t, f.want(t, http.StatusOK, apitest.Client2, "GET", equipementsPath, nil))
		if mine >= all || other >= all || mine == 0 {
			t.Fatalf("clients see %d and %d of %d equipment", mine, other, all)
		}
		if again := total(t, f.want(t, http.StatusOK, apitest.Client, "GET", equipementsPath, nil)); again != mine {
			t.Fatalf("client's second read: %d, first %d", again, mine)
		}
		// Query parameters are part of the request: a filtered list is not the full one.
		res := f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath+"?statut=retire", nil)
		if total(t, res) == all {
			t.Fatalf("filtered list answered with the full one (%d)", all)
		}
	})

	t.Run("the API's own write shows at once", func(t *testing.T) {
		for i := range 3 {
			f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil) // cached
			f.want(t, http.StatusCreated, apitest.Responsable, "POST", equipementsPath, map[string]any{
				"nom": fmt.Sprintf("Compresseur RC-%d", i), "type": "Compresseur", "numero_serie": fmt.Sprintf("RC-API-%d", i)})
			if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil)); n != all+i+1 {
				t.Fatalf("after create %d: %d equipment listed, want %d", i, n, all+i+1)
			}
		}
		all += 3
	})

	t.Run("a write committed elsewhere shows once announced", func(t *testing.T) {
		f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil)
		f.exec(`INSERT INTO equipements (nom, type, numero_serie) VALUES ('Broyeur RC', 'Broyeur', 'RC-SQL-1')`)
		poll.Until(t, "the new equipment listed", func() error {
			if n := total(t, f.want(t, http.StatusOK, apitest.Responsable, "GET", equipementsPath, nil)); n != all+1 {
				return fmt.Errorf("%d listed", n)
			}
			return nil
		})
		dash := func() int {
			var st struct {
				Equipements struct {
					Total int `json:"total"`
				} `json:"equipements"`
			}
			f.want(t, http.StatusOK, apitest.Responsable, "GET", "/api/v1/dashboard/stats", nil).JSON(t, &st)
			return st.Equipements.Total
		}
		before := dash()
		f.exec(`INSERT INTO equipements (nom, type, numero_serie) VALUES ('Broyeur RC 2', 'Broyeur', 'RC-SQL-2')`)
		poll.Until(t, "the dashboard counts it", func() error {
			if n := dash(); n != before+1 {
				return fmt.Errorf("dashboard total %d, want %d", n, before+1)
			}
			return nil
		})
	})

	t.Run("errors are not kept", func(t *testing.T) {
		_, m, _ := f.env.Server.ReadCacheStats()
		for range 2 {
			f.want(t, http.StatusUnprocessableEntity, apitest.Responsable, "GET", equipementsPath+"?statut=inconnu", nil)
		}
		if _, m2, _ := f.env.Server.ReadCacheStats(); m2 != m+2 {
			t.Fatalf("misses %d→%d: a 422 was served from the cache", m, m2)
		}
	})
}
