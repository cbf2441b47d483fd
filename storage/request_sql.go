package storage

import "github.com/mifmaroc/mif/domain"

// RequestStatements returns the SQL of the two statements an authenticated
// GET /api/v1/interventions/{id} of a manager runs: the principal lookup (parameters: user id,
// token jti) and the intervention detail (parameter: intervention id). The load harness
// (cmd/mifload pgbench) runs exactly these with pgbench, to compare the API with PostgreSQL alone.
func RequestStatements() (principal, detail string) {
	cond, _ := interventionVisibility(domain.Principal{Role: domain.RoleResponsable}, 2)
	return principalQuery, interventionDetailSelect + ` WHERE i.id = $1 AND ` + cond
}
