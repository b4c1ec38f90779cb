# Proof of quality: a bounded soak under injected faults, and fuzzing.
# `make soak` drives 10,000 leads through the local runtime with faults on
# and checks the invariants (a few minutes); `make fuzz` runs every fuzz
# target for FUZZTIME each. Both stop by themselves. `make test` already runs
# the fuzz seed corpora and a 300-lead soak as ordinary tests.
FUZZTIME ?= 30s
SOAK_LEADS ?= 10000
SOAK_FLAGS ?=

# package:target pairs; `go test -fuzz` takes one target of one package.
FUZZ_TARGETS := \
	./shared/httpapi:FuzzFormBody \
	./shared/httpapi:FuzzEventsBody \
	./cmd/leadflow:FuzzReadRows \
	./events:FuzzParseEnvelope \
	./shared/configfile:FuzzParse \
	./shared/scoring:FuzzRule

.PHONY: soak fuzz

soak:
	$(GO) run ./cmd/soak -leads $(SOAK_LEADS) $(SOAK_FLAGS)

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
