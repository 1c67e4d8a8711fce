#!/usr/bin/python3
"""clients_replay.py BINDIR REPO - the HTTP requests of Grafana's Prometheus data source and
of Telegraf's outputs.influxdb, replayed against parkd.

parkd (with mosquitto, on free loopback ports, data in a temp dir) gets promql_reference.py's
park data set through POST /write; then every request below is sent as the client sends it
(method, path, parameters, body encoding, headers), with the token as a Bearer header and as
the password of Basic auth, and each answer's shape is checked: Prometheus's envelope
({"status":"success","data":...}), the result types, label sets as objects of strings,
[time, "value"] pairs with numeric times and string values, sorted label lists. Telegraf's
points (gzip, nanosecond timestamps, no precision=) must then read back through
/prom/api/v1/query.

Where each request comes from (github.com/grafana/grafana, github.com/influxdata/telegraf):
  G1 pkg/promlib/healthcheck.go            "Save & test": the instant query 1+1 over the time
                                           range 1 s..4 s (time=4), through client.go
  G2 pkg/promlib/heuristics.go             GET api/v1/status/buildinfo after the health check
  G3 pkg/promlib/client/client.go          QueryRange: POST api/v1/query_range, form body
                                           query, start, end, step (FormatFloat 'f' -1 seconds),
                                           timeout when the data source sets one; the default
                                           httpMethod is POST, GET when configured
  G4 pkg/promlib/client/client.go          QueryInstant (table panels, "Instant"): POST
                                           api/v1/query with query and time
  G5 packages/grafana-prometheus/src/resource_clients.ts  LabelsApiClient: GET/POST
                                           /api/v1/labels?limit=40000&start&end[&match[]];
                                           /api/v1/label/<name>/values?limit&start&end[&match[]]
                                           (GET only: client.go endpointsSupportOnlyGet);
                                           /api/v1/series?start&end&match[]={__name__!=""}&limit
                                           (MATCH_ALL_LABELS, DEFAULT_SERIES_LIMIT in constants.ts)
  G6 packages/grafana-prometheus/src/language_provider.ts  loadMetricsMetadata: GET
                                           /api/v1/metadata with no parameters
  G7 packages/grafana-prometheus/src/metric_find_query.ts  template variables label_names(),
                                           label_values(label), label_values(metric, label),
                                           query_result(expr) (an instant query)
  T1 plugins/outputs/influxdb/http.go      CreateDatabase: POST /query, form q=CREATE DATABASE
                                           "telegraf", Content-Type application/x-www-form-urlencoded
  T2 plugins/outputs/influxdb/http.go      writeBatch: POST /write?db=telegraf (no precision:
                                           nanoseconds), Content-Type text/plain; charset=utf-8,
                                           Content-Encoding gzip when content_encoding = "gzip",
                                           User-Agent Telegraf/<version> Go/<version>
                                           (internal.ProductToken), Basic auth username/password

Exit 0 when every answer has its shape, 1 with the list of failures (a missing /prom/api/v1
is one, named as such). Debian's /usr/bin/python3, stdlib only.
"""
import base64
import gzip
import json
import numbers
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql_reference as ref  # noqa: E402  (the data set, parkd's start, Http)

FAILURES = []
N = {"requests": 0}
GRAFANA_UA = "Grafana/11.6.0"
TELEGRAF_UA = "Telegraf/1.34.0 Go/1.24.0"


def fail(what, msg):
    FAILURES.append("%s: %s" % (what, msg))
    print("FAIL %s: %s" % (what, msg), flush=True)


