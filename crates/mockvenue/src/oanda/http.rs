//! The REST side: one handler that counts the request, checks the Bearer
//! token and the account id, applies a queued fault, routes by hand and
//! answers in OANDA's shapes.

use super::book::Answer;
use super::trading::reject_message;
use super::{Endpoint, Fault, Shared, stream};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The most transactions one `sinceid` answer carries.
const SINCE_MAX: usize = 1000;

/// What a request asks for, once routed.
struct Call {
    endpoint: Endpoint,
    /// The account id in the path (empty outside `/v3/accounts/{id}`).
    account: String,
    /// The order specifier, instrument or transaction id in the path.
    arg: String,
    query: HashMap<String, String>,
}

pub(crate) async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = route(&method, &uri);
    {
        let mut st = sh.lock();
        *st.requests.entry(call.endpoint).or_insert(0) += 1;
        if st.log.len() >= super::REQUEST_LOG_MAX {
            st.log.pop_front();
        }
        st.log.push_back((call.endpoint, call.arg.clone()));
    }
    let expected = format!("Bearer {}", sh.token);
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(expected.as_str()) {
        let body = json!({ "errorMessage": "Insufficient authorization to perform request." });
        return reply((401, body));
    }
    if call.endpoint == Endpoint::Unknown {
        return reply((
            404,
            json!({ "errorMessage": format!("The path {} is not served", uri.path()) }),
        ));
    }
    if call.account != sh.account_id {
        return reply((
            404,
            json!({
                "errorCode": "NO_SUCH_ACCOUNT",
                "errorMessage": "The Account specified does not exist",
            }),
        ));
    }
    let fault = take_fault(&sh, call.endpoint);
    match &fault {
        Some(Fault::RateLimit { retry_after_s }) => {
            let body = json!({ "errorMessage": "Rate limit violation of 100 requests per second" });
            let mut r = reply((429, body));
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            return r;
        }
        Some(Fault::Reject(reason)) => return reply(reject(&sh, &call, &body, reason)),
        Some(Fault::Delay(ms)) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        _ => {}
    }
    if call.endpoint == Endpoint::Stream {
        return match fault {
            Some(Fault::ServerError(s)) => {
                reply((s, json!({ "errorMessage": "Internal server error" })))
            }
            Some(Fault::DropReply) => {
                std::panic::resume_unwind(Box::new("mock OANDA: stream dropped"))
            }
            _ => stream::open(sh),
        };
    }
    let answer = execute(&sh, &call, &body);
    match fault {
        // Ends the connection's task without an answer: the client sees
        // the connection closed after its request was carried out.
        // `resume_unwind` skips the panic hook, so nothing is printed.
        Some(Fault::DropReply) => std::panic::resume_unwind(Box::new("mock OANDA: reply dropped")),
        Some(Fault::ServerError(status)) => reply((
            status,
            json!({ "errorMessage": "An unexpected error occurred" }),
        )),
        _ => reply(answer),
    }
}

/// A scripted refusal, in the shape of the endpoint's own refusals.
fn reject(sh: &Shared, call: &Call, body: &[u8], reason: &str) -> Answer {
    let mut st = sh.lock();
    st.book.begin();
    match call.endpoint {
        Endpoint::PlaceOrder => {
            let parsed = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
            st.order_bodies.push(parsed.clone());
            let order = parsed.get("order").cloned().unwrap_or(Value::Null);
            st.book.reject_order(&order, reason)
        }
        Endpoint::CancelOrder => st.book.cancel_reject(&call.arg, reason),
        Endpoint::ClosePosition => st.book.close_reject(&[("long", reason)], 400),
        _ => (
            400,
            json!({ "errorCode": reason, "errorMessage": reject_message(reason) }),
        ),
    }
}

