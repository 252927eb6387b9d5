#!/usr/bin/env bash
# HTTP load on loopback with wrk (Debian package `wrk`) for the public
# ownership answers on the demo region: GET /v1/verify (what a resident's
# "is this account real?" check or a platform's trust-and-safety team
# would hit), GET /v1/feeds/health and GET /v1/consolidation.
#   benches/owners_load.sh [DURATION] [CONNECTIONS]
# FEEDMAP_BIN=/path/to/feedmap measures that binary instead of building
# this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10s}"
conns="${2:-64}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${FEEDMAP_BIN:-}" ]; then
  cargo build --release --quiet
  FEEDMAP_BIN=./target/release/feedmap
fi
data=$(mktemp -d)
RUST_LOG=warn "$FEEDMAP_BIN" serve --region boundaries/demo --data-dir "$data" --addr 127.0.0.1:0 > "$data/out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q listening "$data/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$data/out")
for path in "/v1/verify?handle=@DVP_MarIowFen&platform=x" "/v1/feeds/health" "/v1/consolidation"; do
  echo "== GET $path"
  wrk -t2 -c"$conns" -d"$duration" --latency "$url$path"
done
