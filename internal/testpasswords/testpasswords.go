// Package testpasswords gives tests bcrypt at its lowest cost. The platform hashes at
// authn.BcryptCost (12): under the race detector that is five seconds of CPU for every hash and
// every login, which would dominate the test suite's time, while what tests check (who may log in,
// throttling, sessions, password changes, the demo accounts) does not depend on the work factor.
// authn's TestHashUsesCost12 and api's TestServerHashesAtTheProductionCostByDefault keep the
// platform itself at cost 12.
package testpasswords

import (
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mifmaroc/mif/authn"
	"github.com/mifmaroc/mif/demo"
)

// Passwords hashes and checks at bcrypt.MinCost (one instance per test binary).
var Passwords = sync.OnceValue(func() *authn.Passwords {
	p, err := authn.NewPasswords(bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return p
})

var demoHash = sync.OnceValues(func() (string, error) { return Passwords().Hash(demo.Password) })

// DemoHash is a hash of demo.Password at the lowest cost, computed once per test binary, for
// demo.SeedWithPasswordHash.
func DemoHash(t testing.TB) string {
	t.Helper()
	h, err := demoHash()
	if err != nil {
		t.Fatalf("testpasswords: %v", err)
	}
	return h
}
