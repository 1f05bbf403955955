//! The MEXC account: balances as holdings (every non-quote asset) and cash
//! (the quote assets), and the spot flatten, market sells of the given
//! quantities rounded to the symbol's rules (what is under MEXC's
//! minimums is left and reported as dust).

use super::rest::Failure;
use super::{MexcSpot, wire};
use crate::api::{ApiError, PlaceRequest, VenueCash, VenueHolding, VenueOrder};
use omni_core::domain::{OrderType, Side, TimeInForce};
use reqwest::Method;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

/// An account answer younger than this is reused: the order manager asks
/// for open orders, holdings and cash together, and MEXC allows two
/// account requests a second.
const ACCOUNT_REUSE: Duration = Duration::from_millis(150);
/// MEXC's client id rules are undocumented: a flatten id is kept to
/// letters, digits and `-`, at most this long.
const FLAT_ID_LEN: usize = 32;

impl MexcSpot {
    /// `GET /api/v3/account`, shared by calls made within
    /// [`ACCOUNT_REUSE`].
    pub(super) async fn account(&self) -> Result<wire::AccountJson, ApiError> {
        let mut cached = self.account.lock().await;
        if let Some((at, acct)) = cached.as_ref()
            && at.elapsed() < ACCOUNT_REUSE
        {
            return Ok(acct.clone());
        }
        let v = self
            .rest
            .signed(Method::GET, "/api/v3/account", &[])
            .await
            .map_err(Failure::into_api)?;
        let acct: wire::AccountJson =
            serde_json::from_value(v).map_err(|e| super::unreadable("account", e))?;
        *cached = Some((Instant::now(), acct.clone()));
        Ok(acct)
    }

    pub(super) async fn balances_held(&self) -> Result<Vec<VenueHolding>, ApiError> {
        let acct = self.account().await?;
        Ok(acct
            .balances
            .iter()
            .filter(|b| !self.is_quote(&b.asset))
            .map(|b| VenueHolding {
                symbol: b.asset.clone(),
                qty: (b.free + b.locked).normalize(),
                avg_price: None,
            })
            .filter(|h| !h.qty.is_zero())
            .collect())
    }

    pub(super) async fn cash_held(&self) -> Result<Vec<VenueCash>, ApiError> {
        let acct = self.account().await?;
        Ok(self
            .cfg
            .quote_assets
            .iter()
            .map(|q| VenueCash {
                currency: q.clone(),
                amount: acct
                    .balances
                    .iter()
                    .filter(|b| &b.asset == q)
                    .map(|b| b.free + b.locked)
                    .sum::<Decimal>()
                    .normalize(),
                equity: None,
                margin_used: None,
                margin_available: None,
            })
            .collect())
    }

    /// The last price of a symbol (prices a market sell's value).
    async fn last_price(&self, symbol: &str) -> Option<Decimal> {
        let v = self
            .rest
            .public("/api/v3/ticker/price", &[("symbol", symbol.to_string())])
            .await
            .ok()?;
        v.get("price")?.as_str()?.parse().ok()
    }

    /// The first `<asset><quote>` market MEXC lists, rules loaded.
    async fn market_for(&self, asset: &str) -> Result<Option<String>, ApiError> {
        for q in &self.cfg.quote_assets {
            let symbol = format!("{asset}{q}");
            match self.load_rules(std::slice::from_ref(&symbol)).await {
                Ok(()) if self.rules(&symbol).is_some() => return Ok(Some(symbol)),
                // Not listed ("bad symbol", or absent from the answer).
                Ok(()) | Err(ApiError::Refused { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Sells one holding at market: the sell order, nothing for a holding
    /// that is not long, or why it was left.
    pub(super) async fn flatten_one(
        &self,
        h: &VenueHolding,
    ) -> Result<Result<Option<VenueOrder>, String>, ApiError> {
        if h.qty <= Decimal::ZERO {
            return Ok(Ok(None));
        }
        let Some(symbol) = self.market_for(&h.symbol).await? else {
            return Ok(Err(format!(
                "no market for {} against {}",
                h.symbol,
                self.cfg.quote_assets.join("/")
            )));
        };
        let reference = self.last_price(&symbol).await.unwrap_or(Decimal::ZERO);
        let id: String = format!("flat-{}-{}", h.symbol, self.rest.now_ms())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(FLAT_ID_LEN)
            .collect();
        let mut req = PlaceRequest {
            client_id: id,
            symbol,
            side: Side::Sell,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            qty: h.qty,
            limit: None,
            stop: None,
            take_profit: None,
            stop_loss: None,
        };
        if let Some(r) = self.rules(&req.symbol)
            && let Err(why) = r.conform(&mut req, reference)
        {
            return Ok(Err(format!("dust: {why}")));
        }
        match self.place_order(&req).await {
            Ok(o) => Ok(Ok(Some(o))),
            Err(ApiError::Refused { code, message }) => {
                Ok(Err(format!("refused ({code}): {message}")))
            }
            Err(e @ ApiError::OutcomeUnknown(_)) => Ok(Err(e.to_string())),
            Err(e) => Err(e),
        }
    }
}
