// Package deploy holds what runs the platform outside `mif dev`: the docker compose support
// files (Prometheus, alert rules, Grafana, the OpenTelemetry collector, nginx, Temporal set-up)
// and the Kubernetes manifests. Its Go code reads the dashboards and alert rules for tests: the
// metrics they name must exist in what the platform exposes, and the files must be valid
// (deploy_test.go checks them offline, as no Docker engine or cluster is at hand in CI).
package deploy

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Files are the dashboards and the alert rules, as shipped.
//
//go:embed grafana/dashboards/*.json prometheus/rules/*.yml
var Files embed.FS

// MetricUse is one metric named by a dashboard panel or a rule.
type MetricUse struct {
	Metric string
	Where  string // file and panel or rule
	Expr   string
}

// PrometheusOwn are series Prometheus makes itself for each target; they are not in the
// platform's output.
var PrometheusOwn = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

// grafanaVars are Grafana's interval variables, replaced by a duration before parsing.
var grafanaVars = regexp.MustCompile(`\$__(rate_interval|interval|range)|\$\{__(rate_interval|interval|range)\}`)

var promql = parser.NewParser(parser.Options{})

// MetricUses parses every expression of the dashboards and the alert rules with Prometheus's own
// PromQL parser and returns the metrics they select. A syntax error is an error: a dashboard
// whose query does not parse shows nothing.
func MetricUses() ([]MetricUse, error) {
	var out []MetricUse
	add := func(where, expr string) error {
		names, err := MetricNames(grafanaVars.ReplaceAllString(expr, "5m"))
		if err != nil {
			return fmt.Errorf("%s: %q: %w", where, expr, err)
		}
		for _, n := range names {
			out = append(out, MetricUse{Metric: n, Where: where, Expr: expr})
		}
		return nil
	}
	dashboards, err := fs.Glob(Files, "grafana/dashboards/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range dashboards {
		exprs, err := DashboardExprs(f)
		if err != nil {
			return nil, err
		}
		for _, e := range exprs {
			if err := add(path.Base(f)+": "+e.Panel, e.Expr); err != nil {
				return nil, err
			}
		}
	}
	rules, err := fs.Glob(Files, "prometheus/rules/*.yml")
	if err != nil {
		return nil, err
	}
	for _, f := range rules {
		groups, err := RuleGroups(f)
		if err != nil {
			return nil, err
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				name := r.Alert
				if name == "" {
					name = r.Record
				}
				if err := add(path.Base(f)+": "+name, r.Expr); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// MetricNames returns the metric names an expression selects, sorted.
func MetricNames(expr string) ([]string, error) {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			if name == "" { // {__name__="..."} form
				for _, m := range vs.LabelMatchers {
					if m.Name == model.MetricNameLabel {
						name = m.Value
					}
				}
			}
			if name != "" {
				seen[name] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// PanelExpr is one query of a dashboard.
type PanelExpr struct {
	Panel string
	Expr  string
}

// DashboardExprs reads a dashboard and returns every Prometheus query of its panels (rows and
// nested panels included).
func DashboardExprs(file string) ([]PanelExpr, error) {
	raw, err := Files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []PanelExpr
	var walk func(panels []json.RawMessage) error
	walk = func(panels []json.RawMessage) error {
		for _, p := range panels {
			var panel struct {
				Title   string            `json:"title"`
				Panels  []json.RawMessage `json:"panels"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			}
			if err := json.Unmarshal(p, &panel); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			for _, t := range panel.Targets {
				if strings.TrimSpace(t.Expr) != "" {
					out = append(out, PanelExpr{Panel: panel.Title, Expr: t.Expr})
				}
			}
			if err := walk(panel.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(d.Panels)
}

// Rules is an alert rules file, decoded strictly (an unknown or misspelt field is an error).
type Rules struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval,omitempty"`
		Rules    []Rule `yaml:"rules"`
	} `yaml:"groups"`
}

// Rule is an alerting or recording rule.
type Rule struct {
	Alert         string            `yaml:"alert,omitempty"`
	Record        string            `yaml:"record,omitempty"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty"`
}

// RuleGroups reads an alert rules file. Full validation (templates, durations) is promtool's,
// in `make deploy-check`; expressions are parsed by MetricUses.
func RuleGroups(file string) (*Rules, error) {
	raw, err := Files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var r Rules
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			if (rule.Alert == "") == (rule.Record == "") {
				return nil, fmt.Errorf("%s: group %s: a rule is either an alert or a record", file, g.Name)
			}
		}
	}
	return &r, nil
}
