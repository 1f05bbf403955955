//! The mock's REST side: one handler that counts the request, applies
//! queued faults, checks Binance's authentication and dispatches by
//! method and path, answering in Binance's shapes and error bodies.

use super::book::{Book, NewOrder, f8};
use super::{Fault, Shared, lock};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// An answer: status and JSON body.
type Reply = (StatusCode, Value);

fn err(status: StatusCode, code: i64, msg: &str) -> Reply {
    (status, json!({"code": code, "msg": msg}))
}

fn bad(code: i64, msg: &str) -> Reply {
    err(StatusCode::BAD_REQUEST, code, msg)
}

/// Decodes `%XX` and `+` in a query component.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_params(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    fn need(&self, k: &str) -> Result<&str, Reply> {
        self.get(k).filter(|v| !v.is_empty()).ok_or_else(|| {
            bad(
                -1102,
                &format!("Mandatory parameter '{k}' was not sent, was empty/null, or malformed."),
            )
        })
    }

    fn dec(&self, k: &str) -> Result<Option<Decimal>, Reply> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v.parse::<Decimal>().map(Some).map_err(|_| {
                bad(
                    -1100,
                    &format!(
                        "Illegal characters found in parameter '{k}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."
                    ),
                )
            }),
        }
    }
}

fn weight_of(method: &Method, path: &str, p: &Params) -> u64 {
    match (method.as_str(), path) {
        ("GET", "/api/v3/exchangeInfo" | "/api/v3/myTrades" | "/api/v3/account") => 20,
        ("GET", "/api/v3/order") => 4,
        ("GET", "/api/v3/openOrders") if p.get("symbol").is_none() => 80,
        ("GET", "/api/v3/openOrders") => 6,
        ("GET", "/api/v3/ticker/price") => 2,
        _ => 1,
    }
}

/// Every REST request lands here.
pub async fn rest(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    *lock(&sh.requests)
        .entry(format!("{method} {path}"))
        .or_insert(0) += 1;
    let raw_query = uri.query().unwrap_or("").to_string();
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let mut all = parse_params(&raw_query);
    all.extend(parse_params(&raw_body));
    let p = Params(all);

    let used = {
        let mut w = lock(&sh.weight);
        let minute = sh.now_ms().div_euclid(60_000);
        if w.0 != minute {
            *w = (minute, 0);
        }
        w.1 += weight_of(&method, &path, &p);
        w.1
    };
    let fault = sh.take_fault(|f| {
        matches!(
            f,
            Fault::RateLimit { .. } | Fault::Ban { .. } | Fault::Delay(_)
        )
    });
    let (status, body) = match fault {
        Some(Fault::RateLimit { retry_after_s }) => {
            return limited(
                StatusCode::TOO_MANY_REQUESTS,
                retry_after_s,
                used,
                "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
            );
        }
        Some(Fault::Ban { retry_after_s }) => {
            let code = StatusCode::from_u16(418).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            return limited(
                code,
                retry_after_s,
                used,
                "Way too much request weight used; IP banned. Please use WebSocket Streams for live updates to avoid bans.",
            );
        }
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            dispatch(&sh, &method, &path, &p, &headers, &raw_query, &raw_body).await
        }
        _ => dispatch(&sh, &method, &path, &p, &headers, &raw_query, &raw_body).await,
    };
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&used.to_string()) {
        resp.headers_mut().insert("x-mbx-used-weight-1m", v.clone());
        resp.headers_mut().insert("x-mbx-used-weight", v);
    }
    resp
}

fn limited(status: StatusCode, retry_after_s: u64, used: u64, msg: &str) -> Response {
    let mut resp = (status, json!({"code": -1003, "msg": msg}).to_string()).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
        resp.headers_mut().insert("retry-after", v);
    }
    if let Ok(v) = HeaderValue::from_str(&used.to_string()) {
        resp.headers_mut().insert("x-mbx-used-weight-1m", v);
    }
    resp
}

