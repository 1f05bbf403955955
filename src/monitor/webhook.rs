//! Alerts POSTed as JSON to the configured webhook, from a thread of their
//! own: the engine thread hands an alert over and never waits on the
//! network. One try per alert with a 5 s timeout; a failure is logged and
//! counted (`omni_webhook_failed_total`), never retried into a flood.

use crate::metrics::EngineMetrics;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

/// Longest one POST may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The JSON body of one alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertBody {
    /// The rule that fired (`feed_down`, `kill_trigger`, …).
    pub rule: String,
    /// What is wrong, with its numbers.
    pub text: String,
    /// When, RFC 3339 (the run's clock: market time in a replay).
    pub time: String,
    /// The run's source label (`DEMO`, `LIVE`, `REPLAY …`).
    pub source: String,
}

/// The sender's handle: dropping it ends the thread once the queue is sent.
pub struct Webhook {
    tx: Option<mpsc::Sender<AlertBody>>,
    /// Closed when the sender thread has posted everything queued.
    done: mpsc::Receiver<()>,
}

/// Longest an exit waits for queued alerts to be posted.
const DRAIN: Duration = Duration::from_secs(5);

/// The URL as it may be logged: scheme, host and port only (a webhook's
/// path and query often carry its secret).
pub fn redacted(url: &reqwest::Url) -> String {
    match url.port() {
        Some(p) => format!("{}://{}:{p}/…", url.scheme(), url.host_str().unwrap_or("?")),
        None => format!("{}://{}/…", url.scheme(), url.host_str().unwrap_or("?")),
    }
}

impl Webhook {
    /// Starts the sender for `url` (validated by the config loader).
    pub fn start(url: &str, metrics: Arc<EngineMetrics>) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(url)?;
        let (tx, rx) = mpsc::channel::<AlertBody>();
        let (done_tx, done) = mpsc::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
        std::thread::Builder::new()
            .name("webhook".into())
            .spawn(move || {
                // Dropped when the thread ends: the owner's wait is over.
                let _done = done_tx;
                let shown = redacted(&url);
                while let Ok(body) = rx.recv() {
                    let json = match serde_json::to_vec(&body) {
                        Ok(j) => j,
                        Err(e) => {
                            tracing::error!(error = %e, "alert not encoded");
                            continue;
                        }
                    };
                    // The request is made inside the runtime: its timeout
                    // needs the runtime's timer.
                    let sent = runtime.block_on(async {
                        client
                            .post(url.clone())
                            .header(reqwest::header::CONTENT_TYPE, "application/json")
                            .body(json)
                            .send()
                            .await
                    });
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            metrics.webhook_sent.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            metrics.webhook_failed.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(webhook = %shown, status = r.status().as_u16(), rule = %body.rule, "webhook refused the alert");
                        }
                        Err(e) => {
                            metrics.webhook_failed.fetch_add(1, Ordering::Relaxed);
                            // reqwest's error text names the URL: say only what failed.
                            let why = if e.is_timeout() {
                                "timed out"
                            } else if e.is_connect() {
                                "could not connect"
                            } else {
                                "request failed"
                            };
                            tracing::warn!(webhook = %shown, error = why, rule = %body.rule, "webhook not reached");
                        }
                    }
                }
            })?;
        Ok(Self { tx: Some(tx), done })
    }

    /// Queues one alert.
    pub fn send(&self, body: AlertBody) {
        // The thread only ends when this handle is dropped.
        if let Some(tx) = &self.tx {
            let _ = tx.send(body);
        }
    }
}

impl Drop for Webhook {
    /// Lets the alerts already queued go out (an alert raised just before
    /// a stop is the one that matters), waiting at most [`DRAIN`].
    fn drop(&mut self) {
        self.tx.take();
        let _ = self.done.recv_timeout(DRAIN);
    }
}
