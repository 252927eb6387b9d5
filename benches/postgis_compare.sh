#!/usr/bin/env bash
# feedmap beside PostGIS, same machine, same points, one run.
#
#   benches/postgis_compare.sh [POINTS] [HTTP_DURATION]   (default 1000000 20s)
#
# Starts a throwaway PostgreSQL + PostGIS on loopback (Debian packages
# postgresql-15-postgis-3, gdal-bin, wrk; the script says which are missing),
# loads the Greater Manchester layers with ogr2ogr (GiST indexes), makes
# POINTS random points over the GM bounding box (fixed seed; about 41 % fall
# outside GM) and then measures, each pair back to back:
#   1. batch: the PostGIS ST_Contains join of the points with the 1,702 LSOAs
#      (LEFT JOIN, every point answered with what feedmap's CSV row carries
#      for it — the point, inside or outside, the LSOA's code and name —
#      written to a CSV file; the bare join writing codes alone beside it)
#      against
#      `feedmap feeds batch` on a region whose only layer is the LSOAs,
#      for all points and for the points inside GM alone; plus per-point
#      agreement of the two answers;
#   2. HTTP: pgbench running the four indexed ST_Contains lookups of one
#      point (Trafford localities, GM wards, MSOAs, LSOAs) against wrk on
#      feedmap's GET /v1/lookup over the same four layers, random points in
#      the same box; and the same wrk script on an axum handler that does
#      no work (examples/ceiling.rs): empty answers, the framework's ceiling
#      on this machine, then a fixed JSON body the size of feedmap's mean
#      answer, what the answer's size alone costs. ROUNDS rounds (default
#      3), each running all four back to back, so that the VM's drift
#      touches all alike; each round is printed, and the best of each.
# Prints each pair and its ratio. Not part of `cargo test`.
# ROUNDS sets the HTTP rounds. PROFILE the cargo profile both servers and
# the batch are built with (default release-lto, as deployed: whole-program
# optimisation; `release` for the quicker build the tests use).
# FEEDMAP_DATA overrides the data folder (default ../shared/data/gm).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data="${FEEDMAP_DATA:-$root/../shared/data/gm}"
points="${1:-1000000}"
duration="${2:-20s}"
seed=14
rounds="${ROUNDS:-3}"
profile="${PROFILE:-release-lto}"

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
missing=()
[ -n "$pgbin" ] || missing+=(postgresql)
compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null || missing+=(postgresql-15-postgis-3)
command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
command -v wrk >/dev/null || missing+=(wrk)
command -v python3 >/dev/null || missing+=(python3)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "building feedmap and the empty handler with the $profile profile" >&2
cargo build --profile "$profile" --quiet --bin feedmap --example ceiling
feedmap="$root/target/$profile/feedmap"
work=$(mktemp -d /tmp/feedmap-postgis.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/pg/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# --- PostgreSQL + PostGIS on loopback ---------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/pg" && chown postgres "$work/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg -c shared_buffers=1GB -c work_mem=256MB -c max_wal_size=4GB -c fsync=off -c synchronous_commit=off -c autovacuum=off" start >/dev/null
pg="host=127.0.0.1 port=$port user=postgres dbname=postgres"
sql() { psql "$pg" -qtAX -v ON_ERROR_STOP=1 "$@"; }
sql -c "CREATE EXTENSION postgis"
postgis=$(sql -c "SELECT postgis_lib_version()")
pgver=$(sql -c "SHOW server_version")
load() { # table file
  ogr2ogr -f PostgreSQL "PG:$pg" "$data/$2" -nln "$1" -nlt PROMOTE_TO_MULTI \
    -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -t_srs EPSG:4326
}
load lsoa gm_lsoa_2021.geojson
load msoa gm_msoa_2021.geojson
load ward gm_wards_2023.geojson
load locality trafford_localities_2023.geojson
sql -c "VACUUM ANALYZE"

# --- the points (fixed seed) -------------------------------------------------
read -r xmin ymin xmax ymax < <(sql -F' ' -c "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM lsoa) s")
python3 - "$points" "$seed" "$xmin" "$ymin" "$xmax" "$ymax" > "$work/all.csv" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
xmin, ymin, xmax, ymax = map(float, sys.argv[3:7])
rng = random.Random(seed)
out = sys.stdout
out.write("id,lat,lon\n")
for i in range(n):
    lat = ymin + rng.random() * (ymax - ymin)
    lon = xmin + rng.random() * (xmax - xmin)
    out.write(f"{i},{lat:.7f},{lon:.7f}\n")
PY
sql <<SQL
CREATE TABLE pts (id integer PRIMARY KEY, lat float8, lon float8);
\copy pts (id, lat, lon) FROM '$work/all.csv' CSV HEADER
ALTER TABLE pts ADD COLUMN geom geometry(Point, 4326);
UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326);
CREATE TABLE inside AS SELECT p.* FROM pts p WHERE EXISTS (SELECT 1 FROM lsoa l WHERE ST_Contains(l.geom, p.geom));
ALTER TABLE inside ADD PRIMARY KEY (id);
VACUUM ANALYZE;
SQL
{ echo "id,lat,lon"; sql -c "\\copy (SELECT id, to_char(lat, 'FM990.0000000'), to_char(lon, 'FM990.0000000') FROM inside ORDER BY id) TO STDOUT CSV"; } > "$work/inside.csv"
n_all=$(($(wc -l < "$work/all.csv") - 1))
n_in=$(($(wc -l < "$work/inside.csv") - 1))

