#!/usr/bin/env python3
"""compare_answers.py FILE S D DEV ENT -- parkwatch's answers to q1..q4 against vm's and
against the raw data (stdlib only).

Reads the warm-up responses query.sh saved (/tmp/peers/resp_{vm,parkwatch}_q{1..4}.json: q1
an export, JSON lines {"metric","values","timestamps"}; q2 a query_range matrix; q3 and q4
instant vectors) and the generated line protocol FILE, and says for each query:
  * whether parkwatch's answer equals vm's: the same series (label sets), the same timestamps,
    the same values (relative tolerance 1e-9);
  * which expectation computed from FILE each peer's answer equals. q1 and q3 have one (the
    raw samples of DEV; each series' sample at the last second). q2 (avg_over_time [1m]) and
    q4 (max_over_time [10m]) have two, because samples are 1 s apart and the windows end on
    sample times, so a sample lies on every window's left edge:
      closed [t-w, t]: counts it (Prometheus 2.x's range selectors, Debian's 2.42 too);
      open   (t-w, t]: does not (Prometheus 3; VictoriaMetrics 1.79 answered so, measured).
The report names the window each peer's values equal, whatever either side claims. VM also
keeps __name__ on q2/q4's results where Prometheus drops it; values are then compared without
the name and the difference is reported.
Exit 0 when parkwatch equals vm or, where they differ, one of the expectations (the report
says which and why); 1 when parkwatch's answer matches neither vm nor any expectation.
"""
import json
import math
import subprocess
import sys

RESP = "/tmp/peers/resp_%s_%s.json"


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def same(a, b):
    """a, b: {labels: [(t_ms, v)]}; None when equal, else a short reason."""
    if a is None or b is None:
        return "no answer"
    if set(a) != set(b):
        miss, extra = set(a) - set(b), set(b) - set(a)
        return "series differ (%d only in the first, %d only in the second; e.g. %s)" % (
            len(miss), len(extra), dict(next(iter(miss or extra))))
    for k in a:
        pa, pb = a[k], b[k]
        if len(pa) != len(pb):
            return "%s: %d points vs %d" % (dict(k), len(pa), len(pb))
        for (ta, va), (tb, vb) in zip(pa, pb):
            if ta != tb:
                return "%s: time %d vs %d" % (dict(k), ta, tb)
            if not close(va, vb):
                return "%s at %d: %r vs %r" % (dict(k), ta, va, vb)
    return None


def strip_name(a):
    """The answer without __name__ (None stays None)."""
    if a is None:
        return None
    return {tuple(x for x in k if x[0] != "__name__"): v for k, v in a.items()}


def load(peer, q):
    try:
        raw = open(RESP % (peer, q)).read()
    except OSError:
        return None
    out = {}
    try:
        if q == "q1":
            for line in raw.splitlines():
                if line.strip():
                    o = json.loads(line)
                    k = tuple(sorted(o["metric"].items()))
                    out[k] = list(zip([int(t) for t in o["timestamps"]],
                                      [float(v) for v in o["values"]]))
            return out
        d = json.loads(raw)["data"]
        for s in d["result"]:
            k = tuple(sorted(s["metric"].items()))
            pts = s["values"] if "values" in s else [s["value"]]
            out[k] = [(int(round(float(t) * 1000)), float(v)) for t, v in pts]
        return out
    except (ValueError, KeyError, TypeError) as e:
        print("  %s %s: unreadable answer (%s): %s" % (peer, q, e, raw[:200]))
        return None


def parse(line):
    """sensor,enterprise=e07,device=d01234 v=231.57 1767225600000 -> (labels, t_ms, v)."""
    head, field, ts = line.split(" ")
    parts = head.split(",")
    labels = {"__name__": parts[0] + "_v"}
    for p in parts[1:]:
        k, v = p.split("=", 1)
        labels[k] = v
    return tuple(sorted(labels.items())), int(ts), float(field.split("=", 1)[1])


def grep(pattern, path):
    r = subprocess.run(["grep", "-F", pattern, path], capture_output=True, text=True)
    return [parse(x) for x in r.stdout.splitlines() if x]


