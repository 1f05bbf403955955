//! A venue's REST history on 127.0.0.1 for the back-fill tests: a real
//! HTTP/1.1 server (one request per connection) whose answers a test
//! scripts from the request; it records what was asked, and how many
//! requests were in flight at once. Also bar rows in each venue's format,
//! made up for any window so a back-fill can ask for whatever "now" means.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
}

impl Request {
    pub fn q(&self, k: &str) -> &str {
        self.query.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn int(&self, k: &str) -> i64 {
        self.q(k)
            .parse()
            .unwrap_or_else(|_| panic!("{k} in {:?}", self.query))
    }
}

/// What the server answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Status and JSON body.
    Json(u16, String),
    /// Read the request, then say nothing, ever.
    Hang,
    /// Answer after this many milliseconds.
    Late(u64, Box<Answer>),
}

pub type Handler = Arc<dyn Fn(&Request) -> Answer + Send + Sync>;

/// What the server saw.
#[derive(Clone, Default)]
pub struct Seen {
    pub requests: Arc<Mutex<Vec<Request>>>,
    in_flight: Arc<AtomicUsize>,
    /// Most requests in flight at one time.
    pub max_in_flight: Arc<AtomicUsize>,
}

/// Serves `handler` on a fresh port of 127.0.0.1 from a thread of its own.
pub fn spawn(handler: Handler) -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let s = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(l.local_addr().expect("addr")).expect("send addr");
            serve(l, handler, s).await;
        });
    });
    (rx.recv().expect("address"), seen)
}

async fn serve(l: TcpListener, handler: Handler, seen: Seen) {
    loop {
        let Ok((mut tcp, _)) = l.accept().await else {
            return;
        };
        let (handler, seen) = (handler.clone(), seen.clone());
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tcp.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let head = String::from_utf8_lossy(&buf).into_owned();
            let req = parse(&head);
            seen.requests.lock().expect("lock").push(req.clone());
            let mut answer = handler(&req);
            while let Answer::Late(ms, a) = answer {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                answer = *a;
            }
            match answer {
                Answer::Late(..) => {}
                Answer::Hang => {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                }
                Answer::Json(status, body) => {
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tcp.write_all(resp.as_bytes()).await;
                    let _ = tcp.shutdown().await;
                }
            }
            seen.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn parse(head: &str) -> Request {
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = q
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Request {
        path: path.to_string(),
        query,
        headers,
    }
}

/// A made-up bar opening at `open_ms`: a slow wave with some wiggle, so
/// indicators see movement; prices with two decimals, as text.
pub fn ohlcv(open_ms: i64) -> [String; 5] {
    let m = (open_ms / 60_000) as f64;
    let mid = 30_000.0 + 150.0 * (m / 37.0).sin() + 40.0 * (m / 5.0).cos();
    let open = mid;
    let close = mid + 12.0 * (m / 3.0).sin();
    let high = open.max(close) + 7.5;
    let low = open.min(close) - 6.25;
    [
        format!("{open:.2}"),
        format!("{high:.2}"),
        format!("{low:.2}"),
        format!("{close:.2}"),
        format!("{:.4}", 3.0 + (m / 11.0).sin()),
    ]
}

/// Open times (ms) of the bars of width `width_ms` from `from_ms` to
/// `to_ms` inclusive, at most `limit`, that opened by `now_ms` (the last
/// may still be forming, as venues send it).
pub fn opens(from_ms: i64, to_ms: i64, width_ms: i64, limit: usize, now_ms: i64) -> Vec<i64> {
    let first = (from_ms + width_ms - 1).div_euclid(width_ms) * width_ms;
    (0..)
        .map(|k| first + k * width_ms)
        .take_while(|t| *t <= to_ms && *t <= now_ms)
        .take(limit)
        .collect()
}

/// Binance's (and MEXC's) interval names, in milliseconds.
pub fn interval_ms(i: &str) -> i64 {
    match i {
        "1m" | "1" | "ONE_MINUTE" | "M1" => 60_000,
        "5m" | "5" => 300_000,
        "1h" | "60m" | "60" | "ONE_HOUR" | "H1" => 3_600_000,
        other => panic!("interval {other}"),
    }
}

/// A Binance `/api/v3/klines` answer for the request, as of `now_ms`.
pub fn binance_klines(r: &Request, now_ms: i64) -> String {
    let w = interval_ms(r.q("interval"));
    let rows: Vec<String> = opens(
        r.int("startTime"),
        r.int("endTime"),
        w,
        r.int("limit") as usize,
        now_ms,
    )
    .into_iter()
    .map(|t| {
        let [o, h, l, c, v] = ohlcv(t);
        format!(
            r#"[{t},"{o}","{h}","{l}","{c}","{v}",{},"1000.0",10,"1.0","30000.0","0"]"#,
            t + w - 1
        )
    })
    .collect();
    format!("[{}]", rows.join(","))
}
