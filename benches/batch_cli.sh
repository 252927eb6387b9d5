#!/usr/bin/env bash
# Rows/second of `feedmap feeds batch` on the Trafford feeds region (4
# localities, 21 full-resolution wards, 91 polling districts, 11,264
# postcodes), over a generated CSV: 90 % coordinates, 10 % postcodes, one bad
# row in 1,000.  benches/batch_cli.sh [ROWS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${FEEDMAP_DATA:-$(pwd)/../shared/data/gm}"
rows="${1:-1000000}"
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/region.toml" <<TOML
name = "Trafford batch bench"
[[layers]]
id = "localities"
role = "neighbourhood"
file = "$data/trafford_localities_2023.geojson"
id_property = "area_name"
name_property = "area_name"
[[layers]]
id = "wards"
role = "community"
file = "$data/trafford_wards_2023_full.geojson"
id_property = "area_code"
name_property = "area_name"
[[layers]]
id = "polling"
role = "community"
file = "$data/trafford_polling_districts.geojson"
id_property = "area_name"
name_property = "area_name"
[postcodes]
file = "$data/trafford_postcodes.csv"
postcode_column = "postcode"
lat_column = "lat"
lon_column = "lon"
[feeds]
file = "feeds.csv"
TOML
{
  echo "feed_id,platform,handle,url,layer,area_id,name,status"
  echo "GMP,x,@gmpolice,https://x.example/gmpolice,,,GMP,active"
  for l in North Central South West; do
    echo "L-$l,x,@Trafford$l,https://x.example/Trafford$l,localities,$l,Trafford $l,active"
  done
} > "$work/feeds.csv"
awk -v n="$rows" 'BEGIN {
  print "id,lat,lon,postcode";
  for (i = 0; i < n; i++) {
    if (i % 1000 == 999) print i ",abc,-2.3,";
    else if (i % 10 == 0) print i ",,,M15 4AB";
    else printf "%d,%.5f,%.5f,\n", i, 53.38 + (i % 997) * 0.0001, -2.45 + (i % 991) * 0.0002;
  } }' > "$work/in.csv"
start=$(date +%s.%N)
RUST_LOG=warn ./target/release/feedmap feeds batch --region "$work" "$work/in.csv" > "$work/out.csv"
end=$(date +%s.%N)
lines=$(($(wc -l < "$work/out.csv") - 1))
awk -v r="$lines" -v s="$start" -v e="$end" 'BEGIN { printf "%d rows in %.2f s (including region load): %.0f rows/s\n", r, e - s, r / (e - s) }'
