//! The MEXC connector against a server on 127.0.0.1 that speaks MEXC's
//! wire: JSON subscription requests answered by JSON acks, protobuf pushes
//! in binary frames, a malformed binary frame (counted, dropped, the
//! connection survives), PING answered by PONG, a dropped connection
//! (reconnect and resubscribe), pongs without data (MEXC's 60 s rule: the
//! connection is declared dead and replaced); then the recording of that
//! session replayed into the same events. And more than ten symbols on
//! more than one connection.

#[path = "common/mexc.rs"]
mod frames;

use frames::{catalog, catalog_of, deals, feeds, kline, symbol_map, ticker};
use futures_util::{SinkExt, StreamExt};
use omni_core::domain::{Aggressor, Timestamp};
use omni_core::market::MarketEvent;
use omni_feeds::ingest::{Outlet, Received};
use omni_feeds::record::Recorder;
use omni_feeds::replay::ReplaySource;
use omni_feeds::ws::{self, WsSpec};
use omni_feeds::{FeedState, FeedStats, VenueKind, mexc};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(10);

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

async fn accept(listener: &TcpListener) -> Ws {
    let (tcp, _) = timeout(T, listener.accept())
        .await
        .expect("a connection")
        .expect("accept");
    tokio_tungstenite::accept_async(tcp)
        .await
        .expect("handshake")
}

