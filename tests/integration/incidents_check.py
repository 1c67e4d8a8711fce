#!/usr/bin/python3
"""incidents_check.py BINDIR REPO - every asset watched, through the real thing.

mosquitto, parkd and parksim on free loopback ports (data in a temp dir) play the demo park
(parkgen's layout: 30 enterprises, 150 tanks, 60 pipelines, 1,500 gas detectors, the
stations) with the rules parkd derives from the layout for every asset. parksim first plays
15 minutes of history (the stuck detector's models learn from it), then the incidents:

  overfill      E005 tank T102's level rises past high-high          -> level high, high_high
  overpressure  E007 pipeline-1's PT01 rises past the design pressure -> pressure high, high_high
  pipeline-leak E009 pipeline-2's outlet meter reads 5 % less         -> inlet imbalance
  freeze        E011 tank T104's level transmitter (a hazard source)  -> stuck
  freeze        E002 detector gd-03                                   -> stuck
  drift         E010 detector gd-20 creeps up                         -> drift

Each must raise exactly its alarms, and nothing else in the whole park may raise (no stale,
range, stuck or process alarm on any other series: the park's normal behaviour, detectors
resting in clean air included, is quiet). Then the risk view counts the process alarm at
E005-HS1 and the unmonitored level at E011-HS1, every alarm row carries its unit, class and
company, the enterprise list and the health figures answer, and the monitoring check lists
E025-T106's missing temperature. The parkd config shortens the delays and windows as the
demo's does (scripts/parkd-demo.json), so the run takes about five minutes.

Exit 0 when everything held, 1 with the failures listed.
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from openapi_check import free_port, wait_port  # the same directory

FAILURES = []

EXPECTED = {
    ("E005/tankfarm-1/T102.level", "high"),
    ("E005/tankfarm-1/T102.level", "high_high"),
    ("E007/pipeline-1/PT01.pressure", "high"),
    ("E007/pipeline-1/PT01.pressure", "high_high"),
    ("E009/pipeline-2/FT01.flow", "imbalance"),
    ("E011/tankfarm-1/T104.level", "stuck"),
    ("E002/gd-03/lel", "stuck"),
    ("E010/gd-20/lel", "drift"),
}
INCIDENTS = [
    "overfill:E005:tankfarm-1:T102:at=10:rate=30",
    "overpressure:E007:pipeline-1:PT01.pressure:at=10",
    "pipeline-leak:E009:pipeline-2:at=10:pct=5",
    "freeze:E011:tankfarm-1:T104.level:at=90",
    "freeze:E002:gd-03:at=90",
    "drift:E010:gd-20:at=5:rate=10",
]
UNITS = {"level": "m", "pressure": "MPa", "flow": "m³/h", "lel": "%LEL"}


def fail(what, msg):
    FAILURES.append("%s: %s" % (what, msg))
    print("FAIL %s: %s" % (what, msg), flush=True)


class Api:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
            return r.status, (json.loads(body) if body.startswith(("{", "[")) else body)
        finally:
            conn.close()


def raised(api):
    """(series, kind) -> the raising event, from the journal."""
    st, j = api.get("/api/v1/alarms/journal?from=-2h&limit=100000")
    if st != 200:
        raise RuntimeError("GET /api/v1/alarms/journal: %s %s" % (st, str(j)[:200]))
    out = {}
    for e in j["events"]:
        if e["from"] == "normal" and e["to"] == "unack":
            out.setdefault((e["series"], e["kind"]), e)
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: incidents_check.py BINDIR REPO", file=sys.stderr)
        return 2
    bindir = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="incidents-check-")
    procs = []
    logs = []

    def start(name, cmd):
        f = open(os.path.join(tmp, name + ".log"), "w")
        logs.append(f)
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def tail(name, n=30):
        try:
            with open(os.path.join(tmp, name + ".log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    try:
        layout = os.path.join(tmp, "park.geojson")
        subprocess.run([os.path.join(bindir, "parkgen"), "-o", layout], check=True, timeout=60)
        broker, api_port = free_port(), free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\n" % broker)
        mq = start("mosquitto", [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", conf])
        if not wait_port(broker, 10, mq):
            raise RuntimeError("mosquitto did not start:\n" + tail("mosquitto"))
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        r = subprocess.run([os.path.join(bindir, "parkctl"), "token", "create", "--file",
                            os.path.join(data, "tokens.json"), "--role", "admin", "--name",
                            "check"], capture_output=True, text=True, timeout=30, check=True)
        token = r.stdout.strip().splitlines()[-1]
        with open(os.path.join(sys.argv[2], "scripts", "parkd-demo.json")) as f:
            demo = json.load(f)
        cfg = {
            "data_dir": data,
            "broker": {"host": "127.0.0.1", "port": broker, "client_id": "parkd-incidents"},
            "ingest": {"ack_after": "write", "sync_interval_ms": 50},
            "api": {"listen": "127.0.0.1:%d" % api_port},
            "layout": {"files": [layout]},
            # the demo's names, its shortened delays and windows
            "enterprises": demo["enterprises"],
            "limits": demo["limits"],
            "health": demo["health"],
        }
        path = os.path.join(tmp, "parkd.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1, ensure_ascii=False)
        pd = start("parkd", [os.path.join(bindir, "parkd"), "--config", path])
        if not wait_port(api_port, 60, pd):
            raise RuntimeError("parkd did not start:\n" + tail("parkd"))
        api = Api(api_port, token)
        cmd = [os.path.join(bindir, "parksim"), "--port", str(broker), "--park", layout,
               "--format", "json", "--rate", "1", "--history", "900", "--duration", "330",
               "--tags-per-enterprise", "0"]
        for inc in INCIDENTS:
            cmd += ["--incident", inc]
        sim = start("parksim", cmd)
        t0 = time.time()
        got = {}
        # every expected alarm within the run (about 3 minutes after the history)
        while time.time() - t0 < 420 and sim.poll() is None:
            time.sleep(5)
            got = raised(api)
            if EXPECTED <= set(got):
                break
        time.sleep(10)  # anything else that would come with them
        got = raised(api)
        print("raised after %.0f s: %s" % (time.time() - t0, sorted(got)), flush=True)
        for k in sorted(EXPECTED - set(got)):
            fail("incident", "%s %s was not raised" % k)
        for k in sorted(set(got) - EXPECTED):
            e = got[k]
            fail("nothing else", "%s %s raised (value %s, limit %s, %s)" % (
                k[0], k[1], e["value"], e["limit"], e["basis"]))
        for (series, kind), e in got.items():
            q = series.rsplit("/", 1)[1].split(".")[-1]
            want_class = "instrument" if kind in ("stuck", "drift", "stale", "range") \
                else "process"
            if e["class"] != want_class:
                fail("class", "%s %s is %s" % (series, kind, e["class"]))
            want_unit = "ratio" if kind == "imbalance" else UNITS.get(q)
            if want_unit and e["unit"] != want_unit:
                fail("unit", "%s %s has unit %r" % (series, kind, e["unit"]))
            park_level = series.startswith("PARK/")
            if park_level != (e["enterprise_name"] == "") or \
                    e["enterprise_name"].startswith("Enterprise"):
                fail("names", "%s: enterprise_name %r" % (series, e["enterprise_name"]))
            if not e["basis"]:
                fail("basis", "%s %s has no basis" % (series, kind))
        # the risk view: the overfill and the frozen level transmitter count
        st, risk = api.get("/api/v1/views/risk/E005-HS1")
        if st != 200 or risk.get("process_alarms", {}).get("p1", 0) < 1 or \
                risk.get("level") == "normal":
            fail("risk E005-HS1", "%s %s" % (st, json.dumps(risk)[:400]))
        st, risk = api.get("/api/v1/views/risk/E011-HS1")
        if st != 200 or risk.get("unmonitored", 0) < 1 or risk.get("level") == "normal" or \
                not any("unmonitored" in x for x in risk.get("reasons", [])):
            fail("risk E011-HS1", "%s %s" % (st, json.dumps(risk)[:400]))
        # the enterprise list, the health figures, the monitoring check
        st, ents = api.get("/api/v1/enterprises")
        e5 = [e for e in ents.get("enterprises", []) if e["id"] == "E005"] if st == 200 else []
        if not e5 or e5[0]["name"] != "Xinyuan Gas Supply" or e5[0]["alarms"]["process"][0] < 1 \
                or e5[0]["status"] != "online" or not e5[0].get("bbox"):
            fail("GET /api/v1/enterprises", "%s %s" % (st, json.dumps(e5)[:400]))
        st, h = api.get("/api/v1/health?days=2")
        if st != 200 or h["now"]["instruments"] < 2000 or h["now"]["by_kind"].get("stuck") != 2 \
                or not 0 < h["days"][-1]["completeness"] <= 1:
            fail("GET /api/v1/health", "%s %s" % (st, json.dumps(h)[:500]))
        st, gaps = api.get("/api/v1/assets/monitoring")
        if st != 200 or [(g["asset"], g["missing"]) for g in gaps["gaps"]] != \
                [("E025-T106", "temperature")]:
            fail("GET /api/v1/assets/monitoring", "%s %s" % (st, json.dumps(gaps)[:400]))
        # units in the series answers
        st, last = api.get("/api/v1/last?series=E005/tankfarm-1/T102.level,E002/gd-03/lel")
        units = [v.get("unit") for v in last.get("values", [])] if st == 200 else []
        if units != ["m", "%LEL"]:
            fail("GET /api/v1/last", "units %r" % units)
        print("%d failures, %.0f s" % (len(FAILURES), time.time() - t0), flush=True)
        if FAILURES:
            print(tail("parkd", 40))
        return 1 if FAILURES else 0
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyError, ValueError) as e:
        print("incidents_check: %s" % e, file=sys.stderr)
        return 1
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(procs):
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
