// Package casbin holds the RBAC model and policy files that ops edit. The copies embedded here
// are the defaults used when no file on disk is configured (tests, a bare binary).
package casbin

import _ "embed"

//go:embed model.conf
var Model string

//go:embed policy.csv
var Policy string
