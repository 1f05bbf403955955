//! `omni-tui ctl`: speaks to a running instance (`omni-tui serve`, or the
//! cockpit with `[control] enabled = true`) through its control API. The
//! address and the token file come from the same configuration the
//! instance read, or from `--url` and `--token-file`.

use crate::control::token;
use crate::setup;
use anyhow::Context;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest a request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What to ask.
#[derive(Clone, Debug, PartialEq, Eq, clap::Subcommand)]
pub enum CtlCommand {
    /// Trading state, counts and every account.
    Status,
    /// Open positions.
    Positions,
    /// Working orders.
    Orders,
    /// Pending opportunities, with the ids approve and reject take.
    Opportunities,
    /// Feed health.
    Feeds,
    /// Enter the configured pause state (REDUCING by default).
    Pause,
    /// Back to ACTIVE from a pause.
    Resume,
    /// The kill switch: HALTED, cancel every order, flatten every position.
    Kill,
    /// Approve a pending opportunity by id.
    Approve { id: u64 },
    /// Reject a pending opportunity by id.
    Reject { id: u64 },
}

/// `omni-tui ctl`'s options.
#[derive(Clone, Debug, clap::Args)]
pub struct CtlArgs {
    #[command(subcommand)]
    pub command: CtlCommand,
    /// The instance's address (default: http:// and `[control] listen`).
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// The token file (default: `[control] token_file`, else the state directory's).
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// Print the API's JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Runs one `ctl` command.
pub fn run(config: Option<&Path>, args: &CtlArgs) -> anyhow::Result<()> {
    let loaded = setup::load_config(config)?;
    let control = &loaded.config.control;
    let path = match &args.token_file {
        Some(p) => p.clone(),
        None => token::token_path(&control.token_file)?,
    };
    let base = match &args.url {
        Some(u) => loopback_url(u)?,
        None => {
            let mut addr = control
                .listen_addr()
                .map_err(|e| anyhow::anyhow!("[control] listen: {}", e.message))?;
            // Port 0: the instance wrote the port it got beside its token.
            if addr.port() == 0 {
                let file = token::addr_path(&path);
                let text = std::fs::read_to_string(&file).map_err(|_| {
                    anyhow::anyhow!(
                        "[control] listen has port 0 and {} does not say which port the instance got: is it running? (or give --url)",
                        file.display()
                    )
                })?;
                addr = text
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{}: not an address", file.display()))?;
            }
            format!("http://{addr}")
        }
    };
    if !path.exists() {
        anyhow::bail!(
            "no token file at {}: start the instance first (`omni-tui serve`, or the cockpit with [control] enabled = true), or name it with --token-file",
            path.display()
        );
    }
    let token = token::load(&path)?;
    let client = Client {
        base,
        token,
        // Never through a proxy: the token is for this machine only.
        http: reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .build()?,
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    };
    let mut out = std::io::stdout().lock();
    let text = match &args.command {
        CtlCommand::Status => {
            let state = client.get("/v1/state")?;
            let accounts = client.get("/v1/accounts")?;
            if args.json {
                serde_json::json!({ "state": state, "accounts": accounts }).to_string()
            } else {
                status_text(&state, &accounts)
            }
        }
        CtlCommand::Positions => {
            let v = client.get("/v1/positions")?;
            if args.json {
                v.to_string()
            } else {
                positions_text(&v)
            }
        }
        CtlCommand::Orders => {
            let v = client.get("/v1/orders")?;
            if args.json {
                v.to_string()
            } else {
                rows_text(
                    &v,
                    "no working orders",
                    &[
                        ("ID", "id", true),
                        ("ACCOUNT", "account", false),
                        ("INSTRUMENT", "instrument", false),
                        ("VENUE", "venue", false),
                        ("SIDE", "side", false),
                        ("TYPE", "order_type", false),
                        ("QTY", "qty", true),
                        ("FILLED", "filled_qty", true),
                        ("STATUS", "status", false),
                        ("PURPOSE", "purpose", false),
                    ],
                )
            }
        }
        CtlCommand::Opportunities => {
            let v = client.get("/v1/opportunities")?;
            if args.json {
                v.to_string()
            } else {
                rows_text(
                    &v,
                    "no pending opportunities",
                    &[
                        ("ID", "id", true),
                        ("KIND", "kind", false),
                        ("INSTRUMENT", "instrument", false),
                        ("TTL S", "expires_in_secs", true),
                        ("GATE OK", "gate_approves", true),
                        ("OF", "routed_accounts", true),
                        ("AUTO", "auto_would_approve", false),
                        ("FIRST REFUSAL", "gate_refusal", false),
                    ],
                )
            }
        }
        CtlCommand::Feeds => {
            let v = client.get("/v1/feeds")?;
            if args.json {
                v.to_string()
            } else {
                rows_text(
                    &v,
                    "no feeds (the demo market has none)",
                    &[
                        ("VENUE", "venue", false),
                        ("STATE", "state", false),
                        ("AGE S", "age_secs", true),
                        ("MSG/S", "messages_per_sec", true),
                        ("MESSAGES", "messages", true),
                        ("DROPPED", "dropped", true),
                        ("RECONNECTS", "reconnects", true),
                        ("LAST ERROR", "last_error", false),
                    ],
                )
            }
        }
        c => {
            let path = match c {
                CtlCommand::Pause => "/v1/pause".to_string(),
                CtlCommand::Resume => "/v1/resume".to_string(),
                CtlCommand::Approve { id } => format!("/v1/approve/{id}"),
                CtlCommand::Reject { id } => format!("/v1/reject/{id}"),
                CtlCommand::Kill => "/v1/kill".to_string(),
                // Matched above; listed so no read can become an action.
                CtlCommand::Status
                | CtlCommand::Positions
                | CtlCommand::Orders
                | CtlCommand::Opportunities
                | CtlCommand::Feeds => anyhow::bail!("not an action"),
            };
            let v = client.post(&path)?;
            if args.json {
                v.to_string()
            } else {
                // In the log's words (`pause → REDUCING`), then the gate's
                // verdict per account for an approval.
                let mut text = crate::app::log::command_text(
                    s(&v, "command"),
                    s(&v, "argument"),
                    s(&v, "outcome"),
                    "key",
                );
                for verdict in v["verdicts"].as_array().into_iter().flatten() {
                    text.push_str(&format!("\n  {}", verdict.as_str().unwrap_or("")));
                }
                text
            }
        }
    };
    // A closed pipe (`ctl status | head -1`) is not an error worth a word.
    let _ = writeln!(out, "{text}");
    Ok(())
}

struct Client {
    base: String,
    token: token::Token,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}{path}", self.base)), path)
    }

    fn post(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.http.post(format!("{}{path}", self.base)), path)
    }

    /// Sends with the token; an error status becomes an error with the
    /// API's own message.
    fn send(&self, req: reqwest::RequestBuilder, path: &str) -> anyhow::Result<Value> {
        let req = req.bearer_auth(self.token.expose());
        let (status, body) = self
            .runtime
            .block_on(async {
                let r = req.send().await?;
                let status = r.status();
                let body = r.text().await?;
                Ok::<_, reqwest::Error>((status, body))
            })
            .map_err(|e| {
                if e.is_connect() {
                    anyhow::anyhow!(
                        "nothing answers at {}: is `omni-tui serve` (or the cockpit with [control] enabled = true) running?",
                        self.base
                    )
                } else if e.is_timeout() {
                    anyhow::anyhow!("{} did not answer within {} s", self.base, TIMEOUT.as_secs())
                } else {
                    anyhow::anyhow!("{}{path}: the request failed", self.base)
                }
            })?;
        let v: Value = serde_json::from_str(&body)
            .with_context(|| format!("{}{path}: the answer is not JSON", self.base))?;
        if status.is_success() {
            return Ok(v);
        }
        let why = v
            .get("outcome")
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        let verdicts: Vec<&str> = v["verdicts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if verdicts.is_empty() {
            anyhow::bail!("{path}: {} ({})", why, status.as_u16())
        }
        anyhow::bail!(
            "{path}: {} ({}); {}",
            why,
            status.as_u16(),
            verdicts.join("; ")
        )
    }
}

