package deploy_test

// Offline validation of the deployment files: no Docker engine or Kubernetes cluster runs where
// the tests do, so everything short of starting them is checked here. docker-compose.yml is
// loaded by compose-go (the loader `docker compose config` uses: schema, interpolation,
// references); the Kubernetes manifests are built by kustomize's own library and every object is
// decoded strictly into the Kubernetes API types; the alert rules and dashboards are parsed with
// Prometheus's PromQL parser; and the files are checked against each other (services named in
// the Prometheus, nginx, collector and Grafana configuration exist, the search attributes
// registered are the workflows', the RBAC copies match /casbin). `make deploy-check` adds
// promtool (config, rules and their unit tests) and the kustomize CLI.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/mifmaroc/mif/deploy"
	"github.com/mifmaroc/mif/workflows"
)

const root = ".." // the repository, from this package's directory

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	// No variable set: the defaults written in the file are what a cold `docker compose up` uses.
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithName("mif"), cli.WithEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load (what `docker compose config` would say): %v", err)
	}
	return p
}

func TestComposeFile(t *testing.T) {
	p := loadCompose(t)
	want := []string{"postgres", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "mif-init", "migrate",
		"api", "worker", "lb", "mailpit", "otel-collector", "jaeger", "prometheus", "grafana"}
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	for name, svc := range p.Services {
		// Pinned, current images: no floating tag, no deprecated Temporal image.
		if svc.Build == nil {
			if !strings.Contains(svc.Image, ":") || strings.HasSuffix(svc.Image, ":latest") {
				t.Errorf("%s: image %q is not pinned", name, svc.Image)
			}
			if strings.Contains(svc.Image, "temporalio/auto-setup") {
				t.Errorf("%s: temporalio/auto-setup is deprecated", name)
			}
		}
		// Every file or directory mounted from the repository exists.
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount %s: %v", name, v.Source, err)
				}
			}
		}
		// Long-running services come back after a crash or a reboot.
		if !slices.Contains([]string{"temporal-schema", "temporal-setup", "mif-init", "migrate"}, name) &&
			svc.Restart != "unless-stopped" && svc.Restart != "always" {
			t.Errorf("%s: restart policy %q", name, svc.Restart)
		}
	}

	for _, name := range []string{"api", "worker"} {
		svc := p.Services[name]
		t.Run(name, func(t *testing.T) {
			// Scalable: `--scale api=3` needs no fixed host port.
			if len(svc.Ports) > 0 {
				t.Errorf("published ports %v prevent --scale", svc.Ports)
			}
			if svc.HealthCheck == nil || svc.HealthCheck.Disable || !slices.Contains(svc.HealthCheck.Test, "healthcheck") {
				t.Errorf("healthcheck %+v, want `mif healthcheck`", svc.HealthCheck)
			}
			if c := svc.Command; len(c) != 1 || c[0] != name {
				t.Errorf("command %v", c)
			}
			for dep, cond := range map[string]string{
				"postgres": types.ServiceConditionHealthy, "temporal-setup": types.ServiceConditionCompletedSuccessfully,
				"mif-init": types.ServiceConditionCompletedSuccessfully, "migrate": types.ServiceConditionCompletedSuccessfully,
			} {
				if d, ok := svc.DependsOn[dep]; !ok || d.Condition != cond {
					t.Errorf("depends_on %s: %+v, want %s", dep, d, cond)
				}
			}
			env := func(k string) string {
				if v := svc.Environment[k]; v != nil {
					return *v
				}
				return ""
			}
			mounted := map[string]types.ServiceVolumeConfig{}
			for _, v := range svc.Volumes {
				mounted[v.Target] = v
			}
			// Secrets and RBAC files come from mounted directories; the documents volume is writable.
			for _, k := range []string{"MIF_JWT_PRIVATE_KEY_FILE", "FERNET_KEYS_FILE", "MIF_BOOTSTRAP_ADMIN_PASSWORD_FILE",
				"MIF_CASBIN_MODEL_FILE", "MIF_CASBIN_POLICY_FILE"} {
				f := env(k)
				if f == "" {
					t.Errorf("%s not set", k)
					continue
				}
				if _, ok := mounted[filepath.Dir(f)]; !ok {
					t.Errorf("%s=%s is not in a mounted directory", k, f)
				}
			}
			if v, ok := mounted["/etc/mif/casbin"]; !ok || v.Type != types.VolumeTypeBind || !v.ReadOnly {
				t.Errorf("casbin directory: %+v", v)
			}
			if v, ok := mounted[env("MIF_DOCUMENTS_DIR")]; !ok || v.Type != types.VolumeTypeVolume || v.ReadOnly {
				t.Errorf("documents volume: %+v", v)
			}
			if env("MIF_BOOTSTRAP_ADMIN_EMAIL") == "" || env("TEMPORAL_NAMESPACE") == "" {
				t.Error("bootstrap administrator or namespace not configured")
			}
			for k, host := range map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector", "MIF_SMTP_ADDR": "mailpit",
				"TEMPORAL_ADDRESS": "temporal", "DATABASE_URL": "postgres"} {
				if !strings.Contains(env(k), host) {
					t.Errorf("%s=%q does not name the %s service", k, env(k), host)
				}
			}
			if env("OTEL_SERVICE_NAME") != "mif-"+name {
				t.Errorf("OTEL_SERVICE_NAME %q", env("OTEL_SERVICE_NAME"))
			}
		})
	}
	// The secrets volume is written by mif-init (the image's nonroot user owns its mount point).
	if v := p.Services["mif-init"].Volumes; len(v) != 1 || v[0].Source != "mif-secrets" || v[0].ReadOnly {
		t.Errorf("mif-init volumes %+v", v)
	}
	if lb := p.Services["lb"]; len(lb.Ports) != 1 || lb.DependsOn["api"].Condition != types.ServiceConditionHealthy {
		t.Errorf("load balancer: ports %v, depends_on %v", lb.Ports, lb.DependsOn)
	}
}

