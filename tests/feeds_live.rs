//! Every connector against a server on 127.0.0.1 that speaks the venue's
//! own format: the subscribe handshake, normal frames (real captures for
//! Binance), pings, malformed and oversized frames (counted, dropped, the
//! connection survives), a dropped connection (reconnect and resubscribe),
//! and silence (the connection is declared dead and replaced).

use futures_util::{SinkExt, StreamExt};
use omni_core::domain::Timestamp;
use omni_core::market::{MarketEvent, Ring};
use omni_feeds::http_stream::{self, HttpSpec};
use omni_feeds::ingest::{Outlet, Received, RingSlot};
use omni_feeds::ws::{self, WsSpec};
use omni_feeds::{FeedState, FeedStats, VenueKind};
use omni_tui::config::ConfigOrigin;
use omni_tui::config::parse_str;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(10);

/// All five venues, so every symbol maps.
const CONFIG: &str = r#"
routes = []

[[venues]]
name = "binance"
taker_fee_pct = 0.1
maker_fee_pct = 0.1
order_latency_ms = 50
[[venues]]
name = "kraken"
taker_fee_pct = 0.1
maker_fee_pct = 0.1
order_latency_ms = 50
[[venues]]
name = "coinbase"
taker_fee_pct = 0.1
maker_fee_pct = 0.1
order_latency_ms = 50
[[venues]]
name = "bybit"
taker_fee_pct = 0.1
maker_fee_pct = 0.1
order_latency_ms = 50
[[venues]]
name = "oanda"
taker_fee_pct = 0.1
maker_fee_pct = 0.1
order_latency_ms = 50

[[instruments]]
name = "BTC/USDT"
class = "crypto"
tick_size = 0.01
lot_size = 0.00001
min_qty = 0.00001
venues = ["binance", "kraken", "coinbase", "bybit"]
[[instruments]]
name = "EUR/USD"
class = "forex"
tick_size = 0.00001
lot_size = 1
min_qty = 1
venues = ["oanda"]

[[accounts]]
name = "a"
type = "spot"
profile = "balanced"
currency = "USDT"
balance = 10000
broker = "paper"

[market.demo]
series = []
venues = []

[feeds.binance]
symbols = ["BTC/USDT"]
[feeds.kraken]
symbols = ["BTC/USDT"]
[feeds.coinbase]
symbols = ["BTC/USDT"]
[feeds.bybit]
symbols = ["BTC/USDT"]
[feeds.oanda]
symbols = ["EUR/USD"]
"#;

