#!/usr/bin/env bash
# make dev: start leadflow dev with the shipped config, submit a demo lead
# that reaches sql, print its explanation, and keep the server running.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${LEADFLOW_ADDR:-127.0.0.1:8080}
export LEADFLOW_TOKEN=${LEADFLOW_TOKEN:-dev-token}
DATA=${LEADFLOW_DATA:-.data}
BIN=./bin/leadflow

"$BIN" validate >/dev/null
"$BIN" dev --addr "$ADDR" --data "$DATA" --log-level warn &
PID=$!
trap 'kill -INT $PID 2>/dev/null; wait $PID 2>/dev/null' INT TERM

for _ in $(seq 1 100); do
  curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { echo "leadflow dev exited; is $ADDR in use?" >&2; exit 1; }
  sleep 0.1
done

echo
echo "== submitting a demo lead: a VP of Sales at a 500-employee software company in New York =="
"$BIN" submit --addr "$ADDR" --form demo-request --wait \
  email="dana.whitfield@northwind-analytics.com" first_name=Dana last_name=Whitfield \
  title="VP of Sales" company="Northwind Analytics" employees=500 industry=software \
  country="United States" state="New York" phone="+1 212 555 0142" consent=yes
echo
echo "== outbox (owner notification) =="
"$BIN" outbox --addr "$ADDR"
echo
cat <<MSG
leadflow dev keeps running on http://$ADDR (Ctrl-C to stop).
Console: http://$ADDR/console/ (log in with the token: $LEADFLOW_TOKEN). Try:
  ./bin/leadflow submit --form contact-us email=you@example.com title="Head of Growth"
  ./bin/leadflow lead dana.whitfield@northwind-analytics.com
  curl -H "Authorization: Bearer $LEADFLOW_TOKEN" http://$ADDR/v1/owners/<rep>/queue
MSG
wait $PID
