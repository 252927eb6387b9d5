"""OWSLib (PyPI, OWSLib 0.35.0) against feedmap's OGC API - Features,
Parts 2 and 3, on the 215 GM wards, with pyproj 3.7.2 as the reference for
coordinates. Run by tests/ogc_crs.rs:

    python owslib_ogc.py BASE_URL CHECKS_JSON

CHECKS_JSON holds a box in EPSG:27700 and the wards that meet it, and a
CRS84 polygon and the wards that intersect it, both computed by the Rust
test by brute force (no geometry library is installed here).

1. The wards in EPSG:27700, selected by the box given in EPSG:27700
   (bbox-crs), are the expected ones; their coordinates agree with pyproj's
   EPSG:4326 -> EPSG:27700 conversion (always_xy) of the CRS84 answer
   within 2 m. feedmap converts with OSTN15; pyproj without the OSTN15 grid
   file (not shipped in its wheel, and the network is switched off here)
   uses the Helmert transformation EPSG:1314, good to about 2 m, so 2 m is
   the bound.
2. The queryables are a JSON Schema naming the properties.
3. CQL2 text filters: `name LIKE 'Sale%'` keeps exactly the wards whose
   name starts with "Sale" in the unfiltered CRS84 items, computed here;
   `S_INTERSECTS(geometry, POLYGON(...))` keeps the expected wards.

Prints one line ending in "owslib ok"; exits non-zero on the first error.
"""

import json
import math
import sys

import pyproj
from owslib.ogcapi.features import Features
from pyproj import Transformer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"

base, checks = sys.argv[1], json.loads(sys.argv[2])
pyproj.network.set_network_enabled(False)

api = Features(base)
conforms = api.conformance()["conformsTo"]
for c in [
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
]:
    assert c in conforms, c
wards = api.collection("wards")
assert BNG in wards["crs"] and wards["storageCrs"] == CRS84, wards


def positions(geometry):
    assert geometry["type"] == "MultiPolygon", geometry["type"]
    return [p for polygon in geometry["coordinates"] for ring in polygon for p in ring]


def ids(answer):
    return [f["id"] for f in answer["features"]]


# 1. The grid, with a box in the grid.
box = checks["bbox_bng"]
grid = api.collection_items("wards", bbox=box, limit=1000, **{"bbox-crs": BNG, "crs": BNG})
assert api.response_headers["Content-Crs"] == f"<{BNG}>", api.response_headers
lonlat = api.collection_items("wards", bbox=box, limit=1000, **{"bbox-crs": BNG})
assert api.response_headers["Content-Crs"] == f"<{CRS84}>", api.response_headers
assert ids(grid) == ids(lonlat) == checks["bbox_ids"], (ids(grid), checks["bbox_ids"])
assert grid["numberMatched"] == len(checks["bbox_ids"]) > 0
to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
worst, points = 0.0, 0
for fg, fl in zip(grid["features"], lonlat["features"]):
    pg, pl = positions(fg["geometry"]), positions(fl["geometry"])
    assert len(pg) == len(pl), fg["id"]
    for (e, n), (lon, lat) in zip(pg, pl):
        pe, pn = to_grid.transform(lon, lat)
        worst = max(worst, math.hypot(e - pe, n - pn))
        points += 1
assert worst < 2.0, f"worst difference from pyproj {worst:.3f} m"

# 2. The queryables.
q = api.collection_queryables("wards")
assert q["$schema"] == "https://json-schema.org/draft/2020-12/schema", q
assert q["type"] == "object" and q["$id"].endswith("/collections/wards/queryables"), q
assert q["properties"]["name"]["type"] == "string", q
assert q["properties"]["geometry"]["x-ogc-role"] == "primary-geometry", q

# 3. Filters, against a brute force over the unfiltered CRS84 items.
everything = api.collection_items("wards", limit=1000)
assert everything["numberMatched"] == 215, everything["numberMatched"]
want = [f["id"] for f in everything["features"] if f["properties"]["name"].startswith("Sale")]
got = api.collection_items("wards", limit=1000, filter="name LIKE 'Sale%'")
assert ids(got) == want and len(want) >= 2, (ids(got), want)
polygon = checks["polygon"]
got = api.collection_items("wards", limit=1000, filter=f"S_INTERSECTS(geometry, {polygon})")
assert ids(got) == checks["polygon_ids"] and got["numberMatched"] > 0, (ids(got), checks["polygon_ids"])

print(
    f"box wards={len(checks['bbox_ids'])} points={points} worst_vs_pyproj_m={worst:.3f} "
    f"sale={len(want)} polygon={len(checks['polygon_ids'])} owslib ok"
)
