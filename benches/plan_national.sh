#!/usr/bin/env bash
# A national-scale plan: a generated region of 5,000 neighbourhoods and
# 200,000 communities (with populations), planned from scratch by the
# command line: load and validate, relations, borders, then the plan.
#   benches/plan_national.sh [NEIGHBOURHOODS] [COMMUNITIES]
# Prints the wall time of load + plan and of the load alone (`validate`),
# and the peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
hoods="${1:-5000}"
comms="${2:-200000}"
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/feedmap demo --out "$work" --neighbourhoods "$hoods" --communities "$comms" 2>/dev/null
time_of() { /usr/bin/env time -f "%e s, peak RSS %M KB" "$@" 2>&1 >/dev/null | tail -n 1; }
echo "load + validate:       $(time_of target/release/feedmap validate "$work")"
echo "load + plan (JSON):    $(time_of target/release/feedmap plan --region "$work")"
echo "load + plan (GeoJSON): $(time_of target/release/feedmap plan --region "$work" --format geojson)"
# The plan alone (after load), from the command's own log line.
target/release/feedmap plan --region "$work" 2>&1 >/dev/null | grep -E "region loaded|plan made" \
  | sed -E 's/\x1b\[[0-9;]*m//g; s/.*(region loaded|plan made)/\1/'
