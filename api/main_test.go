package api_test

import (
	"testing"

	"github.com/mifmaroc/mif/internal/apitest"
)

// TestMain is the one TestMain of package api tests: it stops the shared Temporal dev server and
// cleans up test databases when the package's tests are done.
func TestMain(m *testing.M) { apitest.Main(m) }
