#!/usr/bin/env bash
# Installs what is missing, builds Parkwatch and runs the demo.
#
# Today the demo is the historian on a generated park: parkbench writes a
# deterministic park (2,000 transmitters at 1 s for an hour) through the
# public API, prints its figures, and parkctl then queries the result the way
# an operator would. Once the ingest and API issues land this starts the
# whole demo park (mosquitto, parkd, parksim, dashboard).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

data=${PARKWATCH_DEMO_DIR:-/tmp/parkwatch-demo}
rm -rf "$data"
echo "== parkbench historian: a generated park into $data"
build/bin/parkbench historian -S 2000 -D 3600 --dir "$data" --keep

series=$(build/bin/parkctl -d "$data" series --enterprise E003 | sed -n 2p | cut -d, -f2)
echo
echo "== parkctl stats"
build/bin/parkctl -d "$data" stats
echo
echo "== parkctl query $series, 10-minute averages"
build/bin/parkctl -d "$data" query "$series" --from 2026-01-01T00:00:00Z --to 2026-01-01T01:00:00Z --step 10m --agg avg
echo
echo "== parkctl last --enterprise E003 (first lines)"
build/bin/parkctl -d "$data" last --enterprise E003 | head -6
echo
echo "== parkctl snapshot at 00:30:00 (first lines)"
build/bin/parkctl -d "$data" snapshot --at 2026-01-01T00:30:00Z --enterprise E003 | head -6
echo
echo "The data directory stays in $data; try: build/bin/parkctl -d $data --help"
