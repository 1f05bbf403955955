//! The REST side: one handler that records the request, applies a queued
//! fault, checks the token (and `accNum` on `/trade/*`), enforces the
//! route's rate limit, routes by hand and answers in TradeLocker's
//! envelope.

use super::book::NewOrder;
use super::jwt::{self, Kind};
use super::rows;
use super::{ACC_NUM, ACCOUNT_ID, Endpoint, Fault, Shared, State};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a request asks for, once routed.
struct Call {
    endpoint: Endpoint,
    /// The account id in the path, for `/trade/accounts/{id}/…`.
    account: Option<String>,
    /// The order, position or instrument id in the path.
    arg: String,
    /// The query's `routeId`, where it has one.
    route_id: Option<String>,
}

/// Status and JSON body text.
type Answer = (u16, String);

fn ok(d: &str) -> Answer {
    (200, format!(r#"{{"s":"ok","d":{d}}}"#))
}

fn error(status: u16, errmsg: &str) -> Answer {
    (
        status,
        json!({ "s": "error", "errmsg": errmsg }).to_string(),
    )
}

fn respond(a: Answer, extra: &[(&'static str, String)]) -> Response {
    let status = StatusCode::from_u16(a.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, [(header::CONTENT_TYPE, "application/json")], a.1).into_response();
    for (k, v) in extra {
        if let Ok(v) = v.parse() {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}

pub(crate) async fn handle(
    AxState(sh): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut call = route(&method, uri.path());
    call.route_id = uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "routeId")
            .map(|(_, v)| v.to_string())
    });
    let (fault, unresponsive) = {
        let mut st = sh.lock();
        st.requests
            .entry(call.endpoint)
            .or_default()
            .push(Instant::now());
        (take_fault(&mut st, call.endpoint), st.unresponsive)
    };
    if unresponsive {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    match &fault {
        Some(Fault::Delay(ms)) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(Fault::ExpiredToken) => {
            sh.lock().unauthorized += 1;
            return respond(error(401, "Unauthorized: token expired"), &[]);
        }
        Some(Fault::ErrorEnvelope(msg)) => return respond(error(200, msg), &[]),
        Some(Fault::RateLimit) => {
            return respond(
                error(429, "Too many requests"),
                &[("retry-after", "1".into())],
            );
        }
        _ => {}
    }
    let answer = match call.endpoint {
        Endpoint::Login => login(&sh, &body),
        Endpoint::Refresh => refresh(&sh, &body),
        Endpoint::Unknown | Endpoint::Any => error(404, "Not found"),
        _ => match refusal(&sh, &call, &headers) {
            Some(resp) => return resp,
            None => execute(&sh, &call, &body),
        },
    };
    match fault {
        Some(Fault::DropReplyAfterExecute) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            respond((500, String::new()), &[])
        }
        Some(Fault::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            (
                status,
                [(header::CONTENT_TYPE, "text/html")],
                format!("<html><body><h1>{status}</h1></body></html>"),
            )
                .into_response()
        }
        _ => respond(answer, &[]),
    }
}

/// Token, `accNum`, account and rate-limit checks of a non-login call:
/// the refusal, if one is due.
fn refusal(sh: &Shared, call: &Call, headers: &HeaderMap) -> Option<Response> {
    let mut st = sh.lock();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let valid = jwt::signed_here(bearer)
        && st
            .tokens
            .get(bearer)
            .is_some_and(|t| t.kind == Kind::Access && t.expires_ms > jwt::now_ms());
    if !valid {
        st.unauthorized += 1;
        return Some(respond(error(401, "Unauthorized"), &[]));
    }
    if call.endpoint == Endpoint::AllAccounts {
        return None;
    }
    let acc_num = headers.get("accnum").and_then(|v| v.to_str().ok());
    if acc_num != Some(ACC_NUM) {
        st.bad_acc_num += 1;
        return Some(respond(error(400, "Missing or invalid accNum header"), &[]));
    }
    if call.account.as_deref().is_some_and(|a| a != ACCOUNT_ID) {
        return Some(respond(error(404, "Account not found"), &[]));
    }
    if let Some(route) = call.endpoint.route()
        && !admit(&mut st, route)
    {
        *st.throttled.entry(call.endpoint).or_insert(0) += 1;
        return Some(respond(
            error(429, "Rate limit exceeded"),
            &[("retry-after", "1".into())],
        ));
    }
    None
}

/// Counts a request against its route's sliding window; false when over.
fn admit(st: &mut State, route: &str) -> bool {
    let Some(limit) = st.limits.get(route).cloned() else {
        return true;
    };
    let now = Instant::now();
    let w = st.windows.entry(route.to_string()).or_default();
    while w
        .front()
        .is_some_and(|t| now.duration_since(*t) >= limit.per)
    {
        w.pop_front();
    }
    if w.len() >= limit.limit as usize {
        return false;
    }
    w.push_back(now);
    true
}

fn take_fault(st: &mut State, endpoint: Endpoint) -> Option<Fault> {
    let i = st
        .faults
        .iter()
        .position(|(at, _)| *at == endpoint || *at == Endpoint::Any)?;
    st.faults.remove(i).map(|(_, f)| f)
}

type RawObject = HashMap<String, Box<RawValue>>;

fn text(obj: &RawObject, key: &str) -> Option<String> {
    let t = obj.get(key)?.get().trim();
    match t.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(t).ok(),
        b'n' | b'{' | b'[' => None,
        _ => Some(t.to_string()),
    }
    .filter(|s| !s.is_empty())
}

fn dec(obj: &RawObject, key: &str) -> Option<Decimal> {
    Decimal::from_str(text(obj, key)?.trim()).ok()
}

fn issue(st: &mut State, sub: &str) -> serde_json::Value {
    st.minted += 1;
    let (access, a) = jwt::mint(sub, Kind::Access, st.token_lifetime, st.minted);
    let (refresh, r) = jwt::mint(sub, Kind::Refresh, st.refresh_lifetime, st.minted);
    let expire = a.expires_ms;
    st.tokens.insert(access.clone(), a);
    st.tokens.insert(refresh.clone(), r);
    json!({
        "accessToken": access,
        "refreshToken": refresh,
        "expireDate": jwt::iso_ms(expire),
    })
}

fn login(sh: &Shared, body: &[u8]) -> Answer {
    let Ok(obj) = serde_json::from_slice::<RawObject>(body) else {
        return error(400, "Invalid request body");
    };
    let good = text(&obj, "email").as_deref() == Some(sh.email.as_str())
        && text(&obj, "password").as_deref() == Some(sh.password.as_str())
        && text(&obj, "server").as_deref() == Some(sh.server.as_str());
    let mut st = sh.lock();
    if !good {
        st.unauthorized += 1;
        return error(401, "Invalid credentials or server");
    }
    let sub = format!("{}#{}", sh.email, sh.server);
    (200, issue(&mut st, &sub).to_string())
}

fn refresh(sh: &Shared, body: &[u8]) -> Answer {
    let token = serde_json::from_slice::<RawObject>(body)
        .ok()
        .and_then(|o| text(&o, "refreshToken"))
        .unwrap_or_default();
    let mut st = sh.lock();
    let valid = jwt::signed_here(&token)
        && st
            .tokens
            .get(&token)
            .is_some_and(|t| t.kind == Kind::Refresh && t.expires_ms > jwt::now_ms());
    if !valid {
        st.unauthorized += 1;
        return error(401, "Invalid refresh token");
    }
    let sub = format!("{}#{}", sh.email, sh.server);
    (200, issue(&mut st, &sub).to_string())
}

fn execute(sh: &Shared, call: &Call, body: &[u8]) -> Answer {
    let mut st = sh.lock();
    match call.endpoint {
        Endpoint::AllAccounts => {
            let balance = st.book.balance;
            (
                200,
                json!({ "accounts": [
                    { "id": "2200700", "name": "E8#old", "currency": "USD", "accNum": 2,
                      "accountBalance": "0.00", "status": "INACTIVE" },
                    { "id": ACCOUNT_ID, "name": "E8#demo", "currency": "USD", "accNum": 1,
                      "accountBalance": balance.to_string(), "status": "ACTIVE" },
                ]})
                .to_string(),
            )
        }
        Endpoint::Config => ok(&config(&st).to_string()),
        Endpoint::Instruments => {
            let list: Vec<serde_json::Value> = st
                .book
                .instruments
                .iter()
                .map(|i| {
                    json!({
                        "tradableInstrumentId": i.tradable_id,
                        "id": i.id.to_string(),
                        "name": i.name,
                        "description": i.name,
                        "type": "FOREX",
                        "routes": [
                            { "id": i.trade_route, "type": "TRADE" },
                            { "id": i.info_route.to_string(), "type": "INFO" },
                        ],
                    })
                })
                .collect();
            ok(&json!({ "instruments": list }).to_string())
        }
        Endpoint::InstrumentDetails => {
            let Some(ins) = call
                .arg
                .parse::<u64>()
                .ok()
                .and_then(|id| st.book.instrument_by_id(id))
            else {
                return error(404, "Instrument not found");
            };
            if call.route_id.as_deref() != Some(ins.info_route.to_string().as_str()) {
                return error(
                    400,
                    "Invalid or missing routeId (an INFO route is required)",
                );
            }
            let hidden = st.hidden.get(&ins.name).cloned().unwrap_or_default();
            ok(&super::details::details(ins, &hidden))
        }
        Endpoint::PlaceOrder => {
            st.order_bodies
                .push(String::from_utf8_lossy(body).into_owned());
            let Ok(obj) = serde_json::from_slice::<RawObject>(body) else {
                return error(400, "Invalid request body");
            };
            let n = NewOrder {
                tradable_id: text(&obj, "tradableInstrumentId").and_then(|t| t.parse().ok()),
                route_id: text(&obj, "routeId").and_then(|t| t.parse().ok()),
                qty: dec(&obj, "qty"),
                side: text(&obj, "side").unwrap_or_default(),
                kind: text(&obj, "type").unwrap_or_default(),
                validity: text(&obj, "validity").unwrap_or_default(),
                price: dec(&obj, "price"),
                stop_price: dec(&obj, "stopPrice"),
                stop_loss: dec(&obj, "stopLoss"),
                stop_loss_type: text(&obj, "stopLossType"),
                take_profit: dec(&obj, "takeProfit"),
                take_profit_type: text(&obj, "takeProfitType"),
                strategy_id: text(&obj, "strategyId"),
            };
            match st.book.place(&n) {
                Ok(id) => ok(&json!({ "orderId": id }).to_string()),
                Err(why) => error(200, &why),
            }
        }
        Endpoint::Orders => {
            let open: Vec<_> = st.book.orders.iter().filter(|o| o.is_open()).collect();
            ok(&rows::orders("orders", rows::ORDERS, &open))
        }
        Endpoint::OrdersHistory => {
            let done: Vec<_> = st.book.orders.iter().filter(|o| !o.is_open()).collect();
            ok(&rows::orders("ordersHistory", rows::ORDERS_HISTORY, &done))
        }
        Endpoint::Executions => ok(&rows::executions(&st.book)),
        Endpoint::Positions => ok(&rows::positions(&st.book)),
        Endpoint::State => ok(&rows::account(&st.book.figures())),
        Endpoint::CancelOrder => match st.book.cancel(&call.arg) {
            Ok(()) => ok("{}"),
            Err((status, why)) => error(status, &why),
        },
        Endpoint::CancelAll => {
            st.book.cancel_all();
            (200, r#"{"s":"ok"}"#.into())
        }
        Endpoint::CloseAll => {
            st.book.close_all();
            (200, r#"{"s":"ok"}"#.into())
        }
        Endpoint::ClosePosition => {
            let qty = serde_json::from_slice::<RawObject>(body)
                .ok()
                .and_then(|o| dec(&o, "qty"))
                .unwrap_or(Decimal::ZERO);
            match st.book.close_position(&call.arg, qty) {
                Ok(()) => ok("{}"),
                Err((status, why)) => error(status, &why),
            }
        }
        Endpoint::Login | Endpoint::Refresh | Endpoint::Unknown | Endpoint::Any => {
            error(404, "Not found")
        }
    }
}

/// `/trade/config`'s `d`.
fn config(st: &State) -> serde_json::Value {
    let limits: Vec<serde_json::Value> = st
        .limits
        .iter()
        .map(|(route, l)| {
            let (measure, n) = if l.per.as_secs() >= 60 && l.per.as_secs() % 60 == 0 {
                ("MINUTES", l.per.as_secs() / 60)
            } else {
                ("SECONDS", l.per.as_secs().max(1))
            };
            json!({ "rateLimitType": route, "measure": measure, "intervalNum": n, "limit": l.limit })
        })
        .collect();
    json!({
        "customerAccess": { "orders": true, "positions": true, "marketDepth": false },
        "positionsConfig": rows::table("positions", "Positions", rows::POSITIONS),
        "ordersConfig": rows::table("orders", "Orders", rows::ORDERS),
        "ordersHistoryConfig": rows::table("ordersHistory", "Orders history", rows::ORDERS_HISTORY),
        "filledOrdersConfig": rows::table("filledOrders", "Filled orders", rows::EXECUTIONS),
        "accountDetailsConfig": rows::table("accountDetails", "Account details", rows::ACCOUNT),
        "rateLimits": limits,
        "limits": [{ "limitType": "QUOTES_HISTORY_BARS", "limit": 20000 }],
    })
}

fn route(method: &Method, path: &str) -> Call {
    let unknown = Call {
        endpoint: Endpoint::Unknown,
        account: None,
        arg: String::new(),
        route_id: None,
    };
    let Some(rest) = path.strip_prefix("/backend-api/") else {
        return unknown;
    };
    let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let m = method.as_str();
    let (endpoint, account, arg) = match (m, seg.as_slice()) {
        ("POST", ["auth", "jwt", "token"]) => (Endpoint::Login, None, ""),
        ("POST", ["auth", "jwt", "refresh"]) => (Endpoint::Refresh, None, ""),
        ("GET", ["auth", "jwt", "all-accounts"]) => (Endpoint::AllAccounts, None, ""),
        ("GET", ["trade", "config"]) => (Endpoint::Config, None, ""),
        ("GET", ["trade", "instruments", id]) => (Endpoint::InstrumentDetails, None, *id),
        ("DELETE", ["trade", "orders", id]) => (Endpoint::CancelOrder, None, *id),
        ("DELETE", ["trade", "positions", id]) => (Endpoint::ClosePosition, None, *id),
        (m, ["trade", "accounts", acc, what]) => {
            let e = match (m, *what) {
                ("GET", "instruments") => Endpoint::Instruments,
                ("POST", "orders") => Endpoint::PlaceOrder,
                ("GET", "orders") => Endpoint::Orders,
                ("DELETE", "orders") => Endpoint::CancelAll,
                ("GET", "ordersHistory") => Endpoint::OrdersHistory,
                ("GET", "executions") => Endpoint::Executions,
                ("GET", "positions") => Endpoint::Positions,
                ("DELETE", "positions") => Endpoint::CloseAll,
                ("GET", "state") => Endpoint::State,
                _ => return unknown,
            };
            (e, Some(acc.to_string()), "")
        }
        _ => return unknown,
    };
    Call {
        endpoint,
        account,
        arg: arg.to_string(),
        route_id: None,
    }
}