# --- feedmap's region: the LSOAs alone ---------------------------------------
mkdir "$work/lsoa"
cat > "$work/lsoa/region.toml" <<TOML
name = "GM LSOAs"
[[layers]]
id = "lsoas"
role = "neighbourhood"
file = "$data/gm_lsoa_2021.geojson"
id_property = "area_code"
name_property = "area_name"
TOML
echo "id,lat,lon" > "$work/empty.csv"

echo "# feedmap beside PostGIS $postgis (PostgreSQL $pgver), $(nproc) cores, built with the $profile profile, $(date -u +%Y-%m-%d)"
echo
echo "## Batch: $n_all points over the GM bounding box against the 1,702 LSOAs"
s=$(now); RUST_LOG=error "$feedmap" feeds batch --region "$work/lsoa" "$work/empty.csv" > /dev/null; startup=$(secs "$s" "$(now)")
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
batch_pair() { # table csv label count; the best of three runs of each, alternated
  local s t pg_s="" pg_min="" fm_s=""
  for _ in 1 2 3; do
    sql -c "CHECKPOINT"
    sleep 1
    # The join answering what feedmap's CSV rows carry: the point, inside
    # or outside, the area's code and name.
    s=$(now)
    sql -c "\\copy (SELECT p.id, p.lat, p.lon, CASE WHEN l.area_code IS NULL THEN 'outside' ELSE 'neighbourhood' END, l.area_code, l.area_name FROM $1 p LEFT JOIN lsoa l ON ST_Contains(l.geom, p.geom)) TO '$work/pg_$1.csv' CSV"
    t=$(secs "$s" "$(now)"); pg_s=$(min "$t" "$pg_s")
    # The bare join: each point's code alone.
    s=$(now)
    sql -c "\\copy (SELECT p.id, l.area_code FROM $1 p LEFT JOIN lsoa l ON ST_Contains(l.geom, p.geom)) TO '$work/pg_min_$1.csv' CSV"
    t=$(secs "$s" "$(now)"); pg_min=$(min "$t" "$pg_min")
    s=$(now)
    RUST_LOG=error "$feedmap" feeds batch --region "$work/lsoa" "$work/$2" > "$work/fm_$1.csv"
    t=$(secs "$s" "$(now)"); fm_s=$(min "$t" "$fm_s")
  done
  sql <<SQL
CREATE TEMP TABLE fm (id integer, via text, lat text, lon text, coverage text, nid text, nname text, cid text, cname text, feed_ids text, f1 text, f2 text, f3 text, f4 text, nbm text, nbl text, nbi text, nbn text, error text);
\copy fm FROM '$work/fm_$1.csv' CSV HEADER
CREATE TEMP TABLE pgr (id integer, lat float8, lon float8, coverage text, code text, name text);
\copy pgr FROM '$work/pg_$1.csv' CSV
CREATE TEMP TABLE cmp AS
  SELECT p.id, coalesce(g.code, '') AS pg_code, coalesce(f.nid, '') AS fm_code, p.geom
  FROM $1 p LEFT JOIN pgr g USING (id) LEFT JOIN fm f USING (id);
\o $work/agree_$1
SELECT count(*), count(*) FILTER (WHERE pg_code <> fm_code),
       coalesce(round(max(least(
         coalesce((SELECT ST_Distance(ST_Boundary(l.geom)::geography, c.geom::geography) FROM lsoa l WHERE l.area_code = c.pg_code), 1e9),
         coalesce((SELECT ST_Distance(ST_Boundary(l.geom)::geography, c.geom::geography) FROM lsoa l WHERE l.area_code = c.fm_code), 1e9)))
         FILTER (WHERE pg_code <> fm_code)::numeric, 3), 0)
  FROM cmp c;
\o
SQL
  local rows diff maxd
  IFS='|' read -r rows diff maxd < "$work/agree_$1"
  printf '%-28s PostGIS %6.2f s   feedmap %6.2f s (%.0f rows/s)   feedmap %s× faster\n' \
    "$3 ($4)" "$pg_s" "$fm_s" "$(awk -v n="$4" -v t="$fm_s" 'BEGIN { print n / t }')" "$(ratio "$pg_s" "$fm_s")"
  printf '%-28s (PostGIS writing each point'"'"'s code alone: %.2f s, %s× feedmap'"'"'s time)\n' "" "$pg_min" "$(ratio "$pg_min" "$fm_s")"
  if [ "$diff" = 0 ]; then
    printf '%-28s the two agree on every one of the %s points\n' "" "$rows"
  else
    printf '%-28s answers differ on %s of %s points (each within %s m of an LSOA edge)\n' "" "$diff" "$rows" "$maxd"
  fi
}
batch_pair pts all.csv "all points" "$n_all"
batch_pair inside inside.csv "inside GM only" "$n_in"
echo "(PostGIS writes what feedmap's CSV rows carry for these points: id, lat, lon, inside or"
echo " outside, LSOA code and name; best of three runs each, alternated; feedmap times are the whole command, including"
echo " $startup s to start and load the LSOAs; PostGIS times are the query writing its CSV,"
echo " tables and indexes already loaded, autovacuum off, a CHECKPOINT before each run)"
RUST_LOG=info "$feedmap" feeds batch --region "$work/lsoa" "$work/all.csv" 2>&1 >/dev/null | sed -n "s/.*batch done; /feedmap, all points: /p"

