#!/usr/bin/env bash
# The Lambda benchmark (cmd/lambdabench); make lambda-rie installs the
# emulator it needs. LAMBDA_LEADS and LAMBDA_COLD bound the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
go build -o bin/lambdabench ./cmd/lambdabench
exec ./bin/lambdabench -rie bin/aws-lambda-rie -leads "${LAMBDA_LEADS:-20}" -cold "${LAMBDA_COLD:-5}"
