#!/usr/bin/env bash
# The scale run behind the figures in README.md: a fresh SQLite store, measured empty, at 1M and
# at 10M statements. Usage: lrs/lara-bench/scale-run.sh [DIR] [TOTAL]
# Needs the release binaries (cargo build --release -p lrs-server -p lara-bench), jq and sqlite3.
# BENCH_SECONDS (default 20) sets the length of each timed scenario.
set -euo pipefail
dir=${1:-/tmp/lara-scale-run}
total=${2:-10000000}
secs=${BENCH_SECONDS:-20}
bin=${CARGO_TARGET_DIR:-target}/release
mkdir -p "$dir"
db="sqlite://$dir/lara.db"
"$bin/lara" credentials create --database-url "$db" --name bench --scopes all --json > "$dir/cred.json"
export LRS_USER LRS_PASSWORD
LRS_USER=$(jq -r .key "$dir/cred.json")
LRS_PASSWORD=$(jq -r .secret "$dir/cred.json")
"$bin/lara" serve --database-url "$db" > "$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 2
bench="$bin/lara-bench"
stored() { sqlite3 "$dir/lara.db" 'select coalesce(max(seq), 0) from statements'; }

echo "== empty"
"$bench" post-single --clients 32 --seconds "$secs"
"$bench" post-batch --batch 100 --clients 4 --seconds "$secs"
sizes="$total"
if [ "$total" -gt 1000000 ]; then sizes="1000000 $total"; fi
for size in $sizes; do
  echo "== seed to $size"
  "$bench" seed --total "$size" --start "$(stored)" --report-every $((size / 10))
  echo "== at $size"
  "$bench" query --seconds "$secs"
  "$bench" post-single --clients 32 --seconds "$secs"
  "$bench" post-batch --batch 100 --clients 4 --seconds "$secs"
done
