#!/usr/bin/env bash
# HTTP load test of /v1/lookup on the Greater Manchester region (4 layers),
# with wrk (Debian package `wrk`) on loopback. Bounded: 20 s, then it stops.
#   benches/http_load.sh [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FEEDMAP_DATA:-$(pwd)/../shared/data/gm}"
duration="${1:-20s}"
conns="${2:-64}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
region=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$region"' EXIT
layer() { printf '[[layers]]\nid = "%s"\nrole = "%s"\nfile = "%s/%s"\nid_property = "%s"\nname_property = "area_name"\n' "$@"; }
{
  echo 'name = "GM load test"'
  layer localities neighbourhood "$data" trafford_localities_2023.geojson area_name
  layer wards community "$data" gm_wards_2023.geojson area_code
  layer msoas context "$data" gm_msoa_2021.geojson area_code
  layer lsoas context "$data" gm_lsoa_2021.geojson area_code
} > "$region/region.toml"
RUST_LOG=warn ./target/release/feedmap serve --region "$region" --addr 127.0.0.1:0 > "$region/out" &
server=$!
for _ in $(seq 100); do grep -q listening "$region/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$region/out")
wrk -t2 -c"$conns" -d"$duration" --latency -s benches/wrk_lookup.lua "$url"
