#!/usr/bin/env bash
# `feedmap init` clipping a national-size postcode directory to one force:
# ROWS synthetic rows (default 2,700,000, about the whole-UK ONSPD) in
# ONSPD's 52 columns (1.3 GB), Trafford's 11,264 real postcodes among
# points spread over Great Britain's box, one in 97 without coordinates
# (ONSPD's 99.999999), one in 13 terminated. Fixed seed. Needs the GM data
# (FEEDMAP_DATA, default ../shared/data/gm).
#   benches/init_postcodes.sh [ROWS]
# Prints init's report line and the wall time and peak memory of the
# whole command (inspect the boundaries, clip, write, validate).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-2700000}"
data="${FEEDMAP_DATA:-../shared/data/gm}"
cargo build --release --quiet --bin feedmap
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
echo "work: $work"
python3 - "$work/ONSPD_synthetic_UK.csv" "$rows" "$data/trafford_postcodes.csv" <<'PY'
import csv, random, sys
path, n, real_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
cols = ("pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,"
        "osnrth1m,osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,"
        "statsward,oa01,casward,park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,"
        "sicbl,bua24,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21").split(",")
real = list(csv.DictReader(open(real_file)))
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(cols)
    filler = ["E99999999"] * len(cols)
    for i in range(n):
        if i < len(real):
            pc, lat, lon = real[i]["postcode"], real[i]["lat"], real[i]["lon"]
        else:
            pc = "ZZ%d %d%s%s" % (i % 99, i % 9, chr(65 + i % 26), chr(65 + (i // 26) % 26))
            lat, lon = "%.6f" % rng.uniform(50.0, 58.6), "%.6f" % rng.uniform(-5.7, 1.7)
            if i % 97 == 0:
                lat, lon = "99.999999", "0.000000"
        row = list(filler)
        row[0], row[1], row[2], row[3] = pc.replace(" ", ""), pc, pc, "198001"
        row[4] = "201203" if i % 13 == 0 else ""
        row[41], row[42] = lat, lon
        w.writerow(row)
PY
ls -l "$work/ONSPD_synthetic_UK.csv"
/usr/bin/time -f "wall %e s, peak RSS %M kB" target/release/feedmap init "$work/region" \
  --neighbourhoods "$data/trafford_localities_2023.geojson" \
  --communities "$data/trafford_wards_2023_full.geojson" \
  --postcodes "$work/ONSPD_synthetic_UK.csv" 2>&1 | grep -E "^postcodes|wall|Ready"
