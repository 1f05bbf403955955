//! The REST side: one handler that counts the request, checks the keys,
//! applies a queued fault, routes by hand (Alpaca's paths hold a `:` and
//! encoded slashes that a router would mangle) and answers with
//! `X-Ratelimit-*` headers.

use super::book::Book;
use super::clock::now_rfc3339;
use super::{Endpoint, Fault, Shared};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Requests per minute, as Alpaca allows.
const LIMIT: u64 = 200;

/// What a request asks for, once routed.
struct Call {
    endpoint: Endpoint,
    /// The id or symbol in the path.
    arg: String,
    query: HashMap<String, String>,
}

/// An answer before headers: status and body (`None` for 204).
type Answer = (u16, Option<Value>);

pub(crate) async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = route(&method, &uri);
    let (remaining, reset) = count(&sh, call.endpoint);
    let rate = [
        ("x-ratelimit-limit", LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
    ];
    let key = headers.get("apca-api-key-id").and_then(|v| v.to_str().ok());
    let secret = headers
        .get("apca-api-secret-key")
        .and_then(|v| v.to_str().ok());
    if key != Some(sh.key_id.as_str()) || secret != Some(sh.secret.as_str()) {
        return reply((403, Some(json!({ "message": "forbidden." }))), &rate);
    }
    let fault = take_fault(&sh, call.endpoint);
    match &fault {
        Some(Fault::RateLimit { reset_in_s }) => {
            let reset = epoch_s() + reset_in_s;
            let headers = [
                ("x-ratelimit-limit", LIMIT.to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", reset.to_string()),
                ("retry-after", reset_in_s.to_string()),
            ];
            let body = json!({ "code": 42910000, "message": "rate limit exceeded" });
            return reply((429, Some(body)), &headers);
        }
        Some(Fault::Reject {
            status,
            code,
            message,
        }) => {
            let body = json!({ "code": code, "message": message });
            return reply((*status, Some(body)), &rate);
        }
        Some(Fault::Delay(ms)) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        _ => {}
    }
    let answer = execute(&sh, &call, &body, fault.as_ref());
    match fault {
        Some(Fault::DropReplyAfterExecute) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            reply((500, None), &rate)
        }
        Some(Fault::ServerError(504)) => {
            let mut r = (
                StatusCode::GATEWAY_TIMEOUT,
                "<html><body><h1>504 Gateway Time-out</h1></body></html>",
            )
                .into_response();
            add_headers(&mut r, &rate);
            r
        }
        Some(Fault::ServerError(status)) => {
            let body = json!({ "code": 50010000, "message": "internal server error occurred" });
            reply((status, Some(body)), &rate)
        }
        _ => reply(answer, &rate),
    }
}

