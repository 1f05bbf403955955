//! The demo market: real minute bars replayed as a tick stream on several
//! venues, each with its own lag, spread, basis and occasional dislocation.
//!
//! The reference price of each instrument follows its real minute bars:
//! within each minute a Brownian bridge (one point a second, seeded per bar)
//! runs open → nearer extreme → farther extreme → close, kept inside the
//! bar's high and low, so the path diffuses like a price instead of moving
//! in straight lines. Each venue quotes that
//! price as it was `lag_ms` ago, times (1 + basis + dislocation): the basis is
//! an Ornstein–Uhlenbeck process whose default spread (2.3 bps) is the
//! standard deviation measured between Binance and Binance.US BTCUSDT minute
//! closes in March 2023; dislocations are rarer, larger episodes on one venue
//! (a thin book being swept) that appear, hold, and decay. Lag plus basis plus
//! dislocations is what makes cross-venue edges appear and vanish.
//!
//! A ratio series (`ratio_of`) is a cross such as ETH/BTC with no bars of its
//! own: its reference price is the ratio of two other series' reference
//! prices at the same moment, so a triangle on one venue (USDT → BTC → ETH →
//! USDT) is consistent until a dislocation, which may hit a cross even on its
//! reference venue, opens one.

use super::assets;
use super::config::DemoConfig;
use super::series::{SeriesBar, SeriesError, parse_series};
use omni_core::domain::{
    Aggressor, AssetClass, Bar, Catalog, InstrumentId, Quote, Timeframe, Timestamp, Trade, VenueId,
    time::MILLI, time::SECOND,
};
use omni_core::market::MarketEvent;
use omni_core::random::SimRng;
use omni_core::risk::config::HoursConfig;
use omni_core::risk::hours::Session;
use rust_decimal::Decimal;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

/// Minutes of bars before the live start that are replayed as history.
pub const HISTORY_MINUTES: i64 = 300;

/// A problem building the demo market.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A series file is malformed.
    #[error(transparent)]
    Series(#[from] SeriesError),
    /// A series file could not be read.
    #[error("{path}: {cause}")]
    Read {
        path: String,
        /// Not named `source`: the text states it (see `ConfigError`).
        cause: std::io::Error,
    },
    /// A series has no live part after its history.
    #[error("{0}: the series is shorter than its {HISTORY_MINUTES}-minute history")]
    TooShort(String),
    /// A ratio series names a series the demo does not drive from bars
    /// (configuration validation refuses this first).
    #[error("{instrument}: `ratio_of` names `{name}`, not a series with its own file")]
    Ratio { instrument: String, name: String },
}

/// Converts a float price or quantity to a Decimal on a grid.
#[derive(Clone, Copy, Debug)]
struct Grid {
    step: f64,
    mantissa: i64,
    scale: u32,
}

impl Grid {
    fn new(step: Decimal) -> Self {
        let n = step.normalize();
        Self {
            step: n.mantissa() as f64 / 10f64.powi(n.scale() as i32),
            mantissa: n.mantissa() as i64,
            scale: n.scale(),
        }
    }
    fn floor(&self, x: f64) -> Decimal {
        Decimal::new((x / self.step).floor() as i64 * self.mantissa, self.scale)
    }
    fn ceil(&self, x: f64) -> Decimal {
        Decimal::new((x / self.step).ceil() as i64 * self.mantissa, self.scale)
    }
    fn round(&self, x: f64) -> Decimal {
        Decimal::new((x / self.step).round() as i64 * self.mantissa, self.scale)
    }
    fn steps(&self, x: f64) -> i64 {
        (x / self.step).floor() as i64
    }
    fn of_steps(&self, n: i64) -> Decimal {
        Decimal::new(n * self.mantissa, self.scale)
    }
}

struct SeriesState {
    instrument: InstrumentId,
    /// For a ratio series, the indices of its numerator and denominator
    /// series: its price is theirs divided, and it has no bars of its own
    /// (`bars` and `h1` empty, `anchor_ns`, `slice_ns`, `lap_ratio` unused).
    ratio: Option<(usize, usize)>,
    reference_venue: VenueId,
    session: Session,
    is_crypto: bool,
    bars: Vec<SeriesBar>,
    h1: Vec<SeriesBar>,
    live_from: usize,
    /// Data time (ns) that maps to the demo's start.
    anchor_ns: i64,
    /// Length of the live part (ns); the demo loops after it.
    slice_ns: i64,
    /// Price ratio applied per loop so the level continues.
    lap_ratio: f64,
    spread_bps: f64,
    top_qty: f64,
    price_grid: Grid,
    qty_grid: Grid,
    hint: usize,
    salt: u64,
    /// The two most recently used one-second paths: (bar index, lap, path).
    paths: [(usize, i64, [f64; 61]); 2],
}

struct MarketGen {
    series: usize,
    venue: VenueId,
    lag_ns: i64,
    spread_mult: f64,
    size_mult: f64,
    basis: f64,
    basis_ts: i64,
    is_reference: bool,
    last_quote: Option<Quote>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// A minute bar of the series replayed as history; `lap` is the loop of
    /// the live part it belongs to (0 for the bars before the anchor and the
    /// first pass through the live part).
    History {
        series: u32,
        bar: u32,
        lap: u32,
    },
    HistoryH1 {
        series: u32,
        bar: u32,
    },
    Quote {
        market: u32,
    },
    Trade {
        series: u32,
    },
}

