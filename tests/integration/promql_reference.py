#!/usr/bin/python3
"""promql_reference.py BINDIR REPO - parkd's Prometheus query API against the real Prometheus.

One deterministic park data set (3 enterprises x 4 devices, 24 series sampled every 15 s
for 2 h on 2026-01-04: gauges with decimals and integers, a gas spike, counters with a
reset, series with gaps longer than the 5 min lookback, a series that starts late and one
that ends early) is loaded twice:
  * as OpenMetrics text into Prometheus 2.42 (Debian's /usr/bin/prometheus): promtool tsdb
    create-blocks-from openmetrics, then prometheus on those blocks with no scrape job;
  * as InfluxDB line protocol into parkd: POST /write?db=<enterprise>&precision=ms.
Then the same ~65 PromQL expressions (the kind a park's Grafana sends) are asked of both, as
instant queries at several times (inside gaps, on the data's edges, between samples) and as
range queries (several steps, start and end off the sample grid), and the answers compared:
same status, same resultType, the same set of series (label sets), for each series the same
timestamps and values (floats, relative tolerance 1e-9 with an absolute floor of 1e-12 for
results that are 0 in exact arithmetic; "NaN", "+Inf", "-Inf" compared as strings), and for
sort, sort_desc, topk and bottomk the order of the values. /series, /labels and
/label/<name>/values are compared as sets; ~15 bad requests must get 400 with errorType
bad_data on both, and the range query of more than 11,000 points Prometheus's exact message.

Prometheus 2.42 includes a sample lying exactly on the left edge of a range ([t-r, t]) or of
the lookback window ([t-5m, t]); Prometheus 3 made both left-open ((t-r, t]). Samples here
are on a 15 s grid, so queries at grid times put samples on those edges. To tell the two
semantics apart a second Prometheus runs on a copy of the blocks with --query.lookback-delta
of 5m - 1ms and every [range] of the query shortened by 1 ms: with millisecond timestamps
that is exactly Prometheus 3's (t-r, t]. An answer of parkd that differs from Prometheus 2.42
but equals that one is listed under KNOWN_DIFFERENCES["left-open-windows"], not counted as a
failure (PROMQL_REF_STRICT=1 counts it); every other difference is a failure.

Modes: the default compares parkd (BINDIR/parkd, mosquitto, tokens from parkctl) with
Prometheus. --self-test compares Prometheus with a second plain Prometheus on a copy of the
blocks (no parkd needed: checks the harness: no mismatch); --self-test-left-open with one
that has Prometheus 3's windows (checks that the classifier sees known differences only). --candidate URL [--token T] compares any
Prometheus-compatible API base (e.g. http://127.0.0.1:8099/prom) with Prometheus.

Exit 0: no mismatch; 1: mismatches (a table of them, both answers) or a failure to start;
77: /usr/bin/prometheus or /usr/bin/promtool is missing and CI is not set (with CI=true that is
a failure). Debian's /usr/bin/python3, stdlib only.
"""
import http.client
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openapi_check import free_port, wait_port  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

# ---------------------------------------------------------------- known differences
#
# Each entry: a name, why parkd answers differently from Prometheus 2.42, and how a mismatch
# is recognised as this difference. Nothing else is excused.
KNOWN_DIFFERENCES = {
    "left-open-windows": (
        "Prometheus 3 (and parkd, if it follows it) selects (t-range, t] for range vectors "
        "and (t-lookback, t] for instant selectors; Prometheus 2.42 selects [t-range, t] and "
        "[t-lookback, t]. Recognised when parkd's answer equals that of a Prometheus 2.42 "
        "with every range and the lookback shortened by 1 ms (exactly (t-r, t] for "
        "millisecond timestamps)."),
}

# ---------------------------------------------------------------- the data set

T0 = 1767484800  # 2026-01-04T00:00:00Z
STEP = 15  # s between samples
N = 480  # 2 h
ENTERPRISES = ["E001", "E002", "E003"]
LOOKBACK = 300


def lcg(seed):
    """A tiny deterministic generator (the same numbers on every Python)."""
    x = seed & 0xFFFFFFFF
    while True:
        x = (1103515245 * x + 12345) & 0x7FFFFFFF
        yield x / 0x7FFFFFFF