// The image gives the mount points of the named volumes to its nonroot user, so a fresh volume
// is writable by the platform.
func TestDockerfileRunsNonrootWithWritableState(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	for _, want := range []string{"USER 65532:65532", "--chown=65532:65532", "/var/lib/mif", "distroless/static-debian12:nonroot"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	p := loadCompose(t)
	for _, name := range []string{"api", "worker", "mif-init"} {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume && !strings.HasPrefix(v.Target, "/var/lib/mif/") {
				t.Errorf("%s: volume %s mounted at %s, outside the image's writable /var/lib/mif", name, v.Source, v.Target)
			}
		}
	}
}

// The namespace set-up registers exactly the search attributes the workflows upsert.
func TestTemporalSetupRegistersOurSearchAttributes(t *testing.T) {
	raw, err := os.ReadFile("temporal/setup-namespace.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`for attr in ([^;]+);`).FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("no attribute list in setup-namespace.sh")
	}
	got := map[string]string{}
	for _, a := range strings.Fields(m[1]) {
		name, typ, _ := strings.Cut(a, ":")
		got[name] = typ
	}
	want := workflows.SearchAttributeTypes()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("setup-namespace.sh registers %v, the workflows use %v", got, want)
	}
}

// The other configuration files name services that exist.
func TestConfigurationFilesAgreeWithCompose(t *testing.T) {
	p := loadCompose(t)
	service := func(where, host string) {
		if _, ok := p.Services[host]; !ok && host != "localhost" {
			t.Errorf("%s names %q, which is no compose service", where, host)
		}
	}
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			MetricsPath string `yaml:"metrics_path"`
			DNSSD       []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
			Static []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &prom)
	jobs := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		jobs[sc.JobName] = true
		for _, d := range sc.DNSSD {
			for _, n := range d.Names {
				service("prometheus.yml job "+sc.JobName, n)
			}
			if d.Port != 8000 {
				t.Errorf("job %s scrapes port %d", sc.JobName, d.Port)
			}
		}
		for _, s := range sc.Static {
			for _, target := range s.Targets {
				service("prometheus.yml job "+sc.JobName, strings.Split(target, ":")[0])
			}
		}
		if strings.HasPrefix(sc.JobName, "mif-") && sc.MetricsPath != "/api/v1/health/metrics" {
			t.Errorf("job %s: metrics_path %q", sc.JobName, sc.MetricsPath)
		}
	}
	if !jobs["mif-api"] || !jobs["mif-worker"] {
		t.Errorf("scrape jobs %v, want mif-api and mif-worker (the alert rules and dashboards use them)", jobs)
	}
	for _, rf := range prom.RuleFiles {
		if m, _ := filepath.Glob(filepath.Join("prometheus", rf)); len(m) == 0 {
			t.Errorf("rule_files %s matches nothing", rf)
		}
	}

	nginx, err := os.ReadFile("nginx/mif.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`server\s+([a-z0-9-]+):\d+`).FindAllStringSubmatch(string(nginx), -1) {
		service("nginx upstream", m[1])
	}

	var otel struct {
		Exporters map[string]struct {
			Endpoint string `yaml:"endpoint"`
		} `yaml:"exporters"`
	}
	readYAML(t, "otel/collector.yaml", &otel)
	for name, e := range otel.Exporters {
		service("collector exporter "+name, strings.Split(e.Endpoint, ":")[0])
	}

	var ds struct {
		Datasources []struct {
			UID string `yaml:"uid"`
			URL string `yaml:"url"`
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/datasources.yml", &ds)
	uids := map[string]bool{}
	for _, d := range ds.Datasources {
		uids[d.UID] = true
		host := strings.Split(strings.TrimPrefix(d.URL, "http://"), ":")[0]
		service("grafana datasource "+d.UID, host)
	}
	// Every panel queries the provisioned Prometheus.
	files, _ := filepath.Glob("grafana/dashboards/*.json")
	seen := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		uid, _ := d["uid"].(string)
		if other, dup := seen[uid]; dup || uid == "" {
			t.Errorf("%s: uid %q (also %s)", f, uid, other)
		}
		seen[uid] = f
		for _, u := range datasourceUIDs(d) {
			if !uids[u] {
				t.Errorf("%s: panel datasource %q is not provisioned", f, u)
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("dashboards %v, want API, workflows and business", seen)
	}
}

func datasourceUIDs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if ds, ok := x["datasource"].(map[string]any); ok {
			if u, ok := ds["uid"].(string); ok {
				out = append(out, u)
			}
		}
		for _, c := range x {
			out = append(out, datasourceUIDs(c)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, datasourceUIDs(c)...)
		}
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The alert rules the issue asks for exist, each with a severity and a summary, and every
// dashboard and rule expression parses.
func TestAlertRulesAndDashboards(t *testing.T) {
	uses, err := deploy.MetricUses()
	if err != nil {
		t.Fatal(err)
	}
	metrics := map[string]bool{}
	for _, u := range uses {
		metrics[u.Metric] = true
	}
	for _, m := range []string{"mif_http_requests_total", "mif_sla_breaches_total", "temporal_num_pollers",
		"temporal_workflow_task_schedule_to_start_latency_seconds_bucket", "mif_interventions", "mif_interventions_escalated",
		"mif_preventive_due", "mif_emails_waiting", "go_sql_in_use_connections", "temporal_sticky_cache_size"} {
		if !metrics[m] {
			t.Errorf("no dashboard or rule uses %s", m)
		}
	}
	rules, err := deploy.RuleGroups("prometheus/rules/mif.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	alerts := map[string]deploy.Rule{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = r
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: severity %q, summary %q", r.Alert, r.Labels["severity"], r.Annotations["summary"])
			}
		}
	}
	for _, a := range []string{"MifApiHighErrorRate", "MifSlaBreachRateHigh", "MifWorkersAbsent", "MifWorkflowTaskScheduleToStartHigh"} {
		if _, ok := alerts[a]; !ok {
			t.Errorf("alert %s missing", a)
		}
	}
	// promtool's unit tests cover the alerts the issue names.
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, "prometheus/tests/mif.rules.test.yml", &tests)
	tested := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			tested[a.Alertname] = true
		}
	}
	for _, a := range []string{"MifApiHighErrorRate", "MifSlaBreachRateHigh", "MifWorkersAbsent", "MifWorkflowTaskScheduleToStartHigh"} {
		if !tested[a] {
			t.Errorf("alert %s has no promtool unit test", a)
		}
	}
}