struct Dislocation {
    market: usize,
    start: i64,
    hold_ns: i64,
    magnitude: f64,
}

/// The demo market as an ordered stream of market events.
pub struct DemoMarket {
    /// Demo time that maps to each series' anchor (its first live minute).
    origin: Timestamp,
    /// The first live moment: `start`, or a later whole minute when the
    /// demo resumes after a stored run ([`DemoMarket::resuming`]).
    live_from: Timestamp,
    cfg: DemoConfig,
    series: Vec<SeriesState>,
    markets: Vec<MarketGen>,
    queue: BinaryHeap<Reverse<(i64, u64, Slot)>>,
    seq: u64,
    rng: SimRng,
    dislocations: Vec<Dislocation>,
    next_dislocation: i64,
    eligible_for_dislocation: Vec<usize>,
}

fn load_text(file: &str, base_dir: &Path) -> Result<String, DemoError> {
    if let Some(t) = assets::embedded(file) {
        return Ok(t.to_string());
    }
    let path = base_dir.join(file);
    std::fs::read_to_string(&path).map_err(|cause| DemoError::Read {
        path: path.display().to_string(),
        cause,
    })
}

/// Reads and parses one series: a bundled name, or a CSV path relative to
/// `base_dir`. The demo market reads its series through this, and so does
/// the configuration check, so a file the check passes is one the run reads.
pub fn read_series(file: &str, base_dir: &Path) -> Result<Vec<SeriesBar>, DemoError> {
    Ok(parse_series(file, &load_text(file, base_dir)?)?)
}

/// Index of the first live bar of a minute series (the first after its
/// [`HISTORY_MINUTES`] of history); a series with nothing after its history
/// is refused.
pub fn live_start(file: &str, bars: &[SeriesBar]) -> Result<usize, DemoError> {
    let first = bars
        .first()
        .ok_or_else(|| DemoError::TooShort(file.to_string()))?;
    let anchor = first.time + HISTORY_MINUTES * 60;
    let live_from = bars.partition_point(|b| b.time < anchor);
    if live_from >= bars.len() {
        return Err(DemoError::TooShort(file.to_string()));
    }
    Ok(live_from)
}

impl DemoMarket {
    /// Builds the demo market of a validated `[market.demo]`, whose
    /// instruments trade in the sessions of `hours`.
    pub fn new(
        demo: &DemoConfig,
        hours: &HoursConfig,
        catalog: &Catalog,
        base_dir: &Path,
        seed: u64,
    ) -> Result<Self, DemoError> {
        Self::build(demo, hours, catalog, base_dir, seed, None)
    }

    /// The same demo market, resumed: its live part starts at the first
    /// whole minute at or after `after` (a stored run's last time) instead
    /// of at the anchor, and continues the series where that time falls
    /// (looping as a long run would), so prices carry on and the engine's
    /// clock, day counters and timers keep going forward. The history
    /// replayed first is the 300 minutes before that live start. When
    /// `after` is not later than the usual start this is [`DemoMarket::new`].
    pub fn resuming(
        demo: &DemoConfig,
        hours: &HoursConfig,
        catalog: &Catalog,
        base_dir: &Path,
        seed: u64,
        after: Timestamp,
    ) -> Result<Self, DemoError> {
        Self::build(demo, hours, catalog, base_dir, seed, Some(after))
    }

