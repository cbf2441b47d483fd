package authn

import (
	"testing"

	"github.com/mifmaroc/mif/internal/testdb"
)

// TestMain drops the test databases of the service tests when done.
func TestMain(m *testing.M) { testdb.Main(m) }