/// `--url` as a base URL: `http://` is added when no scheme is given, and
/// only a loopback host is accepted (the token never leaves the machine).
fn loopback_url(u: &str) -> anyhow::Result<String> {
    let full = if u.contains("://") {
        u.to_string()
    } else {
        format!("http://{u}")
    };
    let url = reqwest::Url::parse(&full)
        .map_err(|_| anyhow::anyhow!("--url {u}: not a URL such as http://127.0.0.1:8787"))?;
    anyhow::ensure!(
        url.scheme() == "http",
        "--url {u}: the API speaks plain http on this machine"
    );
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    anyhow::ensure!(
        local,
        "--url {u}: not this machine; the token is only sent to 127.0.0.1, ::1 or localhost (use an SSH tunnel)"
    );
    Ok(full.trim_end_matches('/').to_string())
}

/// Rows of objects as a table of the given (header, key, right-aligned)
/// columns; `empty` when there are none.
fn rows_text(v: &Value, empty: &str, cols: &[(&str, &str, bool)]) -> String {
    let rows: Vec<Vec<String>> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| cols.iter().map(|(_, k, _)| t(r, k)).collect())
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        return empty.to_string();
    }
    let header: Vec<&str> = cols.iter().map(|(h, _, _)| *h).collect();
    let right: Vec<bool> = cols.iter().map(|(_, _, r)| *r).collect();
    table(&header, &rows, &right)
}