    fn build(
        demo: &DemoConfig,
        hours: &HoursConfig,
        catalog: &Catalog,
        base_dir: &Path,
        seed: u64,
        after: Option<Timestamp>,
    ) -> Result<Self, DemoError> {
        let demo = demo.clone();
        let sessions = |class: AssetClass| {
            Session::of(match class {
                AssetClass::Crypto => &hours.crypto,
                AssetClass::Forex => &hours.forex,
                AssetClass::Metal => &hours.metal,
            })
        };
        let mut series = Vec::new();
        // Ratio series, by index in `series`, with the names to resolve once
        // every series is in (a numerator may be listed after its cross).
        let mut ratios = Vec::new();
        for (i, s) in demo.series.iter().enumerate() {
            let Some(instrument) = catalog.instrument_by_name(&s.instrument) else {
                continue;
            };
            let inst = catalog.instrument(instrument);
            if s.is_ratio() {
                ratios.push((series.len(), &s.ratio_of));
                series.push(SeriesState {
                    instrument,
                    ratio: None, // resolved below
                    reference_venue: inst.primary_venue(),
                    session: sessions(inst.class),
                    is_crypto: inst.class == AssetClass::Crypto,
                    bars: Vec::new(),
                    h1: Vec::new(),
                    live_from: 0,
                    anchor_ns: 0,
                    // Never a divisor: a ratio series has no history slots
                    // and no trades, and `fair` prices it from its parts.
                    slice_ns: 0,
                    lap_ratio: 1.0,
                    spread_bps: s.spread_bps,
                    top_qty: s.top_qty,
                    price_grid: Grid::new(inst.tick_size),
                    qty_grid: Grid::new(inst.lot_size),
                    hint: 0,
                    salt: seed ^ ((i as u64 + 1) << 40),
                    paths: [(usize::MAX, 0, [0.0; 61]); 2],
                });
                continue;
            }
            let bars = read_series(&s.file, base_dir)?;
            let h1 = if s.history_h1.is_empty() {
                Vec::new()
            } else {
                read_series(&s.history_h1, base_dir)?
            };
            let live_from = live_start(&s.file, &bars)?;
            let anchor = bars[0].time + HISTORY_MINUTES * 60;
            let last = bars[bars.len() - 1];
            let slice_secs = last.time + 60 - anchor;
            series.push(SeriesState {
                instrument,
                ratio: None,
                reference_venue: inst.primary_venue(),
                session: sessions(inst.class),
                is_crypto: inst.class == AssetClass::Crypto,
                lap_ratio: last.close / bars[live_from].open,
                live_from,
                anchor_ns: anchor * SECOND,
                slice_ns: slice_secs * SECOND,
                bars,
                h1,
                spread_bps: s.spread_bps,
                top_qty: s.top_qty,
                price_grid: Grid::new(inst.tick_size),
                qty_grid: Grid::new(inst.lot_size),
                hint: 0,
                salt: seed ^ ((i as u64 + 1) << 40),
                paths: [(usize::MAX, 0, [0.0; 61]); 2],
            });
        }
        for (si, names) in ratios {
            let part = |name: &String| {
                let id = catalog.instrument_by_name(name);
                // A series with bars of its own (a ratio series has none).
                series
                    .iter()
                    .position(|p| !p.bars.is_empty() && Some(p.instrument) == id)
                    .ok_or_else(|| DemoError::Ratio {
                        instrument: catalog.instrument(series[si].instrument).name.clone(),
                        name: name.clone(),
                    })
            };
            let (num, den) = match names.as_slice() {
                [num, den] => (part(num)?, part(den)?),
                _ => {
                    return Err(DemoError::Ratio {
                        instrument: catalog.instrument(series[si].instrument).name.clone(),
                        name: names.join(", "),
                    });
                }
            };
            series[si].ratio = Some((num, den));
        }
        // Demo time starts at the first series with bars of its own.
        let start = series
            .iter()
            .find(|s| s.ratio.is_none())
            .map(|s| Timestamp::from_nanos(s.anchor_ns))
            .unwrap_or_default();
        // Resuming: the first whole minute at or after the stored time.
        let minute = 60 * SECOND;
        let live_from = match after {
            Some(t) if t > start => {
                let el = t.nanos() - start.nanos();
                start.plus((el + minute - 1).div_euclid(minute) * minute)
            }
            _ => start,
        };

        let mut markets = Vec::new();
        for (si, s) in series.iter().enumerate() {
            for &venue in &catalog.instrument(s.instrument).venues {
                let vname = &catalog.venue(venue).name;
                let vc = demo.venues.iter().find(|v| &v.venue == vname);
                markets.push(MarketGen {
                    series: si,
                    venue,
                    lag_ns: vc.map_or(0, |v| v.lag_ms as i64 * MILLI),
                    spread_mult: vc.map_or(1.0, |v| v.spread_mult),
                    size_mult: vc.map_or(1.0, |v| v.size_mult),
                    basis: 0.0,
                    basis_ts: live_from.nanos(),
                    is_reference: venue == s.reference_venue,
                    last_quote: None,
                });
            }
        }
        // A cross's markets are eligible even on its reference venue: a
        // cross listed on one venue would otherwise never open a triangle.
        let eligible_for_dislocation = markets
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                let s = &series[m.series];
                s.ratio.is_some() || (!m.is_reference && s.is_crypto)
            })
            .map(|(i, _)| i)
            .collect();

        let mut me = Self {
            origin: start,
            live_from,
            cfg: demo,
            series,
            markets,
            queue: BinaryHeap::new(),
            seq: 0,
            rng: SimRng::new(seed, 0xD3_40),
            dislocations: Vec::new(),
            next_dislocation: live_from.nanos(),
            eligible_for_dislocation,
        };
        me.schedule_dislocation(live_from.nanos());
        let resumed = live_from > start;
        for (si, s) in me.series.iter().enumerate() {
            if s.ratio.is_some() {
                continue; // no bars of its own to replay
            }
            let offset = start.nanos() - s.anchor_ns;
            for (bi, b) in s.h1.iter().enumerate() {
                let ts = b.time * SECOND + offset + 3600 * SECOND;
                me.seq += 1;
                me.queue.push(Reverse((
                    ts,
                    me.seq,
                    Slot::HistoryH1 {
                        series: si as u32,
                        bar: bi as u32,
                    },
                )));
            }
            if resumed {
                // The 300 minutes before the live start, wherever (and in
                // whichever loop) they fall in the series.
                for k in (1..=HISTORY_MINUTES).rev() {
                    let open = live_from.nanos() - k * minute;
                    let el = open - start.nanos();
                    let (lap, data_ns) = if el < 0 {
                        (0, s.anchor_ns + el)
                    } else {
                        (
                            el.div_euclid(s.slice_ns),
                            s.anchor_ns + el.rem_euclid(s.slice_ns),
                        )
                    };
                    let Ok(bi) = s
                        .bars
                        .binary_search_by_key(&data_ns.div_euclid(SECOND), |b| b.time)
                    else {
                        continue; // a gap in the data
                    };
                    me.seq += 1;
                    me.queue.push(Reverse((
                        open + minute,
                        me.seq,
                        Slot::History {
                            series: si as u32,
                            bar: bi as u32,
                            lap: lap as u32,
                        },
                    )));
                }
                continue;
            }
            for (bi, b) in s.bars[..s.live_from].iter().enumerate() {
                let ts = b.time * SECOND + offset + 60 * SECOND;
                me.seq += 1;
                me.queue.push(Reverse((
                    ts,
                    me.seq,
                    Slot::History {
                        series: si as u32,
                        bar: bi as u32,
                        lap: 0,
                    },
                )));
            }
        }
        for m in 0..me.markets.len() {
            let t = live_from.nanos() + me.next_quote_gap();
            me.push(t, Slot::Quote { market: m as u32 });
        }
        for si in 0..me.series.len() {
            // A ratio series has no volume of its own to size trades from:
            // it quotes only, as forex does.
            if me.series[si].is_crypto && me.series[si].ratio.is_none() {
                let t = live_from.nanos() + me.next_trade_gap();
                me.push(t, Slot::Trade { series: si as u32 });
            }
        }
        Ok(me)
    }

    /// The demo's start: the first live moment, after the history bars
    /// (later than a fresh demo's when it resumes a stored run).
    pub fn start(&self) -> Timestamp {
        self.live_from
    }

    /// Time of the next event.
    pub fn peek_ts(&self) -> Option<Timestamp> {
        self.queue.peek().map(|Reverse((t, _, _))| Timestamp(*t))
    }

    fn push(&mut self, ts: i64, slot: Slot) {
        self.seq += 1;
        self.queue.push(Reverse((ts, self.seq, slot)));
    }

    fn next_quote_gap(&mut self) -> i64 {
        let mean = self.cfg.quote_interval_ms.max(1) as f64 * MILLI as f64;
        self.rng.exponential(mean) as i64 + 1
    }

    fn next_trade_gap(&mut self) -> i64 {
        let mean = self.cfg.trade_interval_ms.max(1) as f64 * MILLI as f64;
        self.rng.exponential(mean) as i64 + 1
    }

    fn schedule_dislocation(&mut self, now: i64) {
        let rate = self.cfg.dislocations_per_hour;
        self.next_dislocation = if rate > 0.0 && !self.eligible_for_dislocation.is_empty() {
            now + self.rng.exponential(3600.0 / rate * SECOND as f64) as i64
        } else {
            i64::MAX
        };
    }

    fn start_dislocations_until(&mut self, now: i64) {
        while self.next_dislocation <= now {
            let at = self.next_dislocation;
            let pick = self.rng.below(self.eligible_for_dislocation.len() as u64) as usize;
            let market = self.eligible_for_dislocation[pick];
            let size = self
                .rng
                .exponential(self.cfg.dislocation_mean_pct)
                .min(self.cfg.dislocation_max_pct)
                / 100.0;
            let sign = if self.rng.chance(0.5) { 1.0 } else { -1.0 };
            let hold = self.rng.exponential(self.cfg.dislocation_secs.max(0.1)) * SECOND as f64;
            self.dislocations.push(Dislocation {
                market,
                start: at,
                hold_ns: hold as i64,
                magnitude: sign * size,
            });
            self.schedule_dislocation(at);
        }
        // An episode ends once it has decayed below 1 % of its size.
        self.dislocations
            .retain(|d| now < d.start + d.hold_ns + 5 * (d.hold_ns / 3 + SECOND));
    }

    fn dislocation(&self, market: usize, t: i64) -> f64 {
        let mut total = 0.0;
        for d in self.dislocations.iter().filter(|d| d.market == market) {
            let el = t - d.start;
            if el < 0 {
                continue;
            }
            let ramp = SECOND;
            total += if el < ramp {
                d.magnitude * el as f64 / ramp as f64
            } else if el < d.hold_ns {
                d.magnitude
            } else {
                let tau = (d.hold_ns / 3 + SECOND) as f64;
                d.magnitude * (-((el - d.hold_ns) as f64) / tau).exp()
            };
        }
        total
    }

    /// The reference price of a series at demo time `t` (ns), or `None` in a
    /// gap in the data (the market is closed or did not trade that minute);
    /// for a ratio series, its numerator's over its denominator's, `None`
    /// when either is.
    fn fair(&mut self, si: usize, t: i64) -> Option<f64> {
        if let Some((num, den)) = self.series[si].ratio {
            let n = self.fair(num, t)?;
            // Positive: bar prices are (parse_series refuses a low ≤ 0) and
            // the path stays within each bar's low and high.
            let d = self.fair(den, t)?;
            return Some(n / d);
        }
        let s = &mut self.series[si];
        let el = (t - self.origin.nanos()).max(0);
        let lap = el.div_euclid(s.slice_ns);
        let data_ns = s.anchor_ns + el.rem_euclid(s.slice_ns);
        let minute = data_ns.div_euclid(60 * SECOND) * 60;
        let live = &s.bars[s.live_from..];
        let idx = if live.get(s.hint).is_some_and(|b| b.time == minute) {
            s.hint
        } else if live.get(s.hint + 1).is_some_and(|b| b.time == minute) {
            s.hint + 1
        } else {
            live.binary_search_by_key(&minute, |b| b.time).ok()?
        };
        s.hint = idx;
        let slot = match s.paths.iter().position(|(i, l, _)| *i == idx && *l == lap) {
            Some(k) => k,
            None => {
                // Keep the previous bar's path too: lagging venues still read it.
                let path = bridge_path(&live[idx], s.salt ^ (idx as u64).wrapping_mul(0x9E37_79B9));
                s.paths.swap(0, 1);
                s.paths[1] = (idx, lap, path);
                1
            }
        };
        let path = &s.paths[slot].2;
        let x = (data_ns - minute * SECOND) as f64 / SECOND as f64;
        let i = (x.floor() as usize).min(59);
        let f = x - i as f64;
        let p = path[i] + (path[i + 1] - path[i]) * f;
        Some(p * s.lap_ratio.powi(lap as i32))
    }

    fn make_quote(&mut self, m: usize, t: i64) -> Option<Quote> {
        let (si, lag) = (self.markets[m].series, self.markets[m].lag_ns);
        if !self.series[si].session.is_open(Timestamp(t)) {
            return None;
        }
        let p_ref = self.fair(si, t - lag)?;
        let halflife = self.cfg.basis_halflife_secs.max(0.001) * SECOND as f64;
        let sigma = self.cfg.basis_bps / 10_000.0;
        let disloc = self.dislocation(m, t);
        let normal = self.rng.normal();
        let spread_noise = self.rng.range(0.8, 1.4);
        let size_noise_b = self.rng.range(0.3, 1.7);
        let size_noise_a = self.rng.range(0.3, 1.7);
        let mk = &mut self.markets[m];
        if mk.is_reference {
            mk.basis = 0.0;
        } else {
            let dt = (t - mk.basis_ts).max(0) as f64;
            let decay = (-(dt / halflife) * std::f64::consts::LN_2).exp();
            mk.basis = mk.basis * decay + sigma * (1.0 - decay * decay).sqrt() * normal;
        }
        mk.basis_ts = t;
        let s = &self.series[si];
        let p = p_ref * (1.0 + mk.basis + disloc);
        let (_, minute) = Timestamp(t).weekday_minute();
        // Forex spreads widen around the 22:00 UTC rollover.
        let rollover = if !s.is_crypto && (1260..1380).contains(&minute) {
            3.0
        } else {
            1.0
        };
        let half = p * s.spread_bps / 20_000.0 * mk.spread_mult * spread_noise * rollover;
        let bid = s.price_grid.floor(p - half);
        let mut ask = s.price_grid.ceil(p + half);
        if ask <= bid {
            ask = bid + s.price_grid.of_steps(1);
        }
        let thin = if disloc.abs() > 1e-4 { 0.3 } else { 1.0 };
        let size = |noise: f64| {
            let q = s.top_qty * mk.size_mult * noise * thin;
            s.qty_grid.of_steps(s.qty_grid.steps(q).max(1))
        };
        let q = Quote {
            venue: mk.venue,
            instrument: s.instrument,
            bid,
            ask,
            bid_qty: size(size_noise_b),
            ask_qty: size(size_noise_a),
            ts: Timestamp(t),
        };
        mk.last_quote = Some(q);
        Some(q)
    }

    fn make_trade(&mut self, si: usize, t: i64) -> Option<Trade> {
        let s = &self.series[si];
        let q = self
            .markets
            .iter()
            .find(|m| m.series == si && m.is_reference)?
            .last_quote?;
        if t - q.ts.nanos() > 5 * SECOND {
            return None;
        }
        let minute_volume = {
            let el = (t - self.origin.nanos()).max(0);
            let data_ns = s.anchor_ns + el.rem_euclid(s.slice_ns);
            let minute = data_ns.div_euclid(60 * SECOND) * 60;
            let live = &s.bars[s.live_from..];
            live.get(s.hint)
                .filter(|b| b.time == minute)
                .map_or(0.0, |b| b.volume)
        };
        let per_minute = 60_000.0 / self.cfg.trade_interval_ms.max(1) as f64;
        let buy = self.rng.chance(0.5);
        let qty = minute_volume / per_minute * self.rng.exponential(1.0);
        let s = &self.series[si];
        let qty = s.qty_grid.round(qty).max(s.qty_grid.of_steps(1));
        Some(Trade {
            venue: s.reference_venue,
            instrument: s.instrument,
            price: if buy { q.ask } else { q.bid },
            qty,
            aggressor: if buy { Aggressor::Buy } else { Aggressor::Sell },
            ts: Timestamp(t),
        })
    }
}

