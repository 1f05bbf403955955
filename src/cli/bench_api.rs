//! `omni-tui bench --api N`: the control API's round trips over loopback,
//! against a demo engine thread as `serve` runs it: a read of the state,
//! a Prometheus scrape, and a command through the engine and back
//! (pause, then resume, alternately). One client, one kept-alive
//! connection, requests one after another.

use crate::launch;
use crate::setup;
use reqwest::Method;
use std::net::SocketAddr;
use std::time::Instant;

/// Runs `n` requests of each kind and prints p50 and p99 in µs.
pub fn run(n: usize, config: Option<&std::path::Path>) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("omni-tui-bench-api-")
        .tempdir()?;
    let mut loaded = setup::load_config(config)?;
    loaded.config.market.source = crate::config::MarketSource::Demo;
    loaded.config.control.token_file = dir.path().join("token").display().to_string();
    let started = launch::start(&mut loaded, None, Some(&dir.path().join("api.db")), "bench")?;
    let any: SocketAddr = "127.0.0.1:0".parse()?;
    let (server, token_path) = launch::control_api(&loaded, &started.engine, Some(any))?;
    let token = crate::control::token::load(&token_path)?;
    let base = format!("http://{}", server.addr());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut out = Vec::new();
        let kinds: [(&str, Method, &str); 3] = [
            ("GET /v1/state", Method::GET, "/v1/state"),
            ("GET /metrics", Method::GET, "/metrics"),
            ("POST pause|resume", Method::POST, ""),
        ];
        for (label, method, path) in kinds {
            let mut times = Vec::with_capacity(n);
            let mut bytes = 0;
            for i in 0..n + n / 10 {
                let path = match path {
                    "" if i % 2 == 0 => "/v1/pause",
                    "" => "/v1/resume",
                    p => p,
                };
                let t = Instant::now();
                let r = client
                    .request(method.clone(), format!("{base}{path}"))
                    .bearer_auth(token.expose())
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
                let body = r.bytes().await?;
                // The first tenth warms the connection and the caches.
                if i >= n / 10 {
                    times.push(t.elapsed().as_micros());
                    bytes = body.len();
                }
            }
            times.sort_unstable();
            out.push((
                label,
                super::bench::percentile(&times, 0.5),
                super::bench::percentile(&times, 0.99),
                bytes,
            ));
        }
        Ok::<_, anyhow::Error>(out)
    });
    server.stop();
    started.stop()?;
    for (label, p50, p99, bytes) in figures? {
        println!("api {label:<18} p50 {p50} µs  p99 {p99} µs  ({bytes} bytes)  n={n}");
    }
    Ok(())
}
