#!/usr/bin/env python3
"""Writes a year of minute bars for a throughput run of `omni-tui backtest`
when no real year is at hand: the given minutes (real ones) repeated back
to back, each copy shifted by the span of the original, until 365 days are
covered. The prices repeat; the timing figure is what it measures.

    bench/year_of_minutes.py BTCUSDT_1m.csv > year.csv
    omni-tui backtest --bars BTC/USDT=year.csv --approve all --json > /dev/null
"""

import csv
import sys
from datetime import datetime, timedelta

rows = list(csv.DictReader(open(sys.argv[1])))
fmt = "%Y-%m-%d %H:%M:%S"
t0 = datetime.strptime(rows[0]["timestamp"], fmt)
span = datetime.strptime(rows[-1]["timestamp"], fmt) - t0 + timedelta(minutes=1)
out = csv.writer(sys.stdout)
out.writerow(["timestamp", "open", "high", "low", "close", "volume"])
shift = timedelta(0)
while shift < timedelta(days=365):
    for r in rows:
        t = datetime.strptime(r["timestamp"], fmt) + shift
        if t - t0 >= timedelta(days=365):
            break
        out.writerow([t.strftime(fmt), r["open"], r["high"], r["low"], r["close"], r["volume"]])
    shift += span