func TestMetricNamesExtraction(t *testing.T) {
	names, err := deploy.MetricNames(`histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x", route=~"/api/.*"}[5m])))
		/ on (job) group_left sum(b_total offset 1h) or absent(up{job="w"}) or vector(0)`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, " ") != "a_bucket b_total up" {
		t.Fatalf("names %v", names)
	}
	if _, err := deploy.MetricNames(`sum(rate(x[5m])`); err == nil {
		t.Fatal("an unbalanced expression parsed")
	}
}

// The RBAC copies the Kubernetes ConfigMap is generated from are the files of /casbin.
func TestKubernetesCasbinCopiesMatch(t *testing.T) {
	for _, f := range []string{"model.conf", "policy.csv"} {
		a, err := os.ReadFile(filepath.Join(root, "casbin", f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("k8s/base/casbin", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("deploy/k8s/base/casbin/%s differs from casbin/%s: cp casbin/%s deploy/k8s/base/casbin/", f, f, f)
		}
	}
}

// build runs kustomize (its library, as `kustomize build` does) and decodes every object
// strictly into its Kubernetes API type: an unknown or misspelt field is an error.
func build(t *testing.T, dir string) map[string][]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := map[string][]any{}
	for _, r := range rm.Resources() {
		raw, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var obj any
		switch r.GetKind() {
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "Service":
			obj = &corev1.Service{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Secret":
			obj = &corev1.Secret{}
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "PersistentVolumeClaim":
			obj = &corev1.PersistentVolumeClaim{}
		case "Namespace":
			obj = &corev1.Namespace{}
		case "Job":
			obj = &batchv1.Job{}
		case "HorizontalPodAutoscaler":
			obj = &autoscalingv2.HorizontalPodAutoscaler{}
		case "PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "Ingress":
			obj = &networkingv1.Ingress{}
		default:
			t.Fatalf("%s: kind %s has no check", dir, r.GetKind())
		}
		if err := sigsyaml.UnmarshalStrict(raw, obj); err != nil {
			t.Fatalf("%s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		out[r.GetKind()] = append(out[r.GetKind()], obj)
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	for _, dir := range []string{"k8s/base", "k8s/overlays/example"} {
		t.Run(dir, func(t *testing.T) {
			objs := build(t, dir)
			checkKubernetes(t, objs, dir == "k8s/overlays/example")
		})
	}
}

func checkKubernetes(t *testing.T, objs map[string][]any, complete bool) {
	configMaps, secrets, pvcs := map[string]*corev1.ConfigMap{}, map[string]*corev1.Secret{}, map[string]bool{}
	for _, o := range objs["ConfigMap"] {
		cm := o.(*corev1.ConfigMap)
		configMaps[cm.Name] = cm
	}
	for _, o := range objs["Secret"] {
		s := o.(*corev1.Secret)
		secrets[s.Name] = s
	}
	for _, o := range objs["PersistentVolumeClaim"] {
		pvcs[o.(*corev1.PersistentVolumeClaim).Name] = true
	}
	// secretKey reports a reference to a Secret's key: the overlay must provide both; the base
	// leaves the Secret to the site.
	secretKey := func(where, name, key string) {
		s, ok := secrets[name]
		if !ok {
			if complete {
				t.Errorf("%s: Secret %s missing", where, name)
			}
			return
		}
		if _, ok := s.StringData[key]; !ok {
			if _, ok := s.Data[key]; !ok {
				t.Errorf("%s: Secret %s has no key %s", where, name, key)
			}
		}
	}
	deployments := map[string]*appsv1.Deployment{}
	for _, o := range objs["Deployment"] {
		d := o.(*appsv1.Deployment)
		deployments[d.Name] = d
		where := "Deployment " + d.Name
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("%s: selector %s=%s does not select its pods", where, k, v)
			}
		}
		podSpec(t, where, d.Spec.Template.Spec, configMaps, pvcs, secretKey, true)
	}
	for _, name := range []string{"mif-api", "mif-worker"} {
		if deployments[name] == nil {
			t.Errorf("Deployment %s missing", name)
		}
	}
	for _, o := range objs["Job"] {
		j := o.(*batchv1.Job)
		podSpec(t, "Job "+j.Name, j.Spec.Template.Spec, configMaps, pvcs, secretKey, false)
		if args := j.Spec.Template.Spec.Containers[0].Args; strings.Join(args, " ") != "migrate up" {
			t.Errorf("Job %s runs %v", j.Name, args)
		}
	}
	if len(objs["Job"]) != 1 {
		t.Errorf("want the migrations Job, got %d Jobs", len(objs["Job"]))
	}
	for _, o := range objs["HorizontalPodAutoscaler"] {
		h := o.(*autoscalingv2.HorizontalPodAutoscaler)
		d := deployments[h.Spec.ScaleTargetRef.Name]
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || d == nil {
			t.Errorf("HPA %s scales %v, which is not built", h.Name, h.Spec.ScaleTargetRef)
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			if c.Resources.Requests.Cpu().IsZero() {
				t.Errorf("HPA on CPU, but %s/%s requests no CPU", d.Name, c.Name)
			}
		}
	}
	if len(objs["HorizontalPodAutoscaler"]) != 1 {
		t.Error("want the API's HorizontalPodAutoscaler")
	}
	for _, o := range objs["Service"] {
		s := o.(*corev1.Service)
		if !selectsOne(s.Spec.Selector, deployments) {
			t.Errorf("Service %s selects no Deployment's pods", s.Name)
		}
	}
	for _, o := range objs["PodDisruptionBudget"] {
		p := o.(*policyv1.PodDisruptionBudget)
		if !selectsOne(p.Spec.Selector.MatchLabels, deployments) {
			t.Errorf("PDB %s selects no Deployment's pods", p.Name)
		}
	}
	for _, o := range objs["Ingress"] {
		in := o.(*networkingv1.Ingress)
		for _, r := range in.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				found := false
				for _, so := range objs["Service"] {
					found = found || so.(*corev1.Service).Name == p.Backend.Service.Name
				}
				if !found {
					t.Errorf("Ingress %s routes to Service %s, which is not built", in.Name, p.Backend.Service.Name)
				}
			}
		}
	}
	if cm := configMaps["mif-casbin"]; cm == nil || cm.Data["policy.csv"] == "" || cm.Data["model.conf"] == "" {
		t.Error("ConfigMap mif-casbin lacks the RBAC files")
	}
}

func selectsOne(sel map[string]string, deployments map[string]*appsv1.Deployment) bool {
	if len(sel) == 0 {
		return false
	}
	for _, d := range deployments {
		ok := true
		for k, v := range sel {
			ok = ok && d.Spec.Template.Labels[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

func podSpec(t *testing.T, where string, ps corev1.PodSpec, configMaps map[string]*corev1.ConfigMap, pvcs map[string]bool,
	secretKey func(where, name, key string), server bool) {
	t.Helper()
	if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
		t.Errorf("%s: not forced to run as the image's nonroot user: %+v", where, sc)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		volumes[v.Name] = v
		switch {
		case v.ConfigMap != nil:
			if configMaps[v.ConfigMap.Name] == nil {
				t.Errorf("%s: volume %s: ConfigMap %s is not built", where, v.Name, v.ConfigMap.Name)
			}
		case v.PersistentVolumeClaim != nil:
			if !pvcs[v.PersistentVolumeClaim.ClaimName] {
				t.Errorf("%s: volume %s: claim %s is not built", where, v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		case v.Secret != nil:
			for _, it := range v.Secret.Items {
				secretKey(where, v.Secret.SecretName, it.Key)
			}
		}
	}
	for _, c := range ps.Containers {
		cw := where + "/" + c.Name
		if c.Image == "" {
			t.Errorf("%s: no image", cw)
		}
		if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: security context %+v", cw, sc)
		}
		env := map[string]string{}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil {
				cm := configMaps[ef.ConfigMapRef.Name]
				if cm == nil {
					t.Errorf("%s: envFrom ConfigMap %s is not built", cw, ef.ConfigMapRef.Name)
					continue
				}
				for k, v := range cm.Data {
					env[k] = v
				}
			}
		}
		for _, e := range c.Env {
			env[e.Name] = e.Value
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				secretKey(cw, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				env[e.Name] = "(secret)"
			}
		}
		if env["DATABASE_URL"] == "" {
			t.Errorf("%s: no DATABASE_URL", cw)
		}
		mounts := map[string]corev1.VolumeMount{}
		for _, m := range c.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok {
				t.Errorf("%s: mount of unknown volume %s", cw, m.Name)
			}
			mounts[m.MountPath] = m
		}
		// Every file the configuration names is in a mounted volume.
		var keys []string
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasSuffix(k, "_FILE") || k == "MIF_DOCUMENTS_DIR" {
				dir := env[k]
				if k != "MIF_DOCUMENTS_DIR" {
					dir = filepath.Dir(dir)
				}
				if _, ok := mounts[dir]; !ok {
					t.Errorf("%s: %s=%s is not in a mounted volume", cw, k, env[k])
				}
			}
		}
		if !server {
			continue
		}
		if len(c.Args) != 1 || (c.Args[0] != "api" && c.Args[0] != "worker") {
			t.Errorf("%s: args %v", cw, c.Args)
		}
		for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || !strings.HasPrefix(p.HTTPGet.Path, "/api/v1/health") {
				t.Errorf("%s: %s probe %+v, want one on the health endpoints", cw, name, p)
			}
		}
		if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/api/v1/health/ready" {
			t.Errorf("%s: readiness on %s", cw, c.ReadinessProbe.HTTPGet.Path)
		}
		if m, ok := mounts[env["MIF_DOCUMENTS_DIR"]]; !ok || m.ReadOnly {
			t.Errorf("%s: documents directory not writable", cw)
		}
		if env["MIF_CASBIN_POLICY_FILE"] == "" || env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "" || env["TEMPORAL_ADDRESS"] == "" {
			t.Errorf("%s: configuration incomplete", cw)
		}
	}
}
