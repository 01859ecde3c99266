# hnp-gitops. `make demo` runs the service end to end on the bundled
# emulators; `make test` runs every test. Both need only Go and git.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/githedgehog/hnp-gitops/internal/cli.Version=$(VERSION) -X github.com/githedgehog/hnp-gitops/internal/cli.Commit=$(COMMIT)
# helm v3.21.4: the newest v3 the module proxy's approved list names (v3.22.0
# is served but not approved).
HELM_VERSION := v3.21.4
HELM := $(BIN)/helm-$(HELM_VERSION)
FUZZTIME ?= 60s
BENCHCOUNT ?= 6

export HNP_GITOPS_HELM := $(HELM)
export HNP_GITOPS_PROMTOOL := $(BIN)/promtool

.PHONY: all build test test-real unit lint tools bench fuzz fuzz-short soak soak-short demo clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/hnp-gitops ./cmd/hnp-gitops

## tools: the helm binary the chart tests run, built from the Go module
## proxy, and promtool for the alert-rule unit tests (scripts/promtool.sh).
tools: $(HELM) $(BIN)/promtool

$(HELM):
	@echo "make tools: building helm $(HELM_VERSION) from the Go module proxy for the chart tests (a few minutes, once)"
	@rm -rf $(BIN)/.helm-build && mkdir -p $(BIN)/.helm-build
	GOBIN=$(BIN)/.helm-build $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(BIN)/.helm-build/helm $@ && rmdir $(BIN)/.helm-build
	ln -sf $(notdir $@) $(BIN)/helm

$(BIN)/promtool:
	@echo "make tools: fetching promtool (Debian's prometheus package) for the alert-rule tests"
	./scripts/promtool.sh $(BIN)

lint:
	@echo "make lint: gofmt and go vet"
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## test: lint, the tools, and every test but the soak (its own targets:
## soak-short in CI, soak for the long form).
## The GitHub contract checks of the tests append their counts to a tally;
## test/cmd/ghtally prints them and fails when one falls under its floor
## (test/ghcontract/floors.txt) or a GitHub route label is never called.
test: lint tools
	@echo "make test: every package's tests but the soak (about two minutes on two cores)"
	@tally=$$(mktemp); trap 'rm -f $$tally' EXIT; \
	  HNP_GHCONTRACT_TALLY=$$tally $(GO) test -count=1 -timeout 15m $$($(GO) list ./... | grep -v /test/soak) && \
	  $(GO) run ./test/cmd/ghtally -tally $$tally -floors test/ghcontract/floors.txt

## test-real: the end-to-end cases against a real NetBox 4.3.7 with the real
## HNP, stock and patched (docs/real-netbox.md). It stands the stack up with
## scripts/real-netbox.sh (Debian packages, a Python environment, PostgreSQL,
## Redis) unless HNP_REAL_NETBOX_EXTERNAL=1 says the HNP_REAL_NETBOX_*
## variables already point at your own. RECORD=1 rewrites the recorded
## webhook deliveries in testdata/real-netbox/.
test-real:
	@if [ "$${HNP_REAL_NETBOX_EXTERNAL:-}" != 1 ]; then ./scripts/real-netbox.sh up; fi
	@if [ "$${HNP_REAL_NETBOX_EXTERNAL:-}" != 1 ]; then eval "$$(./scripts/real-netbox.sh env)"; fi; \
	  tally=$$(mktemp); trap 'rm -f $$tally' EXIT; \
	  HNP_GHCONTRACT_TALLY=$$tally $(GO) test -tags realnetbox -count=1 -timeout 20m ./test/realnetbox $(if $(RECORD),-realnetbox.record) && \
	  $(GO) run ./test/cmd/ghtally -tally $$tally -floors test/ghcontract/floors-real.txt -routes=false

bench: build
	./scripts/bench.sh

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

fuzz-short:
	FUZZTIME=5s ./scripts/fuzz.sh

soak: build
	$(GO) test -count=1 -timeout 60m -run 'TestSoak|TestBurst' ./test/soak -soak.fabrics=300 -soak.long -v

soak-short: build
	$(GO) test -count=1 -timeout 10m -run 'TestSoak|TestBurst' ./test/soak -v

## demo: KEEP=1 keeps the bare repository to look at (the demo says where).
demo:
	$(GO) run ./test/cmd/demo $(if $(KEEP),-keep)

clean:
	rm -rf $(BIN)
