#!/usr/bin/env python3
"""The closed-park day of parksim through the real broker and parkd: each alarm
of issue 21 raised by its scenario, and nothing else.

A broker, parkd on the demo park (geo/demo-park.geojson: gates on roads, zones,
cameras, the vehicle park) with its thresholds scaled as parksim scales the
scenario's durations (--closedpark-scale S: the stopped vehicle stands 1.5 x
10 min / S, the confined space's only gas test goes stale after 30 min / S),
and parksim --closedpark N with a leak at E001's tank T101, where the hot work
is, and a gas alarm 16 m from it (a spike on E001-GD1).
Expected, each exactly once among the condition alarms: no_appointment,
off_route, speeding and stopped (one vehicle each), over_limit (the confined
space held by three), hot_work_near_gas and no_gas_test (the hot work by the
leak, the confined-space work), and the cameras' no_helmet and smoke. Any other
condition alarm fails the test (a vehicle on its route raising off_route, a
normal driver speeding).

usage: closedpark_check.py BINDIR REPO
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openapi_check import free_port, wait_port  # noqa: E402 (the same harness's helpers)

SCALE = 30  # the scenario's 2 h in 4 min
VEHICLES = 12
EXPECTED = {  # kind -> where (the series' second part)
    "no_appointment": "vehicles", "off_route": "vehicles", "speeding": "vehicles",
    "stopped": "vehicles", "over_limit": "zones", "hot_work_near_gas": "permits",
    "no_gas_test": "permits", "no_helmet": "cameras", "smoke": "cameras",
}


def get(port, path, token):
    rq = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(rq, timeout=30) as r:
        return json.loads(r.read())


def main():
    sys.stdout.reconfigure(line_buffering=True)
    bindir, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    tmp = tempfile.mkdtemp(prefix="closedpark-check-")
    procs = []
    failures = []
    try:
        broker, api = free_port(), free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % broker)
        mq = subprocess.Popen([mosquitto, "-c", conf], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        procs.append(mq)
        if not wait_port(broker, 10, mq):
            raise RuntimeError("mosquitto did not start")
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        r = subprocess.run([os.path.join(bindir, "parkctl"), "token", "create", "--file",
                            os.path.join(data, "tokens.json"), "--role", "admin", "--name",
                            "check"], capture_output=True, text=True, timeout=30)
        token = r.stdout.strip().splitlines()[-1]
        layout = os.path.join(repo, "geo", "demo-park.geojson")
        ents = [{"id": "E%03d" % i, "interval_ms": 1000} for i in range(1, 31)]
        ents.append({"id": "PARK", "interval_ms": 1000})
        cfg = {
            "data_dir": data,
            "broker": {"host": "127.0.0.1", "port": broker, "client_id": "parkd-closedpark"},
            "api": {"listen": "127.0.0.1:%d" % api, "rate_limit_per_s": 10000},
            "enterprises": ents,
            "layout": {"files": [layout]},
            # parksim's durations divided by SCALE, and the rules with them
            "closedpark": {"stopped_min": 10.0 / SCALE},
            "specialwork": {"gas_test_max_age_min": 30.0 / SCALE},
        }
        path = os.path.join(tmp, "parkd.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        log = open(os.path.join(tmp, "parkd.log"), "w")
        parkd = subprocess.Popen([os.path.join(bindir, "parkd"), "--config", path, "--quiet"],
                                 stdout=log, stderr=subprocess.STDOUT)
        procs.append(parkd)
        if not wait_port(api, 60, parkd):
            failures.append("parkd did not come up")
            log.flush()
            with open(os.path.join(tmp, "parkd.log")) as lf:
                print(lf.read()[-2000:])
            raise RuntimeError("parkd did not come up")
        time.sleep(1)
        simlog = os.path.join(tmp, "parksim.log")
        sim = [os.path.join(bindir, "parksim"), "--port", str(broker), "--park", layout,
               "--rate", "1", "--duration", str(7200 // SCALE + 10), "--closedpark", str(VEHICLES), "--closedpark-scale", str(SCALE),
               "--api", "http://127.0.0.1:%d" % api, "--api-token", token,
               "--incident", "leak:E001:tankfarm-1:T101:at=20:rate=8:for=600",
               # E001-GD1, 16 m from T101 where the hot work is: its gas alarm
               "--incident", "spike:E001:gd-01:lel:at=40:value=80:for=120"]
        t0 = time.time()
        with open(simlog, "w") as sl:
            r = subprocess.run(sim, stdout=subprocess.DEVNULL, stderr=sl, timeout=900)
        print("parksim ran %.0f s (exit %d)" % (time.time() - t0, r.returncode))
        with open(simlog) as sl:
            for line in sl:
                if "closedpark:" in line:
                    print("  " + line.rstrip())
        if r.returncode != 0:
            failures.append("parksim exited %d" % r.returncode)
        time.sleep(3)  # the last positions and the tick
        j = get(api, "/api/v1/alarms/journal?from=-1h&limit=100000", token)
        raised = collections.defaultdict(set)
        for e in j.get("events", []):
            if e.get("kind") != "condition" or e.get("from") != "normal":
                continue
            parts = e["series"].split("/")
            raised[parts[-1]].add(e["series"])
        print("condition alarms raised:")
        for kind, series in sorted(raised.items()):
            print("  %-18s %s" % (kind, ", ".join(sorted(series))))
        for kind, where in EXPECTED.items():
            got = raised.get(kind, set())
            if len(got) != 1:
                failures.append("%s: %d alarms (%s), expected one" % (
                    kind, len(got), ", ".join(sorted(got)) or "none"))
            elif next(iter(got)).split("/")[1] != where:
                failures.append("%s on %s, expected one of %s" % (kind, got, where))
        for kind in set(raised) - set(EXPECTED):
            failures.append("unexpected %s: %s" % (kind, ", ".join(sorted(raised[kind]))))
        gas = sorted({e["series"] for e in j.get("events", []) if e["series"].startswith(
            "E001/gd-") and e.get("to") == "unack"})
        print("E001's gas alarms: %s" % ", ".join(gas))
        inc = get(api, "/api/v1/incidents", token)
        print("incidents: %s" % json.dumps(inc)[:300])
        s = get(api, "/api/v1/closedpark/summary", token)
        c = s.get("counters", {})
        print("closed park: %d positions (%d refused), %d passages, %d badges" % (
            c.get("positions", 0), sum(c.get(k, 0) for k in (
                "rejected_out_of_park", "rejected_jump", "rejected_old", "rejected_bad")),
            c.get("passages", 0), c.get("badges", 0)))
        if not c.get("passages") or not c.get("badges") or not c.get("positions"):
            failures.append("the scenario's events did not all arrive: %r" % c)
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            print("parkd's log and parksim's: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
