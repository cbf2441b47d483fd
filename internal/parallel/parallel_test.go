package parallel_test

import (
	"slices"
	"testing"

	"github.com/mifmaroc/mif/internal/parallel"
)

func TestOffenders(t *testing.T) {
	t.Parallel()
	got, err := parallel.Offenders("testdata/pkg")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range got {
		names = append(names, o.Name)
	}
	if want := []string{"TestExcuseWithoutReason", "TestLate"}; !slices.Equal(names, want) {
		t.Fatalf("offenders %v, want %v", names, want)
	}
}

func TestEveryTestIsParallel(t *testing.T) {
	t.Parallel()
	parallel.Check(t)
}
