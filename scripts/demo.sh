#!/usr/bin/env bash
# Installs what is missing, builds Parkwatch and runs the demo park:
# a mosquitto broker on 127.0.0.1:18830 (a user and password per enterprise,
# an ACL keeping each to its own topics), parkd storing everything the park
# publishes, and parksim playing the demo park's layout (parkgen: 30
# enterprises, 1,500 gas detectors, the park's weather and air-quality
# stations) at 1 Hz, with incidents (parksim --help has the specs):
#   leak at  10 s   E001 (Donghai Petrochemical) tank T101, 8 kg/s of
#                   propylene the wind carries to the gas detectors;
#   offline  10-40 s  E003's gas detector gd-01; freeze at 90 s E002's gd-03;
#   drift at  5 s   E010's detector gd-20 creeps up 10 %LEL a minute while
#                   its neighbours read clean air (a drift against them);
#   overfill at 20 s  E005 (Xinyuan Gas Supply) propane tank T102's level
#                   rises 30 m/min past high-high (90 % of 20 m);
#   freeze at 90 s  E011 (Huaxin Fertilizer) ammonia tank T104's level
#                   transmitter holds its last value exactly (stuck);
#   overpressure at 25 s  E007's pipeline-1 PT01 rises past its design
#                   pressure (2.5 MPa) to 110 %;
#   pipeline-leak at 30 s  E009's pipeline-2 outlet meter FT02 reads 5 %
#                   less than its inlet FT01 (a flow imbalance);
#   closed park     40 hazardous-goods vehicles booked over the API and
#                   driven on their planned routes (one without an
#                   appointment, one off its route, one speeding, one stopped
#                   outside the vehicle park), badges with a confined space
#                   over its limit, permits (hot work by the leak, a confined
#                   space whose gas test goes stale), camera events; a day's
#                   2 h compressed 40 times, the demo config's "closedpark"
#                   and "specialwork" thresholds with it.
# The layout leaves E025-T106 (Pujiang Gas) without a temperature
# transmitter: a missing critical parameter. parksim first plays the park's
# last 15 minutes (--history 900), the history the stuck detector learns each
# transmitter's normal noise from; the demo's parkd config shortens the
# level delay, the line balance's window, the drift's window and delay and
# the stuck detector's minimum history ("limits" and "health" in
# scripts/parkd-demo.json) so that every incident's alarm comes within the
# demo's three minutes. After DEMO_SECONDS (default 180; 0 runs
# until Ctrl-C) parkd stops cleanly and parkctl shows what was stored, then
# the alarms each incident raised.
# parkd serves the JSON API on 127.0.0.1:8080 with a token per role.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

