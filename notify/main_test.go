package notify

import (
	"testing"

	"github.com/mifmaroc/mif/internal/testdb"
)

// TestMain drops the test databases when done.
func TestMain(m *testing.M) { testdb.Main(m) }
