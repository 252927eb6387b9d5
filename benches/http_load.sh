#!/usr/bin/env bash
# HTTP load test on loopback with wrk (Debian package `wrk`), bounded by
# DURATION: first GET /v1/lookup at random points over Trafford on the
# Greater Manchester region (4 layers), then GET /v1/feeds/lookup?postcode=
# for every Trafford postcode in turn (postcode directory + feeds).
#   benches/http_load.sh [DURATION] [CONNECTIONS]
# FEEDMAP_BIN=/path/to/feedmap measures that binary instead of building
# this tree's (to compare two versions in one session).
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
trap 'kill "$server" 2>/dev/null || true; rm -rf "$region"' EXIT
. benches/gm_layers.sh
{
  gm_four_layers "GM load test" "$data"
  printf '[postcodes]\nfile = "%s/trafford_postcodes.csv"\npostcode_column = "postcode"\nlat_column = "lat"\nlon_column = "lon"\n' "$data"
  printf '[feeds]\nfile = "feeds.csv"\n'
} > "$region/region.toml"
{
  echo "feed_id,platform,handle,url,layer,area_id,name,status"
  echo "GMP,x,@gmpolice,https://x.example/gmpolice,,,GMP,active"
  for l in North Central South West; do
    echo "L-$l,x,@Trafford$l,https://x.example/Trafford$l,localities,$l,Trafford $l,active"
  done
} > "$region/feeds.csv"
RUST_LOG=warn "$FEEDMAP_BIN" serve --region "$region" --data-dir "$region/data" --addr 127.0.0.1:0 > "$region/out" &
server=$!
for _ in $(seq 100); do grep -q listening "$region/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$region/out")
echo "== GET /v1/lookup (random points)"
wrk -t2 -c"$conns" -d"$duration" --latency -s benches/wrk_lookup.lua "$url"
echo "== GET /v1/feeds/lookup?postcode= (all Trafford postcodes in turn)"
FEEDMAP_POSTCODES="$data/trafford_postcodes.csv" \
  wrk -t2 -c"$conns" -d"$duration" --latency -s benches/wrk_feeds.lua "$url"
echo "== GET /v1/plan (GM boroughs × wards, LSOA-estimated population; a what-if re-plan per request)"
kill "$server" 2>/dev/null || true
plan_region=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$region" "$plan_region"' EXIT
{
  echo 'name = "GM plan load test"'
  layer boroughs neighbourhood "$data" gm_local_authorities_2023.geojson area_code
  layer wards community "$data" gm_wards_2023.geojson area_code
  layer lsoas population "$data" gm_lsoa_2021.geojson area_code
  echo 'population_each = 1700'
} > "$plan_region/region.toml"
RUST_LOG=warn "$FEEDMAP_BIN" serve --region "$plan_region" --data-dir "$plan_region/data" --addr 127.0.0.1:0 > "$plan_region/out" &
server=$!
for _ in $(seq 100); do grep -q listening "$plan_region/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$plan_region/out")
wrk -t2 -c16 -d"$duration" --latency "$url/v1/plan?min_population=4000&max_new_feeds=40"