/// A one-second path through a minute bar: open at 0 s, the nearer extreme
/// and the farther one at seeded times, close at 60 s; Brownian bridges in
/// between with per-second volatility sized to the bar's range, clamped to
/// [low, high].
fn bridge_path(b: &SeriesBar, salt: u64) -> [f64; 61] {
    let mut rng = SimRng::new(salt, 0xB41D);
    let mut t1 = 1 + rng.below(58) as usize;
    let mut t2 = 1 + rng.below(58) as usize;
    if t1 == t2 {
        t2 = if t2 < 59 { t2 + 1 } else { t2 - 1 };
    }
    if t1 > t2 {
        std::mem::swap(&mut t1, &mut t2);
    }
    let (first, second) = if b.open - b.low < b.high - b.open {
        (b.low, b.high)
    } else {
        (b.high, b.low)
    };
    // The expected range of a random walk over 60 steps is about 1.6·σ·√60.
    let sigma = (b.high - b.low) / 12.4;
    let anchors = [(0usize, b.open), (t1, first), (t2, second), (60, b.close)];
    let mut path = [b.open; 61];
    for w in anchors.windows(2) {
        let ((a, pa), (z, pz)) = (w[0], w[1]);
        path[a] = pa;
        let mut x = pa;
        for k in a..z {
            let left = (z - k) as f64;
            let step = (pz - x) / left;
            let noise = if left > 1.0 {
                sigma * ((left - 1.0) / left).sqrt() * rng.normal()
            } else {
                0.0
            };
            x = (x + step + noise).clamp(b.low, b.high);
            path[k + 1] = x;
        }
        path[z] = pz;
    }
    path
}

