#!/usr/bin/env bash
# make bench: Go benchmarks of the engines, end-to-end load runs of the local
# pipeline, a bulk import, and whatever area fragments add (BENCH_EXTRA), then
# one summary table of every figure. Bounded: every run has a fixed count.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
IMPORT_ROWS=${IMPORT_ROWS:-100000}
LOAD_N=${LOAD_N:-10000}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== Go benchmarks"
go test -run '^$' -benchmem -bench 'BenchmarkScore$' ./shared/scoring | tee "$OUT/score.txt"
go test -run '^$' -benchmem -bench 'BenchmarkRoute' ./shared/routing | tee "$OUT/route.txt"
go test -run '^$' -benchmem -bench 'BenchmarkParse' ./shared/lead | tee "$OUT/parse.txt"
go test -run '^$' -benchmem -bench 'BenchmarkEnrichOffline' ./shared/enrich | tee "$OUT/enrich.txt"
go test -run '^$' -bench 'BenchmarkCreateAndUpdate' -benchtime 2s ./shared/embedded | tee "$OUT/store.txt"
go test -run '^$' -bench 'BenchmarkTrain100k' -benchtime 1x -timeout 10m ./shared/model | tee "$OUT/train.txt"
for pkg in $(go list ./... | grep -E '/shared/replay$|/shared/console$' || true); do
  go test -run '^$' -bench . -benchtime 1x -timeout 10m "$pkg" | tee -a "$OUT/extra.txt"
done

echo "== end-to-end load over loopback HTTP (bin/loadbench)"
go build -o bin/loadbench ./cmd/loadbench
./bin/loadbench -n "$LOAD_N" -rate 5000 -label max | tee "$OUT/load-max.txt"
./bin/loadbench -n 3000 -rate 200 -label 200/s | tee "$OUT/load-200.txt"

echo "== bulk import: $IMPORT_ROWS CSV rows through capture to routed"
DATA=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
awk -v n="$IMPORT_ROWS" 'BEGIN {
  print "Work email,First name,Last name,Job title,Company,Company size,Industry,Country,State";
  split("NY TX CA", st, " ");
  for (i = 1; i <= n; i++) printf "buyer%d@import%d-corp.com,Pat,Import,VP of Sales,Import Corp %d,500,software,US,%s\n", i, i, i, st[i % 3 + 1];
}' > "$OUT/import.csv"
./bin/leadflow dev --addr "127.0.0.1:$PORT" --data "$DATA" --token bench --rate-limit -1 --log-level error > "$OUT/dev.log" 2>&1 &
DEV=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s.%N)
./bin/leadflow import "$OUT/import.csv" --form demo-request --addr "127.0.0.1:$PORT" --token bench | tee "$OUT/import.txt"
curl -fsS -X POST -H "Authorization: Bearer bench" "http://127.0.0.1:$PORT/v1/_settle" >/dev/null
end=$(date +%s.%N)
kill -INT $DEV; wait $DEV || true
rm -rf "$DATA"
awk -v s="$start" -v e="$end" -v n="$IMPORT_ROWS" 'BEGIN { printf "import to routed: %d rows in %.1f s (%.0f rows/s)\n", n, e - s, n / (e - s) }' | tee -a "$OUT/import.txt"

for extra in ${BENCH_EXTRA:-}; do
  echo "== $extra"
  $extra | tee -a "$OUT/extra.txt"
done

ns() { awk -v pat="$1" '$1 ~ pat { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") { print $i; exit } }' "$2"; }
allocs() { awk -v pat="$1" '$1 ~ pat { for (i = 1; i <= NF; i++) if ($(i+1) == "allocs/op") { print $i; exit } }' "$2"; }
row() { printf "| %-46s | %-34s | %-22s |\n" "$1" "$2" "$3"; }

echo
echo "== summary ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
row "figure" "measured" "target"
row "----" "----" "----"
row "score one lead, 20 activities" "$(ns BenchmarkScore "$OUT/score.txt") ns/op, $(allocs BenchmarkScore "$OUT/score.txt") allocs/op" "≤ 10,000 ns"
for case in named_account account_owner territory_state outside_hours segment_capacity fallback; do
  row "route one lead ($case)" "$(ns "BenchmarkRoute/$case" "$OUT/route.txt") ns/op, $(allocs "BenchmarkRoute/$case" "$OUT/route.txt") allocs/op" "≤ 2,000 ns"
done
row "parse and normalise one form" "$(ns BenchmarkParse "$OUT/parse.txt") ns/op" ""
row "offline enrichment of one lead" "$(ns BenchmarkEnrichOffline "$OUT/enrich.txt") ns/op" ""
row "embedded store, create+update, 128 writers" "$(awk '/writers=128/ {print $(NF-1), $NF}' "$OUT/store.txt")" ""
row "train model on 100,000 leads" "$(awk '/BenchmarkTrain100k/ {printf "%.1f s", $3/1e9}' "$OUT/train.txt")" "< 60 s"
row "end to end, offered 5,000/s" "$(sed -n 's/.*accepted [0-9]* (\([0-9]*\/s\)).*routed [0-9]* (\([0-9]*\) leads.*/accepted \1, routed \2 leads\/s/p' "$OUT/load-max.txt")" "≥ 1,000 leads/s"
row "speed-to-route at 200 leads/s" "$(sed -n 's/.*speed-to-route \(p50 .*\)  max.*/\1/p' "$OUT/load-200.txt")" "p99 ≤ 100 ms"
row "bulk import (capture)" "$(sed -n 's/.*accepted.*in .* (\([0-9]* rows\/s\)).*/\1/p' "$OUT/import.txt")" ""
row "bulk import to routed" "$(sed -n 's/import to routed: .* (\([0-9]* rows\/s\))/\1/p' "$OUT/import.txt")" ""
if [ -s "$OUT/extra.txt" ]; then
  echo
  echo "more figures:"
  grep -E '^(Benchmark|[a-z].*:)' "$OUT/extra.txt" || true
fi
