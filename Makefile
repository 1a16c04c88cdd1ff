# Portico's developer entry points. Every tool is built from a pinned Go module (hack/tools/*);
# nothing is downloaded as a binary.

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

# The Go toolchain everything is built, tested and shipped with: go.mod's toolchain line, the
# newest without a known vulnerability reachable from Portico's code (make lint checks). The go
# command fetches it through the module proxy; GOTOOLCHAIN=local uses the machine's Go instead.
export GOTOOLCHAIN ?= $(shell awk '/^toolchain /{print $$2}' go.mod)

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
GOVULNCHECK ?= $(LOCALBIN)/govulncheck
INDEXDB ?= $(LOCALBIN)/indexdb
DEV_TOOLS_MOD := hack/tools/dev/go.mod hack/tools/dev/go.sum
LINT_TOOLS_MOD := hack/tools/lint/go.mod hack/tools/lint/go.sum
VULN_TOOLS_MOD := hack/tools/vuln/go.mod hack/tools/vuln/go.sum
# Go's vulnerability database, built offline from golang.org/x/vulndb at the version
# hack/tools/vuln pins, cached outside the checkout like the other builds.
VULNDB_VERSION := $(shell awk '$$1 == "golang.org/x/vulndb" {print $$2}' hack/tools/vuln/go.mod)
VULNDB ?= $(HOME)/.cache/portico/vulndb-$(VULNDB_VERSION)

# Packages whose tests run in `make test` (the e2e suite needs the local cluster).
UNIT_PKGS = $$(go list ./... | grep -v /test/e2e)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD and RBAC from markers.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd paths="./api/..." paths="./controllers/..." paths="./internal/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=2026 paths="./api/..."

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) $(GOVULNCHECK) $(VULNDB)/index/db.json ## golangci-lint, and govulncheck against Go's vulnerability database (offline); the Dockerfile's Go is go.mod's toolchain.
	"$(GOLANGCI_LINT)" run ./...
	"$(GOVULNCHECK)" -db "file://$(VULNDB)" ./...
	@grep -q "golang:$${GOTOOLCHAIN#go}\b" Dockerfile || { echo "the Dockerfile does not build with $$GOTOOLCHAIN (go.mod's toolchain)" >&2; exit 1; }

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- config api || { echo "generated files are stale: run 'make manifests generate' and commit" >&2; exit 1; }

.PHONY: testbin
testbin: ## Build etcd and kube-apiserver for envtest (cached outside the checkout).
	@hack/testbin.sh envtest

.PHONY: test
test: manifests generate vet ## Run unit and envtest integration tests, and evaluate the alert rules.
	KUBEBUILDER_ASSETS="$$(hack/testbin.sh envtest)" go test $(UNIT_PKGS) -count=1 $(TESTFLAGS)
	$(MAKE) test-alerts

.PHONY: test-alerts
test-alerts: ## Evaluate config/prometheus/alerts.yaml with Prometheus's rule engine (a module of its own).
	cd test/alerts && go test ./... -count=1

.PHONY: fuzz
fuzz: ## Fuzz the builders for a while (FUZZTIME=30s).
	go test ./internal/render -run '^$$' -fuzz FuzzRender -fuzztime $${FUZZTIME:-30s}

##@ Build

.PHONY: build
build: manifests generate ## Build the manager binary.
	go build -o $(LOCALBIN)/manager ./cmd

.PHONY: docker-build
docker-build: ## Build the operator's image (IMG=...) with a container runtime (CONTAINER_TOOL=docker).
	$${CONTAINER_TOOL:-docker} build -t $(IMG) .

.PHONY: build-installer
build-installer: manifests $(KUSTOMIZE) ## dist/install.yaml: the CRD, RBAC and operator in one file (IMG=...), for installs without OLM.
	mkdir -p dist
	"$(KUSTOMIZE)" build config/default | sed 's#image: controller:latest#image: $(IMG)#' > dist/install.yaml

.PHONY: run
run: manifests generate ## Run the operator against the current kubeconfig.
	go run ./cmd

KUBECTL ?= kubectl

.PHONY: install
install: manifests $(KUSTOMIZE) ## Install the CRD into the current kubeconfig's cluster.
	"$(KUSTOMIZE)" build config/crd | "$(KUBECTL)" apply --server-side -f -
	"$(KUBECTL)" wait --for=condition=Established crd/gatewaydeployments.gateway.portico.dev --timeout=60s

.PHONY: uninstall
uninstall: manifests $(KUSTOMIZE) ## Remove the CRD from the current kubeconfig's cluster.
	"$(KUSTOMIZE)" build config/crd | "$(KUBECTL)" delete --ignore-not-found -f -

##@ Local cluster