class Client:
    """Sends requests as a client does: auth "bearer" or "basic" (the token as password)."""

    def __init__(self, port, token, auth, user_agent, prefix="/prom"):
        self.port, self.token, self.auth, self.ua = port, token, auth, user_agent
        self.prefix = prefix  # where the Prometheus API is: parkd's /prom, Prometheus's ""

    def headers(self, extra=None):
        h = {"User-Agent": self.ua, "Accept-Encoding": "identity"}
        if self.auth == "bearer":
            h["Authorization"] = "Bearer " + self.token
        else:
            user = "telegraf" if self.ua.startswith("Telegraf") else "grafana"
            h["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (user, self.token)).encode()).decode()
        h.update(extra or {})
        return h

    def send(self, method, path, params=None, form=None, body=None, headers=None):
        N["requests"] += 1
        url = path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        h = self.headers(headers)
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, url, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def prom(self, what, method, path, params=None, form=None, expect_type=None):
        """A Prometheus API call under /prom: checks the envelope, returns data or None."""
        st, hdrs, data = self.send(method, self.prefix + path, params=params, form=form)
        what = "%s [%s]" % (what, self.auth)
        if st == 404 and not FAILURES_404:
            FAILURES_404.append(what)
            fail(what, "404: parkd has no Prometheus API at /prom/api/v1 (%s)" % data[:200])
            return None
        if st != 200:
            fail(what, "status %d: %s" % (st, data[:300]))
            return None
        if not hdrs.get("content-type", "").startswith("application/json"):
            fail(what, "Content-Type %r" % hdrs.get("content-type"))
        try:
            j = json.loads(data)
        except ValueError as e:
            fail(what, "not JSON (%s): %s" % (e, data[:200]))
            return None
        if not isinstance(j, dict) or j.get("status") != "success" or "data" not in j:
            fail(what, "not {status: success, data}: %s" % data[:300])
            return None
        if "warnings" in j and not is_str_list(j["warnings"]):
            fail(what, "warnings is not a list of strings")
        d = j["data"]
        if expect_type is not None:
            check_query_data(what, d, expect_type)
        return d


FAILURES_404 = []


def is_str_list(x):
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


def is_labels(m):
    return isinstance(m, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in m.items())


def is_point(p):
    if not (isinstance(p, list) and len(p) == 2 and isinstance(p[0], numbers.Real)
            and not isinstance(p[0], bool) and isinstance(p[1], str)):
        return False
    try:
        float(p[1])
    except ValueError:
        return False
    return True


def check_query_data(what, d, expect_type):
    """data of /query and /query_range: {resultType, result} of the expected type."""
    if not isinstance(d, dict) or "resultType" not in d or "result" not in d:
        fail(what, "data is not {resultType, result}: %s" % str(d)[:200])
        return
    rt, r = d["resultType"], d["result"]
    if rt != expect_type:
        fail(what, "resultType %r, expected %r" % (rt, expect_type))
        return
    if rt in ("scalar", "string"):
        if not is_point(r) if rt == "scalar" else not (isinstance(r, list) and len(r) == 2):
            fail(what, "%s result is not [t, \"v\"]: %s" % (rt, r))
        return
    if not isinstance(r, list):
        fail(what, "result is not a list")
        return
    seen = set()
    for s in r:
        if not isinstance(s, dict) or not is_labels(s.get("metric")):
            fail(what, "a series' metric is not an object of strings: %s" % str(s)[:200])
            return
        k = tuple(sorted(s["metric"].items()))
        if k in seen:
            fail(what, "label set %s twice" % s["metric"])
        seen.add(k)
        if rt == "vector":
            if not is_point(s.get("value")):
                fail(what, "value is not [t, \"v\"]: %s" % s.get("value"))
        else:
            vals = s.get("values")
            if not isinstance(vals, list) or not vals or not all(is_point(p) for p in vals):
                fail(what, "values are not a non-empty list of [t, \"v\"]: %s" % str(vals)[:200])
                continue
            ts = [p[0] for p in vals]
            if ts != sorted(set(ts)):
                fail(what, "timestamps are not strictly ascending")


def check_sorted_strings(what, d):
    if not is_str_list(d):
        fail(what, "data is not a list of strings: %s" % str(d)[:200])
    elif d != sorted(d):
        fail(what, "not sorted: %s" % d[:20])


T0, TE = ref.T0, ref.TE


def grafana(c):
    """The requests of Grafana's Prometheus data source."""
    # G1: Save & test. client.go's createQueryRequest with the default POST; time =
    # formatTime(q.End) of the range 1 s..4 s.
    d = c.prom("G1 health check", "POST", "/api/v1/query",
               form={"query": "1+1", "time": "4"}, expect_type="scalar")
    if d and d["result"] != [4, "2"]:
        fail("G1 health check [%s]" % c.auth, "result %s, expected [4, \"2\"]" % d["result"])
    # G2: heuristics.go reads data.version and data.features (none: "Prometheus")
    d = c.prom("G2 buildinfo", "GET", "/api/v1/status/buildinfo")
    if d is not None:
        if not isinstance(d, dict) or not isinstance(d.get("version"), str):
            fail("G2 buildinfo [%s]" % c.auth, "data.version is not a string: %s" % d)
        for k in ("revision", "branch", "buildUser", "buildDate", "goVersion"):
            if k in d and not isinstance(d[k], str):
                fail("G2 buildinfo [%s]" % c.auth, "%s is not a string" % k)
    # G3: a time series panel over the data's 2 h: Grafana aligns start and end to the step
    # (models.Query's AlignRange) and sends timeout= when the data source has one
    step = 15
    start, end = (T0 // step) * step, ((TE + step - 1) // step) * step
    for expr in ('sum(rate(pump_energy_total{enterprise=~"E001|E002"}[1m])) by (enterprise)',
                 'tank_level{enterprise="E002"}', 'max_over_time(gas_lel[$__interval])'
                 .replace("$__interval", "15s")):
        form = {"query": expr, "start": str(start), "end": str(end), "step": str(step)}
        d = c.prom("G3 query_range POST %s" % expr, "POST", "/api/v1/query_range", form=form,
                   expect_type="matrix")
        if d is not None and not d["result"]:
            fail("G3 query_range POST %s [%s]" % (expr, c.auth), "no series")
        d2 = c.prom("G3 query_range GET %s" % expr, "GET", "/api/v1/query_range", params=form,
                    expect_type="matrix")
        if d is not None and d2 is not None and d != d2:
            fail("G3 query_range %s [%s]" % (expr, c.auth), "GET and POST answers differ")
    form = {"query": "tank_level", "start": str(start), "end": str(end), "step": "60",
            "timeout": "60s"}
    c.prom("G3 query_range with timeout=60s", "POST", "/api/v1/query_range", form=form,
           expect_type="matrix")
    # G4: a table panel (Instant): time is the range's end, not aligned
    for expr, rt in (("tank_level", "vector"), ("sort_desc(max_over_time(gas_lel[1h]))", "vector"),
                     ("scalar(sum(pump_running))", "scalar"), ('"text"', "string")):
        d = c.prom("G4 instant %s" % expr, "POST", "/api/v1/query",
                   form={"query": expr, "time": "%.3f" % (TE - 0.25)}, expect_type=rt)
    # G5: the metrics browser and code editor's completions
    tr = {"start": str(T0 - 3600), "end": str(TE + 60)}
    for method in ("GET", "POST"):
        args = dict(tr, limit="40000")
        kw = {"params": args} if method == "GET" else {"form": args}
        d = c.prom("G5 labels %s" % method, method, "/api/v1/labels", **kw)
        if d is not None:
            check_sorted_strings("G5 labels [%s]" % c.auth, d)
            for want in ("__name__", "device", "enterprise", "zone"):
                if want not in (d or []):
                    fail("G5 labels [%s]" % c.auth, "no %s in %s" % (want, d))
        args = dict(tr, limit="40000", **{"match[]": '{__name__!=""}'})
        kw = {"params": args} if method == "GET" else {"form": args}
        d = c.prom("G5 series %s" % method, method, "/api/v1/series", **kw)
        if d is not None:
            if not isinstance(d, list) or not all(is_labels(s) and "__name__" in s for s in d):
                fail("G5 series [%s]" % c.auth, "not a list of label sets with __name__")
            elif len(d) != 24:
                fail("G5 series [%s]" % c.auth, "%d series, expected 24" % len(d))
    d = c.prom("G5 label __name__ values", "GET", "/api/v1/label/__name__/values",
               params=dict(tr, limit="40000"))
    if d is not None:
        check_sorted_strings("G5 label __name__ values [%s]" % c.auth, d)
        want = ["gas_lel", "pump_energy_total", "pump_running", "pump_starts_total",
                "tank_level", "tank_temp"]
        if d != want:
            fail("G5 label __name__ values [%s]" % c.auth, "%s, expected %s" % (d, want))
    d = c.prom("G5 label device values match[]", "GET", "/api/v1/label/device/values",
               params=dict(tr, limit="40000", **{"match[]": 'tank_level{enterprise="E001"}'}))
    if d is not None and d != ["tk-01", "tk-02"]:
        fail("G5 label device values match[] [%s]" % c.auth, "%s" % d)
    # G6: metadata, no parameters: {name: [{type, help, unit}]}
    d = c.prom("G6 metadata", "GET", "/api/v1/metadata")
    if d is not None:
        if not isinstance(d, dict):
            fail("G6 metadata [%s]" % c.auth, "data is not an object")
        else:
            for name, items in d.items():
                if not isinstance(items, list) or not all(
                        isinstance(i, dict) and all(isinstance(i.get(k), str)
                                                    for k in ("type", "help", "unit"))
                        for i in items):
                    fail("G6 metadata [%s]" % c.auth, "%s: not [{type, help, unit}]" % name)
    # G7: template variables
    d = c.prom("G7 label_names()", "GET", "/api/v1/labels", params=tr)
    d = c.prom("G7 label_values(enterprise)", "GET", "/api/v1/label/enterprise/values",
               params=tr)
    if d is not None and d != ["E001", "E002", "E003"]:
        fail("G7 label_values(enterprise) [%s]" % c.auth, "%s" % d)
    d = c.prom("G7 label_values(gas_lel, enterprise)", "GET",
               "/api/v1/label/enterprise/values", params=dict(tr, **{"match[]": "gas_lel"}))
    d = c.prom("G7 query_result(topk(3, max_over_time(gas_lel[1h])))", "POST", "/api/v1/query",
               form={"query": "topk(3, max_over_time(gas_lel[1h]))", "time": str(TE)},
               expect_type="vector")
    if d is not None and len(d["result"]) != 3:
        fail("G7 query_result [%s]" % c.auth, "%d series, expected 3" % len(d["result"]))


def telegraf(port, token, admin):
    """Telegraf's outputs.influxdb with content_encoding = "gzip" and the token as password."""
    c = Client(port, token, "basic", TELEGRAF_UA)
    # T1: CREATE DATABASE at start (Write() before the first batch of a database)
    st, hdrs, data = c.send("POST", "/query", form={"q": 'CREATE DATABASE "telegraf"'})
    if st != 200:
        fail("T1 CREATE DATABASE", "status %d: %s" % (st, data[:200]))
    else:
        try:
            j = json.loads(data)
            if not isinstance(j.get("results"), list) or any(
                    r.get("error") for r in j["results"]):
                fail("T1 CREATE DATABASE", "answer %s" % data[:200])
        except ValueError:
            fail("T1 CREATE DATABASE", "not JSON: %s" % data[:200])
    # T2: a batch as Telegraf's influx serializer writes it: tags sorted, integers with i,
    # timestamps in ns, a trailing newline; gzip
    now_ns = int(time.time() - 30) * 1000000000
    lines = []
    for k in range(10):
        t = now_ns + k * 1000000000
        lines.append("cpu,cpu=cpu-total,host=gw-e002 usage_idle=%s,usage_user=%s %d" % (
            90 + k * 0.5, 2.25 + k, t))
        lines.append("mem,host=gw-e002 available=%di,used_percent=%s %d" % (
            8000000 + k, 41.5 + k, t))
    body = gzip.compress(("\n".join(lines) + "\n").encode())
    st, hdrs, data = c.send("POST", "/write", params={"db": "telegraf"}, body=body,
                            headers={"Content-Type": "text/plain; charset=utf-8",
                                     "Content-Encoding": "gzip"})
    if st != 204:
        fail("T2 POST /write gzip", "status %d: %s" % (st, data[:300]))
        return
    # readable through the Prometheus API (E002's token: its own enterprise)
    q = Client(port, admin, "bearer", GRAFANA_UA)
    checks = [('cpu_usage_idle{host="gw-e002",cpu="cpu-total"}', 94.5),
              ('mem_used_percent{host="gw-e002"}', 50.5), ('mem_available{host="gw-e002"}',
                                                            8000009)]
    end = time.time() + 20
    pending = list(checks)
    while pending and time.time() < end:
        left = []
        for expr, want in pending:
            st, _, data = q.send("GET", "/prom/api/v1/query",
                                 params={"query": expr, "time": "%.3f" % (
                                     (now_ns + 9 * 1000000000) / 1e9)})
            ok = False
            if st == 200:
                r = json.loads(data)["data"]["result"]
                ok = len(r) == 1 and float(r[0]["value"][1]) == want and \
                    r[0]["metric"].get("enterprise") == "E002"
            if not ok:
                left.append((expr, want, st, data[:300]))
        pending = [(e, w) for e, w, _, _ in left]
        if pending:
            time.sleep(0.5)
    for expr, want, st, data in (left if pending else []):
        fail("T2 read back %s" % expr, "expected one E002 series at %s; got %d %s" % (
            want, st, data))


def scope_and_bad_input(port, e2, admin):
    """An enterprise token's selectors match its own series only, whatever they say, and no
    answer shows another enterprise's series or how many there are; bad input gets
    Prometheus's 4xx, never a hang or a 5xx."""
    c = Client(port, e2, "basic", GRAFANA_UA)
    t = "%.3f" % (time.time())
    admin_c = Client(port, admin, "bearer", GRAFANA_UA)
    # the admin sees more than E002: so the checks below can fail
    st, _, data = admin_c.send("GET", "/prom/api/v1/label/enterprise/values")
    every = json.loads(data)["data"] if st == 200 else []
    if len([e for e in every if e != "E002"]) < 1:
        fail("scope: admin's enterprises", "expected others besides E002, got %s" % every)
    for path, params in [
            ("/prom/api/v1/query", {"query": '{__name__=~".+"}', "time": t}),
            ("/prom/api/v1/query", {"query": '{__name__=~".+", enterprise!="E002"}', "time": t}),
            ("/prom/api/v1/query", {"query": 'count by (enterprise) ({__name__=~".+"})',
                                    "time": t}),
            ("/prom/api/v1/query", {"query": 'last_over_time({enterprise=~".*E00[13].*"}[1y])',
                                    "time": t}),
            ("/prom/api/v1/query_range", {"query": 'sum by (enterprise) ({__name__=~".+"})',
                                          "start": "%d" % (time.time() - 7 * 86400),
                                          "end": t, "step": "3600"}),
            ("/prom/api/v1/series", {"match[]": '{__name__=~".*", enterprise=~".+"}'}),
            ("/prom/api/v1/label/enterprise/values", {}),
            ("/prom/api/v1/label/device/values", {"match[]": '{enterprise="E001"}'}),
            ("/prom/api/v1/labels", {"match[]": '{enterprise="E003"}'}),
            ("/prom/api/v1/export", {"match[]": '{enterprise=~"E00[13]"}', "start": "0"})]:
        what = "scope %s %s" % (path, params.get("query") or params.get("match[]", ""))
        st, _, data = c.send("GET", path, params=params)
        if st != 200:
            fail(what, "status %d: %s" % (st, data[:200]))
            continue
        text = data.decode("utf-8", "replace")
        for other in ("E001", "E003"):
            if other in text:
                fail(what, "the answer names %s: %s" % (other, text[:300]))
    # absent() of another enterprise's series says 1, as for a series that does not exist
    st, _, data = c.send("GET", "/prom/api/v1/query",
                         params={"query": 'absent(tank_level{enterprise="E001"})', "time": t})
    r = json.loads(data)["data"]["result"] if st == 200 else None
    if not r or r[0]["value"][1] != "1":
        fail("scope absent()", "expected 1 (nothing visible), got %d %s" % (st, data[:200]))
    # bad input: Prometheus's error shape, 4xx
    for params, want in [
            ({"query": "sum(rate(x[5m])"}, 400),
            ({"query": "x{a=~\"(\"}"}, 400),
            ({"query": "x[5m:1m]"}, 400),
            ({"query": "histogram_quantile(0.9, x)"}, 400),
            ({"query": "(" * 70 + "1" + ")" * 70}, 400),
            ({"query": "x", "time": "yesterday"}, 400),
            ({"query": "x", "time": "1e400"}, 400),
            ({"query": '{__name__=~"(a*)*(b*)*(c*)*(d*)*(e*)*(f*)*(g*)*(h*)*x"}', "time": t}, 200),
            ({"query": '{__name__=~"' + "(a|aa)*" * 200 + 'x"}', "time": t}, 200)]:
        st, _, data = c.send("GET", "/prom/api/v1/query", params=params)
        what = "bad input %s" % str(params)[:80]
        if st != want:
            fail(what, "status %d, expected %d: %s" % (st, want, data[:200]))
            continue
        if want == 400:
            b = json.loads(data)
            if b.get("status") != "error" or b.get("errorType") != "bad_data":
                fail(what, "not Prometheus's error shape: %s" % data[:200])
    st, _, data = c.send("GET", "/prom/api/v1/query_range", params={
        "query": "tank_level", "start": "0", "end": "11000", "step": "1"})
    if st != 400 or b"11,000 points" not in data:
        fail("11,001 points", "status %d: %s" % (st, data[:200]))


def against_prometheus(procs, tmp):
    """--prometheus: Grafana's requests against Debian's Prometheus on the same data (checks
    the checks; Prometheus ignores the Authorization header)."""
    ds = ref.build_dataset()
    om = os.path.join(tmp, "park.om")
    with open(om, "w") as f:
        f.write(ref.openmetrics(ds))
    blocks = os.path.join(tmp, "prom")
    r = ref.subprocess.run([ref.PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", om,
                            blocks], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("promtool: %s" % (r.stdout + r.stderr)[-500:])
    h = ref.start_prometheus(procs, tmp, "prometheus", blocks)
    for auth in ("bearer", "basic"):
        grafana(Client(h.port, "pw_unused", auth, GRAFANA_UA, prefix=""))


def main():
    args = sys.argv[1:]
    prom_only = "--prometheus" in args
    if prom_only:
        args.remove("--prometheus")
    if len(args) != 2 and not prom_only:
        print("usage: clients_replay.py BINDIR REPO | --prometheus", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="clients-replay-")
    procs = ref.Procs(tmp)
    t0 = time.time()
    try:
        if prom_only:
            against_prometheus(procs, tmp)
            print("%d requests, %d failures" % (N["requests"], len(FAILURES)))
            return 1 if FAILURES else 0
        bindir = os.path.abspath(args[0])
        port, tokens = ref.start_parkd(procs, tmp, bindir, roles=(
            ("admin", "admin", None), ("e2", "enterprise", "E002")))
        ds = ref.build_dataset()
        ref.load_parkd(port, tokens["admin"], ds)
        h = ref.Http(port, "/prom", "Bearer " + tokens["admin"], "parkd")
        try:
            ref.wait_loaded(h, ds)
        except ref.NoApi as e:
            print("clients_replay: parkd answers 404 at /prom/api/v1/query: no Prometheus "
                  "query API yet (%s)" % str(e)[:200], file=sys.stderr)
            return 1
        print("parkd up and loaded after %.1f s" % (time.time() - t0), flush=True)
        for auth in ("bearer", "basic"):
            grafana(Client(port, tokens["admin"], auth, GRAFANA_UA))
        telegraf(port, tokens["e2"], tokens["admin"])
        scope_and_bad_input(port, tokens["e2"], tokens["admin"])
        print("%d requests, %d failures, %.1f s" % (N["requests"], len(FAILURES),
                                                   time.time() - t0), flush=True)
        for f in FAILURES:
            print("  " + f)
        return 1 if FAILURES else 0
    except (RuntimeError, OSError) as e:
        print("clients_replay: %s" % e, file=sys.stderr)
        return 1
    finally:
        procs.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
