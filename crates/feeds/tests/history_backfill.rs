//! The start-up back-fill against servers on 127.0.0.1 that answer in each
//! venue's REST format: Binance and MEXC klines, Bybit klines (newest
//! first, in an envelope), Kraken OHLC (seconds, a forming last row),
//! Coinbase candles (at most 350 a request), OANDA mid candles (a bearer
//! token, a `complete` flag). Bars reach the channel as history, oldest
//! first, complete only, with exact decimals; an unreadable row is counted
//! and left out; an error body or a venue that never answers leaves the
//! feed cold with the reason in its health, in bounded time.

#[path = "common/rest_venue.rs"]
mod rest;

use omni_core::domain::time::MINUTE;
use omni_core::domain::{Bar, InstrumentId, Timeframe, Timestamp};
use omni_core::market::MarketEvent;
use omni_feeds::history::{self, Backfill, BackfillConfig, BackfillReport, Endpoint, VenuePlan};
use omni_feeds::ingest::{Outlet, Received};
use omni_feeds::{FeedStats, ReceiveClock, VenueKind};
use rest::{Answer, Request, Seen, ohlcv, opens};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const HOUR: i64 = 60 * MINUTE;
/// "Now" for every test: 10:37:20 on some day.
const NOW_SECS: i64 = 1_764_671_840;

fn now() -> Timestamp {
    Timestamp::from_secs(NOW_SECS)
}

fn now_ms() -> i64 {
    NOW_SECS * 1000
}

fn config(timeout_secs: f64) -> BackfillConfig {
    BackfillConfig {
        enabled: true,
        m1_bars: 120,
        h1_bars: 5,
        timeout_secs,
    }
}

/// Runs one venue's back-fill for `symbols` against `base`; returns what
/// reached the channel, the report and the feed's counters.
fn backfill(
    kind: VenueKind,
    base: String,
    token: &str,
    symbols: &[&str],
    cfg: BackfillConfig,
) -> (Vec<Received>, BackfillReport, Arc<FeedStats>) {
    let plan = Backfill {
        config: cfg,
        venues: vec![VenuePlan {
            endpoint: Endpoint {
                kind,
                base,
                token: token.to_string(),
            },
            instruments: symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (InstrumentId(i as u16), s.to_string()))
                .collect(),
        }],
    };
    let stats = Arc::new(FeedStats::new(kind.name()));
    let clock = ReceiveClock::new(Arc::new(now));
    let (tx, mut rx) = tokio::sync::mpsc::channel(100_000);
    let out = Outlet::new(tx, clock.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let reports = rt.block_on(history::run(
        &plan,
        &clock,
        &out,
        std::slice::from_ref(&stats),
    ));
    drop(out);
    let mut got = Vec::new();
    while let Ok(r) = rx.try_recv() {
        got.push(r);
    }
    let report = reports.into_iter().next().expect("one report");
    (got, report, stats)
}

fn bars(got: &[Received]) -> Vec<Bar> {
    got.iter()
        .map(|r| match &r.event {
            MarketEvent::History(b) => *b,
            other => panic!("not history: {other:?}"),
        })
        .collect()
}

/// The minutes asked for with `config`: from 08:00 to 10:37 (157), and the
/// five hours before 08:00.
const MINUTES: usize = 157;
const HOURS: usize = 5;

/// Checks the shape every venue's back-fill must have: the hours, then the
/// minutes, oldest first, complete by now, none twice, exact decimals.
fn check_shape(b: &[Bar], minutes: usize) {
    let close = |b: &Bar| b.open_ts.plus(b.timeframe.nanos());
    assert!(
        b.windows(2).all(|w| close(&w[0]) <= close(&w[1])),
        "oldest first"
    );
    assert!(b.iter().all(|x| close(x) <= now()), "only complete bars");
    let h1: Vec<&Bar> = b.iter().filter(|x| x.timeframe == Timeframe::H1).collect();
    let m1: Vec<&Bar> = b.iter().filter(|x| x.timeframe == Timeframe::M1).collect();
    assert_eq!(h1.len(), HOURS);
    assert_eq!(m1.len(), minutes);
    assert_eq!(h1.len() + m1.len(), b.len());
    let m1_from = now().floor_to(MINUTE).plus(-120 * MINUTE).floor_to(HOUR);
    assert_eq!(m1[0].open_ts, m1_from, "minutes start on the hour");
    assert_eq!(
        close(h1[HOURS - 1]),
        m1_from,
        "hours end where minutes start"
    );
    assert!(b.iter().take(HOURS).all(|x| x.timeframe == Timeframe::H1));
    // Exact decimals: what the server wrote, to the digit.
    let first = m1[0];
    let [o, h, l, c, _] = ohlcv(first.open_ts.nanos() / 1_000_000);
    let d = |s: &str| Decimal::from_str(s).expect("decimal");
    assert_eq!(
        (first.open, first.high, first.low, first.close),
        (d(&o), d(&h), d(&l), d(&c))
    );
}

