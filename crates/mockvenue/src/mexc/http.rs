//! The MEXC mock's REST side: one handler that counts the request, applies
//! queued faults, checks MEXC's authentication (`X-MEXC-APIKEY`, the
//! signature over `totalParams`, `timestamp`/`recvWindow`) and dispatches
//! by method and path, answering in MEXC's shapes and error bodies.

use super::book::{Book, NewOrder, Push, plain};
use super::{Fault, MockOrder, Shared, lock};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// An answer: status and JSON body.
type Reply = (StatusCode, Value);

fn bad(code: i64, msg: &str) -> Reply {
    (StatusCode::BAD_REQUEST, json!({"code": code, "msg": msg}))
}

fn unknown_order() -> Reply {
    bad(-2011, "Unknown order sent")
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

/// The request's parameters; the query string wins over the body.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    fn need(&self, k: &str) -> Result<&str, Reply> {
        self.get(k)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad(44444, &format!("param cannot be null: {k}")))
    }

    fn dec(&self, k: &str) -> Result<Option<Decimal>, Reply> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v.parse::<Decimal>().map(Some).map_err(|_| {
                bad(
                    700008,
                    &format!("Illegal characters found in parameter '{k}'"),
                )
            }),
        }
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
        .or_default() += 1;
    let raw_query = uri.query().unwrap_or("").to_string();
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    // The query string wins when a parameter is in both.
    let mut all = parse_params(&raw_query);
    all.extend(parse_params(&raw_body));
    let p = Params(all);

    let fault = sh.take_fault(|f| matches!(f, Fault::RateLimit { .. } | Fault::Delay(_)));
    let (status, body) = match fault {
        Some(Fault::RateLimit { retry_after_s }) => {
            let mut resp = (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"code": 429, "msg": "Too Many Requests"}).to_string(),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            return resp;
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
    resp
}

/// Removes `signature=…` from a raw parameter string; returns the rest and
/// the signature.
fn strip_signature(raw: &str) -> (String, Option<String>) {
    let mut sig = None;
    let kept: Vec<&str> = raw
        .split('&')
        .filter(|part| match part.strip_prefix("signature=") {
            Some(s) => {
                sig = Some(s.to_string());
                false
            }
            None => true,
        })
        .collect();
    (kept.join("&"), sig)
}

