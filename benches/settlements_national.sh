#!/usr/bin/env bash
# Settlement discovery at national scale: POINTS synthetic postcode
# centroids (default 1,700,000, about Great Britain's live postcodes) over
# Great Britain's bounding box — 3,000 towns and cities of Pareto-
# distributed size at urban postcode density (about 100 per km², as in
# Trafford), plus 10 % scattered rural points — discovered by
# `feedmap discover` (gap 200 m, at least 5 points). Fixed seed.
#   benches/settlements_national.sh [POINTS]
# Prints the wall time and peak memory of the whole command (load the
# postcode file, chain, outline, measure, write GeoJSON) and its own log
# line (discovery alone).
set -euo pipefail
cd "$(dirname "$0")/.."
points="${1:-1700000}"
cargo build --release --quiet --bin feedmap
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
echo "work: $work"
python3 - "$points" "$work/postcodes.csv" <<'PY'
import math, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
rural = n // 10
towns = 3000
# Pareto sizes scaled to the urban total.
raw = [rng.paretovariate(1.1) for _ in range(towns)]
scale = (n - rural) / sum(raw)
sizes = [max(5, int(r * scale)) for r in raw]
sizes[0] += (n - rural) - sum(sizes)
with open(path, "w") as f:
    f.write("pcds,lat,long\n")
    k = 0
    def row(lat, lon):
        global k
        # Valid, distinct postcodes (AA99 9AA) from the row number.
        out, inw = divmod(k, 6760)
        letters, digits = divmod(out, 100)
        f.write("%s%s%d %d%s%s,%.6f,%.6f\n" % (
            chr(65 + letters // 26 % 26), chr(65 + letters % 26), digits,
            inw // 676, chr(65 + inw // 26 % 26), chr(65 + inw % 26), lat, lon))
        k += 1
    for size in sizes:
        lat, lon = rng.uniform(50.5, 57.5), rng.uniform(-5.0, 1.5)
        # About 100 postcodes per km²: radius in km from the town's area.
        sigma_km = math.sqrt(max(size, 1) / 100.0 / math.pi) / 1.2
        for _ in range(size):
            dy = rng.gauss(0, sigma_km) / 111.2
            dx = rng.gauss(0, sigma_km) / (111.2 * math.cos(math.radians(lat)))
            row(lat + dy, lon + dx)
    for _ in range(n - sum(sizes)):
        row(rng.uniform(50.0, 58.5), rng.uniform(-6.0, 2.0))
PY
# One context area around it all (a region needs a layer).
echo '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"GB","name":"Great Britain"},"geometry":{"type":"Polygon","coordinates":[[[-7,49.5],[2.5,49.5],[2.5,59],[-7,59],[-7,49.5]]]}}]}' > "$work/gb.geojson"
cat > "$work/region.toml" <<TOML
name = "Synthetic Great Britain ($points postcodes)"
[[layers]]
id = "gb"
role = "context"
file = "gb.geojson"
id_property = "id"
name_property = "name"

[postcodes]
file = "postcodes.csv"
TOML
echo "points: $(($(wc -l < "$work/postcodes.csv") - 1))"
/usr/bin/env time -f "whole command: %e s, peak RSS %M KB" -o "$work/time" \
  target/release/feedmap discover --region "$work" 2> "$work/log" > "$work/settlements.geojson" || { cat "$work/log"; exit 1; }
cat "$work/time"
sed -E 's/\x1b\[[0-9;]*m//g' "$work/log" | grep -E "region loaded|settlements discovered|whole command" \
  | sed -E 's/.*(region loaded|settlements discovered)/\1/'
echo "GeoJSON: $(du -h "$work/settlements.geojson" | cut -f1)"
