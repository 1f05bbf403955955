//! The HTTP server of the control API, on a thread of its own with its own
//! runtime: it reads the engine's snapshots and sends commands through an
//! [`EngineHandle`], and never blocks the engine or the UI.
//!
//! Routes (all need `Authorization: Bearer <token>`):
//! - `GET /v1/health`, `/v1/state`, `/v1/accounts`, `/v1/positions`,
//!   `/v1/orders`, `/v1/opportunities`, `/v1/feeds`: JSON;
//! - `GET /metrics`: Prometheus text;
//! - `POST /v1/pause`, `/v1/resume`, `/v1/kill`, `/v1/approve/{id}`,
//!   `/v1/reject/{id}`, `/v1/orders/{id}/cancel`: the command, answered
//!   with the engine's outcome;
//!   `/v1/rearm` is refused (403): re-arming is typed in the cockpit.

use super::token::Token;
use super::{prometheus, views};
use crate::app::snapshot::Snapshot;
use crate::engine_thread::EngineHandle;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use omni_core::domain::{OpportunityId, OrderId};
use omni_core::engine::{Command, CommandOrigin, NOT_PENDING, NOT_WORKING};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What every handler shares.
#[derive(Clone)]
struct Api {
    engine: EngineHandle,
    token: Arc<Token>,
}

/// A running control API; [`ControlServer::stop`] ends it.
pub struct ControlServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    join: Option<JoinHandle<()>>,
}

/// Longest a stop waits for requests under way (a client that never
/// finishes its request must not hold the process).
const STOP_GRACE: Duration = Duration::from_secs(2);

impl ControlServer {
    /// Listens on `addr` (port 0: any free port; [`Self::addr`] says
    /// which) and serves until stopped. Fails at once if the address is
    /// taken.
    pub fn start(addr: SocketAddr, token: Token, engine: EngineHandle) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("control API: cannot listen on {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        let app = router(Api {
            engine,
            token: Arc::new(token),
        });
        let join = std::thread::Builder::new()
            .name("control-api".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "control API: listener not usable");
                            return;
                        }
                    };
                    let stopping = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                        let _ = rx.wait_for(|s| *s).await;
                    };
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(stopping(rx.clone()));
                    // Requests under way get STOP_GRACE; then the runtime
                    // is dropped with whatever is left.
                    let deadline = async {
                        stopping(rx).await;
                        tokio::time::sleep(STOP_GRACE).await;
                    };
                    tokio::select! {
                        served = served => {
                            if let Err(e) = served {
                                tracing::error!(error = %e, "control API stopped");
                            }
                        }
                        () = deadline => {
                            tracing::warn!("control API: requests still open after the grace period were dropped");
                        }
                    }
                });
            })?;
        tracing::info!(%addr, "control API listening");
        Ok(Self {
            addr,
            shutdown: Some(tx),
            join: Some(join),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving: requests under way get two seconds to finish.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/state", get(state))
        .route("/v1/accounts", get(accounts))
        .route("/v1/positions", get(positions))
        .route("/v1/orders", get(orders))
        .route("/v1/opportunities", get(opportunities))
        .route("/v1/feeds", get(feeds))
        .route("/metrics", get(metrics))
        .route("/v1/pause", post(pause))
        .route("/v1/resume", post(resume))
        .route("/v1/kill", post(kill))
        .route("/v1/rearm", post(rearm))
        .route("/v1/approve/{id}", post(approve))
        .route("/v1/reject/{id}", post(reject))
        .route("/v1/orders/{id}/cancel", post(cancel_order))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(api.clone(), authenticate))
        .with_state(api)
}

/// A JSON error body with its status.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// Refuses a request without the right bearer token (401), before any
/// handler runs.
async fn authenticate(State(api): State<Api>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110).
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        });
    let refusal = match presented {
        None => Some("missing bearer token (Authorization: Bearer <token from the token file>)"),
        Some(t) if !api.token.matches(t.trim()) => Some("wrong token"),
        Some(_) => None,
    };
    if let Some(why) = refusal {
        tracing::warn!(path = %req.uri().path(), why, "control API: request refused");
        let mut r = error(StatusCode::UNAUTHORIZED, why);
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    next.run(req).await
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such endpoint")
}

/// How long a read waits for the engine's first snapshot (a run catching
/// up at start) before answering 503.
const FIRST_SNAPSHOT: Duration = Duration::from_secs(5);

