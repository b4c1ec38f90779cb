# leadflow — the two set-up commands are `make dev` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: dev test build bench lint fmt tidy-check

# Area fragments add their own targets and prerequisites.
include $(wildcard mk/*.mk)

build:
	$(GO) build -o $(BIN)/leadflow ./cmd/leadflow

dev: build
	./scripts/dev.sh

test: $(TEST_DEPS)
	$(GO) test -count=1 -timeout 40m ./...

bench: build $(BENCH_DEPS)
	./scripts/bench.sh

lint: tidy-check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy-check:
	@cp go.mod /tmp/leadflow.go.mod.bak; cp go.sum /tmp/leadflow.go.sum.bak
	@$(GO) mod tidy
	@if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum not tidy"; git diff --stat -- go.mod go.sum; cp /tmp/leadflow.go.mod.bak go.mod; cp /tmp/leadflow.go.sum.bak go.sum; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')