/// Checks the key header, the signature (lowercase hex HMAC-SHA256 of the
/// query string then the body, `signature` taken out) and the timestamp
/// against the mock's clock.
fn authenticate(
    sh: &Shared,
    p: &Params,
    headers: &HeaderMap,
    raw_query: &str,
    raw_body: &str,
) -> Result<(), Reply> {
    let key = headers.get("x-mexc-apikey").and_then(|v| v.to_str().ok());
    match key {
        None | Some("") => return Err(bad(700001, "API-key format invalid.")),
        Some(k) if k != sh.key => return Err(bad(10072, "Api key info invalid")),
        Some(_) => {}
    }
    let (query, qsig) = strip_signature(raw_query);
    let (body, bsig) = strip_signature(raw_body);
    let Some(sent) = qsig.or(bsig) else {
        return Err(bad(
            700004,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        ));
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(sh.secret.as_bytes()) else {
        return Err(bad(700002, "Signature for this request is not valid."));
    };
    mac.update(query.as_bytes());
    mac.update(body.as_bytes());
    // MEXC accepts lowercase hex only.
    if sent != hex::encode(mac.finalize().into_bytes()) {
        return Err(bad(700002, "Signature for this request is not valid."));
    }
    let ts: i64 = p
        .need("timestamp")?
        .parse()
        .map_err(|_| bad(700008, "Illegal characters found in parameter 'timestamp'"))?;
    let window: i64 = match p.get("recvWindow") {
        None => 5000,
        Some(v) => v
            .parse()
            .map_err(|_| bad(700008, "Illegal characters found in parameter 'recvWindow'"))?,
    };
    if window > 60_000 {
        return Err(bad(700005, "recvWindow must less than 60000"));
    }
    let now = sh.now_ms();
    if !(ts < now + 1000 && now - ts <= window) {
        return Err(bad(
            700003,
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
        ("DELETE", "/api/v3/openOrders") => cancel_symbols(sh, p),
        ("GET", "/api/v3/myTrades") => my_trades(sh, p),
        ("GET", "/api/v3/account") => Ok(account(sh)),
        ("POST", "/api/v3/userDataStream") => Ok(new_listen_key(sh)),
        ("PUT" | "DELETE", "/api/v3/userDataStream") => listen_key(sh, method, p),
        ("GET", "/api/v3/userDataStream") => {
            Ok(json!({"listenKey": lock(&sh.listen_keys).iter().cloned().collect::<Vec<_>>()}))
        }
        _ => Err((
            StatusCode::NOT_FOUND,
            json!({"code": 404, "msg": "Not Found"}),
        )),
    };
    match r {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => e,
    }
}

fn exchange_info(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let wanted: Option<Vec<String>> = match (p.get("symbol"), p.get("symbols")) {
        (Some(s), _) => Some(vec![s.to_string()]),
        (None, Some(list)) => Some(list.split(',').map(str::to_string).collect()),
        _ => None,
    };
    let book = lock(&sh.book);
    let symbols: Vec<Value> = match wanted {
        Some(list) => {
            let mut out = Vec::new();
            for s in list {
                let sym = book
                    .symbols
                    .get(&s)
                    .ok_or_else(|| bad(10007, "bad symbol"))?;
                out.push(Book::symbol_json(sym));
            }
            out
        }
        None => book.symbols.values().map(Book::symbol_json).collect(),
    };
    Ok(json!({
        "timezone": "CST", "serverTime": sh.now_ms(),
        "rateLimits": [], "exchangeFilters": [], "symbols": symbols
    }))
}

fn ticker(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let s = p.need("symbol")?;
    let book = lock(&sh.book);
    let sym = book
        .symbols
        .get(s)
        .ok_or_else(|| bad(10007, "bad symbol"))?;
    Ok(json!({"symbol": s, "price": plain(sym.price)}))
}

async fn place(sh: &Shared, p: &Params) -> Reply {
    let fault = sh.take_fault(|f| {
        matches!(
            f,
            Fault::Reject(..) | Fault::DropReplyAfterExecute | Fault::ServerErrorAfterExecute
        )
    });
    if let Some(Fault::Reject(code, msg)) = &fault {
        return bad(*code, msg);
    }
    let now = sh.now_ms();
    let placed = (|| {
        let n = NewOrder {
            symbol: p.need("symbol")?.to_string(),
            side: p.need("side")?.to_string(),
            kind: p.need("type")?.to_string(),
            qty: p
                .dec("quantity")?
                .ok_or_else(|| bad(44444, "param cannot be null: quantity"))?,
            price: p.dec("price")?.unwrap_or_default(),
            client_id: p.get("newClientOrderId").unwrap_or("").to_string(),
        };
        let (o, pushes) = lock(&sh.book).place(n, now).map_err(|(c, m)| bad(c, &m))?;
        // MEXC's answer: an acknowledgement, no status or fills.
        let v = json!({
            "symbol": o.symbol, "orderId": o.order_id, "orderListId": -1,
            "price": plain(o.price), "origQty": plain(o.qty), "type": o.kind,
            "side": o.side, "transactTime": now
        });
        Ok::<_, Reply>((v, pushes))
    })();
    let (v, pushes) = match placed {
        Ok(x) => x,
        Err(e) => return e,
    };
    sh.emit(pushes);
    match fault {
        Some(Fault::DropReplyAfterExecute) => {
            // Longer than any client timeout: the client gives up first.
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, v)
        }
        Some(Fault::ServerErrorAfterExecute) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"code": 503, "msg": "service not available, please try again"}),
        ),
        _ => (StatusCode::OK, v),
    }
}

/// Finds an order by `origClientOrderId` or `orderId` (700004 without).
fn find(book: &Book, p: &Params) -> Result<Option<String>, Reply> {
    let symbol = p.need("symbol")?;
    if !book.symbols.contains_key(symbol) {
        return Err(bad(10007, "bad symbol"));
    }
    if let Some(c) = p.get("origClientOrderId").filter(|c| !c.is_empty()) {
        return Ok(book.order_by_client(symbol, c).map(|o| o.order_id.clone()));
    }
    let Some(id) = p.get("orderId").filter(|c| !c.is_empty()) else {
        return Err(bad(
            700004,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null",
        ));
    };
    Ok(book
        .orders
        .iter()
        .find(|o| o.order_id == id && o.symbol == symbol)
        .map(|o| o.order_id.clone()))
}

fn cancel_json(o: &MockOrder, cancel_id: &str) -> Value {
    json!({
        "symbol": o.symbol, "origClientOrderId": o.client_id, "orderId": o.order_id,
        "clientOrderId": cancel_id, "price": plain(o.price), "origQty": plain(o.qty),
        "executedQty": plain(o.executed), "cummulativeQuoteQty": plain(o.cum_quote),
        "status": o.status, "timeInForce": "GTC", "type": o.kind, "side": o.side
    })
}

