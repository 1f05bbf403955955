#!/usr/bin/env python3
"""Backtest throughput side by side: omni-tui's `backtest` and
nautilus_trader's `BacktestEngine` (its EMA-cross example strategy) on the
same minute bars, runs interleaved (A B A B ...), medians printed.

Not part of the test suite. Needs `pip install nautilus_trader` and a
release build (`cargo build --release`).

    bench/backtest_vs_nautilus.py BARS.csv [RUNS]

BARS.csv: `timestamp,open,high,low,close,volume` minute bars of BTCUSDT
(e.g. ../shared/data/binance_spot/2024-10/BTCUSDT_1m.csv).

What is compared: wall time to run every bar through each engine
(omni-tui: the time its `backtest` prints, which includes building its
event queue and the engine but not reading the file; nautilus:
`engine.run()` alone, after `add_data` and the engine's setup). The work
differs: nautilus runs an EMA 10/20 cross on one BTCUSDT venue, one event
per bar; omni-tui walks each bar as four quotes on each of the three venues
that list BTC/USDT in its built-in configuration, 13 events per bar, through
its own scanners, gate, router and paper fills with every opportunity
approved, and its gate refuses most of them after its daily limits (the
count is printed). So the figure is bars per second through a whole
backtest, not a like-for-like strategy benchmark. omni-tui runs in an
empty folder with an empty XDG_CONFIG_HOME: the built-in configuration,
whatever omni.toml the machine has.
"""

import json
import os
import re
import statistics
import tempfile
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider

ROOT = Path(__file__).resolve().parent.parent
OMNI = ROOT / "target" / "release" / "omni-tui"


def nautilus_bars(path):
    instrument = TestInstrumentProvider.btcusdt_binance()
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    df = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")
    bars = BarDataWrangler(bar_type, instrument).process(df)
    return instrument, bar_type, bars


def nautilus_run(instrument, bar_type, bars):
    engine = BacktestEngine(
        BacktestEngineConfig(
            trader_id=TraderId("BENCH-001"),
            logging=LoggingConfig(log_level="ERROR"),
        )
    )
    engine.add_venue(
        venue=Venue("BINANCE"),
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(1_000_000, USDT), Money(10, BTC)],
    )
    engine.add_instrument(instrument)
    engine.add_data(bars)
    engine.add_strategy(
        EMACross(
            EMACrossConfig(
                instrument_id=instrument.id,
                bar_type=bar_type,
                trade_size=Decimal("0.01"),
                fast_ema_period=10,
                slow_ema_period=20,
            )
        )
    )
    t = time.perf_counter()
    engine.run()
    secs = time.perf_counter() - t
    fills = len(engine.trader.generate_fills_report())
    engine.dispose()
    return secs, fills


def omni_run(path, home):
    env = dict(os.environ, XDG_CONFIG_HOME=home, XDG_STATE_HOME=home, XDG_DATA_HOME=home)
    out = subprocess.run(
        [str(OMNI), "backtest", "--bars", f"BTC/USDT={path}", "--approve", "all", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=home,
        env=env,
    )
    m = re.search(r"(\d+) market events in ([0-9.]+) s", out.stderr)
    if not m:
        sys.exit(f"omni-tui printed no timing: {out.stderr}")
    d = json.loads(out.stdout)["report"]["decisions"]
    return int(m.group(1)), float(m.group(2)), d["gate_approved"], d["gate_refused"]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1]).resolve()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    instrument, bar_type, bars = nautilus_bars(path)
    n = len(bars)
    omni, naut = [], []
    events = fills = approved = refused = 0
    home = tempfile.mkdtemp(prefix="omni-bench-")
    for _ in range(runs):
        events, secs, approved, refused = omni_run(path, home)
        omni.append(secs)
        secs, fills = nautilus_run(instrument, bar_type, bars)
        naut.append(secs)
    o, a = statistics.median(omni), statistics.median(naut)
    print(f"{n} bars of {path.name}, {runs} interleaved runs each, medians")
    print(f"omni-tui backtest      {o:.3f} s  {n / o:>10,.0f} bars/s  ({events} market events, {events / n:.0f} per bar: {events / o:,.0f} events/s; gate approved {approved}, refused {refused})")
    print(f"nautilus BacktestEngine {a:.3f} s  {n / a:>10,.0f} bars/s  (EMA cross, {fills} fills)")
    print(f"omni-tui / nautilus, bars per second: {a / o:.2f}x")
    print(f"omni-tui runs: {', '.join(f'{x:.3f}' for x in omni)}")
    print(f"nautilus runs: {', '.join(f'{x:.3f}' for x in naut)}")


if __name__ == "__main__":
    main()