fn execute(sh: &Shared, call: &Call, body: &[u8]) -> Answer {
    let mut st = sh.lock();
    st.book.begin();
    let last = st.book.last_id();
    match call.endpoint {
        Endpoint::Summary => (200, st.book.summary_json()),
        Endpoint::Instruments => {
            let wanted: Option<Vec<&str>> = call
                .query
                .get("instruments")
                .map(|s| s.split(',').map(str::trim).collect());
            let list: Vec<Value> = st
                .book
                .instruments
                .values()
                .filter(|i| wanted.as_ref().is_none_or(|w| w.contains(&i.name.as_str())))
                .map(super::book::Book::instrument_json)
                .collect();
            (
                200,
                json!({ "instruments": list, "lastTransactionID": last }),
            )
        }
        Endpoint::PlaceOrder => {
            let Ok(parsed) = serde_json::from_slice::<Value>(body) else {
                return (
                    400,
                    json!({ "errorMessage": "Invalid JSON in the request body" }),
                );
            };
            st.order_bodies.push(parsed.clone());
            st.book.place(&parsed)
        }
        Endpoint::GetOrder => match st.book.find(&call.arg) {
            Some(i) => (
                200,
                json!({ "order": st.book.order_json(&st.book.orders[i]), "lastTransactionID": last }),
            ),
            None => (
                404,
                json!({
                    "errorCode": "NO_SUCH_ORDER",
                    "errorMessage": "The order ID specified does not exist",
                }),
            ),
        },
        Endpoint::CancelOrder => st.book.cancel(&call.arg),
        Endpoint::PendingOrders => {
            let list: Vec<Value> = st
                .book
                .orders
                .iter()
                .rev()
                .filter(|o| o.state == "PENDING")
                .map(|o| st.book.order_json(o))
                .collect();
            (200, json!({ "orders": list, "lastTransactionID": last }))
        }
        Endpoint::OpenTrades => {
            let list: Vec<Value> = st
                .book
                .trades
                .iter()
                .rev()
                .filter(|t| t.state == "OPEN")
                .map(|t| st.book.trade_json(t))
                .collect();
            (200, json!({ "trades": list, "lastTransactionID": last }))
        }
        Endpoint::OpenPositions => {
            let list: Vec<Value> = st
                .book
                .positions()
                .iter()
                .map(|p| st.book.position_json(p))
                .collect();
            (200, json!({ "positions": list, "lastTransactionID": last }))
        }
        Endpoint::ClosePosition => {
            let parsed = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
            st.book.close_position(&call.arg, &parsed)
        }
        Endpoint::TransactionsSince => {
            let Some(since) = call.query.get("id").and_then(|i| i.parse::<u64>().ok()) else {
                return (
                    400,
                    json!({ "errorMessage": "Invalid value specified for 'id'" }),
                );
            };
            let list: Vec<Value> = st
                .book
                .transactions
                .iter()
                .filter(|t| tx_id(t).is_some_and(|id| id > since))
                .take(SINCE_MAX)
                .cloned()
                .collect();
            (
                200,
                json!({ "transactions": list, "lastTransactionID": last }),
            )
        }
        Endpoint::Transaction => {
            let want = call.arg.parse::<u64>().ok();
            match st
                .book
                .transactions
                .iter()
                .find(|t| tx_id(t) == want && want.is_some())
            {
                Some(t) => (200, json!({ "transaction": t, "lastTransactionID": last })),
                None => (
                    404,
                    json!({
                        "errorCode": "NO_SUCH_TRANSACTION",
                        "errorMessage": "The Transaction ID specified does not exist",
                    }),
                ),
            }
        }
        Endpoint::Stream | Endpoint::Unknown | Endpoint::Any => (
            404,
            json!({ "errorMessage": "The requested path does not exist" }),
        ),
    }
}

fn tx_id(t: &Value) -> Option<u64> {
    t.get("id")?.as_str()?.parse().ok()
}

fn route(method: &Method, uri: &Uri) -> Call {
    let segments: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| decode(s, false))
        .collect();
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
    let unknown = || Call {
        endpoint: Endpoint::Unknown,
        account: String::new(),
        arg: String::new(),
        query: HashMap::new(),
    };
    let [v3, accounts, account, rest @ ..] = segments.as_slice() else {
        return unknown();
    };
    if v3 != "v3" || accounts != "accounts" {
        return unknown();
    }
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let (endpoint, arg) = match (method.as_str(), rest.as_slice()) {
        ("GET", ["summary"]) => (Endpoint::Summary, ""),
        ("GET", ["instruments"]) => (Endpoint::Instruments, ""),
        ("POST", ["orders"]) => (Endpoint::PlaceOrder, ""),
        ("GET", ["orders", spec]) => (Endpoint::GetOrder, *spec),
        ("PUT", ["orders", spec, "cancel"]) => (Endpoint::CancelOrder, *spec),
        ("GET", ["pendingOrders"]) => (Endpoint::PendingOrders, ""),
        ("GET", ["openTrades"]) => (Endpoint::OpenTrades, ""),
        ("GET", ["openPositions"]) => (Endpoint::OpenPositions, ""),
        ("PUT", ["positions", inst, "close"]) => (Endpoint::ClosePosition, *inst),
        ("GET", ["transactions", "sinceid"]) => (Endpoint::TransactionsSince, ""),
        ("GET", ["transactions", "stream"]) => (Endpoint::Stream, ""),
        ("GET", ["transactions", id]) => (Endpoint::Transaction, *id),
        _ => return unknown(),
    };
    Call {
        endpoint,
        account: account.clone(),
        arg: arg.to_string(),
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
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    // Two hex digits make at most 255.
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn take_fault(sh: &Shared, endpoint: Endpoint) -> Option<Fault> {
    let mut st = sh.lock();
    let i = st
        .faults
        .iter()
        .position(|(at, _)| *at == endpoint || *at == Endpoint::Any)?;
    st.faults.remove(i).map(|(_, f)| f)
}

fn reply(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(answer.1)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_with_their_arguments() {
        let r = |m: Method, p: &str| {
            let c = route(&m, &p.parse::<Uri>().unwrap());
            (c.endpoint, c.account, c.arg)
        };
        assert_eq!(
            r(Method::PUT, "/v3/accounts/101-1/orders/%40omni-1/cancel"),
            (Endpoint::CancelOrder, "101-1".into(), "@omni-1".into())
        );
        assert_eq!(
            r(Method::GET, "/v3/accounts/101-1/transactions/42"),
            (Endpoint::Transaction, "101-1".into(), "42".into())
        );
        assert_eq!(r(Method::GET, "/v2/account").0, Endpoint::Unknown);
        assert_eq!(decode("a%2Fb+c%", true), "a/b c%");
    }
}