/// Ends an open order and returns its cancel answer and pushes.
fn end_one(book: &mut Book, id: &str, cancel_id: &str) -> Option<(Value, Vec<Push>)> {
    let pushes = book.end(id);
    let o = book.orders.iter().find(|o| o.order_id == id)?;
    Some((cancel_json(o, cancel_id), pushes))
}

fn cancel(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let (v, pushes) = {
        let mut book = lock(&sh.book);
        let id = find(&book, p)?
            .filter(|id| book.orders.iter().any(|o| &o.order_id == id && o.is_open()))
            .ok_or_else(unknown_order)?;
        let cancel_id = p.get("newClientOrderId").unwrap_or("").to_string();
        end_one(&mut book, &id, &cancel_id).ok_or_else(unknown_order)?
    };
    sh.emit(pushes);
    Ok(v)
}

fn query(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let book = lock(&sh.book);
    let id = find(&book, p)?.ok_or_else(unknown_order)?;
    book.orders
        .iter()
        .find(|o| o.order_id == id)
        .map(MockOrder::json)
        .ok_or_else(unknown_order)
}

fn open_orders(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbol = p.need("symbol")?;
    let book = lock(&sh.book);
    if !book.symbols.contains_key(symbol) {
        return Err(bad(10007, "bad symbol"));
    }
    Ok(Value::Array(
        book.orders
            .iter()
            .filter(|o| o.is_open() && o.symbol == symbol)
            .map(MockOrder::json)
            .collect(),
    ))
}

/// `DELETE /api/v3/openOrders?symbol=A,B`: at most five symbols.
fn cancel_symbols(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbols: Vec<String> = p.need("symbol")?.split(',').map(str::to_string).collect();
    if symbols.len() > 5 {
        return Err(bad(33333, "param is error"));
    }
    let (out, pushes) = {
        let mut book = lock(&sh.book);
        if let Some(s) = symbols.iter().find(|s| !book.symbols.contains_key(*s)) {
            return Err(bad(10007, &format!("bad symbol {s}")));
        }
        let ids: Vec<String> = book
            .orders
            .iter()
            .filter(|o| o.is_open() && symbols.contains(&o.symbol))
            .map(|o| o.order_id.clone())
            .collect();
        let mut out = Vec::new();
        let mut pushes = Vec::new();
        for id in ids {
            if let Some((v, p)) = end_one(&mut book, &id, "") {
                out.push(v);
                pushes.extend(p);
            }
        }
        (out, pushes)
    };
    sh.emit(pushes);
    Ok(Value::Array(out))
}

fn my_trades(sh: &Shared, p: &Params) -> Result<Value, Reply> {
    let symbol = p.need("symbol")?;
    let order = p.get("orderId");
    let book = lock(&sh.book);
    Ok(Value::Array(
        book.trades
            .iter()
            .filter(|t| t.symbol == symbol && order.is_none_or(|id| id == t.order_id))
            .map(super::MockTrade::json)
            .collect(),
    ))
}

fn account(sh: &Shared) -> Value {
    let book = lock(&sh.book);
    let mut assets: Vec<_> = book.balances.iter().collect();
    assets.sort_by(|a, b| a.0.cmp(b.0));
    let balances: Vec<Value> = assets
        .into_iter()
        .filter(|(_, b)| !(b.free + b.locked).is_zero())
        .map(|(a, b)| json!({"asset": a, "free": plain(b.free), "locked": plain(b.locked)}))
        .collect();
    json!({
        "makerCommission": null, "takerCommission": null, "buyerCommission": null,
        "sellerCommission": null, "canTrade": true, "canWithdraw": true, "canDeposit": true,
        "updateTime": null, "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"]
    })
}

fn new_listen_key(sh: &Shared) -> Value {
    let n = sh.next_key.fetch_add(1, Ordering::Relaxed);
    let key = format!("{n:064x}");
    lock(&sh.listen_keys).insert(key.clone());
    json!({"listenKey": key})
}

fn listen_key(sh: &Shared, method: &Method, p: &Params) -> Result<Value, Reply> {
    let key = p.need("listenKey")?.to_string();
    let mut keys = lock(&sh.listen_keys);
    if !keys.contains(&key) {
        return Err(bad(730002, "Your input param is invalid"));
    }
    if method == Method::DELETE {
        keys.remove(&key);
    }
    Ok(json!({"listenKey": key}))
}