# --- HTTP: one point, four layers ---------------------------------------------
echo
echo "## One point, four layers: pgbench (PostGIS) beside wrk (feedmap GET /v1/lookup), $duration each"
mkdir "$work/gm"
. benches/gm_layers.sh
gm_four_layers "GM four layers" "$data" > "$work/gm/region.toml"
cat > "$work/lookup.pgbench" <<SQL
\\set ilat random(0, 9999999)
\\set ilon random(0, 9999999)
SELECT (SELECT area_name FROM locality WHERE ST_Contains(geom, p)),
       (SELECT area_code FROM ward WHERE ST_Contains(geom, p)),
       (SELECT area_code FROM msoa WHERE ST_Contains(geom, p)),
       (SELECT area_code FROM lsoa WHERE ST_Contains(geom, p))
  FROM (SELECT ST_SetSRID(ST_MakePoint($xmin + :ilon * ($xmax - $xmin) / 1e7, $ymin + :ilat * ($ymax - $ymin) / 1e7), 4326) AS p) s;
SQL
serve() { # command...; sets url
  "$@" > "$work/serve.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
}
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }
load() { # url -> requests/s under the wrk script, output kept in $work/wrk_last
  FEEDMAP_BBOX="$xmin $ymin $xmax $ymax" wrk -t2 -c64 -d"$duration" -s benches/wrk_lookup.lua "$1" > "$work/wrk_last"
  rps < "$work/wrk_last"
}
serve env RUST_LOG=error "$feedmap" serve --region "$work/gm" --data-dir "$work/gm/data" --addr 127.0.0.1:0
fm_url=$url
serve "$root/target/$profile/examples/ceiling" 127.0.0.1:0 0
ceil_url=$url
# The mean answer body: wrk's bytes read per request less one answer's head
# (measured on a first, short run).
head_bytes=$(curl -s -D - -o /dev/null "$fm_url/v1/lookup?lat=53.45&lon=-2.3" | wc -c)
FEEDMAP_BBOX="$xmin $ymin $xmax $ymax" wrk -t2 -c64 -d3s -s benches/wrk_lookup.lua "$fm_url" > "$work/wrk_size"
answer_bytes=$(sed -n 's/^ *\([0-9]*\) requests in .*, \([0-9.]*\)\([KMG]*\)B read.*/\1 \2 \3/p' "$work/wrk_size" |
  awk -v h="$head_bytes" '{ m = ($3 == "K") ? 1024 : ($3 == "M") ? 1048576 : ($3 == "G") ? 1073741824 : 1; printf "%d", $2 * m / $1 - h }')