/// A string field, or "".
fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A field as text, whatever its JSON type.
fn t(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    }
}

/// Lines of cells as aligned columns, numbers right-aligned.
fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let n = cells.len();
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i].saturating_sub(c.chars().count());
                if right[i] {
                    format!("{}{c}", " ".repeat(pad))
                } else if i + 1 == n {
                    c
                } else {
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
    out.extend(rows.iter().cloned().map(line));
    out.join("\n")
}

fn status_text(state: &Value, accounts: &Value) -> String {
    let kill = if state.get("kill_latched").and_then(Value::as_bool) == Some(true) {
        "kill switch LATCHED"
    } else {
        "kill switch off"
    };
    let mut out = format!(
        "{}  {}  approval {}  {kill}\nengine clock {}  ·  {} market events\n{} open positions  ·  {} working orders  ·  {} pending opportunities\norders {}  ·  fills {}  ·  trades {}\n\n",
        s(state, "source"),
        s(state, "trading_state"),
        s(state, "approval_mode"),
        s(state, "now"),
        t(state, "market_events"),
        t(state, "open_positions"),
        t(state, "working_orders"),
        t(state, "pending_opportunities"),
        t(state, "orders"),
        t(state, "fills"),
        t(state, "trades"),
    );
    let rows: Vec<Vec<String>> = accounts
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    vec![
                        t(r, "name"),
                        t(r, "broker"),
                        t(r, "currency"),
                        t(r, "equity"),
                        t(r, "cash"),
                        t(r, "day_pnl"),
                        t(r, "realized_pnl"),
                        t(r, "unrealized_pnl"),
                        t(r, "risk_level"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    out.push_str(&table(
        &[
            "ACCOUNT",
            "BROKER",
            "CCY",
            "EQUITY",
            "CASH",
            "DAY P&L",
            "REALIZED",
            "UNREALIZED",
            "RISK",
        ],
        &rows,
        &[false, false, false, true, true, true, true, true, false],
    ));
    out
}

fn positions_text(v: &Value) -> String {
    let rows: Vec<Vec<String>> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let side = match r.get("contract") {
                        Some(c) if !c.is_null() => format!(
                            "{} strike {} ({} s)",
                            s(c, "direction"),
                            t(c, "strike"),
                            t(c, "expires_in_secs")
                        ),
                        _ => t(r, "side"),
                    };
                    vec![
                        t(r, "account"),
                        t(r, "instrument"),
                        side,
                        t(r, "qty"),
                        t(r, "avg_price"),
                        t(r, "mark"),
                        t(r, "unrealized_pnl"),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    if rows.is_empty() {
        return "no open positions".to_string();
    }
    table(
        &[
            "ACCOUNT",
            "INSTRUMENT",
            "SIDE",
            "QTY",
            "AVG",
            "MARK",
            "UNREALIZED",
        ],
        &rows,
        &[false, false, false, true, true, true, true],
    )
}
