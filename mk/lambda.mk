# lambda: the Lambda benchmark (cmd/lambdabench: bootstrap sizes, cold init
# under the Lambda Runtime Interface Emulator, warm durations and AWS requests
# per lead against the stack deployed into moto, cost per 1,000 leads), part
# of `make bench` through BENCH_EXTRA; alone: make lambda-bench.

RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE := $(BIN)/aws-lambda-rie

BENCH_DEPS += lambda-rie
BENCH_EXTRA += ./scripts/lambdabench.sh
export BENCH_EXTRA

.PHONY: lambda-rie lambda-bench

lambda-rie: $(RIE)

# Reinstalled when this file (the pinned version) changes.
$(RIE): mk/lambda.mk
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	@touch $@

lambda-bench: node-deps lambda-rie
	./scripts/lambdabench.sh
