// Package authz decides what a caller may do: the Casbin enforcer over casbin/model.conf and
// casbin/policy.csv, and the route permissions declared where routes are registered. Ownership
// ("*_own" permissions) is enforced by storage queries, not here.
package authz

import (
	"fmt"
	"strings"
	"sync"

	casbinlib "github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"

	"github.com/mifmaroc/mif/casbin"
	"github.com/mifmaroc/mif/domain"
)

// Permission is "object:action", e.g. "interventions:create".
type Permission string

// Split returns the object and action of p.
func (p Permission) Split() (obj, act string) {
	obj, act, _ = strings.Cut(string(p), ":")
	return obj, act
}

// Authorizer answers "may this role do that?". It is safe for concurrent use; the policy can be
// swapped at run time (hot reload).
type Authorizer struct {
	mu       sync.RWMutex
	enforcer *casbinlib.SyncedEnforcer
	loaded   [2]stamp // versions of the model and policy files in force (Load, Watch)
}

// New builds an Authorizer from model and policy text.
func New(modelText, policyText string) (*Authorizer, error) {
	return newNamed(modelText, policyText, embeddedPolicy)
}

// embeddedPolicy names the policy compiled into the binary in error messages.
const embeddedPolicy = "policy.csv (embarquée)"

func newNamed(modelText, policyText, policyFile string) (*Authorizer, error) {
	e, err := newEnforcer(modelText, policyText, policyFile)
	if err != nil {
		return nil, err
	}
	return &Authorizer{enforcer: e}, nil
}

// NewDefault builds an Authorizer from the embedded casbin/ files.
func NewDefault() (*Authorizer, error) { return New(casbin.Model, casbin.Policy) }

func newEnforcer(modelText, policyText, policyFile string) (e *casbinlib.SyncedEnforcer, err error) {
	if err := lintPolicy(policyFile, policyText); err != nil {
		return nil, err
	}
	// Casbin panics on some malformed lines; a broken file must be an error, never a crash.
	defer func() {
		if p := recover(); p != nil {
			e, err = nil, fmt.Errorf("authz: policy: %v", p)
		}
	}()
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	e, err = casbinlib.NewSyncedEnforcer(m, stringadapter.NewAdapter(policyText))
	if err != nil {
		return nil, fmt.Errorf("authz: policy: %w", err)
	}
	if err := checkPolicy(e); err != nil {
		return nil, err
	}
	return e, nil
}

// checkPolicy refuses a policy that parses but cannot be what ops meant: no rule at all (a file
// truncated while being saved), a rule of the wrong arity, or an unknown role (a typo would
// silently take rights away).
func checkPolicy(e *casbinlib.SyncedEnforcer) error {
	rules, err := e.GetPolicy()
	if err != nil {
		return fmt.Errorf("authz: policy: %w", err)
	}
	if len(rules) == 0 {
		return fmt.Errorf("authz: policy: no rule")
	}
	for _, r := range rules {
		if len(r) != 3 || r[1] == "" || r[2] == "" {
			return fmt.Errorf("authz: policy: rule %v must be \"p, role, object, action\"", r)
		}
		if !domain.Role(r[0]).Valid() {
			return fmt.Errorf("authz: policy: unknown role %q", r[0])
		}
	}
	return nil
}

// Allowed reports whether role may perform perm. A "read" is also allowed by "read_own": the
// storage layer then restricts the rows to the caller's own.
func (a *Authorizer) Allowed(role domain.Role, perm Permission) bool {
	obj, act := perm.Split()
	a.mu.RLock()
	e := a.enforcer
	a.mu.RUnlock()
	if ok, err := e.Enforce(string(role), obj, act); err == nil && ok {
		return true
	}
	if act == "read" {
		ok, err := e.Enforce(string(role), obj, "read_own")
		return err == nil && ok
	}
	return false
}

// OwnOnly reports whether role reaches perm only through "read_own": the route is open to it,
// and the storage queries must narrow the rows to its own (tests probe exactly those routes).
func (a *Authorizer) OwnOnly(role domain.Role, perm Permission) bool {
	obj, act := perm.Split()
	if act != "read" {
		return false
	}
	a.mu.RLock()
	e := a.enforcer
	a.mu.RUnlock()
	if ok, err := e.Enforce(string(role), obj, act); err != nil || ok {
		return false
	}
	ok, err := e.Enforce(string(role), obj, "read_own")
	return err == nil && ok
}

// Replace swaps the policy for a new one; on error the current policy stays in force.
func (a *Authorizer) Replace(modelText, policyText string) error {
	return a.replaceNamed(modelText, policyText, embeddedPolicy)
}

func (a *Authorizer) replaceNamed(modelText, policyText, policyFile string) error {
	e, err := newEnforcer(modelText, policyText, policyFile)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.enforcer = e
	a.mu.Unlock()
	return nil
}
