package pglisten

import (
	"testing"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
)

// TestMain drops the tests' databases when done.
func TestMain(m *testing.M) { testdb.Main(m) }

// TestEveryTestIsParallel: each test has its own database, or none.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
