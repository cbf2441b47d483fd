package authz

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/mifmaroc/mif/casbin"
	"github.com/mifmaroc/mif/config"
	"github.com/mifmaroc/mif/domain"
)

// Default locations of the files that ops edit, relative to the working directory.
const (
	DefaultModelFile  = "casbin/model.conf"
	DefaultPolicyFile = "casbin/policy.csv"
)

// Files are the model and policy files an Authorizer was loaded from; empty names mean the copies
// embedded in the binary.
type Files struct {
	Model  string
	Policy string
}

// ResolveFiles picks the files to load: the configured ones, else casbin/model.conf and
// casbin/policy.csv when they exist on disk, else the embedded copies (empty names).
func ResolveFiles(cfg config.Casbin) Files {
	f := Files{Model: cfg.ModelFile, Policy: cfg.PolicyFile}
	if f.Model == "" && exists(DefaultModelFile) {
		f.Model = DefaultModelFile
	}
	if f.Policy == "" && exists(DefaultPolicyFile) {
		f.Policy = DefaultPolicyFile
	}
	return f
}

func exists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func (f Files) read() (model, policy string, err error) {
	model, policy = casbin.Model, casbin.Policy
	if f.Model != "" {
		b, err := os.ReadFile(f.Model)
		if err != nil {
			return "", "", fmt.Errorf("authz: read model: %w", err)
		}
		model = string(b)
	}
	if f.Policy != "" {
		b, err := os.ReadFile(f.Policy)
		if err != nil {
			return "", "", fmt.Errorf("authz: read policy: %w", err)
		}
		policy = string(b)
	}
	return model, policy, nil
}

// Load builds an Authorizer from files (see ResolveFiles).
func Load(f Files) (*Authorizer, error) {
	// Stamps first: a file changed while it is being read is seen as changed by Watch.
	st := f.stamps()
	m, p, err := f.read()
	if err != nil {
		return nil, err
	}
	a, err := newNamed(m, p, f.policyName())
	if err != nil {
		return nil, err
	}
	a.loaded = st
	return a, nil
}

// stamp identifies a version of the files on disk without reading them.
type stamp struct {
	mtime time.Time
	size  int64
}

func (f Files) stamps() [2]stamp { return [2]stamp{stampOf(f.Model), stampOf(f.Policy)} }

func stampOf(path string) stamp {
	if path == "" {
		return stamp{}
	}
	st, err := os.Stat(path)
	if err != nil {
		return stamp{size: -1}
	}
	return stamp{mtime: st.ModTime(), size: st.Size()}
}

// Watch polls the files every interval and swaps the policy when one of them changes (compared
// with the versions Load read, so an edit made before Watch starts is not missed). A file that
// does not parse is refused with a log line and the policy in force stays. It returns when ctx
// ends. Polling (rather than inotify) also works on the network and container volumes that ops
// mount policies from.
func (a *Authorizer) Watch(ctx context.Context, f Files, interval time.Duration, log *zap.Logger) {
	if f.Model == "" && f.Policy == "" {
		return
	}
	a.mu.RLock()
	last := a.loaded
	a.mu.RUnlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := f.stamps()
		if cur == last {
			continue
		}
		last = cur
		if err := a.Reload(f); err != nil {
			log.Error("casbin policy change refused; the previous policy stays in force",
				zap.String("model", f.Model), zap.String("policy", f.Policy), zap.Error(err))
			continue
		}
		log.Info("casbin policy reloaded", zap.String("model", f.Model), zap.String("policy", f.Policy))
	}
}

// Reload reads the files and swaps the policy; on any error the current policy stays.
func (a *Authorizer) Reload(f Files) error {
	m, p, err := f.read()
	if err != nil {
		return err
	}
	return a.replaceNamed(m, p, f.policyName())
}

// policyName is the policy file as error messages name it.
func (f Files) policyName() string {
	if f.Policy == "" {
		return embeddedPolicy
	}
	return f.Policy
}

// Permissions lists the policy lines granted to role, as "object:action" ("*" for any), sorted.
func (a *Authorizer) Permissions(role domain.Role) []Permission {
	a.mu.RLock()
	e := a.enforcer
	a.mu.RUnlock()
	out := []Permission{}
	seen := map[Permission]bool{}
	rules, err := e.GetImplicitPermissionsForUser(string(role))
	if err != nil {
		return out
	}
	for _, r := range rules {
		if len(r) < 3 {
			continue
		}
		p := Permission(r[1] + ":" + r[2])
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