impl Iterator for DemoMarket {
    type Item = MarketEvent;

    fn next(&mut self) -> Option<MarketEvent> {
        loop {
            let Reverse((t, _, slot)) = self.queue.pop()?;
            match slot {
                Slot::History { series, bar, lap } => {
                    let s = &self.series[series as usize];
                    let b = s.bars[bar as usize];
                    let offset = self.origin.nanos() - s.anchor_ns + i64::from(lap) * s.slice_ns;
                    // Each loop continues the level where the last one ended.
                    let k = if lap == 0 {
                        1.0
                    } else {
                        s.lap_ratio.powi(lap as i32)
                    };
                    let g = s.price_grid;
                    return Some(MarketEvent::History(Bar {
                        instrument: s.instrument,
                        timeframe: Timeframe::M1,
                        open_ts: Timestamp(b.time * SECOND + offset),
                        open: g.round(b.open * k),
                        high: g.round(b.high * k),
                        low: g.round(b.low * k),
                        close: g.round(b.close * k),
                        volume: Decimal::from_f64_retain(b.volume)
                            .unwrap_or_default()
                            .round_dp(8),
                    }));
                }
                Slot::HistoryH1 { series, bar } => {
                    let s = &self.series[series as usize];
                    let b = s.h1[bar as usize];
                    let offset = self.origin.nanos() - s.anchor_ns;
                    let g = s.price_grid;
                    return Some(MarketEvent::History(Bar {
                        instrument: s.instrument,
                        timeframe: Timeframe::H1,
                        open_ts: Timestamp(b.time * SECOND + offset),
                        open: g.round(b.open),
                        high: g.round(b.high),
                        low: g.round(b.low),
                        close: g.round(b.close),
                        volume: Decimal::from_f64_retain(b.volume)
                            .unwrap_or_default()
                            .round_dp(8),
                    }));
                }
                Slot::Quote { market } => {
                    self.start_dislocations_until(t);
                    let gap = self.next_quote_gap();
                    self.push(t + gap, slot);
                    if let Some(q) = self.make_quote(market as usize, t) {
                        return Some(MarketEvent::Quote(q));
                    }
                }
                Slot::Trade { series } => {
                    let gap = self.next_trade_gap();
                    self.push(t + gap, slot);
                    if let Some(tr) = self.make_trade(series as usize, t) {
                        return Some(MarketEvent::Trade(tr));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{DemoSeriesConfig, validate};
    use super::*;
    use omni_core::defaults;
    use omni_core::domain::{AccountMode, Instrument};

    fn demo(seed: u64) -> DemoMarket {
        let catalog = omni_core::domain::Catalog::builtin(AccountMode::Demo);
        DemoMarket::new(
            &defaults::section("market.demo"),
            &defaults::section("risk.hours"),
            &catalog,
            Path::new("."),
            seed,
        )
        .expect("demo")
    }

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<MarketEvent> = demo(3).take(5000).collect();
        let b: Vec<MarketEvent> = demo(3).take(5000).collect();
        let c: Vec<MarketEvent> = demo(4).take(5000).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn history_first_then_ordered_sane_quotes_on_every_market() {
        let d = demo(1);
        let start = d.start();
        let events: Vec<MarketEvent> = d.take(50_000).collect();
        let mut last = Timestamp(i64::MIN);
        let mut markets = std::collections::BTreeSet::new();
        let mut history = 0;
        for e in &events {
            assert!(e.ts() >= last, "events out of order");
            last = e.ts();
            match e {
                MarketEvent::History(b) => {
                    history += 1;
                    assert!(b.open_ts < start);
                }
                MarketEvent::Quote(q) => {
                    assert!(q.is_sane(), "{q:?}");
                    markets.insert((q.venue, q.instrument));
                }
                MarketEvent::Trade(t) => assert!(t.qty > Decimal::ZERO),
                MarketEvent::Bar(_) => panic!("the demo replays history, not venue bars"),
                MarketEvent::Depth(_) => panic!("the demo quotes tops of book only"),
            }
        }
        assert!(
            history >= 4 * 280 + 2 * 71 + 2 * 100,
            "history bars: {history}"
        );
        // 3 venues × 2 crypto + 1 venue × 2 forex, plus the venues of any
        // cross the built-in file prices from them (`ratio_of`).
        let catalog = omni_core::domain::Catalog::builtin(AccountMode::Demo);
        let cfg: DemoConfig = defaults::section("market.demo");
        let crosses: usize = cfg
            .series
            .iter()
            .filter(|s| s.is_ratio())
            .filter_map(|s| catalog.instrument_by_name(&s.instrument))
            .map(|i| catalog.instrument(i).venues.len())
            .sum();
        assert_eq!(markets.len(), 8 + crosses);
    }

    #[test]
    fn a_resumed_demo_starts_at_the_next_minute_after_the_stored_time() {
        let catalog = omni_core::domain::Catalog::builtin(AccountMode::Demo);
        let resume = |after: Timestamp| {
            DemoMarket::resuming(
                &defaults::section("market.demo"),
                &defaults::section("risk.hours"),
                &catalog,
                Path::new("."),
                3,
                after,
            )
            .expect("demo")
        };
        let fresh = demo(3).start();
        // Not later than the usual start: the usual demo.
        let a: Vec<MarketEvent> = resume(fresh.plus(-SECOND)).take(5000).collect();
        let b: Vec<MarketEvent> = demo(3).take(5000).collect();
        assert_eq!(a, b);

        let after = fresh.plus((2 * 3600 + 30 * 60 + 15) * SECOND);
        let d = resume(after);
        let live = d.start();
        assert_eq!(live, fresh.plus((2 * 3600 + 31 * 60) * SECOND));
        let mut m1_history = std::collections::BTreeMap::<InstrumentId, usize>::new();
        let mut last = Timestamp(i64::MIN);
        let mut quotes = 0;
        for e in d.take(20_000) {
            assert!(e.ts() >= last, "events out of order");
            last = e.ts();
            match e {
                MarketEvent::History(b) if b.timeframe == Timeframe::M1 => {
                    assert!(b.open_ts >= live.plus(-HISTORY_MINUTES * 60 * SECOND));
                    assert!(b.open_ts.plus(60 * SECOND) <= live);
                    *m1_history.entry(b.instrument).or_default() += 1;
                }
                MarketEvent::History(b) => assert!(b.open_ts < live),
                MarketEvent::Quote(q) => {
                    assert!(q.ts > live && q.is_sane(), "{q:?}");
                    quotes += 1;
                }
                _ => assert!(e.ts() > live),
            }
        }
        assert!(quotes > 1000);
        // Crypto trades every minute: a full window of history.
        assert_eq!(m1_history.get(&InstrumentId(0)), Some(&300));
    }

    #[test]
    fn reference_quotes_track_the_real_bars() {
        // In the first live minute, every binance BTC mid lies inside the real
        // bar's range (widened by the half-spread).
        let d = demo(5);
        let start = d.start();
        let bars = parse_series("btc", assets::embedded("btcusdt_m1.csv").expect("bundled"))
            .expect("parses");
        let first_live = bars[HISTORY_MINUTES as usize];
        for e in d.take(20_000) {
            if let MarketEvent::Quote(q) = e
                && q.venue == VenueId(0)
                && q.instrument == InstrumentId(0)
                && q.ts.since(start) < 60 * SECOND
            {
                let mid: f64 = q.mid().try_into().expect("f64");
                assert!(
                    mid >= first_live.low - 1.0 && mid <= first_live.high + 1.0,
                    "{mid}"
                );
            }
        }
    }

    /// The built-in catalog with ETH/BTC, listed on binance only (added
    /// when the built-in file does not list it).
    fn cross_catalog() -> Catalog {
        let mut catalog = Catalog::builtin(AccountMode::Demo);
        if catalog.instrument_by_name("ETH/BTC").is_some() {
            return catalog;
        }
        let binance = catalog.venue_by_name("binance").expect("binance");
        catalog.instruments.push(Instrument {
            id: InstrumentId(catalog.instruments.len() as u16),
            name: "ETH/BTC".into(),
            class: AssetClass::Crypto,
            tick_size: Decimal::new(1, 5),
            lot_size: Decimal::new(1, 4),
            min_qty: Decimal::new(1, 4),
            venues: vec![binance],
        });
        catalog
    }

    /// The built-in `[market.demo]` with this ETH/BTC ratio series (in place
    /// of any it has), listed first: before the two series it divides.
    fn cross_config() -> DemoConfig {
        let mut cfg: DemoConfig = defaults::section("market.demo");
        cfg.series.retain(|s| s.instrument != "ETH/BTC");
        cfg.series.insert(
            0,
            DemoSeriesConfig {
                instrument: "ETH/BTC".into(),
                file: String::new(),
                history_h1: String::new(),
                spread_bps: 1.0,
                top_qty: 5.0,
                ratio_of: vec!["ETH/USDT".into(), "BTC/USDT".into()],
            },
        );
        cfg
    }

    fn cross_demo(cfg: &DemoConfig, seed: u64) -> DemoMarket {
        DemoMarket::new(
            cfg,
            &defaults::section("risk.hours"),
            &cross_catalog(),
            Path::new("."),
            seed,
        )
        .expect("demo")
    }

    fn mid(q: &Quote) -> f64 {
        q.mid().try_into().expect("f64")
    }

    #[test]
    fn a_ratio_series_quotes_eth_over_btc_on_its_venue() {
        // Many dislocations, so some land on the cross.
        let mut cfg = cross_config();
        cfg.dislocations_per_hour = 120.0;
        let mut d = cross_demo(&cfg, 5);
        let catalog = cross_catalog();
        let binance = catalog.venue_by_name("binance").expect("binance");
        let id = |name: &str| catalog.instrument_by_name(name).expect(name);
        let (eth_btc, eth, btc) = (id("ETH/BTC"), id("ETH/USDT"), id("BTC/USDT"));
        let cross = d
            .markets
            .iter()
            .position(|m| d.series[m.series].instrument == eth_btc)
            .expect("the cross's market");
        assert!(d.markets[cross].is_reference);
        assert!(d.eligible_for_dislocation.contains(&cross));
        // The cross's reference venue is the only one it is eligible on as
        // a reference: the USDT pairs' reference markets are not.
        for &m in &d.eligible_for_dislocation {
            assert!(m == cross || !d.markets[m].is_reference);
        }

        let (mut last_eth, mut last_btc): (Option<Quote>, Option<Quote>) = (None, None);
        let (mut calm, mut dislocated, mut cross_quotes) = (0, 0, 0);
        for _ in 0..200_000 {
            let Some(e) = d.next() else { break };
            let q = match e {
                MarketEvent::Quote(q) if q.venue == binance => q,
                MarketEvent::History(b) => {
                    assert_ne!(b.instrument, eth_btc, "a cross has no history");
                    continue;
                }
                MarketEvent::Trade(t) => {
                    assert_ne!(t.instrument, eth_btc, "a cross only quotes");
                    continue;
                }
                _ => continue,
            };
            if q.instrument == eth {
                last_eth = Some(q);
            } else if q.instrument == btc {
                last_btc = Some(q);
            } else if q.instrument == eth_btc {
                cross_quotes += 1;
                assert!(q.bid < q.ask && q.is_sane(), "{q:?}");
                assert!(q.bid_qty >= Decimal::new(1, 4) && q.ask_qty >= Decimal::new(1, 4));
                let (Some(e), Some(b)) = (last_eth, last_btc) else {
                    continue;
                };
                // Compare with the USDT pairs' quotes of the last 250 ms
                // only: over seconds the price itself moves by bps.
                let t = q.ts.nanos();
                let fresh = |q: Quote| t - q.ts.nanos() <= 250 * MILLI;
                if !fresh(e) || !fresh(b) {
                    continue;
                }
                let disloc = d.dislocation(cross, t);
                let expected = mid(&e) / mid(&b) * (1.0 + disloc);
                // Within 10 bps: half a tick is 2 bps of 0.025 (March 2025).
                let off = (mid(&q) / expected - 1.0).abs();
                assert!(
                    off < 10e-4,
                    "{q:?}: mid {} vs ETH/BTC {expected} (dislocation {disloc})",
                    mid(&q)
                );
                if disloc == 0.0 {
                    calm += 1;
                } else if disloc.abs() > 1e-3 {
                    dislocated += 1;
                }
            }
        }
        assert!(cross_quotes > 10_000, "cross quotes: {cross_quotes}");
        assert!(calm > 1000, "quotes away from dislocations: {calm}");
        assert!(dislocated > 100, "quotes in a dislocation: {dislocated}");
    }

    #[test]
    fn a_demo_with_a_ratio_series_is_deterministic() {
        let cfg = cross_config();
        let catalog = cross_catalog();
        let eth_btc = catalog.instrument_by_name("ETH/BTC").expect("ETH/BTC");
        let a: Vec<MarketEvent> = cross_demo(&cfg, 3).take(20_000).collect();
        let b: Vec<MarketEvent> = cross_demo(&cfg, 3).take(20_000).collect();
        let c: Vec<MarketEvent> = cross_demo(&cfg, 4).take(20_000).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(
            a.iter()
                .any(|e| matches!(e, MarketEvent::Quote(q) if q.instrument == eth_btc))
        );
        // The cross listed first does not move the demo's clock.
        assert_eq!(cross_demo(&cfg, 3).start(), demo(3).start());

        // Resumed, it quotes on from where the series are.
        let after = demo(3).start().plus((5 * 3600 + 7) * SECOND);
        let resumed = |seed| {
            DemoMarket::resuming(
                &cfg,
                &defaults::section("risk.hours"),
                &catalog,
                Path::new("."),
                seed,
                after,
            )
            .expect("demo")
            .take(20_000)
            .collect::<Vec<MarketEvent>>()
        };
        let r = resumed(3);
        assert_eq!(r, resumed(3));
        assert!(
            r.iter().any(
                |e| matches!(e, MarketEvent::Quote(q) if q.instrument == eth_btc && q.is_sane())
            )
        );
    }

    #[test]
    fn validation_refuses_a_bad_ratio_series() {
        let catalog = cross_catalog();
        let check = |edit: &dyn Fn(&mut DemoSeriesConfig)| {
            let mut cfg = cross_config();
            edit(&mut cfg.series[0]);
            validate(&cfg, &catalog, None, &assets::is_bundled)
                .map_err(|e| (e.key.to_string(), e.message))
        };
        check(&|_| {}).expect("a good ratio series");
        let refused = |edit: &dyn Fn(&mut DemoSeriesConfig), key: &str, says: &str| {
            let (k, message) = check(edit).expect_err(key);
            assert_eq!(k, format!("market.demo.series[0].{key}"), "{message}");
            assert!(message.contains(says), "{key}: {message}");
        };
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        refused(
            &|s| s.ratio_of = names(&["SOL/USDT", "BTC/USDT"]),
            "ratio_of",
            "`SOL/USDT` is not another series",
        );
        refused(
            &|s| s.ratio_of = names(&["ETH/BTC", "BTC/USDT"]),
            "ratio_of",
            "`ETH/BTC` is not another series",
        );
        refused(
            &|s| s.ratio_of = names(&["ETH/USDT"]),
            "ratio_of",
            "names two series",
        );
        refused(
            &|s| s.ratio_of = names(&["ETH/USDT", "ETH/USDT"]),
            "ratio_of",
            "both `ETH/USDT`",
        );
        refused(
            &|s| s.file = "ethusdt_m1.csv".into(),
            "file",
            "has no bars of its own",
        );
        refused(
            &|s| s.history_h1 = "ethusdt_h1.csv".into(),
            "history_h1",
            "has no bars of its own",
        );

        // Unvalidated, the demo refuses it too instead of panicking.
        let mut cfg = cross_config();
        cfg.series[0].ratio_of = names(&["ETH/USDT", "SOL/USDT"]);
        let built = DemoMarket::new(
            &cfg,
            &defaults::section("risk.hours"),
            &catalog,
            Path::new("."),
            1,
        );
        assert!(matches!(built, Err(DemoError::Ratio { .. })));
    }
}