serve "$root/target/$profile/examples/ceiling" 127.0.0.1:0 "$answer_bytes"
sized_url=$url
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 > b + 0) ? a : b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
pg_rps="" fm_rps="" ceil_rps="" sized_rps=""
echo "round  PostGIS/s  feedmap/s  ceiling/s  sized/s   feedmap: ×PostGIS  % of ceiling"
for r in $(seq "$rounds"); do
  p=$(pgbench "$pg" -n -M prepared -c 4 -j 2 -T "${duration%s}" -f "$work/lookup.pgbench" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  f=$(load "$fm_url")
  c=$(load "$ceil_url")
  z=$(load "$sized_url")
  printf '%5d  %9.0f  %9.0f  %9.0f  %7.0f   %17s  %12s\n' "$r" "$p" "$f" "$c" "$z" "$(ratio "$f" "$p")×" "$(pct "$f" "$c") %"
  pg_rps=$(max "$p" "$pg_rps"); fm_rps=$(max "$f" "$fm_rps"); ceil_rps=$(max "$c" "$ceil_rps"); sized_rps=$(max "$z" "$sized_rps")
done
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null
echo "best of $rounds rounds:"
printf 'PostGIS (pgbench, 4 clients)        %8.0f lookups/s\n' "$pg_rps"
printf 'feedmap GET /v1/lookup (wrk, 64)    %8.0f lookups/s   %s× PostGIS\n' "$fm_rps" "$(ratio "$fm_rps" "$pg_rps")"
printf 'empty axum handler (wrk, 64)        %8.0f requests/s  feedmap at %s %% of this ceiling\n' "$ceil_rps" "$(pct "$fm_rps" "$ceil_rps")"
printf 'axum, fixed %4d-byte JSON (wrk, 64) %8.0f requests/s  %s %% of the ceiling with no lookup at all\n' "$answer_bytes" "$sized_rps" "$(pct "$sized_rps" "$ceil_rps")"
echo "(all three wrk runs send the same script: random points, one request built per call)"