.PHONY: demo
demo: ## Local cluster + operator + sample GatewayDeployment reaching Ready.
	@hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop the demo's operator and remove the local cluster.
	@hack/demo.sh down

.PHONY: cluster-up
cluster-up: ## Start the local kwok cluster (KUBECONFIG: hack/cluster.sh kubeconfig); MESH=istio adds istiod.
	@hack/cluster.sh up
	@if [ "$(MESH)" = istio ]; then hack/istio.sh up; fi

.PHONY: cluster-down
cluster-down: ## Remove the local kwok cluster (and istiod and OLM, if they run); builds nothing.
	@hack/olm.sh down
	@hack/istio.sh down
	@hack/cluster.sh down

# Each e2e suite runs on a fresh local cluster of its own and removes it after (hack/e2e.sh);
# KEEP_CLUSTER=1 keeps it for inspection.

.PHONY: test-e2e
test-e2e: $(KUSTOMIZE) ## End-to-end tests: the operator binary, as its ServiceAccount, against a local cluster of their own.
	hack/e2e.sh plain

.PHONY: test-e2e-istio
test-e2e-istio: $(KUSTOMIZE) ## End-to-end tests against real istiod, on a fresh local cluster of their own.
	hack/e2e.sh istio

.PHONY: test-e2e-olm
test-e2e-olm: $(KUSTOMIZE) ## Real OLM installs Portico from a catalog of its bundle, in all four install modes, and upgrades it.
	hack/e2e.sh olm

##@ Performance

.PHONY: bench
bench: manifests ## Benchmark against the local cluster's floor (BENCH_N=100,500 BENCH_REST=120s BENCH_PAIRS=3 BENCH_MEMORY=1000); writes docs/benchmarks/.
	go run ./hack/bench -n $${BENCH_N:-100,500} -rest $${BENCH_REST:-120s} -pairs $${BENCH_PAIRS:-3} -memory $${BENCH_MEMORY:-1000} -bound

.PHONY: bench-scale
bench-scale: manifests ## How cost grows (not in CI): floor, bound and Portico at N=500,2000,5000 (a restart and a leader hand-over at the largest), an update storm of 1,000, 500 gateways on one Konnect control plane, memory at 1,000, 5,000 and 10,000 (BENCH_N, BENCH_MEMORY to change); writes docs/benchmarks/scale/.
	go run ./hack/bench -scale $${BENCH_N:+-n $$BENCH_N} -scale-memory $${BENCH_MEMORY:-1000,5000,10000}

##@ OLM

VERSION ?= 0.1.0
IMG ?= ghcr.io/portico-dev/portico:v$(VERSION)

.PHONY: bundle
bundle: manifests $(KUSTOMIZE) ## Regenerate bundle/ and bundle.Dockerfile (VERSION=x.y.z IMG=...).
	go run ./hack/bundle -version $(VERSION) -image $(IMG) -kustomize "$(KUSTOMIZE)"

.PHONY: verify-bundle
verify-bundle: bundle ## Fail when the committed bundle is not what config/ generates.
	@git diff --exit-code -- bundle bundle.Dockerfile || { echo "bundle/ is stale: run 'make bundle' and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- bundle bundle.Dockerfile)" || { echo "bundle/ has files git does not track: run 'make bundle' and commit" >&2; exit 1; }

##@ Tools

$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

$(CONTROLLER_GEN): $(DEV_TOOLS_MOD) | $(LOCALBIN)
	cd hack/tools/dev && go build -o "$@" sigs.k8s.io/controller-tools/cmd/controller-gen

$(GOLANGCI_LINT): $(LINT_TOOLS_MOD) | $(LOCALBIN)
	cd hack/tools/lint && go build -o "$@" github.com/golangci/golangci-lint/v2/cmd/golangci-lint

$(GOVULNCHECK): $(VULN_TOOLS_MOD) | $(LOCALBIN)
	cd hack/tools/vuln && go build -o "$@" golang.org/x/vuln/cmd/govulncheck

$(INDEXDB): $(VULN_TOOLS_MOD) | $(LOCALBIN)
	cd hack/tools/vuln && go build -o "$@" golang.org/x/vulndb/cmd/indexdb

$(VULNDB)/index/db.json: | $(INDEXDB)
	rm -rf "$(VULNDB).tmp" && mkdir -p "$$(dirname "$(VULNDB)")"
	"$(INDEXDB)" -vulns "$$(cd hack/tools/vuln && go list -m -f '{{.Dir}}' golang.org/x/vulndb)/data/osv" -out "$(VULNDB).tmp"
	rm -rf "$(VULNDB)" && mv "$(VULNDB).tmp" "$(VULNDB)"

$(KUSTOMIZE): $(DEV_TOOLS_MOD) | $(LOCALBIN)
	cd hack/tools/dev && go build -o "$@" sigs.k8s.io/kustomize/kustomize/v5
