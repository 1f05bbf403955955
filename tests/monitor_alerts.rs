//! The monitor on real parts: what it observes of a driver and its brokers
//! (agreement, an unreachable broker, a broker whose books differ), an
//! automatic kill trigger engaging the latched kill switch through the
//! engine thread with its name in the store and the log, and alerts POSTed
//! to a webhook server on 127.0.0.1.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/unreachable.rs"]
mod unreachable;

use omni_core::approval::config::ApprovalMode;
use omni_core::domain::time::SECOND;
use omni_core::domain::{AccountId, Order, OrderId, Timestamp};
use omni_core::engine::{Audit, Command, RestoredState};
use omni_core::execution::{
    Balance, Broker, BrokerError, BrokerPosition, ExecutionReport, OpenOrder,
};
use omni_tui::app::snapshot::MAX_SPEED;
use omni_tui::cockpit::run::PREROLL_SECS;
use omni_tui::engine_thread::{EngineThread, Extras, Pacing};
use omni_tui::metrics::EngineMetrics;
use omni_tui::monitor::observe::observe;
use omni_tui::monitor::rules::BrokerObs;
use omni_tui::monitor::webhook::{AlertBody, Webhook};
use omni_tui::setup;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use unreachable::Unreachable;

/// A broker that takes everything and remembers nothing: its books say
/// flat whatever was traded.
struct Forgetful;

impl Broker for Forgetful {
    fn name(&self) -> &str {
        "forgetful"
    }
    fn submit(&mut self, _: &Order, _: Timestamp) -> Result<(), BrokerError> {
        Ok(())
    }
    fn cancel(&mut self, _: AccountId, _: OrderId, _: Timestamp) -> Result<(), BrokerError> {
        Ok(())
    }
    fn cancel_all(&mut self, _: AccountId, _: Timestamp) -> Result<usize, BrokerError> {
        Ok(0)
    }
    fn open_orders(&self, _: AccountId) -> Result<Vec<OpenOrder>, BrokerError> {
        Ok(Vec::new())
    }
    fn positions(&self, _: AccountId) -> Result<Vec<BrokerPosition>, BrokerError> {
        Ok(Vec::new())
    }
    fn balances(&self, _: AccountId) -> Result<Vec<Balance>, BrokerError> {
        Ok(Vec::new())
    }
    fn advance(&mut self, _: Timestamp, _: &mut Vec<ExecutionReport>) {}
}

#[test]
fn the_monitor_sees_agreement_an_unreachable_broker_and_books_that_differ() {
    let loaded = common::load("");
    let mut driver = setup::demo_driver(&loaded, 5, RestoredState::default()).expect("driver");
    let mut audits: Vec<Audit> = Vec::new();
    driver
        .command(Command::SetApprovalMode(ApprovalMode::All), &mut audits)
        .expect("sink");
    // Trade until an account holds a position with no order in flight.
    let held = loop {
        assert!(driver.step(&mut audits).expect("sink"), "the demo ran out");
        assert!(driver.market_events() < 200_000, "nothing was held");
        let e = &driver.engine;
        let found = loaded.catalog.accounts.iter().find(|a| {
            e.portfolio().of_account(a.id).any(|p| !p.is_flat())
                && !e.working_orders().values().any(|o| o.account == a.id)
        });
        if let Some(a) = found {
            break a.clone();
        }
    };
    let now = driver.engine.clock();
    // The paper venue's books agree with the engine's on every account.
    let obs = observe(&driver, &[], now);
    for a in &obs.accounts {
        assert_eq!(a.broker, BrokerObs::Agrees, "{}", a.name);
    }
    let mine = obs
        .accounts
        .iter()
        .find(|a| a.name == held.name)
        .expect("row");
    assert!(mine.open_positions > 0 && mine.position_value > rust_decimal::Decimal::ZERO);

    driver.brokers.add(Box::new(Unreachable), &[held.id]);
    let obs = observe(&driver, &[], now);
    let mine = obs
        .accounts
        .iter()
        .find(|a| a.name == held.name)
        .expect("row");
    assert_eq!(
        mine.broker,
        BrokerObs::Down("unreachable unavailable: connection refused".into())
    );

    driver.brokers.add(Box::new(Forgetful), &[held.id]);
    let obs = observe(&driver, &[], now);
    let mine = obs
        .accounts
        .iter()
        .find(|a| a.name == held.name)
        .expect("row");
    match &mine.broker {
        BrokerObs::Differs(what) => assert!(what.contains("broker 0, engine"), "{what}"),
        other => panic!("expected a difference, got {other:?}"),
    }
}