#[test]
fn binance_klines_arrive_as_history_oldest_first_one_request_at_a_time() {
    let (addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        assert_eq!(r.path, "/api/v3/klines");
        let body = rest::binance_klines(r, now_ms());
        // One malformed row on the minute page.
        let body = if r.q("interval") == "1m" {
            body.replacen('[', r#"[[1,"oops"],"#, 1)
        } else {
            body
        };
        Answer::Json(200, body)
    }));
    let (got, report, stats) = backfill(
        VenueKind::Binance,
        format!("http://{addr}"),
        "",
        &["BTCUSDT"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    check_shape(&bars(&got), MINUTES);
    assert_eq!(report.bad_rows, 1);
    let h = stats.health();
    assert_eq!(h.history, (MINUTES + HOURS) as u64);
    assert_eq!(h.dropped, 1, "the unreadable row is counted");
    assert!(
        h.last_error.contains("1 unreadable rows"),
        "{}",
        h.last_error
    );
    assert!(got.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(seen.max_in_flight.load(Ordering::SeqCst), 1);
    let asked = seen.requests.lock().expect("lock");
    assert!(
        asked
            .iter()
            .all(|r| r.q("symbol") == "BTCUSDT" && r.int("limit") <= 1000)
    );
}

#[test]
fn several_instruments_are_merged_oldest_first() {
    let (addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        Answer::Json(200, rest::binance_klines(r, now_ms()))
    }));
    let (got, report, _) = backfill(
        VenueKind::Binance,
        format!("http://{addr}"),
        "",
        &["BTCUSDT", "ETHUSDT"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    let b = bars(&got);
    assert_eq!(b.len(), 2 * (MINUTES + HOURS));
    for inst in [InstrumentId(0), InstrumentId(1)] {
        let one: Vec<Bar> = b.iter().filter(|x| x.instrument == inst).copied().collect();
        check_shape(&one, MINUTES);
    }
    // Across instruments too: never a bar closing before one already handed over.
    let close = |b: &Bar| b.open_ts.plus(b.timeframe.nanos());
    assert!(b.windows(2).all(|w| close(&w[0]) <= close(&w[1])));
    assert_eq!(seen.max_in_flight.load(Ordering::SeqCst), 1);
}

#[test]
fn the_whole_back_fill_has_one_deadline() {
    // Each answer takes 300 ms; four instruments need eight of them.
    let (addr, _) = rest::spawn(Arc::new(|r: &Request| {
        Answer::Late(
            300,
            Box::new(Answer::Json(200, rest::binance_klines(r, now_ms()))),
        )
    }));
    let t0 = Instant::now();
    let (got, report, stats) = backfill(
        VenueKind::Binance,
        format!("http://{addr}"),
        "",
        &["AUSDT", "BUSDT", "CUSDT", "DUSDT"],
        config(1.0),
    );
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(1_800), "{took:?}");
    // The first instrument made it; the rest start cold.
    assert!(report.bars >= MINUTES + HOURS, "{report:?}");
    assert!(bars(&got).iter().all(|b| b.instrument != InstrumentId(3)));
    assert!(
        stats.health().last_error.contains("timeout"),
        "{:?}",
        stats.health()
    );
}

#[test]
fn an_error_body_starts_the_venue_cold_with_the_reason() {
    let (addr, _) = rest::spawn(Arc::new(|_: &Request| {
        Answer::Json(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#.into())
    }));
    let (got, report, stats) = backfill(
        VenueKind::Binance,
        format!("http://{addr}"),
        "",
        &["NOPEUSDT"],
        config(5.0),
    );
    assert!(got.is_empty());
    assert_eq!(report.bars, 0);
    let e = stats.health().last_error;
    assert!(
        e.contains("Invalid symbol. (code -1121)") && e.contains("started cold"),
        "{e}"
    );
}

#[test]
fn a_venue_that_never_answers_times_out_and_starts_cold() {
    let (addr, _) = rest::spawn(Arc::new(|_: &Request| Answer::Hang));
    let t0 = Instant::now();
    let (got, _, stats) = backfill(
        VenueKind::Binance,
        format!("http://{addr}"),
        "",
        &["BTCUSDT", "ETHUSDT"],
        config(0.5),
    );
    let took = t0.elapsed();
    assert!(got.is_empty());
    assert!(took < Duration::from_secs(3), "bounded: {took:?}");
    let e = stats.health().last_error;
    assert!(e.contains("timeout") && e.contains("started cold"), "{e}");
}

#[test]
fn mexc_klines_use_mexc_interval_names() {
    let (addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        assert_eq!(r.path, "/api/v3/klines");
        assert!(["1m", "60m"].contains(&r.q("interval")), "{:?}", r.query);
        // MEXC rows stop after the quote volume.
        let w = rest::interval_ms(r.q("interval"));
        let rows: Vec<String> = opens(r.int("startTime"), r.int("endTime"), w, 1000, now_ms())
            .into_iter()
            .map(|t| {
                let [o, h, l, c, v] = ohlcv(t);
                format!(r#"[{t},"{o}","{h}","{l}","{c}","{v}",{},"100.0"]"#, t + w)
            })
            .collect();
        Answer::Json(200, format!("[{}]", rows.join(",")))
    }));
    let (got, report, _) = backfill(
        VenueKind::Mexc,
        format!("http://{addr}"),
        "",
        &["BTCUSDT"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    check_shape(&bars(&got), MINUTES);
    assert!(!seen.requests.lock().expect("lock").is_empty());
}

#[test]
fn bybit_klines_newest_first_in_their_envelope() {
    let (addr, _) = rest::spawn(Arc::new(|r: &Request| {
        assert_eq!(
            (r.path.as_str(), r.q("category")),
            ("/v5/market/kline", "spot")
        );
        let w = rest::interval_ms(r.q("interval"));
        let mut rows: Vec<String> = opens(
            r.int("start"),
            r.int("end"),
            w,
            r.int("limit") as usize,
            now_ms(),
        )
        .into_iter()
        .map(|t| {
            let [o, h, l, c, v] = ohlcv(t);
            format!(r#"["{t}","{o}","{h}","{l}","{c}","{v}","1.5"]"#)
        })
        .collect();
        rows.reverse();
        Answer::Json(
            200,
            format!(
                r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"spot","symbol":"{}","list":[{}]}},"retExtInfo":{{}},"time":{}}}"#,
                r.q("symbol"),
                rows.join(","),
                now_ms()
            ),
        )
    }));
    let (got, report, _) = backfill(
        VenueKind::Bybit,
        format!("http://{addr}"),
        "",
        &["BTCUSDT"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    check_shape(&bars(&got), MINUTES);

    let (addr, _) = rest::spawn(Arc::new(|_: &Request| {
        Answer::Json(200, r#"{"retCode":10001,"retMsg":"Not supported symbols","result":{},"retExtInfo":{},"time":1}"#.into())
    }));
    let (got, _, stats) = backfill(
        VenueKind::Bybit,
        format!("http://{addr}"),
        "",
        &["NOPE"],
        config(5.0),
    );
    assert!(got.is_empty());
    assert!(stats.health().last_error.contains("Not supported symbols"));
}

#[test]
fn kraken_ohlc_in_seconds_without_the_forming_row() {
    let (addr, _) = rest::spawn(Arc::new(|r: &Request| {
        assert_eq!(
            (r.path.as_str(), r.q("pair")),
            ("/0/public/OHLC", "XBTUSDT")
        );
        let w = r.int("interval") * 60_000;
        // Everything since `since` up to now, the forming bar last; at most 720.
        let all = opens(
            (r.int("since") + 1) * 1000,
            now_ms(),
            w,
            usize::MAX,
            now_ms(),
        );
        let keep = &all[all.len().saturating_sub(720)..];
        let rows: Vec<String> = keep
            .iter()
            .map(|t| {
                let [o, h, l, c, v] = ohlcv(*t);
                format!(r#"[{},"{o}","{h}","{l}","{c}","{c}","{v}",12]"#, t / 1000)
            })
            .collect();
        Answer::Json(
            200,
            format!(
                r#"{{"error":[],"result":{{"XBTUSDT":[{}],"last":{}}}}}"#,
                rows.join(","),
                NOW_SECS
            ),
        )
    }));
    let (got, report, _) = backfill(
        VenueKind::Kraken,
        format!("http://{addr}"),
        "",
        &["BTC/USDT"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    check_shape(&bars(&got), MINUTES);
}

#[test]
fn coinbase_candles_are_paged_under_its_limit() {
    let (addr, seen) = rest::spawn(Arc::new(|r: &Request| {
        assert_eq!(r.path, "/api/v3/brokerage/market/products/BTC-USD/candles");
        let w = rest::interval_ms(r.q("granularity"));
        let (start, end) = (r.int("start") * 1000, r.int("end") * 1000);
        if (end - start) / w + 1 > 350 {
            return Answer::Json(
                400,
                r#"{"error":"INVALID_ARGUMENT","error_details":"number of candles requested should be less than 350","message":"number of candles requested should be less than 350"}"#.into(),
            );
        }
        let mut rows: Vec<String> = opens(start, end, w, 350, now_ms())
            .into_iter()
            .map(|t| {
                let [o, h, l, c, v] = ohlcv(t);
                format!(r#"{{"start":"{}","low":"{l}","high":"{h}","open":"{o}","close":"{c}","volume":"{v}"}}"#, t / 1000)
            })
            .collect();
        rows.reverse();
        Answer::Json(200, format!(r#"{{"candles":[{}]}}"#, rows.join(",")))
    }));
    let cfg = BackfillConfig {
        m1_bars: 400,
        ..config(5.0)
    };
    let (got, report, _) = backfill(
        VenueKind::Coinbase,
        format!("http://{addr}"),
        "",
        &["BTC-USD"],
        cfg,
    );
    assert!(report.errors.is_empty(), "{report:?}");
    let b = bars(&got);
    // 400 minutes before 10:37 is 03:57: from 03:00, 457 minutes.
    assert_eq!(
        b.iter().filter(|x| x.timeframe == Timeframe::M1).count(),
        457
    );
    let minute_pages = seen
        .requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.q("granularity") == "ONE_MINUTE")
        .count();
    assert_eq!(minute_pages, 2, "457 minutes in pages of at most 300");
}

fn oanda_server() -> (std::net::SocketAddr, Seen) {
    rest::spawn(Arc::new(|r: &Request| {
        if r.headers.get("authorization").map(String::as_str) != Some("Bearer secret") {
            return Answer::Json(
                401,
                r#"{"errorMessage":"Insufficient authorization to perform request."}"#.into(),
            );
        }
        assert_eq!(r.path, "/v3/instruments/EUR_USD/candles");
        assert_eq!(r.q("price"), "M");
        let t = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(r.q(k))
                .unwrap_or_else(|e| panic!("{k}: {e}"))
                .timestamp_millis()
        };
        let w = rest::interval_ms(r.q("granularity"));
        let last_minute = now_ms() / 60_000 * 60_000 - 60_000;
        let rows: Vec<String> = opens(t("from"), t("to"), w, 5000, now_ms())
            .into_iter()
            .map(|ms| {
                let [o, h, l, c, _] = ohlcv(ms);
                let time = chrono::DateTime::from_timestamp_millis(ms)
                    .expect("time")
                    .format("%Y-%m-%dT%H:%M:%S.000000000Z");
                // This venue still calls the last minute forming.
                let complete = !(w == 60_000 && ms == last_minute);
                format!(r#"{{"complete":{complete},"volume":42,"time":"{time}","mid":{{"o":"{o}","h":"{h}","l":"{l}","c":"{c}"}}}}"#)
            })
            .collect();
        Answer::Json(
            200,
            format!(
                r#"{{"instrument":"EUR_USD","granularity":"{}","candles":[{}]}}"#,
                r.q("granularity"),
                rows.join(",")
            ),
        )
    }))
}

#[test]
fn oanda_mid_candles_with_the_token_and_never_an_incomplete_one() {
    let (addr, _) = oanda_server();
    let (got, report, _) = backfill(
        VenueKind::Oanda,
        format!("http://{addr}"),
        "secret",
        &["EUR_USD"],
        config(5.0),
    );
    assert!(report.errors.is_empty(), "{report:?}");
    let b = bars(&got);
    check_shape(&b, MINUTES - 1);
    let forming = now().floor_to(MINUTE).plus(-MINUTE);
    assert!(
        b.iter().all(|x| x.open_ts != forming),
        "complete:false is left out"
    );
    assert!(b.iter().all(|x| x.volume == Decimal::from(42)));

    let (got, _, stats) = backfill(
        VenueKind::Oanda,
        format!("http://{addr}"),
        "wrong",
        &["EUR_USD"],
        config(5.0),
    );
    assert!(got.is_empty());
    let e = stats.health().last_error;
    assert!(
        e.contains("401") && e.contains("Insufficient authorization"),
        "{e}"
    );
}
