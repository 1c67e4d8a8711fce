#!/usr/bin/env python3
"""Converts public sensor CSV files to InfluxDB line protocol for `parkctl import`.

  csv_to_lp.py nab FILE.csv [--enterprise NAB] [--device NAME]
      NAB (Numenta Anomaly Benchmark) series: columns timestamp,value with
      timestamps like 2013-12-02 21:15:00 (UTC assumed).
  csv_to_lp.py beijing FILE.csv... [--enterprise BJAQ]
      Beijing multi-site air quality (PRSA): year,month,day,hour, PM2.5, PM10,
      SO2, NO2, CO, O3, TEMP, PRES, DEWP, RAIN, wd, WSPM, station. Times are
      Beijing time (UTC+8). "NA" cells are left out, as a missing reading is.
      The 16-point wind direction (wd) becomes wd_deg in degrees.

Writes line protocol with millisecond timestamps on stdout; import it with
  parkctl -d DIR import --precision ms FILE
Values are copied as written in the CSV (no rounding), so the historian sees
the real data's precision.
"""
import argparse
import csv
import sys
from datetime import datetime, timedelta, timezone

COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
BEIJING = timezone(timedelta(hours=8))


def esc_tag(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def nab(path, enterprise, device, out):
    name = device or path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            t = datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
            v = row["value"].strip()
            float(v)  # refuse anything that is not a number
            out.write("nab,enterprise=%s,device=%s value=%s %d\n"
                      % (esc_tag(enterprise), esc_tag(name), v, int(t.timestamp() * 1000)))


def beijing(path, enterprise, out):
    fields = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM"]
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            t = datetime(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]),
                         tzinfo=BEIJING)
            kv = ["%s=%s" % (k.replace(".", "_"), row[k]) for k in fields if row[k] not in ("NA", "")]
            if row.get("wd") in COMPASS:
                kv.append("wd_deg=%s" % (COMPASS.index(row["wd"]) * 22.5))
            if not kv:
                continue
            out.write("aq,enterprise=%s,device=%s %s %d\n"
                      % (esc_tag(enterprise), esc_tag(row["station"]), ",".join(kv),
                         int(t.timestamp() * 1000)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["nab", "beijing"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--enterprise")
    ap.add_argument("--device")
    a = ap.parse_args()
    out = sys.stdout
    for p in a.files:
        if a.kind == "nab":
            nab(p, a.enterprise or "NAB", a.device, out)
        else:
            beijing(p, a.enterprise or "BJAQ", out)


if __name__ == "__main__":
    main()