demo=/tmp/parkwatch-demo
seconds=${DEMO_SECONDS:-180}
port=18830
rm -rf "$demo"
mkdir -p "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The park broker is secured as in production (scripts/park-broker.sh): no
# anonymous clients, a user and a random password per enterprise (the user
# is the enterprise id) and one for parkd, an ACL that lets each enterprise
# publish only under its own topics park/{E}/# (and read only its own
# alarms), and parkd read every enterprise's data and status and publish
# the alarms, and every session's client id is its login, so no login can
# take over parkd's session or another enterprise's. Passwords stay in
# files private to their owner: $demo/credentials.txt for parksim,
# $demo/parkd.password for parkd (broker.password_file in
# scripts/parkd-demo.json); the broker keeps only their hashes.
mapfile -t users < <(python3 -c 'import json, sys
print("\n".join(e["id"] for e in json.load(open(sys.argv[1]))["enterprises"]))' scripts/parkd-demo.json)
./scripts/park-broker.sh "$demo/broker" "$demo" "$port" "${users[@]}"
# Run as root, mosquitto switches to the "mosquitto" user: its files are its own.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
  chown -R mosquitto: "$demo/broker"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo: port $port is in use; stop whatever listens there first" >&2
  exit 1
fi
/usr/sbin/mosquitto -c "$demo/broker/mosquitto.conf" >"$demo/mosquitto.log" 2>&1 &
pids+=($!)
sleep 0.5

# The demo park's layout (parkgen's, as geo/demo-park.geojson) made for
# parksim --format mixed: the line-protocol enterprises' tags without a dot
# are stored as "{tag}.value" (E004/gd-01/lel.value), and the layout names
# them so, or parkd's alarm rules would watch series that never read. It
# is what parkd (scripts/parkd-demo.json's layout) and parksim --park load,
# checked as parkd and the API load it.
build/bin/parkgen --format mixed -o "$demo/demo-park.geojson"
build/bin/parkctl layout-check "$demo/demo-park.geojson" | head -1

# API tokens, one per role, made before parkd starts (printed once; the
# token file keeps only their hashes).
mkdir -p "$demo/data"
for spec in "admin demo-admin" "operator duty-officer" "regulator regulator" \
  "enterprise e001-gateway E001"; do
  set -- $spec
  build/bin/parkctl token create --file "$demo/data/tokens.json" --role "$1" --name "$2" \
    ${3:+--enterprise "$3"} 2>/dev/null | sed "s/^/$1 /" >>"$demo/tokens.txt"
done

build/bin/parkd --config scripts/parkd-demo.json 2>"$demo/parkd.log" &
parkd=$!
pids+=($parkd)
# parksim books the closed park's appointments over the API at its start
for _ in $(seq 150); do
  curl -sf -o /dev/null http://127.0.0.1:8080/healthz && break
  sleep 0.2
done

build/bin/parksim --port $port --credentials "$demo/credentials.txt" --format mixed \
  --park "$demo/demo-park.geojson" --history 900 \
  --incident leak:E001:tankfarm-1:T101:at=10:rate=8:for=300 \
  --incident freeze:E002:gd-03:at=90 \
  --incident offline:E003:gd-01:at=10:for=30 \
  --incident drift:E010:gd-20:at=5:rate=10 \
  --incident overfill:E005:tankfarm-1:T102:at=20:rate=30 \
  --incident freeze:E011:tankfarm-1:T104.level:at=90 \
  --incident overpressure:E007:pipeline-1:PT01.pressure:at=25 \
  --incident pipeline-leak:E009:pipeline-2:at=30:pct=5 \
  --closedpark 40 --closedpark-scale 40 --api http://127.0.0.1:8080 \
  --api-token "$(awk '$1 == "admin" {print $2}' "$demo/tokens.txt")" \
  >"$demo/parksim.out" 2>"$demo/parksim.log" &
sim=$!
pids+=($sim)


echo "demo: broker 127.0.0.1:$port (a user per enterprise: $demo/credentials.txt; ACL: $demo/broker/mosquitto.acl)"
echo "demo: parkd data in $demo/data, park layout in $demo/demo-park.geojson"
admin=$(awk '$1 == "admin" {print $2}' "$demo/tokens.txt")
echo "demo: API on http://127.0.0.1:8080 (tokens in $demo/tokens.txt), e.g."
echo "  curl -H 'Authorization: Bearer $admin' 'http://127.0.0.1:8080/api/v1/alarms'"
if [ "$seconds" -eq 0 ]; then
  echo "demo: running until Ctrl-C; counters: $demo/parkd-stats.json (kill -USR1 $parkd prints them)"
  wait "$sim"
else
  for ((i = 0; i < seconds; i += 10)); do
    sleep 10
    printf 'demo: %3ds ' $((i + 10))
    sed -E 's/.*"messages": ([0-9]+).*"points": ([0-9]+).*"series_created": ([0-9]+).*/messages \1, points \2, series \3/' \
      "$demo/parkd-stats.json"
  done
fi
kill "$sim" 2>/dev/null || true
wait "$sim" 2>/dev/null || true
echo
echo "== the alarms the incidents raised (GET /api/v1/alarms/journal)"
curl -s -H "Authorization: Bearer $admin" \
  'http://127.0.0.1:8080/api/v1/alarms/journal?from=-1h&limit=10000' | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    if e["from"] == "normal" and e["to"] == "unack":
        u = e["unit"]
        print("  %-32s %-10s %-10s %8.4g %s / limit %.4g %s  %s" % (e["series"], e["kind"],
              e["class"], e["value"] or 0, u, e["limit"] or 0, u, e["enterprise_name"]))' ||
  echo "  (the API did not answer)"
echo
echo "== who was told (GET /api/v1/notify/deliveries; the demo's channel is MQTT park/notify/#)"
curl -s -H "Authorization: Bearer $admin" \
  'http://127.0.0.1:8080/api/v1/notify/deliveries?from=-1h' | python3 -c '
import collections, json, sys
d = json.load(sys.stdin).get("deliveries", [])
c = collections.Counter((x.get("result"), x.get("channel")) for x in d)
print("  %d attempts: %s" % (len(d), ", ".join("%s %s %d" % (k[1], k[0], n) for k, n in c.items())))' ||
  echo "  (the API did not answer)"
echo
echo "== closed park (GET /api/v1/closedpark/summary, /permits)"
curl -s -H "Authorization: Bearer $admin" 'http://127.0.0.1:8080/api/v1/closedpark/summary' |
  python3 -c '
import json, sys
s = json.load(sys.stdin)
print("  %s vehicles inside by class %s; goods on wheels %s kg; passages today %s; flagged %s" % (
    s.get("inside"), s.get("by_hazard_class"), s.get("goods_kg"), s.get("passages_today"),
    s.get("flagged")))' || echo "  (the API did not answer)"
curl -s -H "Authorization: Bearer $admin" 'http://127.0.0.1:8080/api/v1/permits' | python3 -c '
import json, sys
for p in json.load(sys.stdin).get("permits", []):
    print("  %-22s %-16s %-9s %s" % (p["id"], p["category"], p["state"], ", ".join(p.get("conditions", []))))' ||
  echo "  (the API did not answer)"
echo
echo "== risk units, assessed and live (GET /api/v1/risk-units)"
curl -s -H "Authorization: Bearer $admin" 'http://127.0.0.1:8080/api/v1/risk-units' | python3 -c '
import json, sys
for u in json.load(sys.stdin).get("units", []):
    print("  %-10s %-28s %-8s -> %-8s %s" % (u["id"], u["name"][:28], u["level"], u["live_level"],
          "; ".join(u.get("reasons", []))[:90]))' || echo "  (the API did not answer)"
kill -TERM "$parkd"
wait "$parkd" || true
echo
echo "== parkd counters"
cat "$demo/parkd-stats.json"
data=$demo/data/historian
echo
echo "== parkctl stats"
build/bin/parkctl -d "$data" stats
echo
echo "== gas detectors of E001, last values"
build/bin/parkctl -d "$data" last --enterprise E001 | grep -E 'gd-|T101.level' | head -12
echo
echo "== E001/tankfarm-1/T101.level, 10-second averages"
build/bin/parkctl -d "$data" query E001/tankfarm-1/T101.level --step 10s --agg avg | tail -8
echo
echo "== the other incidents' series, last values"
build/bin/parkctl -d "$data" last E005/tankfarm-1/T102.level E011/tankfarm-1/T104.level \
  E007/pipeline-1/PT01.pressure E009/pipeline-2/FT01.flow E009/pipeline-2/FT02.flow E010/gd-20/lel
echo
echo "The data stays in $demo; try: build/bin/parkctl -d $data --help"
