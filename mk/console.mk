# console: the operator console's browser test runs in headless Debian
# Chromium driven by playwright-core (package.json, installed by node-deps).
# `make test` installs Chromium when it is missing; the install needs root,
# as CI and the dev machines have. The test itself is the Go test
# TestBrowser in shared/console, part of `go test ./...`; screenshots land
# in artifacts/console/.

CHROMIUM ?= /usr/bin/chromium

TEST_DEPS += chromium

.PHONY: chromium browser-test

chromium:
	@if ! command -v chromium >/dev/null 2>&1 && [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing Debian chromium for the console's browser test"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# Only the console's browser test, for working on the console.
browser-test: chromium node-deps
	$(GO) test -count=1 -run TestBrowser -v ./shared/console
