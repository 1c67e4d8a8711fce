#!/usr/bin/env bash
# The geo full join in PostGIS, for parkbench geo to compare: every gas
# detector within 50 m of any pipeline, on the same layout, in the same
# metric CRS (EPSG:32651), with GiST indexes. Starts a throwaway PostgreSQL
# cluster on a free port and a socket in a temporary directory, loads the
# layout, runs the query 5 times and prints one line:
#   postgis_join_ms <median of 5> pairs <rows>
# Needs postgresql-15-postgis-3 (Debian); exits 3 when it is not installed.
set -euo pipefail
layout=${1:?usage: postgis_join.sh LAYOUT.geojson}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || exit 3
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || exit 3

work=$(mktemp -d /tmp/parkbench-postgis.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$work"
  as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"${as_pg[@]}" "$bin/initdb" -D "$work/data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -w -l "$work/log" \
  -o "-p $port -k $work -c listen_addresses='' -c shared_buffers=256MB -c fsync=off" start >/dev/null
psql=("${as_pg[@]}" psql -X -q -h "$work" -p "$port" -U postgres -v ON_ERROR_STOP=1)

python3 - "$layout" >"$work/load.sql" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print("create extension postgis;")
print("create table detector (id text primary key, geom geometry(Point, 32651));")
print("create table pipeline (id text primary key, geom geometry(LineString, 32651));")
print("begin;")
for f in doc["features"]:
    kind = f["properties"]["kind"]
    table = {"gas_detector": "detector", "pipeline": "pipeline"}.get(kind)
    if table:
        g = json.dumps(f["geometry"]).replace("'", "''")
        print(f"insert into {table} values ('{f['properties']['id']}', "
              f"ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON('{g}'), 4326), 32651));")
print("commit;")
print("create index on detector using gist (geom);")
print("create index on pipeline using gist (geom);")
print("analyze;")
EOF
"${psql[@]}" -f "$work/load.sql" >/dev/null
query="select count(*) from (select distinct d.id, p.id from detector d join pipeline p on ST_DWithin(d.geom, p.geom, 50)) j;"
times=()
for i in 1 2 3 4 5 6; do
  out=$("${psql[@]}" -At -c '\timing on' -c "$query")
  rows=$(echo "$out" | sed -n 1p)
  ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
  [ "$i" -gt 1 ] && times+=("$ms") # the first run warms the cache
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
echo "postgis_join_ms $median pairs $rows"