def main():
    path, S, D, dev, ent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], \
        sys.argv[5]
    start = 1767225600000
    end = start + D * 1000
    last = end - 1000
    # the raw samples the four queries read
    dev_pts = sorted((t, v, k) for k, t, v in grep(",device=%s " % dev, path))
    ent_pts = grep("enterprise=%s," % ent, path)
    tail = subprocess.run(["tail", "-n", str(S), path], capture_output=True, text=True)
    last_pts = [parse(x) for x in tail.stdout.splitlines() if x]

    def window(pts, t, w, closed, fn):
        vs = [v for pt, v in pts if (t - w <= pt if closed else t - w < pt) and pt <= t]
        return fn(vs) if vs else None

    exp = {}
    k1 = dev_pts[0][2] if dev_pts else None
    series1 = [(t, v) for t, v, _ in dev_pts]
    exp["q1"] = {"raw": {k1: [(t, v) for t, v in series1 if start <= t <= last]}}
    for closed, name in ((True, "closed [t-w, t]"), (False, "open (t-w, t]")):
        q2 = []
        for t in range(start + 60000, end + 1, 60000):
            v = window(series1, t, 60000, closed, lambda vs: sum(vs) / len(vs))
            if v is not None:
                q2.append((t, v))
        # avg_over_time and max_over_time drop the metric name
        k2 = tuple(x for x in k1 if x[0] != "__name__") if k1 else None
        exp.setdefault("q2", {})[name] = {k2: q2}
        by = {}
        for k, t, v in ent_pts:
            by.setdefault(tuple(x for x in k if x[0] != "__name__"), []).append((t, v))
        exp.setdefault("q4", {})[name] = {
            k: [(last, window(p, last, 600000, closed, max))] for k, p in by.items()}
    exp["q3"] = {"last sample": {k: [(last, v)] for k, t, v in last_pts if t == last}}
    if len(exp["q3"]["last sample"]) != S:
        print("  note: %d of %d series have a sample at the last second" % (
            len(exp["q3"]["last sample"]), S))

    bad = 0
    print("answers: parkwatch vs vm, and each against the raw data (%s)" % path)
    print("%-3s %-44s %-28s %-28s" % ("q", "parkwatch vs vm", "vm equals", "parkwatch equals"))
    notes = []
    for q in ("q1", "q2", "q3", "q4"):
        vm, pw = load("vm", q), load("parkwatch", q)
        d = same(vm, pw)
        verdict = "equal" if d is None else "DIFFER"
        if d is not None and same(strip_name(vm), strip_name(pw)) is None:
            verdict = "equal but for __name__"
            notes.append("%s: the same values; the label sets differ only in __name__: vm %s it, "
                         "parkwatch %s it (Prometheus drops the metric name from the result of "
                         "a function such as avg_over_time/max_over_time; VictoriaMetrics 1.79 "
                         "keeps it)" % (q, "keeps" if any("__name__" in dict(k) for k in vm)
                                        else "drops", "keeps" if any(
                                            "__name__" in dict(k) for k in pw) else "drops"))
        match = {}
        for peer, ans in (("vm", vm), ("parkwatch", pw)):
            # q2 and q4's expectations carry Prometheus's label sets (no __name__); the values
            # are compared whatever the peer does with the name (reported above)
            a = strip_name(ans) if q in ("q2", "q4") else ans
            match[peer] = [n for n, e in exp[q].items() if a is not None and same(e, a) is None]
        print("%-3s %-44s %-28s %-28s" % (q, verdict, ", ".join(match["vm"]) or "none",
                                          ", ".join(match["parkwatch"]) or "none"))
        if d is not None:
            if verdict == "DIFFER":
                notes.append("%s: parkwatch vs vm: %s" % (q, d))
                d2 = same(strip_name(vm), strip_name(pw))
                if d2 != d:
                    notes.append("%s: parkwatch vs vm without __name__: %s" % (q, d2))
            for peer, ans in (("vm", vm), ("parkwatch", pw)):
                if not match[peer]:
                    a = strip_name(ans) if q in ("q2", "q4") else ans
                    for n, e in exp[q].items():
                        notes.append("%s: %s vs expected %s: %s" % (q, peer, n, same(e, a)))
            if not match["parkwatch"]:
                bad += 1
        if q in ("q2", "q4") and match["vm"] != match["parkwatch"]:
            notes.append("%s: vm's window is %s, parkwatch's %s" % (
                q, " / ".join(match["vm"]) or "neither", " / ".join(match["parkwatch"])
                or "neither"))
    if notes:
        print("why:")
        for n in notes:
            print("  " + n)
    print("left edge: samples are 1 s apart and every q2/q4 window ends on a sample, so one "
          "sample lies on each window's left edge; 'closed' [t-w, t] counts it (Prometheus "
          "2.x's range selectors, Debian's 2.42 included), 'open' (t-w, t] does not "
          "(Prometheus 3; VictoriaMetrics 1.79 measured so on this data).")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
