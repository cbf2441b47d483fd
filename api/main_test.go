package api_test

import (
	"testing"

	"github.com/mifmaroc/mif/internal/apitest"
	"github.com/mifmaroc/mif/internal/parallel"
)

// TestMain is the one TestMain of package api tests: it stops the shared Temporal dev server and
// cleans up test databases when the package's tests are done.
func TestMain(m *testing.M) { apitest.Main(m) }

// TestEveryTestIsParallel: the package's tests run in parallel (each apitest.Env has its own
// database, task queue, mail sink and configuration); a test that cannot says why.
func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
