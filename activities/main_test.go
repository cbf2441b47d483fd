package activities_test

import (
	"testing"

	"github.com/mifmaroc/mif/internal/testdb"
)

// TestMain is the one TestMain of package activities_test: it drops the test databases when done.
func TestMain(m *testing.M) { testdb.Main(m) }