/// Checks the key, the signature over the query (minus `signature`) plus
/// the body, and the timestamp against the mock's clock.
fn authenticate(
    sh: &Shared,
    p: &Params,
    headers: &HeaderMap,
    raw_query: &str,
    raw_body: &str,
) -> Result<(), Reply> {
    let key = headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok());
    if key != Some(sh.key.as_str()) {
        return Err(err(
            StatusCode::UNAUTHORIZED,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    }
    let mut sent_sig = None;
    let unsigned: Vec<&str> = raw_query
        .split('&')
        .filter(|part| match part.strip_prefix("signature=") {
            Some(s) => {
                sent_sig = Some(s);
                false
            }
            None => true,
        })
        .collect();
    let mut payload = unsigned.join("&");
    payload.push_str(raw_body);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(sh.secret.as_bytes()) else {
        return Err(bad(-1022, "Signature for this request is not valid."));
    };
    mac.update(payload.as_bytes());
    let want = hex::encode(mac.finalize().into_bytes());
    if sent_sig != Some(want.as_str()) {
        return Err(bad(-1022, "Signature for this request is not valid."));
    }
    let ts: i64 = p.need("timestamp")?.parse().map_err(|_| {
        bad(
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        )
    })?;
    let window: i64 = p
        .get("recvWindow")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    check_timestamp(sh.now_ms(), ts, window)
}

/// Binance's two `-1021` cases.
pub(super) fn check_timestamp(now: i64, ts: i64, window: i64) -> Result<(), Reply> {
    if ts > now + 1000 {
        return Err(bad(
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if now - ts > window {
        return Err(bad(
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

async fn dispatch(
    sh: &Shared,
    method: &Method,
    path: &str,
    p: &Params,
    headers: &HeaderMap,
    raw_query: &str,
    raw_body: &str,
) -> Reply {
    let public = matches!(
        path,
        "/api/v3/time" | "/api/v3/exchangeInfo" | "/api/v3/ticker/price" | "/api/v3/ping"
    );
    if !public && let Err(e) = authenticate(sh, p, headers, raw_query, raw_body) {
        return e;
    }
    let r = match (method.as_str(), path) {
        ("GET", "/api/v3/ping") => Ok(json!({})),
        ("GET", "/api/v3/time") => Ok(json!({"serverTime": sh.now_ms()})),
        ("GET", "/api/v3/exchangeInfo") => exchange_info(sh, p),
        ("GET", "/api/v3/ticker/price") => ticker(sh, p),
        ("POST", "/api/v3/order") => return place(sh, p).await,
        ("DELETE", "/api/v3/order") => cancel(sh, p),
        ("GET", "/api/v3/order") => query(sh, p),
        ("GET", "/api/v3/openOrders") => open_orders(sh, p),
        ("DELETE", "/api/v3/openOrders") => cancel_symbol(sh, p),
        ("GET", "/api/v3/myTrades") => my_trades(sh, p),
        ("GET", "/api/v3/account") => account(sh, p),
        _ => Err(err(StatusCode::NOT_FOUND, -1000, "Unknown endpoint.")),
    };
    match r {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => e,
    }
}

fn exchange_info(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let wanted: Option<Vec<String>> = match (p.get("symbol"), p.get("symbols")) {
        (Some(s), _) => Some(vec![s.to_string()]),
        (None, Some(list)) => Some(
            serde_json::from_str(list)
                .map_err(|_| bad(-1100, "Illegal characters found in parameter 'symbols'."))?,
        ),
        _ => None,
    };
    let book = lock(&sh.book);
    let mut symbols = Vec::new();
    match wanted {
        Some(list) => {
            for s in list {
                let sym = book
                    .symbols
                    .get(&s)
                    .ok_or_else(|| bad(-1121, "Invalid symbol."))?;
                symbols.push(Book::symbol_json(sym));
            }
        }
        None => symbols.extend(book.symbols.values().map(Book::symbol_json)),
    }
    Ok(json!({
        "timezone": "UTC", "serverTime": sh.now_ms(),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}
        ],
        "exchangeFilters": [], "symbols": symbols
    }))
}

fn ticker(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let s = p.need("symbol")?;
    let book = lock(&sh.book);
    let sym = book
        .symbols
        .get(s)
        .ok_or_else(|| bad(-1121, "Invalid symbol."))?;
    Ok(json!({"symbol": s, "price": f8(sym.price)}))
}

async fn place(sh: &Shared, p: &Params) -> Reply {
    let fault = sh.take_fault(|f| {
        matches!(
            f,
            Fault::Reject(..)
                | Fault::DropReplyAfterExecute
                | Fault::ServerError1007
                | Fault::DropRequest
        )
    });
    if let Some(Fault::Reject(code, msg)) = &fault {
        return bad(*code, msg);
    }
    if fault == Some(Fault::DropRequest) {
        // Never executed; the client gives up first.
        tokio::time::sleep(Duration::from_secs(30)).await;
        return err(
            StatusCode::SERVICE_UNAVAILABLE,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        );
    }
    let now = sh.now_ms();
    let placed = (|| {
        let n = NewOrder {
            symbol: p.need("symbol")?.to_string(),
            side: p.need("side")?.to_string(),
            kind: p.need("type")?.to_string(),
            tif: p.get("timeInForce").unwrap_or("GTC").to_string(),
            qty: p.dec("quantity")?.ok_or_else(|| {
                bad(
                    -1102,
                    "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
                )
            })?,
            price: p.dec("price")?.unwrap_or_default(),
            stop: p.dec("stopPrice")?.unwrap_or_default(),
            client_id: p.get("newClientOrderId").unwrap_or("").to_string(),
        };
        let mut book = lock(&sh.book);
        let mut n = n;
        if n.client_id.is_empty() {
            n.client_id = book.fresh_client_id();
        }
        let (o, events) = book.place(n, now).map_err(|(c, m)| bad(c, &m))?;
        let fills: Vec<Value> = book
            .trades
            .iter()
            .filter(|t| t.order_id == o.order_id)
            .map(|t| {
                json!({"price": f8(t.price), "qty": f8(t.qty), "commission": f8(t.commission),
                       "commissionAsset": t.commission_asset, "tradeId": t.id})
            })
            .collect();
        let mut v = o.json();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("transactTime".into(), json!(now));
            obj.insert("fills".into(), json!(fills));
        }
        Ok::<_, Reply>((v, events))
    })();
    let (v, events) = match placed {
        Ok(x) => x,
        Err(e) => return e,
    };
    sh.emit(events);
    match fault {
        Some(Fault::DropReplyAfterExecute) => {
            // Longer than any client timeout: the client gives up first.
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, v)
        }
        Some(Fault::ServerError1007) => err(
            StatusCode::SERVICE_UNAVAILABLE,
            -1007,
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
        ),
        _ => (StatusCode::OK, v),
    }
}

/// Finds an order by `origClientOrderId` or `orderId`.
fn find(book: &Book, p: &Params) -> Result<Option<u64>, Reply> {
    let symbol = p.need("symbol")?;
    if let Some(c) = p.get("origClientOrderId") {
        return Ok(book.order_by_client(symbol, c).map(|o| o.order_id));
    }
    let id: u64 = p
        .need("orderId")?
        .parse()
        .map_err(|_| bad(-1100, "Illegal characters found in parameter 'orderId'."))?;
    Ok(book
        .orders
        .iter()
        .find(|o| o.order_id == id && o.symbol == symbol)
        .map(|o| o.order_id))
}

fn cancel_json(o: &super::MockOrder, cancel_id: &str) -> Value {
    json!({
        "symbol": o.symbol, "origClientOrderId": o.client_id, "orderId": o.order_id,
        "orderListId": -1, "clientOrderId": cancel_id, "transactTime": o.time,
        "price": f8(o.price), "origQty": f8(o.qty), "executedQty": f8(o.executed),
        "cummulativeQuoteQty": f8(o.cum_quote), "status": o.status,
        "timeInForce": o.tif, "type": o.kind, "side": o.side,
        "selfTradePreventionMode": "EXPIRE_MAKER"
    })
}

fn cancel(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let now = sh.now_ms();
    let (v, events) = {
        let mut book = lock(&sh.book);
        let id = find(&book, p)?
            .filter(|id| book.orders.iter().any(|o| o.order_id == *id && o.is_open()))
            .ok_or_else(|| bad(-2011, "Unknown order sent."))?;
        let cancel_id = match p.get("newClientOrderId") {
            Some(c) => c.to_string(),
            None => book.fresh_client_id(),
        };
        let events = book.end(id, "CANCELED", Some(&cancel_id), now);
        let o = book
            .orders
            .iter()
            .find(|o| o.order_id == id)
            .cloned()
            .ok_or_else(|| bad(-2011, "Unknown order sent."))?;
        (cancel_json(&o, &cancel_id), events)
    };
    sh.emit(events);
    Ok(v)
}

/// How an order is shown: as it is, or (a stale snapshot) an open order
/// as it was when placed.
fn shown(o: &super::MockOrder, stale: bool) -> Value {
    if stale && o.is_open() {
        let mut then = o.clone();
        then.status = "NEW".into();
        then.executed = Decimal::ZERO;
        then.cum_quote = Decimal::ZERO;
        then.json()
    } else {
        o.json()
    }
}

fn query(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    if sh.take_fault(|f| *f == Fault::QueryLag).is_some() {
        return Err(bad(-2013, "Order does not exist."));
    }
    let stale = sh.take_fault(|f| *f == Fault::StaleSnapshot).is_some();
    let book = lock(&sh.book);
    let id = find(&book, p)?.ok_or_else(|| bad(-2013, "Order does not exist."))?;
    book.orders
        .iter()
        .find(|o| o.order_id == id)
        .map(|o| shown(o, stale))
        .ok_or_else(|| bad(-2013, "Order does not exist."))
}

fn open_orders(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbol = p.get("symbol");
    let stale = sh.take_fault(|f| *f == Fault::StaleSnapshot).is_some();
    let book = lock(&sh.book);
    Ok(Value::Array(
        book.orders
            .iter()
            .filter(|o| o.is_open() && symbol.is_none_or(|s| s == o.symbol))
            .map(|o| shown(o, stale))
            .collect(),
    ))
}

fn cancel_symbol(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbol = p.need("symbol")?.to_string();
    let now = sh.now_ms();
    let (out, events) = {
        let mut book = lock(&sh.book);
        let ids: Vec<u64> = book
            .orders
            .iter()
            .filter(|o| o.is_open() && o.symbol == symbol)
            .map(|o| o.order_id)
            .collect();
        if ids.is_empty() {
            return Err(bad(-2011, "Unknown order sent."));
        }
        let mut out = Vec::new();
        let mut events = Vec::new();
        for id in ids {
            let cancel_id = book.fresh_client_id();
            events.extend(book.end(id, "CANCELED", Some(&cancel_id), now));
            if let Some(o) = book.orders.iter().find(|o| o.order_id == id) {
                out.push(cancel_json(o, &cancel_id));
            }
        }
        (out, events)
    };
    sh.emit(events);
    Ok(Value::Array(out))
}

fn my_trades(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbol = p.need("symbol")?;
    let order: Option<u64> = p.get("orderId").and_then(|v| v.parse().ok());
    let book = lock(&sh.book);
    Ok(Value::Array(
        book.trades
            .iter()
            .filter(|t| t.symbol == symbol && order.is_none_or(|id| id == t.order_id))
            .map(super::MockTrade::json)
            .collect(),
    ))
}

fn account(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let omit = p.get("omitZeroBalances") == Some("true");
    let book = lock(&sh.book);
    let mut assets: Vec<_> = book.balances.iter().collect();
    assets.sort_by(|a, b| a.0.cmp(b.0));
    let balances: Vec<Value> = assets
        .into_iter()
        .filter(|(_, b)| !omit || !(b.free + b.locked).is_zero())
        .map(|(a, b)| json!({"asset": a, "free": f8(b.free), "locked": f8(b.locked)}))
        .collect();
    Ok(json!({
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
        "canTrade": true, "canWithdraw": true, "canDeposit": true, "brokered": false,
        "requireSelfTradePrevention": false, "preventSor": false, "updateTime": sh.now_ms(),
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1
    }))
}
