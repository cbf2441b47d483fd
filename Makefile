# mif — developer entry points. `make help` lists the targets.
#
# Tools are built from source with the Go toolchain into ./bin (no other
# download): the first `make tools` builds the Temporal CLI (~6 minutes) and
# promtool (~6 minutes on 2 cores), then they are cached.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO  ?= go
BIN := $(CURDIR)/bin

TEMPORAL_CLI_VERSION  := v1.5.1
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
# promtool of Prometheus v3.16.0 (the module's v0.316.0), the version docker-compose.yml runs.
PROMTOOL_VERSION      := v0.316.0
KUSTOMIZE_VERSION     := v5.8.2

TEMPORAL      := $(BIN)/temporal
STATICCHECK   := $(BIN)/staticcheck
WORKFLOWCHECK := $(BIN)/workflowcheck
PROMTOOL      := $(BIN)/promtool
KUSTOMIZE     := $(BIN)/kustomize

# Tests (devenv, internal/apitest and the e2e tests using them) find the
# Temporal CLI through this variable; an already-set value wins.
export MIF_TEMPORAL_CLI ?= $(TEMPORAL)

PKGS        ?= ./...
TEST_FLAGS  ?= -race -count=1 -timeout 20m -p 2 -parallel 16
BENCH_FLAGS ?= -run '^$$' -bench . -benchmem -timeout 60m
ARGS        ?= up

# Load harness (cmd/mifload) against a running platform; see README "Load testing".
USERS        ?= 100
DURATION     ?= 60s
CMP_DURATION ?= 30s
LOAD_TARGET  ?= http://127.0.0.1:8000
LOAD_FLAGS   ?=

.PHONY: help pdftoppm pgbench loadtest loadtest-vs-pgbench tools build run test bench bench-planner lint fmt-check vet staticcheck workflowcheck migrate clean clean-tools deploy-check deploy-tools-check

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 16

tools: $(TEMPORAL) $(STATICCHECK) $(WORKFLOWCHECK) $(PROMTOOL) $(KUSTOMIZE) ## build the tools into bin/ (only when missing)

# File targets: built only when missing (`make clean-tools` to rebuild).
$(TEMPORAL):
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(WORKFLOWCHECK):
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

$(PROMTOOL):
	GOBIN=$(BIN) $(GO) install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

$(KUSTOMIZE):
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

build: ## build bin/mif
	$(GO) build -o $(BIN)/mif ./cmd/mif

run: $(TEMPORAL) build ## run `bin/mif dev` (Temporal dev server supervised by mif); honours the environment
	$(BIN)/mif dev

# The PDF report tests render pages with pdftoppm (Debian's poppler-utils), installed when missing.
pdftoppm:
	@command -v pdftoppm >/dev/null || { apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null; }

# The load harness's comparison (and its test) runs pgbench (Debian's postgresql-contrib), installed when missing.
pgbench:
	@command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-contrib >/dev/null; }

test: $(TEMPORAL) pdftoppm pgbench deploy-tools-check ## all tests, race detector on (TEST_FLAGS, PKGS to override)
	$(GO) test $(TEST_FLAGS) $(PKGS)

# Offline validation of deploy/ and docker-compose.yml (no Docker engine or cluster needed): the
# Go tests of ./deploy (compose loaded as `docker compose config` does, Kubernetes objects decoded
# strictly, dashboards and rules parsed), plus promtool and the kustomize CLI.
deploy-check: deploy-tools-check ## validate docker-compose.yml, deploy/ (Prometheus, Grafana, Kubernetes) offline
	$(GO) test -count=1 ./deploy/

deploy-tools-check: $(PROMTOOL) $(KUSTOMIZE)
	$(PROMTOOL) check config deploy/prometheus/prometheus.yml
	$(PROMTOOL) test rules deploy/prometheus/tests/*.yml
	$(KUSTOMIZE) build deploy/k8s/base >/dev/null
	$(KUSTOMIZE) build deploy/k8s/overlays/example >/dev/null
	@echo "deploy tools check: ok"

bench: $(TEMPORAL) ## benchmarks (BENCH_FLAGS, PKGS to override)
	$(GO) test $(BENCH_FLAGS) $(PKGS)

# The route planner on Solomon's instances (read from ../shared/benchmarks/planner/solomon, or
# MIF_SOLOMON_DIR) and on a generated week, one core, PLANNER_BUDGET per instance.
PLANNER_BUDGET ?= 30s
bench-planner: ## route planner benchmarks: Solomon gaps and times, 50 techniciens × 1000 tasks (one core)
	MIF_BENCH_TIME=$(PLANNER_BUDGET) GOMAXPROCS=1 $(GO) test ./planner/routing/ -run '^$$' -bench 'Solomon|Week' -benchtime 1x -timeout 3h
loadtest: ## the seed's load scenario against a running API (USERS, DURATION, LOAD_TARGET, LOAD_FLAGS)
	$(GO) build -o $(BIN)/mifload ./cmd/mifload
	$(BIN)/mifload -target $(LOAD_TARGET) -users $(USERS) -duration $(DURATION) $(LOAD_FLAGS)

loadtest-vs-pgbench: pgbench ## GET /interventions/{id} through the API vs pgbench on its SQL (LOAD_TARGET, DATABASE_URL, CMP_DURATION)
	$(GO) build -o $(BIN)/mifload ./cmd/mifload
	$(BIN)/mifload pgbench -target $(LOAD_TARGET) -duration $(CMP_DURATION) $(LOAD_FLAGS)

lint: fmt-check vet staticcheck workflowcheck ## gofmt + go vet + staticcheck + workflowcheck

fmt-check:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

workflowcheck: $(WORKFLOWCHECK) ## workflow determinism check of ./workflows/...
	$(WORKFLOWCHECK) ./workflows/...

migrate: ## database migrations: make migrate [ARGS=up|down|status|...] (default up)
	$(GO) run ./cmd/mif migrate $(ARGS)

clean: ## remove build and coverage outputs (keeps bin/ tools and .data/)
	rm -f $(BIN)/mif $(BIN)/mifload coverage.out coverage.html *.coverprofile
	find . -name '*.test' -type f -not -path './.git/*' -delete

clean-tools: ## remove the tools in bin/ (next `make tools` rebuilds them)
	rm -f $(TEMPORAL) $(STATICCHECK) $(WORKFLOWCHECK) $(PROMTOOL) $(KUSTOMIZE)
