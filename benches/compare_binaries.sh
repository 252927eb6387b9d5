#!/usr/bin/env bash
# Behaviour unchanged? Runs the same commands with two feedmap binaries and
# compares their outputs byte for byte (stdout and exit code): the plan as
# JSON, GeoJSON and CSV on the demo, GM boroughs x wards (LSOA population)
# and Trafford localities x wards (Census OA population, postcodes);
# feeds batch and lookup, lookup, validate, discover, owners health and
# consolidate, and a real ward release (Trafford 2022 -> 2023): list, diff
# in three formats, proposals.
#   benches/compare_binaries.sh OLD_BINARY NEW_BINARY   (outputs kept in $KEEP, if set)
# Build the old one from a checkout of the older commit first, e.g.
#   git worktree add /tmp/old <commit> && (cd /tmp/old && cargo build --release)
set -u
OLD=$(realpath "$1"); NEW=$(realpath "$2")
cd "$(dirname "$0")/.."
REPO=$(pwd)
D=$(realpath "${FEEDMAP_DATA:-../shared/data/gm}")
W=${KEEP:-$(mktemp -d)}; rm -rf "$W"; mkdir -p "$W"
layer() { printf '[[layers]]\nid = "%s"\nrole = "%s"\nfile = "%s"\nid_property = "%s"\nname_property = "%s"\n%b\n' "$@"; }
OGL='attribution = "Contains National Statistics and OS data © Crown copyright and database right 2025"'
mkdir -p $W/gmb $W/traf
{ echo 'name = "GM boroughs"'; echo "$OGL"; echo;
  layer boroughs neighbourhood $D/gm_local_authorities_2023.geojson area_code area_name "";
  layer wards community $D/gm_wards_2023.geojson area_code area_name "";
  layer lsoas population $D/gm_lsoa_2021.geojson area_code area_code "population_each = 1700"; } > $W/gmb/region.toml
{ echo 'name = "Trafford"'; echo "$OGL"; echo;
  layer localities neighbourhood $D/trafford_localities_2023.geojson area_name area_name "";
  layer wards community $D/trafford_wards_2023_full.geojson area_code area_name "";
  layer oas population $D/trafford_oa_2021.geojson area_code area_code "population_file = \"$D/trafford_census2021_population_oa.csv\"\npopulation_id_column = \"area_code\"";
  printf '[postcodes]\nfile = "%s"\nlat_column = "lat"\nlon_column = "lon"\npostcode_column = "postcode"\n' $D/trafford_postcodes.csv; } > $W/traf/region.toml
$NEW validate $W/traf >/dev/null 2>&1 || { echo "trafford region invalid:"; $NEW validate $W/traf | tail -5; }
# a batch input: demo postcodes and points + Trafford postcodes
{ echo "id,postcode,lat,lon,q"; tail -n +2 boundaries/demo/postcodes.csv | head -300 | awk -F, '{print NR","$1",,,"}';
  for i in $(seq 1 200); do echo "p$i,,$(awk -v i=$i 'BEGIN{srand(i); printf "%.5f,%.5f", 54.0+rand()*1.5, -2.5+rand()*2}'),"; done; } > $W/demo_batch.csv
{ echo "id,postcode"; tail -n +2 $D/trafford_postcodes.csv | head -3000 | awk -F, '{print NR","$1}'; } > $W/traf_batch.csv
n=0; bad=0
run() { # name, args...
  local name=$1; shift
  for who in old new; do
    local bin=$OLD; [ $who = new ] && bin=$NEW
    rm -rf $W/data-$who; cp -r $W/seed $W/data-$who 2>/dev/null || mkdir -p $W/data-$who
    ( cd $REPO; "$bin" "${@//DATA/$W/data-$who}" > $W/$name.$who 2>/dev/null; echo "exit $?" >> $W/$name.$who )
  done
  n=$((n+1))
  if cmp -s $W/$name.old $W/$name.new; then printf 'same  %-40s %8d bytes\n' "$name" $(stat -c %s $W/$name.new)
  else bad=$((bad+1)); printf 'DIFF  %-40s\n' "$name"; diff <(head -c 3000 $W/$name.old) <(head -c 3000 $W/$name.new) | head -10; fi
}
for r in demo:boundaries/demo gmb:$W/gmb traf:$W/traf; do
  nm=${r%%:*}; dir=${r#*:}
  for f in json geojson csv; do run plan-$nm-$f plan --region $dir --format $f; done
done
run plan-gmb-full plan --region $W/gmb --param max_new_feeds=5 --format json
run feeds-batch-demo feeds batch --region boundaries/demo $W/demo_batch.csv
run feeds-batch-traf feeds batch --region $W/traf $W/traf_batch.csv
run feeds-lookup-demo feeds lookup --region boundaries/demo --postcode "$(sed -n 2p boundaries/demo/postcodes.csv | cut -d, -f1)"
run feeds-lookup-q feeds lookup --region boundaries/demo --q "Old Harrowgate"
run lookup-demo lookup --region boundaries/demo 54.5 -1.6
run lookup-traf lookup --region $W/traf 53.42 -2.35
run validate-demo validate boundaries/demo
run validate-traf validate $W/traf
run validate-gmb validate $W/gmb
run discover-demo discover --region boundaries/demo --gap 500
run discover-traf discover --region $W/traf
run owners-health-demo owners --region boundaries/demo --data-dir DATA health --param at=2026-11-01
run owners-health-demo-csv owners --region boundaries/demo --data-dir DATA health --param at=2026-11-01 --format csv
run owners-consolidate-demo owners --region boundaries/demo --data-dir DATA consolidate --param at=2026-11-01
run owners-consolidate-demo-geojson owners --region boundaries/demo --data-dir DATA consolidate --param at=2026-11-01 --format geojson
# a release: Trafford wards 2022 -> 2023 on a Trafford 2022 region, staged into a seed store
# by the OLD binary (a newer binary migrates an older store; an older one
# refuses a newer store's schema)
mkdir -p $W/traf22; sed "s#trafford_wards_2023_full#trafford_wards_2022_full#; s#trafford_localities_2023#trafford_localities_2022#" $W/traf/region.toml > $W/traf22/region.toml
rm -rf $W/seed; mkdir -p $W/seed
printf '[[tokens]]\nname = "planner"\ntoken = "planner-token-0123456789abcdef"\nrole = "planner"\n' > $W/tokens.toml
$OLD release --region $W/traf22 --data-dir $W/seed stage --layer wards --label "May 2023" --tokens $W/tokens.toml --token planner-token-0123456789abcdef $D/trafford_wards_2023_full.geojson >/dev/null 2>$W/stage.err || { echo "stage failed:"; cat $W/stage.err | tail -3; }
run release-list release --region $W/traf22 --data-dir DATA list
for f in json csv geojson; do run release-diff-$f release --region $W/traf22 --data-dir DATA diff 1 --format $f; done
run release-proposals release --region $W/traf22 --data-dir DATA proposals 1
echo "$n commands, $bad differ"
[ "$bad" = 0 ]
