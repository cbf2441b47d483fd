package notify

import (
	"testing"

	"github.com/mifmaroc/mif/internal/parallel"
	"github.com/mifmaroc/mif/internal/testdb"
)

// TestMain drops the test databases when done.
func TestMain(m *testing.M) { testdb.Main(m) }

// TestEveryTestIsParallel: the package's tests run in parallel (each has its own database, or
// none); a test that cannot says why in its doc comment.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
