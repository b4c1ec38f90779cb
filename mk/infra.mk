# infra: the pinned Node tools (CDK CLI, asl-validator) and the CDK commands.
# Context values go through CDK_ARGS, e.g.
#   make deploy CDK_ARGS="-c senderEmail=leads@example.com -c alarmEmail=ops@example.com"

NODE_STAMP := node_modules/.package-lock.json
CDK := npx --no-install cdk
CDK_ARGS ?=

# The infra tests run asl-validator from node_modules.
TEST_DEPS += node-deps
BENCH_DEPS += node-deps

.PHONY: node-deps synth bootstrap deploy destroy

node-deps: $(NODE_STAMP)

# npm ci only when the lockfile or package.json changed since the last install.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@# npm packages ship Go template files; a go.mod of their own keeps them
	@# out of this module's ./... (tests, vet, tidy).
	@printf 'module leadflow.invalid/node_modules\n' > node_modules/go.mod
	@touch $@

synth: node-deps
	$(CDK) synth --quiet $(CDK_ARGS)

# Once per account and region, before the first deploy.
bootstrap: node-deps
	$(CDK) bootstrap $(CDK_ARGS)

deploy: node-deps
	$(CDK) deploy $(CDK_ARGS)

destroy: node-deps
	$(CDK) destroy $(CDK_ARGS)
