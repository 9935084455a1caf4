# Bazaar's automation. `make help` lists the targets.
# Every tool is pinned in tools/go.mod and run with `go tool`: nothing to
# install by hand but Go itself.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO      ?= go
TOOL    := $(GO) tool -modfile=tools/go.mod
BUF     := $(TOOL) buf
# Regression base for `buf breaking`: the previous commit of main.
AGAINST ?= HEAD~1

.PHONY: help deps run test test-short bench lint fmt vet staticcheck proto-lint gen gen-check breaking build images clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## start the whole shop (same as: go run ./cmd/bazaar up)
	$(GO) run ./cmd/bazaar up

test: deps lint ## everything CI runs: lint, generated-code check, API compatibility, the full test suite
	$(MAKE) gen-check breaking
	$(GO) test -race -count=1 -timeout 40m ./...
	sc="$$($(TOOL) -n staticcheck)" && cd deploy/k8s && $(GO) vet ./... && "$$sc" ./... && $(GO) test -count=1 ./...
	$(MAKE) fuzz-short

deps: ## install what the tests need besides Go (Debian's chromium)
	bash scripts/install-deps.sh

test-short: ## fast loop: unit tests only, no race detector, no end-to-end processes
	$(GO) test -short -count=1 ./...

bench: ## measure: platform overhead vs bare grpc-go, the standard workload in both modes; appends to docs/benchmarks.md
	bash scripts/bench.sh

lint: fmt vet staticcheck proto-lint ## gofmt, go vet, staticcheck, buf lint

fmt:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(TOOL) staticcheck ./...

proto-lint:
	$(BUF) lint

gen: ## regenerate the Go code of the protobuf contracts
	$(BUF) generate

gen-check: ## fail if regenerating the protobuf code changes anything
	$(BUF) generate
	@if [ -n "$$(git status --porcelain -- api)" ]; then \
		echo "generated code in api/ is stale; run 'make gen' and commit:"; git status --porcelain -- api; git diff --stat -- api; exit 1; fi

breaking: ## fail if the contracts break callers of the previous commit (AGAINST=ref to change)
	@if git rev-parse --verify --quiet "$(AGAINST)^{commit}" >/dev/null && \
	    git cat-file -e "$(AGAINST):buf.yaml" 2>/dev/null; then \
		$(BUF) breaking --against ".git#ref=$$(git rev-parse $(AGAINST))"; \
		echo "buf breaking: no breaking change against $(AGAINST)"; \
	else echo "buf breaking: $(AGAINST) has no contracts to compare with; skipped"; fi

build: ## build every binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

images: ## build the container images (FROM scratch, one per service and the CLI): deploy/docker
	bash deploy/docker/build-images.sh

clean: ## remove build output and the local shop's data
	rm -rf bin .bazaar

# Every fuzz target, as package:target. Their seed corpora (f.Add and
# testdata/fuzz) run in every `go test`; fuzz-short also mutates each for
# FUZZTIME.
FUZZ_TARGETS := platform/money:FuzzParseDecimal platform/money:FuzzArithmetic \
	platform/card:FuzzCardNumber platform/card:FuzzExpired \
	services/storefront:FuzzAPIBody services/storefront:FuzzCheckoutForm services/storefront:FuzzFormQuantity
FUZZTIME ?= 5s

.PHONY: fuzz-short
fuzz-short: ## run each fuzz target for FUZZTIME (default 5s)
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) ./$$pkg || exit 1; \
	done
