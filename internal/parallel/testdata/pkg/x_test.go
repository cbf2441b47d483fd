package pkg

import "testing"

func TestParallel(t *testing.T) {
	t.Parallel()
}

// Not parallel: it sets the process's environment.
func TestExcused(t *testing.T) {}

// Not parallel:
func TestExcuseWithoutReason(t *testing.T) {}

func TestLate(t *testing.T) {
	_ = 1
	t.Parallel()
}

func TestOtherName(tt *testing.T) {
	tt.Parallel()
}

func TestMain(m *testing.M) {}

func Testhelper(t *testing.T) {}

func helper(t *testing.T) {}

func BenchmarkX(b *testing.B) {}
