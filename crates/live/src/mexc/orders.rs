//! Orders on MEXC: symbol rules, place (then one query, as the answer is
//! only an acknowledgement), cancel and query by our client id, the open
//! orders of every symbol in play, executions, and cancel-all in groups of
//! at most five symbols.

use super::filters::SymbolRules;
use super::rest::Failure;
use super::{MexcSpot, lock, plain, unreadable, wire};
use crate::api::{ApiError, PlaceRequest, VenueFill, VenueOrder};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// "Unknown order sent" (cancel, query) and Binance's "Order does not
/// exist", which MEXC's Binance-shaped API may also use.
const NO_SUCH_ORDER: [i64; 2] = [-2011, -2013];
/// `DELETE /api/v3/openOrders` takes at most five symbols.
const CANCEL_GROUP: usize = 5;

/// MEXC's "bad symbol" and "invalid symbol" codes (and Binance's
/// "Invalid symbol."): a symbol MEXC does not list has no rules and no
/// open orders.
fn is_bad_symbol(code: &str) -> bool {
    matches!(code, "10007" | "30014" | "30021" | "-1121")
}

impl MexcSpot {
    /// Loads exchangeInfo for the symbols whose rules we lack. A symbol
    /// MEXC does not list is left without rules (if MEXC refuses a list
    /// for one bad symbol, the others are asked for one by one).
    pub(super) async fn load_rules(&self, symbols: &[String]) -> Result<(), ApiError> {
        let missing: Vec<String> = {
            let known = lock(&self.rules)?;
            symbols
                .iter()
                .filter(|s| !known.contains_key(*s))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        match self.fetch_rules(&missing).await {
            Err(ApiError::Refused { code, .. }) if missing.len() > 1 && is_bad_symbol(&code) => {
                for s in &missing {
                    match self.fetch_rules(std::slice::from_ref(s)).await {
                        Err(ApiError::Refused { code, .. }) if is_bad_symbol(&code) => {
                            tracing::warn!("mexc: {s} is not listed");
                        }
                        other => other?,
                    }
                }
                Ok(())
            }
            other => other,
        }
    }

    /// One exchangeInfo request for these symbols.
    async fn fetch_rules(&self, symbols: &[String]) -> Result<(), ApiError> {
        let v = self
            .rest
            .public("/api/v3/exchangeInfo", &[("symbols", symbols.join(","))])
            .await
            .map_err(Failure::into_api)?;
        let list = v
            .get("symbols")
            .and_then(Value::as_array)
            .ok_or_else(|| unreadable("exchangeInfo", "no symbols"))?;
        let mut parsed = Vec::new();
        for s in list {
            parsed.push(SymbolRules::from_json(s).map_err(|e| unreadable("exchangeInfo", e))?);
        }
        let mut known = lock(&self.rules)?;
        for r in parsed {
            known.insert(r.symbol.clone(), r);
        }
        Ok(())
    }

    pub(super) async fn place_order(&self, req: &PlaceRequest) -> Result<VenueOrder, ApiError> {
        let local = |message: String| ApiError::Refused {
            code: "local".into(),
            message,
        };
        if req.take_profit.is_some() || req.stop_loss.is_some() {
            return Err(local("MEXC spot holds no bracket exits".into()));
        }
        let kind = SymbolRules::venue_type(req).map_err(local)?;
        let mut p: Vec<(&str, String)> = vec![
            ("symbol", req.symbol.clone()),
            ("side", req.side.as_str().into()),
            ("type", kind.into()),
            ("quantity", plain(req.qty)),
        ];
        if kind != "MARKET" {
            let price = req
                .limit
                .ok_or_else(|| local(format!("{kind} order without a limit price")))?;
            p.push(("price", plain(price)));
        }
        p.push(("newClientOrderId", req.client_id.clone()));
        self.remember(&req.symbol);
        let v = self
            .rest
            .signed(Method::POST, "/api/v3/order", &p)
            .await
            .map_err(Failure::into_api)?;
        let placed: wire::PlacedJson =
            serde_json::from_value(v).map_err(|e| unreadable("place", e))?;
        let acked = placed
            .to_order(&req.client_id)
            .map_err(|e| unreadable("place", e))?;
        // The acknowledgement says nothing of fills: ask once. Placed it
        // is, whatever this query answers.
        match self.query_once(&req.symbol, &req.client_id).await {
            Ok(Some(o)) => Ok(o),
            Ok(None) | Err(_) => Ok(acked),
        }
    }

    pub(super) async fn query_once(
        &self,
        symbol: &str,
        client_id: &str,
    ) -> Result<Option<VenueOrder>, ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("origClientOrderId", client_id.to_string()),
        ];
        match self.rest.signed(Method::GET, "/api/v3/order", &p).await {
            Ok(v) => {
                let o: wire::OrderJson =
                    serde_json::from_value(v).map_err(|e| unreadable("query", e))?;
                o.to_order().map(Some).map_err(|e| unreadable("query", e))
            }
            Err(f) if f.code().is_some_and(|c| NO_SUCH_ORDER.contains(&c)) => Ok(None),
            Err(f) => Err(f.into_api()),
        }
    }

    /// "No such order" right after a place may be lag: asked again a
    /// couple of times within the grace before it is believed.
    pub(super) async fn query_order(
        &self,
        symbol: &str,
        client_id: &str,
    ) -> Result<Option<VenueOrder>, ApiError> {
        let pause = self.cfg.not_found_grace / 3;
        for attempt in 0..3 {
            if let Some(o) = self.query_once(symbol, client_id).await? {
                return Ok(Some(o));
            }
            if attempt < 2 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(None)
    }

    pub(super) async fn cancel_order(&self, symbol: &str, client_id: &str) -> Result<(), ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("origClientOrderId", client_id.to_string()),
        ];
        match self.rest.signed(Method::DELETE, "/api/v3/order", &p).await {
            Ok(_) => Ok(()),
            Err(f) if f.code().is_some_and(|c| NO_SUCH_ORDER.contains(&c)) => {
                Err(ApiError::NotFound)
            }
            Err(f) => Err(f.into_api()),
        }
    }

    /// The symbols whose open orders are asked for: those prepared or
    /// traded, and `<asset><quote>` for each asset with a locked balance.
    async fn symbols_in_play(&self) -> Result<(BTreeSet<String>, BTreeSet<String>), ApiError> {
        let known = lock(&self.known)?.clone();
        let acct = self.account().await?;
        let mut guessed = BTreeSet::new();
        for b in acct.balances.iter().filter(|b| !b.locked.is_zero()) {
            if self.is_quote(&b.asset) {
                continue;
            }
            for q in &self.cfg.quote_assets {
                let s = format!("{}{q}", b.asset);
                if !known.contains(&s) {
                    guessed.insert(s);
                }
            }
        }
        Ok((known, guessed))
    }

    pub(super) async fn all_open_orders(&self) -> Result<Vec<VenueOrder>, ApiError> {
        let (known, guessed) = self.symbols_in_play().await?;
        let mut out = Vec::new();
        for symbol in known.iter().chain(guessed.iter()) {
            let p = [("symbol", symbol.clone())];
            let v = match self
                .rest
                .signed(Method::GET, "/api/v3/openOrders", &p)
                .await
            {
                Ok(v) => v,
                Err(f) => match f.into_api() {
                    // A symbol MEXC does not list has no open orders.
                    ApiError::Refused { code, .. } if is_bad_symbol(&code) => continue,
                    // Any refusal of a guessed symbol: it was only a guess.
                    ApiError::Refused { .. } if guessed.contains(symbol) => continue,
                    e => return Err(e),
                },
            };
            let list: Vec<wire::OrderJson> =
                serde_json::from_value(v).map_err(|e| unreadable("openOrders", e))?;
            for o in &list {
                out.push(o.to_order().map_err(|e| unreadable("openOrders", e))?);
            }
        }
        Ok(out)
    }

    pub(super) async fn trades(
        &self,
        symbol: &str,
        venue_order_id: &str,
    ) -> Result<Vec<VenueFill>, ApiError> {
        let p = [
            ("symbol", symbol.to_string()),
            ("orderId", venue_order_id.to_string()),
        ];
        let v = self
            .rest
            .signed(Method::GET, "/api/v3/myTrades", &p)
            .await
            .map_err(Failure::into_api)?;
        let list: Vec<wire::TradeJson> =
            serde_json::from_value(v).map_err(|e| unreadable("myTrades", e))?;
        Ok(list.iter().map(wire::TradeJson::to_fill).collect())
    }

    /// Cancels every open order of every symbol that has one, five symbols
    /// a request.
    pub(super) async fn cancel_everything(&self) -> Result<usize, ApiError> {
        let open = self.all_open_orders().await?;
        let symbols: Vec<String> = open
            .into_iter()
            .map(|o| o.symbol)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut cancelled = 0;
        for group in symbols.chunks(CANCEL_GROUP) {
            let p = [("symbol", group.join(","))];
            match self
                .rest
                .signed(Method::DELETE, "/api/v3/openOrders", &p)
                .await
            {
                Ok(v) => cancelled += v.as_array().map_or(0, Vec::len),
                // Already gone between the listing and the cancel.
                Err(f) if f.code().is_some_and(|c| NO_SUCH_ORDER.contains(&c)) => {}
                Err(f) => return Err(f.into_api()),
            }
        }
        Ok(cancelled)
    }
}
