#!/usr/bin/env python3
"""stuck_score.py - the stuck detector's figures on real data, through the product's detector.

Runs build/bin/stuck-replay (health_learn_stuck's models, the real alarm engine) on
  - the unmodified files: every raise is a false alarm (the data is taken as healthy); printed
    per series-year, per dataset and overall, with the worst series;
  - copies of the files with --freezes freezes (2-24 h, seeded) injected into the judging
    period at random series and times: every reading in a freeze equals the reading just
    before it started. A freeze is found when a raise of its column comes within 2 h of its
    start and inside the freeze; late when it comes later inside the freeze; else missed.
    "Armed": the model in effect at the freeze's start has a finite limit <= 2 h at the frozen
    value (0 < flat_s <= 7200); the other freezes sit at a value where the series normally
    stays flat longer (RAIN at 0), which no single-series stuck detector can tell from a freeze.
Figures are printed, never asserted: exit 0 unless something fails to run.

  tools/stuck_score.py [--data DIR] [--bin DIR] [--seed N] [--freezes N] [--jobs N]
"""
import argparse
import bisect
import calendar
import collections
import csv
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BEIJING_COLS = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM"]
WINDOW_MS = 2 * 3600 * 1000
HOUR_MS = 3600 * 1000


def datasets(data):
    """(dataset, path, stuck-replay options, row time function, value columns)."""
    out = []
    for f in sorted(glob.glob(os.path.join(data, "beijing-aq", "PRSA_Data_*.csv"))):
        opts = ["--time-parts", "year,month,day,hour", "--utc-offset", "8",
                "--columns", ",".join(BEIJING_COLS), "--learn-days", "365"]

        def tfn(r):
            return (calendar.timegm((int(r["year"]), int(r["month"]), int(r["day"]),
                                     int(r["hour"]), 0, 0)) - 8 * 3600) * 1000
        out.append(("beijing-aq", f, opts, tfn, BEIJING_COLS))
    # NAB: the first third (about) learns, the rest is judged
    for name, days in (("machine_temperature_system_failure", 26),
                       ("ambient_temperature_system_failure", 100)):
        f = os.path.join(data, "nab", name + ".csv")
        if not os.path.exists(f):
            continue
        opts = ["--time", "timestamp", "--learn-days", str(days)]

        def tfn(r):
            return calendar.timegm(time.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S")) * 1000
        out.append(("nab", f, opts, tfn, ["value"]))
    return out


def replay(binary, path, opts, models=False):
    cmd = [binary] + opts + (["--models"] if models else []) + [path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    raises, mods, summary = [], collections.defaultdict(list), None
    for line in p.stdout.splitlines():
        j = json.loads(line)
        if j["type"] == "raise":
            raises.append(j)
        elif j["type"] == "model":
            mods[j["column"]].append(j)
        elif j["type"] == "summary":
            summary = j
    return raises, mods, summary


def series_name(path, col):
    base = os.path.basename(path)
    if base.startswith("PRSA_Data_"):
        base = base.split("_")[2]
    else:
        base = base[:-4]
    return "%s/%s" % (base, col)


def flat_limit(model, v):
    """The model's limit (s) at value v: the engine's bin (alerting/evaluate.c)."""
    if not model or not model["flat_s"]:
        return 0.0
    return model["flat_s"][bisect.bisect_right(model["edges"], v)]


def inject(ds, judge_from, rng, n_freezes):
    """Chooses the freezes: (dataset index, column, row index, duration ms)."""
    series = [(d, c) for d in range(len(ds)) for c in ds[d][4]]
    rows = {}
    freezes, taken = [], collections.defaultdict(list)
    tries = 0
    while len(freezes) < n_freezes and tries < 100 * n_freezes:
        tries += 1
        d, col = series[rng.randrange(len(series))]
        if d not in rows:
            with open(ds[d][1], newline="") as fh:
                rs = list(csv.DictReader(fh))
            rows[d] = (rs, [ds[d][3](r) for r in rs])
        rs, ts = rows[d]
        lo = bisect.bisect_left(ts, judge_from[d])
        if lo + 2 >= len(rs):
            continue
        i = rng.randrange(lo + 1, len(rs))
        dur = int(rng.uniform(2, 24) * HOUR_MS)
        if rs[i][col] in ("", "NA"):
            continue
        p = i - 1
        while p >= 0 and rs[p][col] in ("", "NA"):
            p -= 1
        if p < 0 or ts[i] + dur > ts[-1]:
            continue
        if any(abs(ts[i] - t0) < 48 * HOUR_MS for t0 in taken[(d, col)]):
            continue  # one freeze at a time per series, with the series back to normal between
        taken[(d, col)].append(ts[i])
        freezes.append(dict(d=d, col=col, row=i, start_ms=ts[i], dur_ms=dur,
                            value_str=rs[p][col], value=float(rs[p][col]),
                            series=series_name(ds[d][1], col), dataset=ds[d][0]))
    return freezes, rows


def write_copy(ds_entry, rows_ts, fz, outdir):
    rs, ts = rows_ts
    rs = [dict(r) for r in rs]
    for f in fz:
        k = f["row"]
        while k < len(rs) and ts[k] < f["start_ms"] + f["dur_ms"]:
            if rs[k][f["col"]] not in ("", "NA"):
                rs[k][f["col"]] = f["value_str"]
            k += 1
    out = os.path.join(outdir, os.path.basename(ds_entry[1]))
    with open(ds_entry[1], newline="") as fh:
        header = next(csv.reader(fh))
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        w.writerows(rs)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "bin"))
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--freezes", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--history-days", type=float, default=365,
                    help="a model learns from this much history before the time judged")
    ap.add_argument("--relearn-days", type=float, default=7, help="models relearned this often")
    a = ap.parse_args()
    t_start = time.time()
    binary = os.path.join(a.bin, "stuck-replay")
    if not os.access(binary, os.X_OK):
        sys.exit("no %s: cmake --build build --target stuck-replay" % binary)
    ds = datasets(a.data)
    if not ds:
        sys.exit("no data under %s" % a.data)
    for e in ds:
        e[2].extend(["--history-days", str(a.history_days), "--relearn-days", str(a.relearn_days)])

    # 1. the unmodified files: false alarms
    with ThreadPoolExecutor(a.jobs) as ex:
        clean = list(ex.map(lambda e: replay(binary, e[1], e[2]), ds))
    per_ds = collections.defaultdict(lambda: [0, 0.0, 0])  # raises, series-years, series
    per_series = []
    judge_from = []
    for e, (raises, _, s) in zip(ds, clean):
        judge_from.append(s["judge_from_ms"])
        cnt = collections.Counter(r["column"] for r in raises)
        for col in e[4]:
            per_series.append((cnt[col] / s["years"] if s["years"] else 0.0, cnt[col],
                               series_name(e[1], col), e[0]))
        per_ds[e[0]][0] += len(raises)
        per_ds[e[0]][1] += s["series_years"]
        per_ds[e[0]][2] += s["columns"]
    per_series.sort(reverse=True)
    print("False alarms on the unmodified files (models learned on the history before the "
          "time judged only):")
    print("  %-12s %7s %13s %7s %14s" % ("dataset", "series", "series-years", "raises",
                                         "per series-yr"))
    tot = [0, 0.0, 0]
    for name, (n, y, s) in sorted(per_ds.items()):
        print("  %-12s %7d %13.1f %7d %14.3f" % (name, s, y, n, n / y if y else 0))
        tot = [tot[0] + n, tot[1] + y, tot[2] + s]
    print("  %-12s %7d %13.1f %7d %14.3f" % ("overall", tot[2], tot[1], tot[0],
                                             tot[0] / tot[1] if tot[1] else 0))
    over1 = sum(1 for p in per_series if p[0] > 1)
    print("  series above 1 per series-year: %d of %d; worst: %s" % (
        over1, len(per_series),
        ", ".join("%s %.2f (%d)" % (p[2], p[0], p[1]) for p in per_series[:5])))

    # 2. freezes injected into copies
    rng = random.Random(a.seed)
    freezes, rows = inject(ds, judge_from, rng, a.freezes)
    by_d = collections.defaultdict(list)
    for f in freezes:
        by_d[f["d"]].append(f)
    with tempfile.TemporaryDirectory(prefix="stuck-score-") as tmp:
        copies = {d: write_copy(ds[d], rows[d], fz, tmp) for d, fz in by_d.items()}
        with ThreadPoolExecutor(a.jobs) as ex:
            res = dict(zip(by_d, ex.map(lambda d: replay(binary, copies[d], ds[d][2], True),
                                        by_d)))
    found = late = missed = 0
    armed = armed_found = armed_late = 0
    miss_cols = collections.Counter()
    delays, late_delays = [], []
    for f in freezes:
        raises, mods, _ = res[f["d"]]
        ms = mods.get(f["col"], [])
        at = [m["at_ms"] for m in ms]
        k = bisect.bisect_right(at, f["start_ms"]) - 1
        lim = flat_limit(ms[k] if k >= 0 else None, f["value"])
        is_armed = 0 < lim <= 7200
        end = f["start_ms"] + f["dur_ms"]
        hits = [r["raised_ms"] for r in raises
                if r["column"] == f["col"] and f["start_ms"] <= r["raised_ms"] < end]
        first = min(hits) if hits else None
        f["limit_s"], f["armed"], f["raised_ms"] = lim, is_armed, first
        armed += is_armed
        if first is not None and first <= f["start_ms"] + WINDOW_MS:
            found += 1
            armed_found += is_armed
            delays.append((first - f["start_ms"]) / 60000)
        elif first is not None:
            late += 1
            late_delays.append((first - f["start_ms"]) / 60000)
            armed_late += is_armed
        else:
            missed += 1
            miss_cols[(f["series"].split("/")[-1], "armed" if is_armed else "not armed")] += 1
    n = len(freezes)
    print()
    print("Freezes injected: %d (2-24 h, seed %d); found = raised within 2 h of the start, "
          "inside the freeze" % (n, a.seed))
    print("  %-28s %6s %6s %6s %6s %8s" % ("", "count", "found", "late", "missed", "found %"))
    print("  %-28s %6d %6d %6d %6d %7.1f%%" % ("all freezes", n, found, late, missed,
                                               100.0 * found / n if n else 0))
    print("  %-28s %6d %6d %6d %6d %7.1f%%" % (
        "armed (limit <= 2 h there)", armed, armed_found, armed_late,
        armed - armed_found - armed_late, 100.0 * armed_found / armed if armed else 0))
    print("  %-28s %6d %6d %6d %6d" % ("not armed", n - armed, found - armed_found,
                                        late - armed_late,
                                        missed - (armed - armed_found - armed_late)))
    if delays:
        delays.sort()
        print("  delay of the found: median %.0f min, max %.0f min" % (
            delays[len(delays) // 2], delays[-1]))
    if late_delays:
        late_delays.sort()
        print("  delay of the late: median %.0f min, max %.0f min" % (
            late_delays[len(late_delays) // 2], late_delays[-1]))
    print("  missed by column: %s" % ", ".join(
        "%s %s %d" % (c, k, v) for (c, k), v in sorted(miss_cols.items())))
    elapsed = time.time() - t_start
    print(json.dumps({
        "false_alarms_per_series_year": {name: round(v[0] / v[1], 4) if v[1] else 0
                                         for name, v in sorted(per_ds.items())},
        "false_alarms_per_series_year_overall": round(tot[0] / tot[1], 4) if tot[1] else 0,
        "false_alarms": tot[0], "series_years": round(tot[1], 2), "series": tot[2],
        "worst_series": {"series": per_series[0][2], "per_year": round(per_series[0][0], 3)},
        "freezes": n, "found": found, "late": late, "missed": missed,
        "found_share": round(found / n, 4) if n else 0,
        "found_or_late_share": round((found + late) / n, 4) if n else 0,
        "armed": armed, "armed_found": armed_found,
        "armed_found_share": round(armed_found / armed, 4) if armed else 0,
        "seed": a.seed, "history_days": a.history_days, "relearn_days": a.relearn_days,
        "seconds": round(elapsed, 1)}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as exc:
        print("stuck_score: %s" % exc, file=sys.stderr)
        sys.exit(1)