fn catalog() -> (omni_tui::config::Config, omni_core::domain::Catalog) {
    let l = parse_str(
        CONFIG,
        ConfigOrigin::File("t.toml".into()),
        PathBuf::from("."),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (l.config, l.catalog)
}

/// The frames a parser makes of these texts, to compare with what arrived.
fn offline(kind: VenueKind, frames: &[String]) -> Vec<MarketEvent> {
    let (cfg, cat) = catalog();
    let mut p = kind.parser(
        kind.symbol_map(&cat, &cfg.feeds[&kind].symbols)
            .expect("map"),
    );
    let mut out = Vec::new();
    for f in frames {
        p.parse(f, Timestamp(0), &mut out);
    }
    out
}

/// Market events without their receive times (those differ by nature).
fn shape(events: &[MarketEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            MarketEvent::Quote(q) => format!(
                "Q {:?} {} {} {} {}",
                q.instrument, q.bid, q.bid_qty, q.ask, q.ask_qty
            ),
            MarketEvent::Trade(t) => format!("T {:?} {} {}", t.instrument, t.price, t.qty),
            MarketEvent::Bar(b) | MarketEvent::History(b) => {
                format!("B {:?} {:?} {}", b.instrument, b.open_ts, b.close)
            }
            MarketEvent::Depth(d) => format!(
                "D {:?} {} bids {} asks",
                d.instrument,
                d.bids.len(),
                d.asks.len()
            ),
        })
        .collect()
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

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn accept(listener: &TcpListener) -> Ws {
    let (tcp, _) = timeout(T, listener.accept())
        .await
        .expect("a connection")
        .expect("accept");
    tokio_tungstenite::accept_async(tcp)
        .await
        .expect("handshake")
}

/// Reads text frames until `n` subscription messages have come (answering
/// application pings as the venue would).
async fn read_subscribes(ws: &mut Ws, n: usize) -> Vec<String> {
    let mut subs = Vec::new();
    while subs.len() < n {
        let m = timeout(T, ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("ok");
        if let Message::Text(t) = m {
            subs.push(t.to_string());
        }
    }
    subs
}

struct Case {
    kind: VenueKind,
    frames: Vec<String>,
    malformed: String,
    /// Answer to the venue's application ping, if it has one.
    pong: Option<String>,
}

fn spec(kind: VenueKind, url: String) -> WsSpec {
    let symbols = vec![kind.symbol("BTC/USDT")];
    let mut s = ws::venue_spec(
        kind,
        &url,
        &symbols,
        Duration::from_millis(1000),
        4096,
        Duration::from_secs(3600),
    );
    s.backoff = (Duration::from_millis(20), Duration::from_millis(100));
    if let Some((_, p)) = s.app_ping.clone() {
        s.app_ping = Some((Duration::from_millis(100), p));
    }
    s
}

/// Counts rings: the engine's thread sleeps until a feed rings.
#[derive(Debug, Default)]
struct CountRings(AtomicUsize);

impl Ring for CountRings {
    fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn run_case(case: Case) {
    let (cfg, cat) = catalog();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    let spec = spec(case.kind, url);
    let map = case
        .kind
        .symbol_map(&cat, &cfg.feeds[&case.kind].symbols)
        .expect("map");
    let stats = Arc::new(FeedStats::new(case.kind.name()));
    let (tx, mut rx) = mpsc::channel(4096);
    let (stop_tx, stop_rx) = watch::channel(false);
    let rings = Arc::new(CountRings::default());
    let slot = RingSlot::default();
    slot.set(rings.clone()).expect("empty slot");
    let client = tokio::spawn(ws::run(
        spec.clone(),
        map,
        stats.clone(),
        Outlet::with_ring(tx, Default::default(), slot),
        None,
        stop_rx,
        1,
    ));
    let expected = shape(&offline(case.kind, &case.frames));
    assert!(!expected.is_empty(), "the frames make events");

    // Connection 1: handshake, data, a ping, bad frames, more data, then the
    // server drops the connection.
    let mut ws1 = accept(&listener).await;
    let subs1 = read_subscribes(&mut ws1, spec.subscribe.len()).await;
    for f in &case.frames {
        ws1.send(Message::Text(f.clone().into()))
            .await
            .expect("send");
    }
    ws1.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("ping");
    ws1.send(Message::Text(case.malformed.clone().into()))
        .await
        .expect("send");
    let oversized = format!("{{\"x\":\"{}\"}}", "y".repeat(10_000));
    ws1.send(Message::Text(oversized.into()))
        .await
        .expect("send");
    ws1.send(Message::Binary(vec![0xff, 0xfe, 0x00].into()))
        .await
        .expect("send");
    for f in &case.frames {
        ws1.send(Message::Text(f.clone().into()))
            .await
            .expect("send");
    }
    let got = recv_n(&mut rx, 2 * expected.len()).await;
    // The first round's frames rang before the second round's events came;
    // one ring per frame with events, never one per event.
    let rung = rings.0.load(Ordering::SeqCst);
    assert!(
        (1..=2 * case.frames.len()).contains(&rung),
        "{rung} rings for {} frames",
        2 * case.frames.len()
    );
    let mut twice = expected.clone();
    twice.extend(expected.clone());
    assert_eq!(
        shape(&got),
        twice,
        "every event, in order, around the bad frames"
    );
    // The client answered our ping (tungstenite does so on its next read).
    let mut ponged = false;
    let mut app_pinged = case.pong.is_none();
    let deadline = tokio::time::Instant::now() + T;
    while !(ponged && app_pinged) && tokio::time::Instant::now() < deadline {
        match timeout(Duration::from_millis(300), ws1.next()).await {
            Ok(Some(Ok(Message::Pong(p)))) => ponged = p.as_ref() == b"are you there",
            Ok(Some(Ok(Message::Text(t)))) if case.pong.is_some() && t.contains("ping") => {
                app_pinged = true;
                let pong = case.pong.clone().unwrap_or_default();
                ws1.send(Message::Text(pong.into())).await.expect("pong");
            }
            Ok(Some(Ok(_))) => {}
            _ => {
                // Nudge the client to read (and so to flush its pong).
                ws1.send(Message::Text(case.frames[0].clone().into()))
                    .await
                    .expect("send");
                let _ = recv_n(&mut rx, offline(case.kind, &case.frames[..1]).len()).await;
            }
        }
    }
    assert!(ponged, "the client answered the server's ping");
    assert!(app_pinged, "the client sent its application ping");
    let h = stats.health();
    assert_eq!(
        h.dropped, 3,
        "malformed, oversized and binary garbage: {h:?}"
    );
    assert_eq!(h.state, FeedState::Connected);
    drop(ws1);

    // Connection 2: the client comes back and subscribes to the same things.
    let mut ws2 = accept(&listener).await;
    let subs2 = read_subscribes(&mut ws2, spec.subscribe.len()).await;
    assert_eq!(subs1, subs2, "resubscribed to everything");
    for f in &case.frames {
        ws2.send(Message::Text(f.clone().into()))
            .await
            .expect("send");
    }
    let got = recv_n(&mut rx, expected.len()).await;
    assert_eq!(shape(&got), expected);
    assert!(stats.health().reconnects >= 1);

    // Silence beyond twice the heartbeat: the client gives up on this
    // connection and opens a third.
    let ws3 = timeout(T, accept(&listener))
        .await
        .expect("a reconnect after silence");
    let h = stats.health();
    assert!(h.reconnects >= 2, "{h:?}");
    assert!(
        h.last_error.contains("silent") || h.last_error.contains("closed"),
        "{h:?}"
    );
    drop(ws2);
    drop(ws3);
    stop_tx.send(true).expect("stop");
    timeout(T, client).await.expect("stops").expect("no panic");
}

fn capture_lines(n: usize) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data/ws_captures/binance_spot/spot_btcusdt_20240808.gz");
    let f = std::fs::File::open(&path).expect("the capture fixture");
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    use std::io::BufRead;
    r.lines()
        .map(|l| l.expect("line"))
        .filter_map(|l| l.split_once(' ').map(|(_, j)| j.to_string()))
        .filter(|j| j.contains("@bookTicker") || j.contains("@trade"))
        .take(n)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_combined_stream() {
    let mut frames = capture_lines(40);
    frames.push(r#"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":1723161240000,"T":1723161299999,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"61830.0","c":"61837.63","h":"61840.1","l":"61820.5","v":"12.5","n":3,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}}"#.into());
    run_case(Case {
        kind: VenueKind::Binance,
        frames,
        malformed: r#"{"stream":"btcusdt@bookTicker","data":{"s":"BTCUSDT","b":"x"}}"#.into(),
        pong: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_v2_ticker() {
    let tick = |bid: &str, ask: &str| {
        format!(
            r#"{{"channel":"ticker","type":"update","data":[{{"symbol":"BTC/USDT","bid":{bid},"bid_qty":0.5,"ask":{ask},"ask_qty":1.25,"last":{bid},"volume":997.9,"vwap":{bid},"low":1,"high":2,"change":0.1,"change_pct":0.01}}]}}"#
        )
    };
    run_case(Case {
        kind: VenueKind::Kraken,
        frames: vec![
            r#"{"channel":"status","type":"update","data":[{"version":"2.0.0","system":"online","api_version":"v2","connection_id":1}]}"#.into(),
            r#"{"method":"subscribe","result":{"channel":"ticker","snapshot":true,"symbol":"BTC/USDT"},"success":true,"time_in":"2024-01-01T00:00:00.000000Z","time_out":"2024-01-01T00:00:00.000100Z","req_id":1}"#.into(),
            tick("61837.6", "61837.7"),
            r#"{"channel":"heartbeat"}"#.into(),
            tick("61837.61234567", "61838.1"),
        ],
        malformed: r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USDT","bid":"oops"}]}"#.into(),
        pong: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_ticker_and_heartbeats() {
    let tick = |n: u64, bid: &str| {
        format!(
            r#"{{"channel":"ticker","client_id":"","timestamp":"2024-01-01T00:00:00Z","sequence_num":{n},"events":[{{"type":"update","tickers":[{{"type":"ticker","product_id":"BTC-USDT","price":"{bid}","volume_24_h":"1","low_24_h":"1","high_24_h":"2","low_52_w":"1","high_52_w":"2","price_percent_chg_24_h":"0.1","best_bid":"{bid}","best_bid_quantity":"0.5","best_ask":"61900","best_ask_quantity":"1.5"}}]}}]}}"#
        )
    };
    run_case(Case {
        kind: VenueKind::Coinbase,
        frames: vec![
            r#"{"channel":"subscriptions","client_id":"","timestamp":"2024-01-01T00:00:00Z","sequence_num":0,"events":[{"subscriptions":{"ticker":["BTC-USDT"]}}]}"#.into(),
            tick(1, "61837.6"),
            r#"{"channel":"heartbeats","client_id":"","timestamp":"2024-01-01T00:00:01Z","sequence_num":2,"events":[{"current_time":"2024-01-01 00:00:01","heartbeat_counter":"1"}]}"#.into(),
            tick(3, "61837.7"),
        ],
        malformed: r#"{"channel":"ticker","events":[{"tickers":[{"product_id":"BTC-USDT"}]}]}"#.into(),
        pong: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_orderbook_and_pings() {
    run_case(Case {
        kind: VenueKind::Bybit,
        frames: vec![
            r#"{"success":true,"ret_msg":"","conn_id":"c1","req_id":"","op":"subscribe"}"#.into(),
            r#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["61837.6","2.1"]],"a":[["61837.7","0.3"]],"u":10,"seq":100},"cts":1}"#.into(),
            r#"{"topic":"orderbook.1.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["61837.6","0"],["61837.5","1.0"]],"a":[],"u":11,"seq":101},"cts":2}"#.into(),
        ],
        malformed: r#"{"topic":"orderbook.1.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","b":[["NaNx","1"]],"a":[]}}"#.into(),
        pong: Some(r#"{"success":true,"ret_msg":"pong","conn_id":"c1","op":"ping"}"#.into()),
    })
    .await;
}

/// OANDA: a chunked HTTP server, lines split across chunks on purpose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oanda_pricing_stream() {
    let (cfg, cat) = catalog();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v3", listener.local_addr().expect("addr"));
    let url = http_stream::pricing_url(&base, "101-001-1", &["EUR_USD".to_string()]);
    let spec = HttpSpec {
        url,
        token: "test-token-0123".into(),
        dead_after: Duration::from_millis(800),
        max_frame: 2048,
        backoff: (Duration::from_millis(20), Duration::from_millis(100)),
    };
    let map = VenueKind::Oanda
        .symbol_map(&cat, &cfg.feeds[&VenueKind::Oanda].symbols)
        .expect("map");
    let stats = Arc::new(FeedStats::new("oanda"));
    let (tx, mut rx) = mpsc::channel(1024);
    let (stop_tx, stop_rx) = watch::channel(false);
    let client = tokio::spawn(http_stream::run(
        spec,
        map,
        stats.clone(),
        Outlet::new(tx, Default::default()),
        None,
        stop_rx,
        1,
    ));
    let price = |bid: &str| {
        format!(
            r#"{{"type":"PRICE","time":"2024-01-01T00:00:00.000000000Z","bids":[{{"price":"{bid}","liquidity":10000000}}],"asks":[{{"price":"1.09012","liquidity":10000000}}],"closeoutBid":"{bid}","closeoutAsk":"1.09012","status":"tradeable","tradeable":true,"instrument":"EUR_USD"}}"#
        )
    };
    async fn serve(listener: &TcpListener, body_lines: &[String], keep_open: bool) -> String {
        let (mut tcp, _) = timeout(T, listener.accept())
            .await
            .expect("connect")
            .expect("accept");
        let mut req = vec![0u8; 4096];
        let n = tcp.read(&mut req).await.expect("request");
        let req = String::from_utf8_lossy(&req[..n]).to_string();
        tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .expect("head");
        let body: String = body_lines.iter().map(|l| format!("{l}\n")).collect();
        // Split the body at awkward places: lines cross chunk boundaries.
        for chunk in body.as_bytes().chunks(37) {
            let frame = format!("{:x}\r\n", chunk.len());
            tcp.write_all(frame.as_bytes()).await.expect("chunk");
            tcp.write_all(chunk).await.expect("chunk");
            tcp.write_all(b"\r\n").await.expect("chunk");
        }
        tcp.flush().await.expect("flush");
        if keep_open {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        req
    }
    let lines = vec![
        price("1.09001"),
        r#"{"type":"HEARTBEAT","time":"2024-01-01T00:00:05.000000000Z"}"#.to_string(),
        "this is not json".to_string(),
        format!(r#"{{"type":"PRICE","pad":"{}"}}"#, "z".repeat(5000)),
        price("1.09002"),
    ];
    let req = serve(&listener, &lines, false).await;
    assert!(
        req.starts_with("GET /v3/accounts/101-001-1/pricing/stream?instruments=EUR_USD HTTP/1.1"),
        "{req}"
    );
    assert!(
        req.contains("authorization: Bearer test-token-0123")
            || req.contains("Authorization: Bearer test-token-0123"),
        "{req}"
    );
    let got = recv_n(&mut rx, 2).await;
    assert_eq!(
        shape(&got),
        shape(&offline(
            VenueKind::Oanda,
            &[price("1.09001"), price("1.09002")]
        ))
    );
    // The server ended the stream: the client reconnects and gets data again.
    let server = tokio::spawn(async move {
        serve(&listener, &[price("1.09003")], true).await;
    });
    let got = recv_n(&mut rx, 1).await;
    assert_eq!(
        shape(&got),
        shape(&offline(VenueKind::Oanda, &[price("1.09003")]))
    );
    let h = stats.health();
    assert_eq!(h.dropped, 2, "a bad line and an oversized one: {h:?}");
    assert!(h.reconnects >= 1);
    stop_tx.send(true).expect("stop");
    timeout(T, client).await.expect("stops").expect("no panic");
    server.abort();
}

/// Unplugging a server shows reconnecting; plugging it back in (same port)
/// resumes the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplug_and_plug_back() {
    let (cfg, cat) = catalog();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut spec = spec(VenueKind::Binance, format!("ws://{addr}"));
    spec.backoff = (Duration::from_millis(100), Duration::from_millis(300));
    let map = VenueKind::Binance
        .symbol_map(&cat, &cfg.feeds[&VenueKind::Binance].symbols)
        .expect("map");
    let stats = Arc::new(FeedStats::new("binance"));
    let (tx, mut rx) = mpsc::channel(1024);
    let (stop_tx, stop_rx) = watch::channel(false);
    let client = tokio::spawn(ws::run(
        spec.clone(),
        map,
        stats.clone(),
        Outlet::new(tx, Default::default()),
        None,
        stop_rx,
        3,
    ));
    let frames = capture_lines(5);
    let mut ws = accept(&listener).await;
    read_subscribes(&mut ws, 1).await;
    for f in &frames {
        ws.send(Message::Text(f.clone().into()))
            .await
            .expect("send");
    }
    recv_n(&mut rx, 5).await;
    // Unplug: no server at all.
    drop(ws);
    drop(listener);
    let t0 = std::time::Instant::now();
    while stats.state() != FeedState::Reconnecting {
        assert!(t0.elapsed() < T, "never showed reconnecting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        stats.state(),
        FeedState::Reconnecting,
        "still trying while unplugged"
    );
    // Plug back in on the same port.
    let listener = TcpListener::bind(addr).await.expect("rebind");
    let mut ws = accept(&listener).await;
    read_subscribes(&mut ws, 1).await;
    for f in &frames {
        ws.send(Message::Text(f.clone().into()))
            .await
            .expect("send");
    }
    recv_n(&mut rx, 5).await;
    assert_eq!(stats.state(), FeedState::Connected);
    stop_tx.send(true).expect("stop");
    timeout(T, client).await.expect("stops").expect("no panic");
}
