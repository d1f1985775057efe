#!/usr/bin/env bash
# What plugins add to statement ingest: the same lara-bench scenarios against `lara serve` on a
# fresh SQLite store, without plugins and with two installed (the probe, which takes every
# statement, and certification, which takes completions), alternating ROUNDS times. After each
# run with plugins, how far delivery trails (lag) and how long it takes to catch up.
# Usage: plugins/runtime/ingest-bench.sh [DIR] [ROUNDS]
# Needs: cargo build --release -p lrs-server -p lara-bench, the plugins built with
# cargo build --release --target wasm32-unknown-unknown -p lara-plugin-probe -p lara-plugin-certification,
# and jq. BENCH_SECONDS (default 15) sets the length of each scenario.
set -euo pipefail
dir=${1:-/tmp/lara-plugin-ingest}
rounds=${2:-2}
secs=${BENCH_SECONDS:-15}
target=${CARGO_TARGET_DIR:-target}
bin=$target/release
wasm=$target/wasm32-unknown-unknown/release
port=18480

run() { # $1: with or without
  local d="$dir/$1-$round" db server
  rm -rf "$d"; mkdir -p "$d"
  db="sqlite://$d/lara.db"
  "$bin/lara" credentials create --database-url "$db" --name bench --scopes all --json > "$d/cred.json"
  if [ "$1" = with ]; then
    "$bin/lara" plugins install "$wasm/lara_plugin_probe.wasm" --database-url "$db" \
      --plugin-cache "$dir/cache" > /dev/null
    "$bin/lara" plugins install "$wasm/lara_plugin_certification.wasm" --database-url "$db" \
      --plugin-cache "$dir/cache" --grant documents,emit-statements > /dev/null
  fi
  "$bin/lara" serve --database-url "$db" --listen "127.0.0.1:$port" \
    --content-listen "127.0.0.1:$((port + 1))" --plugin-cache "$dir/cache" --no-demo-course \
    > "$d/serve.log" 2>&1 &
  server=$!
  sleep 2
  export LRS_USER LRS_PASSWORD LRS_ENDPOINT="http://127.0.0.1:$port/xapi"
  LRS_USER=$(jq -r .key "$d/cred.json")
  LRS_PASSWORD=$(jq -r .secret "$d/cred.json")
  echo "== $1 plugins, round $round"
  "$bin/lara-bench" post-single --clients 32 --seconds "$secs"
  "$bin/lara-bench" post-batch --batch 100 --clients 4 --seconds "$secs"
  if [ "$1" = with ]; then
    local start=$SECONDS
    "$bin/lara" plugins list --database-url "$db" 2> /dev/null
    until "$bin/lara" plugins list --json --database-url "$db" 2> /dev/null | jq -e 'all(.[]; .lag == 0)' > /dev/null; do
      sleep 0.5
      if [ $((SECONDS - start)) -gt 600 ]; then echo "not caught up after 600 s"; break; fi
    done
    echo "caught up $((SECONDS - start)) s after the load ended"
    "$bin/lara" plugins list --database-url "$db" 2> /dev/null
  fi
  kill "$server"; wait "$server" 2> /dev/null || true
}

for round in $(seq 1 "$rounds"); do
  run without
  run with
done