/// The next text frame that is not a PING (those may come at any time).
async fn next_request(ws: &mut Ws) -> String {
    loop {
        let m = timeout(T, ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("ok");
        if let Message::Text(t) = m
            && t.as_str() != mexc::PING
        {
            return t.to_string();
        }
    }
}

/// Reads `n` subscription requests and acknowledges each channel as MEXC
/// does; returns the requests.
async fn subscribe(ws: &mut Ws, n: usize) -> Vec<String> {
    let mut subs = Vec::new();
    for _ in 0..n {
        let s = next_request(ws).await;
        let v: serde_json::Value = serde_json::from_str(&s).expect("JSON");
        assert_eq!(v["method"], "SUBSCRIPTION", "{s}");
        for ch in v["params"].as_array().expect("params") {
            let ack = format!(
                r#"{{"id":0,"code":0,"msg":"{}"}}"#,
                ch.as_str().expect("a channel")
            );
            ws.send(Message::Text(ack.into())).await.expect("ack");
        }
        subs.push(s);
    }
    subs
}

/// Waits for the client's PING and answers PONG.
async fn ping_pong(ws: &mut Ws) {
    loop {
        let m = timeout(T, ws.next())
            .await
            .expect("a PING")
            .expect("open")
            .expect("ok");
        if matches!(&m, Message::Text(t) if t.as_str() == mexc::PING) {
            let pong = r#"{"id":0,"code":0,"msg":"PONG"}"#;
            ws.send(Message::Text(pong.into())).await.expect("pong");
            return;
        }
    }
}

async fn send_all(ws: &mut Ws, pushes: &[Vec<u8>]) {
    for p in pushes {
        ws.send(Message::Binary(p.clone().into()))
            .await
            .expect("send");
    }
}

async fn recv_n(rx: &mut mpsc::Receiver<Received>, n: usize) -> Vec<MarketEvent> {
    let mut v = Vec::new();
    while v.len() < n {
        match timeout(T, rx.recv()).await {
            Ok(Some(r)) => v.push(r.event),
            other => panic!("waited for {n} events, got {} ({other:?})", v.len()),
        }
    }
    v
}

/// The events a fresh parser makes of these pushes, receive times zeroed.
fn offline(pushes: &[Vec<u8>]) -> Vec<MarketEvent> {
    let mut p = VenueKind::Mexc.parser(symbol_map());
    let mut out = Vec::new();
    for f in pushes {
        p.parse_binary(f, Timestamp(0), &mut out);
    }
    out
}

/// An event with its receive time zeroed (live stamps differ by nature).
fn untimed(e: &MarketEvent) -> MarketEvent {
    match e {
        MarketEvent::Quote(q) => MarketEvent::Quote(omni_core::domain::Quote {
            ts: Timestamp(0),
            ..*q
        }),
        MarketEvent::Trade(t) => MarketEvent::Trade(omni_core::domain::Trade {
            ts: Timestamp(0),
            ..*t
        }),
        other => other.clone(),
    }
}

fn untimed_all(v: &[MarketEvent]) -> Vec<MarketEvent> {
    v.iter().map(untimed).collect()
}

/// MEXC's limits from the venue table, with test-sized times.
fn spec(url: &str, symbols: &[String]) -> WsSpec {
    let mut s = ws::venue_spec(
        VenueKind::Mexc,
        url,
        symbols,
        Duration::from_secs(5),
        4096,
        Duration::from_secs(3600),
    );
    assert_eq!(s.data_silence, Some(Duration::from_secs(60)), "MEXC's rule");
    assert_eq!(
        s.app_ping,
        Some((Duration::from_secs(20), mexc::PING.to_string()))
    );
    s.backoff = (Duration::from_millis(20), Duration::from_millis(100));
    s.app_ping = Some((Duration::from_millis(100), mexc::PING.to_string()));
    s.data_silence = Some(Duration::from_millis(1500));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mexc_session_live_then_replayed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    let symbols = vec!["BTCUSDT".to_string(), "ETHUSDT".to_string()];
    let spec = spec(&url, &symbols);
    let stats = Arc::new(FeedStats::new("mexc"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mexc.rec");
    let (recorder, writer) = Recorder::create(&path).expect("recorder");
    let (tx, mut rx) = mpsc::channel(4096);
    let (stop_tx, stop_rx) = watch::channel(false);
    let client = tokio::spawn(ws::run(
        spec.clone(),
        symbol_map(),
        stats.clone(),
        Outlet::new(tx, Default::default()),
        Some(recorder),
        stop_rx,
        1,
    ));
    // A minute five minutes back, so its bar closes before it is received.
    let now = chrono::Utc::now().timestamp();
    let m0 = (now / 60 - 5) * 60;

    // Connection 1: subscription and acks, pushes, a malformed push, PING
    // and PONG, more pushes; then the server drops the connection.
    let mut ws1 = accept(&listener).await;
    let subs1 = subscribe(&mut ws1, 2).await;
    assert_eq!(subs1, spec.subscribe);
    assert_eq!(
        subs1[0],
        r#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT","spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT","spot@public.kline.v3.api.pb@BTCUSDT@Min1"]}"#
    );
    assert!(subs1[1].contains("@100ms@ETHUSDT") && subs1[1].contains("pb@ETHUSDT@Min1"));
    let before = vec![
        ticker("BTCUSDT", "93387.28", "3.73485", "93387.29", "7.669875"),
        deals(
            "BTCUSDT",
            &[("93220.00", "0.04438243", 2), ("93220.01", "0.5", 1)],
        ),
        kline("BTCUSDT", m0, "93000"),
        kline("BTCUSDT", m0, "93158.47"),
        kline("BTCUSDT", m0 + 60, "93160"),
        ticker("ETHUSDT", "3301.5", "12.25", "3301.51", "0.1"),
    ];
    send_all(&mut ws1, &before).await;
    // Field 1 claims 127 bytes and has one: not a protobuf message.
    ws1.send(Message::Binary(vec![0x0a, 0x7f, 0x01].into()))
        .await
        .expect("send");
    ping_pong(&mut ws1).await;
    let after = vec![ticker("BTCUSDT", "93390.1", "0.001", "93390.2", "2")];
    send_all(&mut ws1, &after).await;
    let pushes1 = [before, after].concat();
    let expected1 = offline(&pushes1);
    let live1 = recv_n(&mut rx, expected1.len()).await;
    assert_eq!(untimed_all(&live1), expected1, "every event, in order");
    // Exact decimals, the sides of the deals, the closed minute.
    let MarketEvent::Quote(q) = &live1[0] else {
        panic!("{live1:?}")
    };
    assert_eq!(
        (q.bid, q.bid_qty, q.ask, q.ask_qty),
        (d("93387.28"), d("3.73485"), d("93387.29"), d("7.669875"))
    );
    assert_eq!(q.ask_qty.to_string(), "7.669875");
    assert!(matches!(&live1[1], MarketEvent::Trade(t)
        if t.price == d("93220.00") && t.qty == d("0.04438243") && t.aggressor == Aggressor::Sell));
    assert!(matches!(&live1[2], MarketEvent::Trade(t) if t.aggressor == Aggressor::Buy));
    assert!(matches!(&live1[3], MarketEvent::Bar(b)
        if b.open_ts == Timestamp::from_secs(m0) && b.close == d("93158.47") && b.volume == d("36.83803224")));
    assert!(matches!(&live1[4], MarketEvent::Quote(q) if q.bid == d("3301.5")));
    assert_eq!(live1.len(), 6);
    let h = stats.health();
    assert_eq!(h.dropped, 1, "the malformed push: {h:?}");
    assert!(h.last_error.contains("protobuf"), "{h:?}");
    assert_eq!(h.state, FeedState::Connected);
    drop(ws1);

    // Connection 2: the client comes back and subscribes to the same things.
    let mut ws2 = accept(&listener).await;
    let subs2 = subscribe(&mut ws2, 2).await;
    assert_eq!(subs1, subs2, "resubscribed to everything");
    let pushes2 = vec![
        ticker("BTCUSDT", "93400", "1", "93400.01", "2.5"),
        deals("ETHUSDT", &[("3302", "1.5", 1)]),
    ];
    send_all(&mut ws2, &pushes2).await;
    let live2 = recv_n(&mut rx, 2).await;
    assert_eq!(untimed_all(&live2), offline(&pushes2));
    assert!(stats.health().reconnects >= 1);

    // PONGs but no data: past the data rule the client gives up on this
    // connection (the pongs do not keep it) and opens a third.
    let mut pongs = 0;
    loop {
        match timeout(T, ws2.next()).await.expect("the client acts") {
            Some(Ok(Message::Text(t))) if t.as_str() == mexc::PING => {
                let pong = r#"{"id":0,"code":0,"msg":"PONG"}"#;
                if ws2.send(Message::Text(pong.into())).await.is_err() {
                    break;
                }
                pongs += 1;
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    assert!(pongs >= 3, "pongs kept flowing ({pongs}) and still it left");
    let mut ws3 = accept(&listener).await;
    assert_eq!(subscribe(&mut ws3, 2).await, subs1);
    let h = stats.health();
    assert!(h.last_error.contains("no market data"), "{h:?}");
    assert!(h.reconnects >= 2, "{h:?}");
    stop_tx.send(true).expect("stop");
    timeout(T, client).await.expect("stops").expect("no panic");
    drop(ws3);

    // The recording replays into the very events the connection produced,
    // receive times included.
    let lines = writer.finish().expect("recording written");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.lines().any(|l| l.contains(" mexc:b64 ")),
        "binary lines"
    );
    assert!(
        text.lines()
            .any(|l| l.ends_with(r#"{"id":0,"code":0,"msg":"PONG"}"#))
    );
    let instruments = frames::INSTRUMENTS.map(String::from);
    let replay = ReplaySource::open(&[path], None, &catalog(), &feeds(&url, &instruments))
        .expect("replay opens");
    let replay_stats = replay.stats();
    let replayed: Vec<MarketEvent> = replay.collect();
    assert_eq!(replayed, [live1, live2].concat(), "replay is exact");
    let rh = replay_stats[0].health();
    assert_eq!(rh.messages, lines, "every recorded frame was read: {rh:?}");
    assert_eq!(rh.dropped, 1, "the malformed push again: {rh:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_ten_symbols_open_more_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    let names: Vec<String> = (0..13).map(|i| format!("C{i}/USDT")).collect();
    let cat = catalog_of(&names);
    let (live, _source) =
        omni_feeds::live::start(&feeds(&url, &names), 7, &cat, None).expect("starts");
    let mut channels = Vec::new();
    let mut per_connection = Vec::new();
    let mut conns = Vec::new();
    for _ in 0..2 {
        let mut ws = accept(&listener).await;
        // This connection's requests: all sent on connect, then quiet.
        let mut mine = Vec::new();
        let mut first = Some(next_request(&mut ws).await);
        while let Some(s) = first.take() {
            let v: serde_json::Value = serde_json::from_str(&s).expect("JSON");
            for ch in v["params"].as_array().expect("params") {
                mine.push(ch.as_str().expect("a channel").to_string());
            }
            if let Ok(Some(Ok(Message::Text(t)))) =
                timeout(Duration::from_millis(500), ws.next()).await
            {
                first = Some(t.to_string());
            }
        }
        per_connection.push(mine.len());
        channels.extend(mine);
        conns.push(ws);
    }
    per_connection.sort();
    assert_eq!(
        per_connection,
        [9, 30],
        "10 symbols on one connection, 3 on the other"
    );
    channels.sort();
    channels.dedup();
    assert_eq!(channels.len(), 39, "3 channels for each of 13 symbols");
    assert!(
        timeout(Duration::from_millis(300), listener.accept())
            .await
            .is_err(),
        "two connections, no more"
    );
    live.stop();
}