fn execute(sh: &Shared, call: &Call, body: &[u8], fault: Option<&Fault>) -> Answer {
    let mut st = sh.lock();
    let q = |k: &str| call.query.get(k).map(String::as_str);
    match call.endpoint {
        Endpoint::Account => (200, Some(st.book.account_json())),
        Endpoint::Clock => (
            200,
            Some(json!({
                "timestamp": now_rfc3339(),
                "is_open": true,
                "next_open": "2030-01-02T14:30:00Z",
                "next_close": "2030-01-02T21:00:00Z",
            })),
        ),
        Endpoint::Asset => match st.book.asset_json(&call.arg) {
            Some(a) => (200, Some(a)),
            None => not_found(&format!("asset not found for {}", call.arg)),
        },
        Endpoint::PlaceOrder => {
            let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
                return (
                    400,
                    Some(json!({ "code": 40010000, "message": "request body format is invalid" })),
                );
            };
            st.order_bodies.push(parsed.clone());
            match st.book.place(&parsed) {
                Ok(order) => (200, Some(order)),
                Err((status, body)) => (status, Some(body)),
            }
        }
        Endpoint::ListOrders => (200, Some(list_orders(&st.book, &call.query))),
        Endpoint::QueryOrder => {
            let cid = q("client_order_id").unwrap_or("");
            match st.book.index_by_client_id(cid) {
                Some(i) => (200, Some(st.book.order_json(&st.book.orders[i], true))),
                None => not_found("order not found"),
            }
        }
        Endpoint::GetOrder => match st.book.index_by_id(&call.arg) {
            Some(i) => (200, Some(st.book.order_json(&st.book.orders[i], true))),
            None => not_found("order not found"),
        },
        Endpoint::CancelOrder => match st.book.cancel(&call.arg) {
            Ok(()) => (204, None),
            Err((status, body)) => (status, Some(body)),
        },
        Endpoint::CancelAll => {
            let mut items = st.book.cancel_all();
            if fault == Some(&Fault::GoneOrder) {
                items.push(json!({
                    "id": "72249bb6-6c89-4ea7-b8cf-73f1a140812b",
                    "status": 404,
                    "body": { "code": 40410000, "message": "order not found" },
                }));
            }
            (207, Some(Value::Array(items)))
        }
        Endpoint::Positions => {
            let list: Vec<Value> = st
                .book
                .positions
                .values()
                .map(|p| st.book.position_json(p))
                .collect();
            (200, Some(Value::Array(list)))
        }
        Endpoint::ClosePositions => {
            let held: Vec<String> = match fault {
                Some(Fault::HeldForOrders(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            let items = st.book.close_all(q("cancel_orders") == Some("true"), &held);
            (207, Some(Value::Array(items)))
        }
        Endpoint::Activities => (200, Some(activities(&st.book, &call.query))),
        Endpoint::Unknown | Endpoint::Any => not_found("endpoint not found"),
    }
}

fn not_found(message: &str) -> Answer {
    (404, Some(json!({ "code": 40410000, "message": message })))
}

/// `GET /v2/orders?status=open|closed|all&limit=&nested=`, newest first.
fn list_orders(book: &Book, query: &HashMap<String, String>) -> Value {
    let status = query.get("status").map_or("open", String::as_str);
    let nested = query.get("nested").is_some_and(|n| n == "true");
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .min(500);
    let list: Vec<Value> = book
        .orders
        .iter()
        .rev()
        .filter(|o| !nested || o.parent.is_none())
        .filter(|o| match status {
            "open" => o.is_open(),
            "closed" => !o.is_open(),
            _ => true,
        })
        .take(limit)
        .map(|o| book.order_json(o, nested))
        .collect();
    Value::Array(list)
}

/// `GET /v2/account/activities/FILL`: newest first unless
/// `direction=asc`, `page_size` (≤ 100), `page_token` = last id seen.
fn activities(book: &Book, query: &HashMap<String, String>) -> Value {
    let size = query
        .get("page_size")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let asc = query.get("direction").is_some_and(|d| d == "asc");
    let mut list: Vec<_> = book.fills.iter().collect();
    if !asc {
        list.reverse();
    }
    let start = query
        .get("page_token")
        .and_then(|t| list.iter().position(|f| &f.id == t))
        .map_or(0, |i| i + 1);
    Value::Array(
        list.iter()
            .skip(start)
            .take(size)
            .map(|f| Book::fill_json(f))
            .collect(),
    )
}

fn route(method: &Method, uri: &Uri) -> Call {
    let path = decode(uri.path(), false);
    let query = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k, true), decode(v, true))
        })
        .collect();
    // Ids and symbols are one raw segment, decoded on their own: a
    // symbol's slash must arrive encoded (`BTC%2FUSD`), as Alpaca needs.
    let raw = uri.path();
    let tail = |prefix: &str| {
        raw.strip_prefix(prefix)
            .filter(|t| !t.is_empty() && !t.contains('/'))
            .map(|t| decode(t, false))
    };
    let (endpoint, arg) = match (method.as_str(), path.as_str()) {
        ("GET", "/v2/account") => (Endpoint::Account, None),
        ("GET", "/v2/clock") => (Endpoint::Clock, None),
        ("POST", "/v2/orders") => (Endpoint::PlaceOrder, None),
        ("GET", "/v2/orders") => (Endpoint::ListOrders, None),
        ("DELETE", "/v2/orders") => (Endpoint::CancelAll, None),
        ("GET", "/v2/orders:by_client_order_id") => (Endpoint::QueryOrder, None),
        ("GET", "/v2/positions") => (Endpoint::Positions, None),
        ("DELETE", "/v2/positions") => (Endpoint::ClosePositions, None),
        ("GET", "/v2/account/activities/FILL") => (Endpoint::Activities, None),
        ("GET", _) if tail("/v2/assets/").is_some() => (Endpoint::Asset, tail("/v2/assets/")),
        ("GET", _) if tail("/v2/orders/").is_some() => (Endpoint::GetOrder, tail("/v2/orders/")),
        ("DELETE", _) if tail("/v2/orders/").is_some() => {
            (Endpoint::CancelOrder, tail("/v2/orders/"))
        }
        _ => (Endpoint::Unknown, None),
    };
    Call {
        endpoint,
        arg: arg.unwrap_or_default(),
        query,
    }
}

/// Percent-decoding (and `+` as space in a query); invalid escapes stay.
fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        // Two hex digits make at most 255.
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Counts the request and returns the window's remaining budget and reset.
fn count(sh: &Shared, endpoint: Endpoint) -> (u64, u64) {
    let now = epoch_s();
    let mut st = sh.lock();
    *st.requests.entry(endpoint).or_insert(0) += 1;
    let window = now - now % 60;
    if st.window.0 != window {
        st.window = (window, 0);
    }
    st.window.1 += 1;
    (LIMIT.saturating_sub(st.window.1), window + 60)
}

fn take_fault(sh: &Shared, endpoint: Endpoint) -> Option<Fault> {
    let mut st = sh.lock();
    let i = st
        .faults
        .iter()
        .position(|(at, _)| *at == endpoint || *at == Endpoint::Any)?;
    st.faults.remove(i).map(|(_, f)| f)
}

fn epoch_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn reply(answer: Answer, headers: &[(&'static str, String)]) -> Response {
    let status = StatusCode::from_u16(answer.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = match answer.1 {
        Some(body) => (status, axum::Json(body)).into_response(),
        None => status.into_response(),
    };
    add_headers(&mut r, headers);
    r
}

fn add_headers(r: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(*name, v);
        }
    }
}