/// The engine's state to answer from, or the 503 that says there is none
/// yet: a read never answers with an empty, made-up state.
async fn snapshot(api: &Api) -> Result<Arc<Snapshot>, Response> {
    if api.engine.snapshots.has_changed().is_err() {
        // The engine thread has gone: its last state is no longer true.
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the engine has stopped",
        ));
    }
    api.engine.published(FIRST_SNAPSHOT).await.ok_or_else(|| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the engine has not published its state yet (starting, or stopped)",
        )
    })
}

/// Answers with `view` of the snapshot as JSON.
async fn read<T: serde::Serialize>(api: &Api, view: impl Fn(&Snapshot) -> T) -> Response {
    match snapshot(api).await {
        Ok(s) => axum::Json(view(&s)).into_response(),
        Err(r) => r,
    }
}

async fn health(State(api): State<Api>) -> Response {
    if api.engine.snapshots.has_changed().is_err() {
        let body = serde_json::json!({ "status": "stopped" });
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    }
    read(&api, |s| views::health(s, true)).await
}

async fn state(State(api): State<Api>) -> Response {
    read(&api, views::state).await
}

async fn accounts(State(api): State<Api>) -> Response {
    read(&api, views::accounts).await
}

async fn positions(State(api): State<Api>) -> Response {
    read(&api, views::positions).await
}

async fn orders(State(api): State<Api>) -> Response {
    read(&api, views::orders).await
}

async fn opportunities(State(api): State<Api>) -> Response {
    match snapshot(&api).await {
        Ok(s) => axum::Json(views::opportunities(&s)).into_response(),
        Err(r) => r,
    }
}

async fn feeds(State(api): State<Api>) -> Response {
    read(&api, views::feeds).await
}

async fn metrics(State(api): State<Api>) -> Response {
    let snap = match snapshot(&api).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body = prometheus::render(&snap, &api.engine.metrics);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Sends `c` from the API and answers with the engine's outcome: 200, or
/// 404 for an approval or rejection of an id that is not pending (or a
/// cancel of an order that is not working), 409 when refused, or 503
/// if the engine has stopped.
async fn act(api: &Api, c: Command) -> Response {
    tracing::info!(
        command = c.name(),
        argument = %c.argument(),
        "control API: command"
    );
    match api.engine.command(c, CommandOrigin::Api).await {
        None => error(StatusCode::SERVICE_UNAVAILABLE, "the engine has stopped"),
        Some(reply) => {
            // 404: nothing pending by that id; 409: the engine refused
            // (resume while latched), or the gate refused the approval on
            // every account it routes to.
            let refused = reply.outcome.starts_with("refused")
                || (!reply.verdicts.is_empty() && reply.approved == 0);
            let status = if reply.outcome == NOT_PENDING || reply.outcome == NOT_WORKING {
                StatusCode::NOT_FOUND
            } else if refused {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            };
            let body = json!({
                "command": c.name(),
                "argument": c.argument(),
                "outcome": reply.outcome,
                "verdicts": reply.verdicts,
            });
            (status, axum::Json(body)).into_response()
        }
    }
}

async fn pause(State(api): State<Api>) -> Response {
    act(&api, Command::Pause).await
}

async fn resume(State(api): State<Api>) -> Response {
    act(&api, Command::Resume).await
}

async fn kill(State(api): State<Api>) -> Response {
    act(&api, Command::KillSwitch).await
}

async fn rearm() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "re-arming is typed in the cockpit, never sent from outside: stop the service, run `omni-tui --db <its database>`, press R and type the confirmation, quit, start the service again",
    )
}

/// The 400 for a path id that is not a number.
fn bad_id(raw: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        &format!("`{raw}` is not an opportunity id (a whole number, as in GET /v1/opportunities)"),
    )
}

async fn approve(State(api): State<Api>, Path(raw): Path<String>) -> Response {
    match raw.parse::<u64>() {
        Ok(id) => act(&api, Command::Approve(OpportunityId(id))).await,
        Err(_) => bad_id(&raw),
    }
}

async fn reject(State(api): State<Api>, Path(raw): Path<String>) -> Response {
    match raw.parse::<u64>() {
        Ok(id) => act(&api, Command::Reject(OpportunityId(id))).await,
        Err(_) => bad_id(&raw),
    }
}

async fn cancel_order(State(api): State<Api>, Path(raw): Path<String>) -> Response {
    match raw.parse::<u64>() {
        Ok(id) => act(&api, Command::CancelOrder(OrderId(id))).await,
        Err(_) => error(
            StatusCode::BAD_REQUEST,
            &format!("`{raw}` is not an order id (a whole number, as in GET /v1/orders)"),
        ),
    }
}