def fmt(v, places):
    s = "%.*f" % (places, v)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def build_dataset():
    """[(family, type, metric name, labels dict, lp measurement, lp field, [(i, text, int?)])]:
    i the sample index (time T0 + 15 i), text the value as written in both formats."""
    out = []
    for ei, ent in enumerate(ENTERPRISES):
        rnd = lcg(1000 + ei)
        for dev in ("tk-01", "tk-02"):
            zone = {"zone": "north"} if dev == "tk-01" and ent != "E003" else {}
            # tank level, metres, 3 decimals: a slow fill and draw
            lvl, pts = 4.0 + ei + (dev == "tk-02") * 1.5, []
            for i in range(N):
                lvl += 0.01 * math.sin(i / 37.0 + ei) + (next(rnd) - 0.5) * 0.004
                if ent == "E002" and dev == "tk-02" and 200 <= i < 250:
                    continue  # a 12.5 min gap (longer than the lookback)
                pts.append((i, fmt(lvl, 3), False))
            out.append(("tank_level", "gauge", "tank_level", dict(
                enterprise=ent, device=dev, **zone), "tank", "level", pts))
            # tank temperature, one decimal
            pts = []
            for i in range(N):
                if ent == "E003" and dev == "tk-01" and i > 400:
                    break  # ends 20 min before the others
                pts.append((i, fmt(18 + ei + 2 * math.sin(i / 90.0) + next(rnd) * 0.2, 1),
                            False))
            out.append(("tank_temp", "gauge", "tank_temp", dict(
                enterprise=ent, device=dev, **zone), "tank", "temp", pts))
        # gas detector, %LEL: E001 integers with a gap, E002 a spike, E003 starts late
        pts = []
        for i in range(N):
            if ent == "E001":
                if 100 <= i < 140:
                    continue  # a 10 min gap
                pts.append((i, str(int(next(rnd) * 3)), False))
            elif ent == "E002":
                v = 1.2 + next(rnd)
                if 300 <= i <= 320:
                    v = 10 + 55 * math.sin((i - 300) / 20.0 * math.pi)
                pts.append((i, fmt(v, 2), False))
            else:
                if i < 60:
                    continue
                pts.append((i, fmt(0.5 + next(rnd) * 0.5, 3), False))
        out.append(("gas_lel", "gauge", "gas_lel", dict(enterprise=ent, device="gd-01"),
                    "gas", "lel", pts))
        # pump: energy counter (decimals, reset in E001), starts counter (integers written
        # as line protocol integers, reset in E003), running 0/1
        pts, acc = [], 100.0 * (ei + 1)
        for i in range(N):
            if ent == "E001" and i == 240:
                acc = 0.25  # the meter restarted
            else:
                acc += 0.1 + next(rnd) * 1.9
            pts.append((i, fmt(acc, 3), False))
        out.append(("pump_energy", "counter", "pump_energy_total",
                    dict(enterprise=ent, device="pm-01"), "pump", "energy_total", pts))
        pts, n = [], 10 * ei
        for i in range(N):
            if ent == "E003" and i == 350:
                n = 0
            elif next(rnd) < 0.05:
                n += 1
            pts.append((i, str(n), True))
        out.append(("pump_starts", "counter", "pump_starts_total",
                    dict(enterprise=ent, device="pm-01"), "pump", "starts_total", pts))
        pts = [(i, "1" if (i // (40 + 10 * ei)) % 2 == 0 else "0", False) for i in range(N)]
        out.append(("pump_running", "gauge", "pump_running",
                    dict(enterprise=ent, device="pm-01"), "pump", "running", pts))
    return out


def openmetrics(ds):
    """OpenMetrics text: families sorted by name, each with its # TYPE, series sorted by
    labels, samples in time order, timestamps in seconds, # EOF at the end."""
    fams = {}
    for fam, typ, name, labels, _m, _f, pts in ds:
        fams.setdefault((fam, typ), []).append((name, labels, pts))
    lines = []
    for (fam, typ) in sorted(fams):
        lines.append("# TYPE %s %s" % (fam, typ))
        for name, labels, pts in sorted(fams[(fam, typ)], key=lambda s: sorted(s[1].items())):
            ls = ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels))
            for i, v, _ in pts:
                lines.append("%s{%s} %s %d" % (name, ls, v, T0 + STEP * i))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def line_protocol(ds):
    """{enterprise: [lines]}, one field a line, timestamps in ms."""
    out = {}
    for _fam, _typ, _name, labels, meas, field, pts in ds:
        tags = ",".join("%s=%s" % (k, labels[k]) for k in sorted(labels))
        for i, v, is_int in pts:
            out.setdefault(labels["enterprise"], []).append("%s,%s %s=%s%s %d" % (
                meas, tags, field, v, "i" if is_int else "", (T0 + STEP * i) * 1000))
    return out


# ---------------------------------------------------------------- the queries

TE = T0 + STEP * (N - 1)  # the last sample
# instant query times: a grid time, between samples, inside E002 tk-02's gap (still within
# the lookback, then past it), inside E001 gd-01's gap, the first sample, before the data,
# the last sample, the end of the lookback after it, and past it
INSTANT_TIMES = [T0 + 3600, T0 + 3607.5, T0 + 3200, T0 + 3400.25, T0 + 1800, T0, T0 - 60,
                 TE, TE + 299, TE + 301.5]
# range queries: (start, end, step)
RANGES = [(T0 - 100.3, TE + 400.7, 60), (T0 + 2900.5, T0 + 4700.5, 15),
          (T0 + 13, TE + 28, 37), (T0, TE, 300), (T0 + 4400.2, T0 + 5000.2, 1)]

Q = [
    # plain selectors
    'tank_level', 'tank_level{}', 'tank_level{enterprise="E002"}',
    'tank_level{enterprise!="E002"}',
    'tank_level{device=~"tk-0[12]",enterprise=~"E001|E003"}', 'tank_level{device!~"tk-01"}',
    'tank_temp{zone=""}', 'tank_temp{zone=~".*"}', 'tank_temp{zone!=""}',
    '{__name__=~"pump_.*",enterprise="E003"}', '{__name__=~"gas_lel|pump_running"}',
    'gas_lel{device=~".+",enterprise!~"E00[12]"}', '{enterprise="E001",device="pm-01"}',
    # over time
    'rate(pump_energy_total[5m])', 'irate(pump_energy_total[5m])',
    'increase(pump_energy_total[10m])', 'increase(pump_starts_total[1h])',
    'delta(tank_level[5m])', 'idelta(tank_level[2m])', 'deriv(tank_level[10m])',
    'changes(pump_running[30m])', 'resets(pump_energy_total[1h])', 'resets(pump_starts_total[2h])',
    'avg_over_time(gas_lel[5m])', 'min_over_time(tank_temp[15m])',
    'max_over_time(gas_lel[10m])', 'sum_over_time(pump_running[10m])',
    'count_over_time(tank_level[5m])', 'last_over_time(tank_level[10m])',
    'quantile_over_time(0.9, gas_lel[30m])', 'rate(pump_starts_total[15m])',
    # an hour or more: parkd reads the one-minute rollups and raw edges for these
    'max_over_time(gas_lel[1h])', 'min_over_time(tank_temp[90m])', 'avg_over_time(tank_level[1h])',
    'sum_over_time(pump_running[2h])', 'count_over_time(gas_lel[1h])',
    'max by (enterprise) (max_over_time(gas_lel[1h] offset 10m))',
    # aggregations
    'sum(rate(pump_energy_total[5m])) by (enterprise)', 'sum by (enterprise) (tank_level)',
    'avg without (device, zone) (tank_temp)', 'min by (device) (tank_level)',
    'max(gas_lel)', 'count by (enterprise) (tank_level)', 'count(tank_temp)',
    'stddev by (enterprise) (tank_temp)', 'quantile(0.5, tank_level)',
    'quantile by (enterprise) (0.9, tank_temp)',
    'topk(3, max_over_time(gas_lel[10m]))', 'topk(2, tank_level)', 'bottomk(2, tank_temp)',
    'topk by (enterprise) (1, tank_level)', 'sum(pump_running)',
    # arithmetic and comparisons
    'tank_level * 100', '2 * tank_level - 1', 'tank_level / tank_temp', 'tank_temp % 7',
    'tank_level ^ 2', '-tank_level', 'tank_level > 6', 'tank_level > bool 6',
    'gas_lel >= 10', 'gas_lel == bool 0', 'tank_temp != 20.1',
    'tank_level / on (enterprise, device) tank_temp',
    'tank_level - ignoring (zone) tank_temp',
    'tank_level * on (enterprise) group_left sum by (enterprise) (pump_running)',
    'tank_level > 6 and tank_temp > 19', 'gas_lel > 20 or tank_level > 8',
    'tank_level unless on (enterprise) gas_lel > 1',
    # offset, functions
    'tank_level offset 10m', 'rate(pump_energy_total[5m] offset 30m)',
    'abs(tank_level - 6)', 'clamp(gas_lel, 1, 2)', 'clamp_min(tank_level, 6)',
    'clamp_max(tank_temp, 19)', 'round(tank_temp)', 'round(tank_level, 0.25)',
    'absent(tank_level{enterprise="E009"})', 'absent(tank_level)',
    'absent_over_time(gas_lel{enterprise="E003"}[10m])', 'scalar(sum(pump_running))',
    'vector(1)', 'time()', 'timestamp(tank_level)', 'sort(tank_level)',
    'sort_desc(gas_lel)', 'sort_desc(rate(pump_energy_total[5m]))', '1 + 1',
    # the metric name dropped: two series with one label set, 422 execution
    'rate({__name__=~"pump_.*_total"}[5m])',
]

ORDERED = re.compile(r"^\s*(sort|sort_desc|topk|bottomk)\s*\(")

BAD_QUERIES = [
    'sum(', 'rate(tank_level[5m]', 'tank_level{device="x"', 'tank_level[5m', 'foo bar',
    'rate(tank_level)', '1 +', '{zone=""}', '{device=~".*"}', 'tank_level[5x]',
    'topk(tank_level)', 'sum by device (tank_level)', '"unterminated', 'tank_level{device=~"("}',
]


# ---------------------------------------------------------------- processes and ports


def log(msg):
    print(msg, flush=True)


# free_port and wait_port: openapi_check.py's (the same directory)


class Procs:
    def __init__(self, tmp):
        self.tmp, self.procs, self.logs = tmp, [], []

    def start(self, name, cmd):
        f = open(os.path.join(self.tmp, name + ".log"), "w")
        self.logs.append(f)
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append((name, p))
        return p

    def tail(self, name, n=20):
        try:
            with open(os.path.join(self.tmp, name + ".log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for _, p in reversed(self.procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in self.logs:
            f.close()


# ---------------------------------------------------------------- HTTP


class Http:
    """A Prometheus-compatible API at http://127.0.0.1:port + prefix (prefix + /api/v1/...)."""

    def __init__(self, port, prefix="", auth=None, name="?"):
        self.port, self.prefix, self.auth, self.name = port, prefix, auth, name
        self.rewrite = None  # --self-test-left-open: how this one gets its queries

    def request(self, method, path, params=None, form=None, body=None, headers=None,
                timeout=60):
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        url = self.prefix + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, url, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def api(self, path, params=None, post=False):
        """(status, parsed JSON or None, raw text)."""
        try:
            if post:
                st, data = self.request("POST", "/api/v1/" + path, form=params)
            else:
                st, data = self.request("GET", "/api/v1/" + path, params=params)
        except (OSError, http.client.HTTPException) as e:
            return 0, None, "request failed: %s" % e
        text = data.decode("utf-8", "replace")
        try:
            return st, json.loads(text), text
        except ValueError:
            return st, None, text


def tnum(t):
    """A time as Prometheus's API takes it (seconds, up to ms)."""
    return ("%.3f" % t).rstrip("0").rstrip(".")


# ---------------------------------------------------------------- comparing


def same_value(a, b):
    if a == b:
        return True
    special = ("NaN", "+Inf", "-Inf", "Inf")
    if a in special or b in special:
        return (a.lstrip("+") if isinstance(a, str) else a) == \
            (b.lstrip("+") if isinstance(b, str) else b)
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def key(metric):
    return tuple(sorted((metric or {}).items()))


def compare(ref, got, ordered=False):
    """None when the two API answers agree, else a short reason."""
    rs, rj, _ = ref
    gs, gj, gt = got
    if rs != gs:
        return "status %s vs %s" % (rs, gs)
    if rj is None or gj is None:
        return "not JSON" if gj is None else "the reference is not JSON"
    if rj.get("status") != gj.get("status"):
        return "status field %r vs %r" % (rj.get("status"), gj.get("status"))
    if rj.get("status") != "success":
        if rj.get("errorType") != gj.get("errorType"):
            return "errorType %r vs %r" % (rj.get("errorType"), gj.get("errorType"))
        return None
    rd, gd = rj.get("data"), gj.get("data")
    if not isinstance(gd, dict):
        return "data is not an object"
    if rd.get("resultType") != gd.get("resultType"):
        return "resultType %r vs %r" % (rd.get("resultType"), gd.get("resultType"))
    rt, rr, gr = rd["resultType"], rd.get("result"), gd.get("result")
    if rt in ("scalar", "string"):
        if not isinstance(gr, list) or len(gr) != 2:
            return "result is not [t, v]"
        if abs(float(rr[0]) - float(gr[0])) > 5e-4:
            return "time %s vs %s" % (rr[0], gr[0])
        if not same_value(rr[1], gr[1]):
            return "value %s vs %s" % (rr[1], gr[1])
        return None
    if not isinstance(gr, list):
        return "result is not a list"
    rk = {key(s.get("metric")): s for s in rr}
    try:
        gk = {key(s.get("metric")): s for s in gr}
    except (AttributeError, TypeError):
        return "a series' metric is not an object of strings"
    if len(gk) != len(gr):
        return "duplicate label sets in the answer"
    if set(rk) != set(gk):
        miss = [dict(k) for k in rk if k not in gk]
        extra = [dict(k) for k in gk if k not in rk]
        return "series differ: missing %s; extra %s" % (json.dumps(miss)[:400],
                                                       json.dumps(extra)[:400])
    for k, s in rk.items():
        g = gk[k]
        if rt == "vector":
            pr, pg = [s.get("value")], [g.get("value")]
        else:
            pr, pg = s.get("values"), g.get("values")
        if not isinstance(pg, list) or len(pr) != len(pg):
            return "%s: %d points vs %s" % (dict(k), len(pr), len(pg) if isinstance(
                pg, list) else pg)
        for a, b in zip(pr, pg):
            if not isinstance(b, list) or len(b) != 2:
                return "%s: a point is not [t, \"v\"]: %r" % (dict(k), b)
            if not isinstance(b[1], str):
                return "%s: a value is not a string: %r" % (dict(k), b)
            if abs(float(a[0]) - float(b[0])) > 5e-4:
                return "%s: time %s vs %s" % (dict(k), a[0], b[0])
            if not same_value(a[1], b[1]):
                return "%s at %s: %s vs %s" % (dict(k), a[0], a[1], b[1])
    if ordered and rt == "vector":
        ro = [s["value"][1] for s in rr]
        go = [s["value"][1] for s in gr]
        if not all(same_value(a, b) for a, b in zip(ro, go)):
            return "order differs: %s vs %s" % (ro, go)
    return None


# ---------------------------------------------------------------- Prometheus


def shorten_ranges(q):
    """Every [range] of q shortened by 1 ms (Prometheus 3's left-open windows on 2.42)."""
    units = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000,
             "y": 31536000000}

    def sub(m):
        total = 0
        for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", m.group(1)):
            total += int(n) * units[u]
        return "[%dms]" % (total - 1)
    return re.sub(r"\[((?:\d+(?:ms|s|m|h|d|w|y))+)\]", sub, q)


def start_prometheus(procs, tmp, name, blocks, extra=()):
    port = free_port()
    cfg = os.path.join(tmp, name + ".yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n")
    p = procs.start(name, [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + blocks,
                           "--storage.tsdb.retention.time=100y",
                           "--web.listen-address=127.0.0.1:%d" % port] + list(extra))
    h = Http(port, "", None, name)
    end = time.time() + 60
    while time.time() < end:
        if p.poll() is not None:
            raise RuntimeError("%s exited %s:\n%s" % (name, p.returncode, procs.tail(name)))
        try:
            st, _ = h.request("GET", "/-/ready", timeout=2)
            if st == 200:
                return h
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise RuntimeError("%s not ready after 60 s:\n%s" % (name, procs.tail(name)))


# ---------------------------------------------------------------- parkd


def start_parkd(procs, tmp, bindir, roles=(("admin", "admin", None),)):
    """mosquitto and parkd on free loopback ports, data in tmp; returns (API port, {name:
    token}) with a token made by parkctl for each (name, role, enterprise) of roles."""
    for exe in ("parkd", "parkctl"):
        if not os.access(os.path.join(bindir, exe), os.X_OK):
            raise RuntimeError("no %s in %s" % (exe, bindir))
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    broker_port, api_port = free_port(), free_port()
    while api_port == broker_port:
        api_port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % broker_port)
    mq = procs.start("mosquitto", [mosquitto, "-c", conf])
    if not wait_port(broker_port, 10, mq):
        raise RuntimeError("mosquitto did not start:\n" + procs.tail("mosquitto"))
    data_dir = os.path.join(tmp, "parkd-data")
    os.mkdir(data_dir)
    tokens = {}
    for name, role, ent in roles:
        cmd = [os.path.join(bindir, "parkctl"), "token", "create", "--file",
               os.path.join(data_dir, "tokens.json"), "--role", role, "--name", name]
        if ent:
            cmd += ["--enterprise", ent]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        tok = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if r.returncode != 0 or not tok.startswith("pw_"):
            raise RuntimeError("parkctl token create %s: %s" % (name, r.stderr.strip()))
        tokens[name] = tok
    cfg = {
        "data_dir": data_dir,
        "broker": {"host": "127.0.0.1", "port": broker_port, "client_id": "parkd-promql-ref",
                   "keepalive_s": 30},
        "ingest": {"ack_after": "write", "sync_interval_ms": 50,
                   "max_series_per_enterprise": 10000},
        # the data is from January 2026: raw points kept forever
        "historian": {"retention_raw_days": 0, "retention_1m_days": 0, "retention_1h_days": 0},
        "api": {"listen": "127.0.0.1:%d" % api_port, "max_body_bytes": 16 << 20},
        "enterprises": [{"id": e, "name": "Enterprise " + e, "interval_ms": STEP * 1000}
                        for e in ENTERPRISES],
    }
    path = os.path.join(tmp, "parkd.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    p = procs.start("parkd", [os.path.join(bindir, "parkd"), "--config", path, "--quiet"])
    if not wait_port(api_port, 30, p):
        raise RuntimeError("parkd's API did not come up (exit %r):\n%s" % (
            p.poll(), procs.tail("parkd")))
    return api_port, tokens


def load_parkd(port, tok, ds):
    h = Http(port, "", "Bearer " + tok, "parkd")
    for ent, lines in line_protocol(ds).items():
        for i in range(0, len(lines), 5000):
            body = ("\n".join(lines[i:i + 5000]) + "\n").encode()
            st, data = h.request("POST", "/write", params={"db": ent, "precision": "ms"},
                                 body=body, headers={"Content-Type": "text/plain"})
            if st != 204:
                raise RuntimeError("POST /write?db=%s: %d %s" % (ent, st, data[:300]))


def wait_loaded(h, ds, timeout=60):
    """Until the API counts every point (writes may become visible after their 204)."""
    total = sum(len(s[6]) for s in ds)
    q = {"query": '{__name__=~".+"}[3h]', "time": tnum(TE + 1)}
    end = time.time() + timeout
    last = None
    while time.time() < end:
        st, j, text = h.api("query", q)
        if st == 404:
            raise NoApi(text)
        last = (st, text[:300])
        try:
            if st == 200 and sum(len(x["values"]) for x in j["data"]["result"]) == total:
                return
        except (TypeError, KeyError):
            pass
        time.sleep(0.5)
    raise RuntimeError("%s: not all %d points readable after %d s; last answer %s" % (
        h.name, total, timeout, last))


class NoApi(Exception):
    pass


# ---------------------------------------------------------------- the run


class Run:
    def __init__(self, ref, alt, cand):
        self.ref, self.alt, self.cand = ref, alt, cand
        self.mismatches = []  # (what, reason, ref text, candidate text)
        self.known = []  # (difference, what, reason)
        self.n = 0

    def one(self, what, path, params, ordered=False, post=False, query=None):
        self.n += 1
        r = self.ref.api(path, params)
        gp = params
        if self.cand.rewrite and query is not None:
            gp = dict(params, query=self.cand.rewrite(query))
        g = self.cand.api(path, gp, post=post)
        why = compare(r, g, ordered)
        if why is None:
            return
        if self.alt is not None and query is not None:
            p2 = dict(params)
            p2["query"] = shorten_ranges(query)
            a = self.alt.api(path, p2)
            if compare(a, g, ordered) is None:
                self.known.append(("left-open-windows", what, why))
                return
        self.mismatches.append((what, why, r[2], g[2]))

    def queries(self):
        for q in Q:
            ordered = bool(ORDERED.match(q))
            for t in INSTANT_TIMES:
                self.one("query %s @%s" % (q, tnum(t - T0)), "query",
                         {"query": q, "time": tnum(t)}, ordered, query=q)
            for k, (s, e, step) in enumerate(RANGES):
                self.one("query_range %s [%s..%s/%s]" % (q, tnum(s - T0), tnum(e - T0), step),
                         "query_range", {"query": q, "start": tnum(s), "end": tnum(e),
                                         "step": str(step)}, post=(k % 2 == 1), query=q)

    def errors(self):
        for q in BAD_QUERIES:
            for path, params in (("query", {"query": q, "time": tnum(T0 + 3600)}),
                                 ("query_range", {"query": q, "start": tnum(T0),
                                                  "end": tnum(TE), "step": "60"})):
                self.expect_bad("%s %s" % (path, q), path, params)
        bad_params = [
            ("query without query", "query", {"time": tnum(T0)}),
            ("query with a bad time", "query", {"query": "1", "time": "abc"}),
            ("query_range step=0", "query_range", {"query": "1", "start": tnum(T0),
                                                   "end": tnum(TE), "step": "0"}),
            ("query_range end < start", "query_range", {"query": "1", "start": tnum(TE),
                                                        "end": tnum(T0), "step": "60"}),
            ("query_range without step", "query_range", {"query": "1", "start": tnum(T0),
                                                         "end": tnum(TE)}),
        ]
        for what, path, params in bad_params:
            self.expect_bad(what, path, params)
        # more than 11,000 points: Prometheus's exact words
        params = {"query": "tank_level", "start": tnum(T0), "end": tnum(TE), "step": "0.5"}
        r, g = self.expect_bad("query_range of 14,370 points", "query_range", params)
        want = ("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                "the query resolution (?step=XX)")
        for name, ans in (("Prometheus", r), ("candidate", g)):
            if ans[1] and ans[1].get("error") != want:
                self.mismatches.append(("query_range of 14,370 points", "%s's error is %r" % (
                    name, ans[1].get("error")), r[2], g[2]))

    def expect_bad(self, what, path, params):
        self.n += 1
        r = self.ref.api(path, params)
        g = self.cand.api(path, params)
        for name, (st, j, text) in (("Prometheus", r), ("candidate", g)):
            if st != 400 or not j or j.get("status") != "error" or \
                    j.get("errorType") != "bad_data" or not isinstance(j.get("error"), str):
                self.mismatches.append((what, "%s: not 400 bad_data" % name, r[2], g[2]))
                break
        return r, g

    def metadata_sets(self):
        full = {"start": tnum(T0 - 600), "end": tnum(TE + 600)}
        windows = [full, {"start": tnum(T0 + 6100), "end": tnum(TE + 600)},
                   {"start": tnum(T0 - 7200), "end": tnum(T0 - 3600)}]
        matches = [["tank_level"], ['{enterprise="E002"}'], ["gas_lel", "pump_running"],
                   ['{__name__=~"tank_.*",zone=""}'], ['tank_temp{enterprise="E003"}']]
        for w in windows:
            for m in matches:
                self.set_cmp("series %s %s" % (m, w), "series", dict(w, **{"match[]": m}),
                             lambda d: {key(x) for x in d})
            self.set_cmp("labels %s" % w, "labels", w, set)
            self.set_cmp("labels match[]=pump_running %s" % w, "labels",
                         dict(w, **{"match[]": ["pump_running"]}), set)
            for name in ("device", "__name__", "enterprise", "zone"):
                self.set_cmp("label/%s/values %s" % (name, w), "label/%s/values" % name, w, set)
            self.set_cmp("label/device/values match[]=gas_lel %s" % w, "label/device/values",
                         dict(w, **{"match[]": ["gas_lel"]}), set)

    def set_cmp(self, what, path, params, conv):
        self.n += 1
        r = self.ref.api(path, params)
        g = self.cand.api(path, params)
        why = None
        if r[0] != g[0]:
            why = "status %s vs %s" % (r[0], g[0])
        elif not g[1] or g[1].get("status") != r[1].get("status"):
            why = "status field differs"
        else:
            try:
                rs, gs = conv(r[1]["data"]), conv(g[1]["data"])
                if rs != gs:
                    why = "sets differ: missing %s; extra %s" % (
                        sorted(map(str, rs - gs))[:10], sorted(map(str, gs - rs))[:10])
            except (TypeError, KeyError, AttributeError) as e:
                why = "bad shape: %s" % e
        if why:
            self.mismatches.append((what, why, r[2], g[2]))


def clip(s, n=700):
    s = s.strip()
    return s if len(s) <= n else s[:n] + "... (%d bytes)" % len(s)


def main():
    args = sys.argv[1:]
    mode, cand_url, cand_token = "parkd", None, None
    if "--self-test" in args:
        args.remove("--self-test")
        mode = "self"
    if "--self-test-left-open" in args:
        args.remove("--self-test-left-open")
        mode = "self-left-open"
    if "--candidate" in args:
        i = args.index("--candidate")
        cand_url = args[i + 1]
        del args[i:i + 2]
        mode = "url"
    if "--token" in args:
        i = args.index("--token")
        cand_token = args[i + 1]
        del args[i:i + 2]
    if mode == "parkd" and len(args) != 2:
        print("usage: promql_reference.py BINDIR REPO | --self-test | --candidate URL "
              "[--token T]", file=sys.stderr)
        return 2
    for exe in (PROMETHEUS, PROMTOOL):
        if not os.access(exe, os.X_OK):
            if os.environ.get("CI") == "true":
                print("promql_reference: %s is missing (CI: scripts/deps.sh installs "
                      "prometheus)" % exe, file=sys.stderr)
                return 1
            print("promql_reference: %s is missing: skipped (apt-get install prometheus)"
                  % exe, file=sys.stderr)
            return 77
    strict = os.environ.get("PROMQL_REF_STRICT") == "1"
    tmp = tempfile.mkdtemp(prefix="promql-ref-")
    procs = Procs(tmp)
    t0 = time.time()
    ok = False
    try:
        ds = build_dataset()
        om = os.path.join(tmp, "park.om")
        with open(om, "w") as f:
            f.write(openmetrics(ds))
        blocks = os.path.join(tmp, "prom")
        r = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", om, blocks],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("promtool create-blocks-from: %s" % (r.stdout + r.stderr)[-800:])
        for extra in ("prom-left-open", "prom-same"):
            shutil.copytree(blocks, os.path.join(tmp, extra))
        ref = start_prometheus(procs, tmp, "prometheus", blocks)
        alt = start_prometheus(procs, tmp, "prometheus-left-open",
                               os.path.join(tmp, "prom-left-open"),
                               ["--query.lookback-delta=299999ms"])
        wait_loaded(ref, ds)
        wait_loaded(alt, ds)
        log("prometheus up with %d series, %d points after %.1f s" % (
            len(ds), sum(len(s[6]) for s in ds), time.time() - t0))
        if mode == "self":
            cand = start_prometheus(procs, tmp, "prometheus-same", os.path.join(tmp, "prom-same"))
        elif mode == "self-left-open":  # Prometheus 3's windows: all known differences
            cand = start_prometheus(procs, tmp, "prometheus-same", os.path.join(tmp, "prom-same"),
                                    ["--query.lookback-delta=299999ms"])
            cand.rewrite = shorten_ranges
        elif mode == "url":
            u = urllib.parse.urlparse(cand_url)
            cand = Http(u.port, u.path.rstrip("/"), cand_token and "Bearer " + cand_token,
                        "candidate")
        else:
            port, tokens = start_parkd(procs, tmp, os.path.abspath(args[0]))
            tok = tokens["admin"]
            load_parkd(port, tok, ds)
            cand = Http(port, "/prom", "Bearer " + tok, "parkd")
        try:
            wait_loaded(cand, ds)
        except NoApi as e:
            print("promql_reference: %s answers 404 at %s/api/v1/query: parkd has no "
                  "Prometheus query API (/prom/api/v1) yet (%s)" % (
                      cand.name, cand.prefix, clip(str(e), 200)), file=sys.stderr)
            return 1
        log("candidate %s loaded after %.1f s" % (cand.name, time.time() - t0))
        run = Run(ref, alt, cand)
        for name, fn in (("queries", run.queries), ("errors", run.errors),
                         ("series and labels", run.metadata_sets)):
            n0, m0 = run.n, len(run.mismatches)
            fn()
            log("%-18s %5d requests, %d mismatches" % (name, run.n - n0,
                                                        len(run.mismatches) - m0))
        if run.known:
            log("\nknown differences (%s):" % ("failures: PROMQL_REF_STRICT=1" if strict
                                                else "not failures"))
            by = {}
            for d, what, why in run.known:
                by.setdefault(d, []).append((what, why))
            for d, items in by.items():
                log("  %s: %d answers. %s" % (d, len(items), KNOWN_DIFFERENCES[d]))
                for what, why in items[:40]:
                    log("    %s: %s" % (what, why))
                if len(items) > 40:
                    log("    ... %d more" % (len(items) - 40))
        if run.mismatches:
            log("\nMISMATCHES (%d of %d requests):" % (len(run.mismatches), run.n))
            for i, (what, why, rt, gt) in enumerate(run.mismatches, 1):
                log("%3d. %s\n     why:        %s\n     prometheus: %s\n     %-11s %s" % (
                    i, what, why, clip(rt), cand.name + ":", clip(gt)))
        ok = not run.mismatches and (not strict or not run.known)
        log("\n%d requests, %d mismatches, %d known differences, %.1f s: %s" % (
            run.n, len(run.mismatches), len(run.known), time.time() - t0,
            "OK" if ok else "FAILED"))
        return 0 if ok else 1
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print("promql_reference: %s" % e, file=sys.stderr)
        return 1
    finally:
        procs.stop()
        if ok or os.environ.get("PROMQL_REF_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept %s" % tmp)


if __name__ == "__main__":
    sys.exit(main())