#[test]
fn a_kill_trigger_engages_the_latched_kill_switch_named_and_alerts_reach_the_webhook() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (hook, seen) = http::serve(200);
    let overlay = format!(
        "[kill_triggers]\nmax_trades = 2\n[alerts]\nwebhook = \"http://{hook}/hooks/s3cret\"\n"
    );
    let loaded = common::load(&overlay);
    let db = dir.path().join("trigger.db");
    let (_, restored, store) = setup::open_store(Some(&db), &loaded, "test", 5).expect("store");
    let driver = setup::demo_driver(&loaded, 5, restored).expect("demo");
    let from = driver.market().start().plus(PREROLL_SECS * SECOND);
    let metrics = Arc::new(EngineMetrics::default());
    let monitor = loaded
        .config
        .monitor(metrics.clone(), "DEMO")
        .expect("monitor");
    let engine = EngineThread::spawn_with(
        driver,
        store,
        Pacing::Scaled {
            from,
            speed: MAX_SPEED,
            progress: None,
        },
        "DEMO".into(),
        Vec::new(),
        Extras {
            monitor: Some(monitor),
            metrics: metrics.clone(),
        },
    );
    engine
        .send(Command::SetApprovalMode(ApprovalMode::All))
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !engine.snapshots.borrow().kill_latched {
        assert!(Instant::now() < deadline, "the trigger never fired");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The webhook gets the trigger's alert, then the kill switch's (other
    // rules may speak in the same look, such as the binary account's
    // daily loss when approving everything).
    let mut bodies: Vec<serde_json::Value> = Vec::new();
    while !bodies.iter().any(|b| b["rule"] == "kill_switch") {
        assert!(bodies.len() < 8, "no kill switch alert among {bodies:?}");
        let s = seen
            .recv_timeout(Duration::from_secs(10))
            .expect("the webhook was called");
        assert_eq!(s.request_line, "POST /hooks/s3cret HTTP/1.1");
        assert!(
            s.headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("content-type: application/json")),
            "{:?}",
            s.headers
        );
        let v: serde_json::Value = serde_json::from_str(&s.body).expect("json");
        assert_eq!(v["source"], "DEMO");
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{v}");
        bodies.push(v);
    }
    let trigger = bodies
        .iter()
        .position(|b| b["rule"] == "kill_trigger")
        .expect("the trigger's alert");
    let switch = bodies
        .iter()
        .position(|b| b["rule"] == "kill_switch")
        .expect("the kill switch's alert");
    assert!(trigger < switch, "{bodies:?}");
    let text = bodies[trigger]["text"].as_str().expect("text");
    assert!(
        text.starts_with("kill trigger trades: ")
            && text.ends_with("entries today over every account (limit 2)"),
        "{text}"
    );
    engine.stop().expect("stop");
    assert!(metrics.webhook_sent.load(Ordering::Relaxed) >= bodies.len() as u64);

    let db = rusqlite::Connection::open(&db).expect("db");
    let (cmd, arg, origin, outcome): (String, String, String, String) = db
        .query_row(
            "SELECT command, argument, origin, outcome FROM commands WHERE command = 'kill_switch'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the trigger's command is stored");
    assert_eq!(
        (cmd.as_str(), arg.as_str(), origin.as_str()),
        ("kill_switch", "trades", "monitor")
    );
    assert!(outcome.starts_with("HALTED by trigger trades"), "{outcome}");
    let cause: String = db
        .query_row(
            "SELECT cause FROM trading_state_changes WHERE to_state = 'HALTED'",
            [],
            |r| r.get(0),
        )
        .expect("halted");
    assert_eq!(cause, "kill switch (trigger: trades)");
    // The trade log reads it in words, with the alerts.
    use omni_tui::app::log::{LogKind, PageFrom, read_kind_page};
    let rows = |kind| -> Vec<String> {
        read_kind_page(&db, kind, PageFrom::Newest, 50)
            .expect("log")
            .into_iter()
            .map(|(r, _)| r.text)
            .collect()
    };
    let commands = rows(LogKind::Command);
    assert!(
        commands.iter().any(
            |t| t.starts_with("kill trigger trades → HALTED by trigger trades")
                && t.ends_with("(automatic)")
        ),
        "{commands:?}"
    );
    let alerts = rows(LogKind::Alert);
    assert!(
        alerts
            .iter()
            .any(|t| t.starts_with("kill trigger trades: ")),
        "{alerts:?}"
    );
    assert!(
        alerts.iter().any(|t| t.starts_with("kill switch engaged")),
        "{alerts:?}"
    );
}

#[test]
fn a_webhook_that_refuses_or_is_not_there_is_counted_not_retried() {
    let metrics = Arc::new(EngineMetrics::default());
    let (addr, seen) = http::serve(500);
    let body = AlertBody {
        rule: "feed_down".into(),
        text: "feed binance down for 31 s with 1 position open".into(),
        time: "2026-12-01T00:00:00.000Z".into(),
        source: "LIVE".into(),
    };
    let hook = Webhook::start(&format!("http://{addr}/x"), metrics.clone()).expect("start");
    hook.send(body.clone());
    let s = seen.recv_timeout(Duration::from_secs(10)).expect("called");
    let v: serde_json::Value = serde_json::from_str(&s.body).expect("json");
    assert_eq!(v["text"], "feed binance down for 31 s with 1 position open");
    // Nobody listens on this port once the listener is dropped.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let dead = Webhook::start(&format!("http://{gone}/x"), metrics.clone()).expect("start");
    dead.send(body);
    let deadline = Instant::now() + Duration::from_secs(10);
    while metrics.webhook_failed.load(Ordering::Relaxed) < 2 {
        assert!(Instant::now() < deadline, "failures not counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(metrics.webhook_sent.load(Ordering::Relaxed), 0);
    assert!(
        seen.recv_timeout(Duration::from_millis(300)).is_err(),
        "no retry"
    );
}
