#!/usr/bin/env bash
# Speed unchanged? Times two feedmap binaries on the same commands,
# alternating old and new run by run so that both meet the same machine
# state, and prints each one's median and range of wall-clock seconds:
#   lookup       one point on GM boroughs × wards (region load + lookup)
#   feeds-batch  500,000 rows (Trafford's 11,264 postcodes 20 times, then
#                274,720 points) through `feeds batch` on Trafford
#                localities × wards with its postcodes
#   plan         the GM boroughs × wards plan (LSOA population), as JSON
#   benches/alternate_binaries.sh OLD_BINARY NEW_BINARY [RUNS]   (default 7)
# Build the old one from a checkout of the older commit first, e.g.
#   git worktree add /tmp/old <commit> && (cd /tmp/old && cargo build --release)
set -eu
OLD=$(realpath "$1"); NEW=$(realpath "$2"); RUNS=${3:-7}
cd "$(dirname "$0")/.."
D=$(realpath "${FEEDMAP_DATA:-../shared/data/gm}")
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
layer() { printf '[[layers]]\nid = "%s"\nrole = "%s"\nfile = "%s"\nid_property = "%s"\nname_property = "%s"\n%b\n' "$@"; }
mkdir -p "$W/gmb" "$W/traf"
{ echo 'name = "GM boroughs"'
  echo 'attribution = "Contains National Statistics and OS data © Crown copyright and database right 2025"'
  layer boroughs neighbourhood "$D/gm_local_authorities_2023.geojson" area_code area_name ""
  layer wards community "$D/gm_wards_2023.geojson" area_code area_name ""
  layer lsoas population "$D/gm_lsoa_2021.geojson" area_code area_code "population_each = 1700"; } > "$W/gmb/region.toml"
{ echo 'name = "Trafford"'
  echo 'attribution = "Contains National Statistics and OS data © Crown copyright and database right 2025"'
  layer localities neighbourhood "$D/trafford_localities_2023.geojson" area_name area_name ""
  layer wards community "$D/trafford_wards_2023_full.geojson" area_code area_name ""
  printf '[postcodes]\nfile = "%s"\nlat_column = "lat"\nlon_column = "lon"\npostcode_column = "postcode"\n' "$D/trafford_postcodes.csv"; } > "$W/traf/region.toml"
"$NEW" validate "$W/traf" > /dev/null
# 500,000 rows: the Trafford postcodes 20 times, then points over Trafford.
{ echo "id,postcode,lat,lon"
  for k in $(seq 20); do tail -n +2 "$D/trafford_postcodes.csv" | awk -F, -v k="$k" '{print k "-" NR "," $1 ",,"}'; done
  awk 'BEGIN { srand(7); for (i = 1; i <= 274720; i++) printf "p%d,,%.5f,%.5f\n", i, 53.38 + rand() * 0.09, -2.45 + rand() * 0.2 }'; } > "$W/batch.csv"
commands=(
  "lookup|lookup --region $W/gmb 53.48 -2.24"
  "feeds-batch|feeds batch --region $W/traf $W/batch.csv"
  "plan|plan --region $W/gmb --format json"
)
seconds() { # binary, args...: wall seconds of one run (output discarded)
  local start end
  start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N)
  echo "$end - $start" | bc
}
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "median %.3f s (%.3f–%.3f)", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'; }
printf '%-12s %-36s %-36s %s\n' command old new "new/old"
for c in "${commands[@]}"; do
  name=${c%%|*}; args=${c#*|}
  # shellcheck disable=SC2086
  { "$OLD" $args > /dev/null 2>&1; "$NEW" $args > /dev/null 2>&1; } || true # warm the page cache
  : > "$W/old"; : > "$W/new"
  for _ in $(seq "$RUNS"); do
    # shellcheck disable=SC2086
    seconds "$OLD" $args >> "$W/old"
    # shellcheck disable=SC2086
    seconds "$NEW" $args >> "$W/new"
  done
  o=$(stats < "$W/old"); n=$(stats < "$W/new")
  ratio=$(echo "$(echo "$n" | awk '{print $2}') / $(echo "$o" | awk '{print $2}')" | bc -l)
  printf '%-12s %-36s %-36s %.3f\n' "$name" "$o" "$n" "$ratio"
done
