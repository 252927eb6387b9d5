#!/usr/bin/env bash
# Load test of the public question on loopback with wrk (Debian package
# `wrk`): POST /v1/question/answers for Trafford postcodes in turn, each
# from its own client, for DURATION, against the embedded SQLite store and,
# when FEEDMAP_TEST_POSTGRES names a PostgreSQL role that may create
# databases, against PostgreSQL. Every answer is acknowledged only after
# its transaction committed (synchronous = FULL on SQLite).
#   benches/question_load.sh [DURATION] [CONNECTIONS]
# FEEDMAP_BIN=/path/to/feedmap measures that binary instead of building
# this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FEEDMAP_DATA:-$(pwd)/../shared/data/gm}"
duration="${1:-20s}"
conns="${2:-64}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${FEEDMAP_BIN:-}" ]; then
  cargo build --release --quiet
  FEEDMAP_BIN=./target/release/feedmap
fi
region=$(mktemp -d)
server=
trap 'kill "$server" 2>/dev/null || true; rm -rf "$region"' EXIT
{
  echo 'name = "Trafford question load test"'
  for l in "localities neighbourhood trafford_localities_2023.geojson area_name" \
           "wards community trafford_wards_2023_full.geojson area_code" \
           "oas population trafford_oa_2021.geojson area_code"; do
    set -- $l
    printf '[[layers]]\nid = "%s"\nrole = "%s"\nfile = "%s/%s"\nid_property = "%s"\nname_property = "%s"\n' "$1" "$2" "$data" "$3" "$4" "$4"
  done
  printf 'population_file = "%s/trafford_census2021_population_oa.csv"\n' "$data"
  printf '[postcodes]\nfile = "%s/trafford_postcodes.csv"\npostcode_column = "postcode"\nlat_column = "lat"\nlon_column = "lon"\n' "$data"
  printf '[question]\nmin_count = 10\n'
} > "$region/region.toml"

run() {
  local what=$1; shift
  # The burst detector would hold areas that get hundreds of answers a
  # second; the load test measures counting, not it.
  RUST_LOG=warn "$FEEDMAP_BIN" serve --region "$region" --addr 127.0.0.1:0 \
    --question-burst-min 100000000 "$@" > "$region/out" &
  server=$!
  for _ in $(seq 300); do grep -q listening "$region/out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$region/out")
  echo "== POST /v1/question/answers, $what"
  FEEDMAP_POSTCODES="$data/trafford_postcodes.csv" \
    wrk -t2 -c"$conns" -d"$duration" --latency -s benches/wrk_question.lua "$url" | tee "$region/wrk"
  # Every answer acknowledged is counted: the region's total, per second.
  seconds=$(sed -n 's/.* requests in \([0-9.]*\)s,.*/\1/p' "$region/wrk")
  counted=$(curl -s "$url/v1/question/areas?layer=localities" | sed -n 's/.*"min_count":[0-9]*,"answers":\([0-9]*\),.*/\1/p')
  echo "answers counted: $counted in ${seconds}s, $(awk "BEGIN { printf \"%.0f\", $counted / $seconds }") a second"
  kill "$server"; wait "$server" 2>/dev/null || true
}

run "SQLite (synchronous = FULL)" --data-dir "$region/data"
if [ -n "${FEEDMAP_TEST_POSTGRES:-}" ]; then
  db="feedmap_question_load_$$"
  base="${FEEDMAP_TEST_POSTGRES%/*}"
  psql "$FEEDMAP_TEST_POSTGRES" -qc "CREATE DATABASE $db" >/dev/null
  run "PostgreSQL" --store "$base/$db"
  psql "$FEEDMAP_TEST_POSTGRES" -qc "DROP DATABASE $db" >/dev/null
fi
