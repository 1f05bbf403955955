//! One venue's bars over a span of time: the span cut into windows no
//! larger than the venue's page, asked for one at a time, each request
//! bounded by the back-fill's deadline; the answers read by the venue's
//! module, merged in time order without duplicates.

use super::binance::Dialect;
use super::{HistoryError, Page, PageRequest, binance, bybit, coinbase, kraken, oanda};
use crate::VenueKind;
use omni_core::domain::{Timeframe, Timestamp};
use std::collections::BTreeMap;
use tokio::time::Instant;

/// Largest answer read (a page of 1000 klines is about 150 KiB).
const MAX_BODY: usize = 16 << 20;

/// Where one venue's history is asked for.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub kind: VenueKind,
    /// REST base, e.g. `https://api.binance.com`.
    pub base: String,
    /// Bearer token (OANDA only; empty elsewhere).
    pub token: String,
}

impl Endpoint {
    fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Most bars one request returns here.
    fn page(&self) -> usize {
        match self.kind {
            VenueKind::Binance | VenueKind::Mexc => binance::PAGE,
            VenueKind::Bybit => bybit::PAGE,
            VenueKind::Coinbase => coinbase::PAGE,
            VenueKind::Kraken => kraken::PAGE,
            VenueKind::Oanda => oanda::PAGE,
        }
    }

    fn request(
        &self,
        symbol: &str,
        tf: Timeframe,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<PageRequest, HistoryError> {
        let b = &self.base;
        Ok(match self.kind {
            VenueKind::Binance => {
                binance::request(Dialect::Binance, b, symbol, tf, from, to, limit)
            }
            VenueKind::Mexc => binance::request(Dialect::Mexc, b, symbol, tf, from, to, limit),
            VenueKind::Bybit => bybit::request(b, symbol, tf, from, to, limit),
            VenueKind::Coinbase => coinbase::request(b, symbol, tf, from, to, limit)?,
            VenueKind::Kraken => kraken::request(b, symbol, tf, from),
            VenueKind::Oanda => oanda::request(b, &self.token, symbol, tf, from, to),
        })
    }

    fn parse(&self, status: u16, body: &str) -> Result<Page, HistoryError> {
        match self.kind {
            VenueKind::Binance => binance::parse(Dialect::Binance, status, body),
            VenueKind::Mexc => binance::parse(Dialect::Mexc, status, body),
            VenueKind::Bybit => bybit::parse(status, body),
            VenueKind::Coinbase => coinbase::parse(status, body),
            VenueKind::Kraken => kraken::parse(status, body),
            VenueKind::Oanda => oanda::parse(status, body),
        }
    }
}

/// One GET, its status and body, or why not: a connection error, a body
/// over [`MAX_BODY`], or no full answer before `deadline`.
async fn get(
    client: &reqwest::Client,
    venue: &'static str,
    req: &PageRequest,
    deadline: Instant,
) -> Result<(u16, String), HistoryError> {
    let transport = |why: String| HistoryError::Transport { venue, why };
    let once = async {
        let mut r = client.get(&req.url);
        for (k, v) in &req.headers {
            r = r.header(*k, v);
        }
        let mut resp = r
            .send()
            .await
            .map_err(|e| transport(format!("request failed: {e}")))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| transport(format!("reading the answer: {e}")))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(transport(format!("answer over {MAX_BODY} bytes")));
            }
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    match tokio::time::timeout_at(deadline, once).await {
        Ok(r) => r,
        Err(_) => Err(transport("no answer before the back-fill's timeout".into())),
    }
}

/// The bars of `symbol` opening in `[from, to)`, oldest first, one per
/// open time; and the rows left out. `to` is never after the open of the
/// bar still forming (see [`super::backfill::spans`]), so every bar kept
/// is complete (and OANDA's `complete` flag is honoured besides). Windows are asked for one after another, never
/// together; the first failure ends the span (what came before is kept
/// only if the caller wants it: here, the error wins).
pub(super) async fn range(
    client: &reqwest::Client,
    at: &Endpoint,
    symbol: &str,
    tf: Timeframe,
    (from, to): (Timestamp, Timestamp),
    deadline: Instant,
) -> Result<Page, HistoryError> {
    let width = tf.nanos();
    let mut bars = BTreeMap::new();
    let mut bad_rows = 0;
    let mut start = from;
    while start < to {
        let n = ((to.since(start) + width - 1) / width).max(1) as usize;
        let take = n.min(at.page());
        let end = start.plus(take as i64 * width).min(to);
        let req = at.request(symbol, tf, start, end, take)?;
        let (status, body) = get(client, at.name(), &req, deadline).await?;
        if status == 429 || status == 418 {
            return Err(HistoryError::Venue {
                venue: at.name(),
                status,
                message: "rate limited; not retried (a venue bans clients that keep asking)".into(),
            });
        }
        let page = at.parse(status, &body)?;
        bad_rows += page.bad_rows;
        for c in page.candles {
            if c.open_ts >= from && c.open_ts < to {
                bars.insert(c.open_ts, c);
            }
        }
        // Kraken takes no end: one request gives all it has.
        if at.kind == VenueKind::Kraken {
            break;
        }
        start = end;
    }
    Ok(Page {
        candles: bars.into_values().collect(),
        bad_rows,
    })
}
