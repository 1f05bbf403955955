//! `kill -9` at random moments, 100 times, while the order manager sends
//! orders to the local Binance mock; after each, a restart on the same
//! database reconciles with the venue, and the database must agree with the
//! venue's truth: no order at the venue the journal does not know (ghost),
//! no client id placed twice, no order left unresolved, every execution
//! recorded exactly once, and SQLite's integrity check clean.
//!
//! The whole loop is bounded: it fails once it has run longer than
//! [`TIME_LIMIT`].
//!
//! The test binary is its own child: `kill_loop_child` (ignored, and a
//! no-op unless `OMNI_KILL_LOOP_CHILD` is set) runs the sending loop.

#[path = "support/order.rs"]
mod support;

use omni_core::domain::{AccountId, InstrumentId, Order, OrderType, Side, Timestamp, VenueId};
use omni_core::execution::{Broker, ExecutionReport};
use omni_live::binance::{BinanceConfig, BinanceSpot};
use omni_live::journal::{Journal, JournalState};
use omni_live::{Credentials, LiveBroker, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::binance::MockBinance;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "kill-loop-key";
const SECRET: &str = "kill-loop-secret";
const CHILD_ENV: &str = "OMNI_KILL_LOOP_CHILD";
const KILLS: usize = 100;
/// The whole loop, kills, restarts and checks, must end within this.
const TIME_LIMIT: Duration = Duration::from_secs(120);

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn broker(rest: &str, ws: &str, db: &Path) -> LiveBroker {
    let api = BinanceSpot::new(BinanceConfig {
        rest_url: rest.into(),
        ws_api_url: ws.into(),
        request_timeout: Duration::from_secs(2),
        not_found_grace: Duration::from_millis(100),
        ..BinanceConfig::testnet(Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        })
    })
    .expect("adapter");
    let mut s = LiveSettings::new(
        AccountId(0),
        "USDT",
        vec![LiveInstrument {
            id: InstrumentId(0),
            name: "BTC/USDT".into(),
            venue: VenueId(0),
            min_qty: d("0.00001"),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_secs(2);
    s.resolve_first = Duration::from_millis(50);
    s.absent_for = Duration::from_millis(300);
    LiveBroker::start(api, s).expect("broker")
}

fn market(id: u64, side: Side) -> Order {
    support::order(id, 0, side, OrderType::Market, d("0.001"), None, d("60000"))
}

/// The child: sends market orders, alternately buying and selling, until
/// it is killed.
#[test]
#[ignore = "the kill loop's child process; runs only when the loop starts it"]
fn kill_loop_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('|');
    let (Some(rest), Some(ws), Some(db)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("bad {CHILD_ENV}");
    };
    let db = Path::new(db);
    let next = Journal::open(db)
        .expect("journal")
        .orders("binance")
        .expect("orders")
        .iter()
        .map(|o| o.order_id)
        .max()
        .unwrap_or(0)
        + 1;
    let mut b = broker(rest, ws, db);
    let mut sink = Vec::new();
    for id in next.. {
        let side = if id % 2 == 0 { Side::Buy } else { Side::Sell };
        let _ = b.submit(&market(id, side), Timestamp(1));
        std::thread::sleep(Duration::from_millis(4));
        b.advance(Timestamp(1), &mut sink);
        sink.clear();
    }
}

/// A tiny deterministic generator for the kill moments.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Restarts on the database and waits until the journal has no
/// unfinished order (reconciliation done).
fn recover(rest: &str, ws: &str, db: &Path) {
    let mut b = broker(rest, ws, db);
    let j = Journal::open(db).expect("journal");
    let start = Instant::now();
    let mut sink: Vec<ExecutionReport> = Vec::new();
    loop {
        b.advance(Timestamp(1), &mut sink);
        let open = j.unfinished("binance").expect("unfinished");
        if open.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not reconciled after 15 s: {open:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check(mock: &MockBinance, db: &Path, round: usize) {
    let j = Journal::open(db).expect("journal");
    let journal: BTreeMap<String, _> = j
        .orders("binance")
        .expect("orders")
        .into_iter()
        .map(|o| (o.client_id.clone(), o))
        .collect();
    let venue: Vec<_> = mock
        .orders()
        .into_iter()
        .filter(|o| o.client_id.starts_with("om"))
        .collect();
    let mut seen = BTreeSet::new();
    for o in &venue {
        assert!(
            seen.insert(o.client_id.clone()),
            "round {round}: {} placed twice",
            o.client_id
        );
        let Some(row) = journal.get(&o.client_id) else {
            panic!("round {round}: ghost order {} at the venue", o.client_id);
        };
        assert_eq!(
            row.state,
            JournalState::Filled,
            "round {round}: {} is {} at the venue",
            o.client_id,
            o.status
        );
        assert_eq!(row.filled, o.executed, "round {round}: {}", o.client_id);
    }
    for (id, row) in &journal {
        if !seen.contains(id) {
            assert_eq!(
                row.state,
                JournalState::Rejected,
                "round {round}: {id} never reached the venue but is {:?}",
                row.state
            );
        }
    }
    // Every execution at the venue recorded once; none invented.
    let trades: BTreeSet<(String, String)> = mock
        .trades()
        .into_iter()
        .filter(|t| t.client_id.starts_with("om"))
        .map(|t| (t.client_id, t.id.to_string()))
        .collect();
    let mut fills = BTreeSet::new();
    for id in journal.keys() {
        for f in j.fills_of(id).expect("fills") {
            assert!(
                fills.insert((f.client_id.clone(), f.trade_id.clone())),
                "round {round}: fill {} twice",
                f.trade_id
            );
        }
    }
    assert_eq!(
        fills, trades,
        "round {round}: journal fills vs venue trades"
    );
    let conn = rusqlite::Connection::open(db).expect("db");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(ok, "ok", "round {round}");
}

#[test]
fn a_hundred_kill_9s_never_lose_double_or_invent_an_order_or_a_fill() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mock = rt.block_on(MockBinance::start(KEY, SECRET));
    mock.set_price("BTCUSDT", d("60000"));
    mock.set_balance("USDT", d("1000000"));
    mock.set_balance("BTC", d("100"));
    let (rest, ws) = (mock.rest_url(), mock.ws_url());
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kill.db");
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = Lcg(0x5eed);
    let started = Instant::now();
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["--exact", "kill_loop_child", "--ignored", "--nocapture"])
            .env(CHILD_ENV, format!("{rest}|{ws}|{}", db.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("child");
        std::thread::sleep(Duration::from_millis(30 + rng.below(150)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        // A hundred restarts in a minute spend far more request weight
        // than a minute of trading; each round starts a fresh venue minute.
        mock.set_used_weight(0);
        recover(&rest, &ws, &db);
        check(&mock, &db, round);
        assert!(
            started.elapsed() < TIME_LIMIT,
            "round {round}: {} kills took over {} s",
            round + 1,
            TIME_LIMIT.as_secs()
        );
    }
    let placed = mock
        .orders()
        .iter()
        .filter(|o| o.client_id.starts_with("om"))
        .count();
    // The loop did trade: kills landed among live orders, not before them.
    assert!(placed >= KILLS, "only {placed} orders in {KILLS} rounds");
    eprintln!(
        "{KILLS} kills, {placed} orders at the venue, {} s",
        started.elapsed().as_secs()
    );
    drop(rt);
}
