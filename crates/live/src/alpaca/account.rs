//! The account side: its status and cash, asset rules, positions and
//! their closing, and fills from the account activities.

use super::rest::{Purpose, Rest};
use super::rules::AssetRules;
use super::wire::{MultiItem, WireAccount, WireActivity, WireAsset, WireOrder, WirePosition};
use crate::api::{ApiError, FlattenOutcome, VenueCash, VenueFill, VenueHolding};
use reqwest::Method;

/// Activities per page (Alpaca's maximum is 100).
const PAGE_SIZE: usize = 100;
/// Pages read at most for one order's fills, newest first: an order's
/// fills are recent; a longer history is for reconciliation by date.
const MAX_PAGES: usize = 20;

async fn account(rest: &Rest) -> Result<WireAccount, ApiError> {
    let url = rest.url(&["v2", "account"], &[]);
    rest.send(Method::GET, url, None, Purpose::Read)
        .await?
        .json()
}

/// Refuses an account that may not trade.
pub(crate) async fn check_account(rest: &Rest) -> Result<(), ApiError> {
    let a = account(rest).await?;
    if a.trading_blocked || a.account_blocked {
        let which = if a.account_blocked {
            "account_blocked"
        } else {
            "trading_blocked"
        };
        return Err(ApiError::Refused {
            code: which.into(),
            message: format!(
                "the Alpaca account may not trade ({which}=true, status {})",
                a.status.as_deref().unwrap_or("unknown")
            ),
        });
    }
    Ok(())
}

/// `GET /v2/assets/{symbol}` (the symbol percent-encoded, slash included).
pub(crate) async fn asset_rules(rest: &Rest, symbol: &str) -> Result<AssetRules, ApiError> {
    let url = rest.url(&["v2", "assets", symbol], &[]);
    match rest.send(Method::GET, url, None, Purpose::Read).await {
        Ok(reply) => Ok(AssetRules::from_wire(symbol, &reply.json::<WireAsset>()?)),
        Err(ApiError::NotFound) => Err(ApiError::Refused {
            code: "asset".into(),
            message: format!("Alpaca has no asset {symbol}"),
        }),
        Err(e) => Err(e),
    }
}

/// Cash and equity in the account's currency.
pub(crate) async fn cash(rest: &Rest) -> Result<Vec<VenueCash>, ApiError> {
    let a = account(rest).await?;
    Ok(vec![VenueCash {
        currency: a.currency.unwrap_or_else(|| "USD".into()),
        amount: a.cash,
        equity: a.equity,
        margin_used: None,
        margin_available: None,
    }])
}

/// Positions with signed quantities (a short is negative).
pub(crate) async fn holdings(rest: &Rest) -> Result<Vec<VenueHolding>, ApiError> {
    let url = rest.url(&["v2", "positions"], &[]);
    let list: Vec<WirePosition> = rest
        .send(Method::GET, url, None, Purpose::Read)
        .await?
        .json()?;
    Ok(list
        .into_iter()
        .map(|p| VenueHolding {
            qty: if p.side.as_deref() == Some("short") {
                -p.qty.abs()
            } else {
                p.qty
            },
            symbol: p.symbol,
            avg_price: p.avg_entry_price,
        })
        .collect())
}

/// Fills of one order from `GET /v2/account/activities/FILL`, newest
/// first, paging with `page_token`.
pub(crate) async fn fills(rest: &Rest, venue_order_id: &str) -> Result<Vec<VenueFill>, ApiError> {
    let page_size = PAGE_SIZE.to_string();
    let mut token: Option<String> = None;
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let mut query = vec![("direction", "desc"), ("page_size", page_size.as_str())];
        if let Some(t) = token.as_deref() {
            query.push(("page_token", t));
        }
        let url = rest.url(&["v2", "account", "activities", "FILL"], &query);
        let page: Vec<WireActivity> = rest
            .send(Method::GET, url, None, Purpose::Read)
            .await?
            .json()?;
        for a in page
            .iter()
            .filter(|a| a.order_id.as_deref() == Some(venue_order_id))
        {
            out.push(
                a.to_fill().map_err(|e| {
                    ApiError::OutcomeUnknown(format!("unreadable alpaca fill: {e}"))
                })?,
            );
        }
        match page.last() {
            Some(last) if page.len() >= PAGE_SIZE => token = Some(last.id.clone()),
            _ => break,
        }
    }
    out.reverse();
    Ok(out)
}

/// `DELETE /v2/positions?cancel_orders=true`: the closing order Alpaca
/// made for each position (named by Alpaca's own client ids), and each
/// symbol it did not close with its message (`insufficient qty
/// available…` when an order still holds the shares).
///
/// Alpaca names crypto positions without their slash in these items
/// (`BTCUSD` for `BTC/USD`); a symbol of `holdings` that matches that way
/// is reported under its own name.
pub(crate) async fn flatten(
    rest: &Rest,
    holdings: &[VenueHolding],
) -> Result<FlattenOutcome, ApiError> {
    let url = rest.url(&["v2", "positions"], &[("cancel_orders", "true")]);
    let reply = rest.send(Method::DELETE, url, None, Purpose::Order).await?;
    let mut out = FlattenOutcome::default();
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let items: Vec<MultiItem> = reply.json()?;
    for i in &items {
        let raw = i.symbol.clone().unwrap_or_else(|| "?".into());
        let symbol = holdings
            .iter()
            .find(|h| h.symbol == raw || h.symbol.replace('/', "") == raw)
            .map_or(raw, |h| h.symbol.clone());
        if !matches!(i.status, 200 | 204) {
            out.left
                .push((symbol, format!("{} ({})", i.message(), i.status)));
            continue;
        }
        // A closed position's item carries its closing order; one without
        // a readable order is still closing and is seen by the next check.
        let order = i
            .body
            .clone()
            .and_then(|b| serde_json::from_value::<WireOrder>(b).ok())
            .and_then(|o| o.to_venue().ok());
        match order {
            Some(o) => out.orders.push(o),
            None => tracing::warn!("alpaca: close of {symbol} answered without its order"),
        }
    }
    Ok(out)
}
