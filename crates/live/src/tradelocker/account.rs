//! The account side: config and instruments, positions netted per
//! instrument, the account state as cash, equity and margin, executions,
//! and the close of every position.

use super::catalog::{Catalog, Tables, parse_config, parse_instruments};
use super::limiter::Route;
use super::orders::{List, list, to_venue};
use super::rest::{Call, Rest};
use super::rows::{ExecutionRow, PositionRow, rows_of};
use crate::api::{ApiError, FlattenOutcome, VenueCash, VenueFill, VenueHolding};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};

fn unreadable(e: String) -> ApiError {
    ApiError::OutcomeUnknown(format!("unreadable tradelocker answer: {e}"))
}

/// `GET /trade/config` and the account's instruments, into `catalog`;
/// the rate limits into the limiter.
pub(crate) async fn load(rest: &Rest, catalog: &Catalog) -> Result<Tables, ApiError> {
    let d = rest.trade(Call::get(&["trade", "config"], None)).await?;
    let (tables, limits) = parse_config(&d).map_err(unreadable)?;
    rest.limiter.configure(&limits);
    catalog.set_tables(tables.clone());
    let d = rest
        .trade(Call::get(
            &["trade", "accounts", "{account}", "instruments"],
            Some(Route::GetInstruments),
        ))
        .await?;
    catalog.set_instruments(parse_instruments(&d).map_err(unreadable)?);
    Ok(tables)
}

/// The rows of `d.<key>` through `cols`.
fn rows<T>(
    d: &RawValue,
    key: &str,
    cols: &super::rows::Columns,
    read: impl Fn(&super::rows::Row<'_>) -> Result<T, String>,
) -> Result<Vec<T>, ApiError> {
    rows_of(d, key)
        .map_err(unreadable)?
        .iter()
        .map(|r| read(&cols.row(r)).map_err(unreadable))
        .collect()
}

/// Every open position (each is one row; an instrument may have several).
pub(crate) async fn positions(rest: &Rest, tables: &Tables) -> Result<Vec<PositionRow>, ApiError> {
    let d = rest
        .trade(Call::get(
            &["trade", "accounts", "{account}", "positions"],
            Some(Route::GetPositions),
        ))
        .await?;
    rows(&d, "positions", &tables.positions, PositionRow::read)
}

/// Positions netted per instrument: quantities summed with sells
/// negative; the average price weighted by quantity over the positions on
/// the net's side (none when the net is zero). An instrument whose
/// positions net to zero is still reported, with quantity 0, so "no
/// position at all" stays visible.
pub(crate) fn net(list: &[PositionRow], catalog: &Catalog) -> Vec<VenueHolding> {
    let mut by: BTreeMap<String, Vec<&PositionRow>> = BTreeMap::new();
    for p in list {
        by.entry(catalog.name_of(&p.instrument_id))
            .or_default()
            .push(p);
    }
    by.into_iter()
        .map(|(symbol, ps)| {
            let qty: Decimal = ps.iter().map(|p| p.signed_qty()).sum();
            let side: Vec<&&PositionRow> = ps
                .iter()
                .filter(|p| {
                    !qty.is_zero() && p.signed_qty().is_sign_positive() == qty.is_sign_positive()
                })
                .collect();
            let weight: Decimal = side.iter().map(|p| p.qty.abs()).sum();
            let avg_price = if weight.is_zero() {
                None
            } else {
                let mut sum = Decimal::ZERO;
                for p in &side {
                    match p.avg_price {
                        Some(a) => sum += a * p.qty.abs(),
                        None => return (symbol, qty, None),
                    }
                }
                Some(sum / weight)
            };
            (symbol, qty, avg_price)
        })
        .map(|(symbol, qty, avg_price)| VenueHolding {
            symbol,
            qty,
            avg_price,
        })
        .collect()
}

/// `GET /trade/accounts/{id}/state` read through `accountDetailsConfig`:
/// amount = `balance`; equity = `projectedBalance` (balance plus open
/// P&L, what TradeLocker's terminal shows as equity; the config
/// describes it as the projected balance); margin used =
/// `initialMarginReq` (or `marginUsed` where a broker has that column);
/// margin available = `availableFunds`.
pub(crate) async fn cash(
    rest: &Rest,
    tables: &Tables,
    currency: &str,
) -> Result<Vec<VenueCash>, ApiError> {
    let d = rest
        .trade(Call::get(
            &["trade", "accounts", "{account}", "state"],
            Some(Route::GetAccountsState),
        ))
        .await?;
    #[derive(serde::Deserialize)]
    struct D {
        #[serde(rename = "accountDetailsData", default)]
        data: Vec<Box<RawValue>>,
    }
    let d: D = serde_json::from_str(d.get()).map_err(|e| unreadable(e.to_string()))?;
    let row = tables.account.row(&d.data);
    let Some(amount) = row.dec("balance") else {
        return Err(unreadable("account state without `balance`".into()));
    };
    Ok(vec![VenueCash {
        currency: currency.to_string(),
        amount,
        equity: row.dec("projectedBalance"),
        margin_used: row
            .dec("initialMarginReq")
            .or_else(|| row.dec("marginUsed")),
        margin_available: row.dec("availableFunds"),
    }])
}

/// Every execution of the session (`GET …/executions`).
pub(crate) async fn executions(
    rest: &Rest,
    tables: &Tables,
) -> Result<Vec<ExecutionRow>, ApiError> {
    let d = rest
        .trade(Call::get(
            &["trade", "accounts", "{account}", "executions"],
            Some(Route::GetExecutions),
        ))
        .await?;
    rows(&d, "executions", &tables.executions, ExecutionRow::read)
}

/// An execution in the seam's terms.
pub(crate) fn to_fill(
    e: &ExecutionRow,
    client_id: Option<String>,
    catalog: &Catalog,
    currency: &str,
) -> VenueFill {
    VenueFill {
        trade_id: e.id.clone(),
        client_id,
        venue_order_id: e.order_id.clone(),
        symbol: catalog.name_of(&e.instrument_id),
        side: e.side,
        qty: e.qty,
        price: e.price,
        fee: e.fee,
        fee_asset: currency.to_string(),
        ts_ms: e.ts_ms,
    }
}

/// The executions of one order, oldest first. TradeLocker lists the
/// current session's executions only.
pub(crate) async fn fills(
    rest: &Rest,
    tables: &Tables,
    catalog: &Catalog,
    currency: &str,
    venue_order_id: &str,
) -> Result<Vec<VenueFill>, ApiError> {
    let mut out: Vec<VenueFill> = executions(rest, tables)
        .await?
        .iter()
        .filter(|e| e.order_id == venue_order_id)
        .map(|e| to_fill(e, None, catalog, currency))
        .collect();
    out.sort_by(|a, b| (a.ts_ms, &a.trade_id).cmp(&(b.ts_ms, &b.trade_id)));
    Ok(out)
}

/// `DELETE /trade/accounts/{id}/positions` (every position of the
/// account), then a second look: the closing orders TradeLocker made
/// (market orders on the closed positions that carry no `strategyId`;
/// named by TradeLocker's order id, as nobody else names them), and each
/// position still open (a close may rest as a GTC order when its IOC
/// failed) with why.
pub(crate) async fn flatten(
    rest: &Rest,
    tables: &Tables,
    catalog: &Catalog,
) -> Result<FlattenOutcome, ApiError> {
    let before = positions(rest, tables).await?;
    let mut out = FlattenOutcome::default();
    if before.is_empty() {
        return Ok(out);
    }
    rest.trade(Call {
        method: Method::DELETE,
        path: &["trade", "accounts", "{account}", "positions"],
        query: &[],
        body: None,
        route: None,
    })
    .await?;
    let closed: BTreeSet<&str> = before.iter().map(|p| p.id.as_str()).collect();
    for which in [List::Open, List::History] {
        for o in list(rest, tables, which).await? {
            let closing = o.kind == "market"
                && o.strategy_id.is_none()
                && o.position_id.as_deref().is_some_and(|p| closed.contains(p));
            if closing && !out.orders.iter().any(|v| v.venue_id == o.id) {
                out.orders.push(to_venue(&o, catalog));
            }
        }
    }
    for p in positions(rest, tables).await? {
        out.left.push((
            catalog.name_of(&p.instrument_id),
            format!(
                "position {} ({} {}) still open after close-all; TradeLocker may be closing it with a resting order",
                p.id,
                super::orders::side_str(p.side),
                p.qty
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::domain::Side;
    use rust_decimal::dec;

    fn pos(id: &str, side: Side, qty: Decimal, avg: Decimal) -> PositionRow {
        PositionRow {
            id: id.into(),
            instrument_id: "206".into(),
            side,
            qty,
            avg_price: Some(avg),
        }
    }

    #[test]
    fn positions_net_per_instrument_with_a_weighted_average() {
        let c = Catalog::default();
        let h = net(
            &[
                pos("1", Side::Buy, dec!(0.10), dec!(1.1000)),
                pos("2", Side::Buy, dec!(0.30), dec!(1.1040)),
                pos("3", Side::Sell, dec!(0.05), dec!(1.2000)),
            ],
            &c,
        );
        assert_eq!(
            h,
            vec![VenueHolding {
                symbol: "206".into(),
                qty: dec!(0.35),
                avg_price: Some(dec!(1.1030))
            }]
        );
        let flat = net(
            &[
                pos("1", Side::Buy, dec!(0.10), dec!(1.1)),
                pos("2", Side::Sell, dec!(0.10), dec!(1.2)),
            ],
            &c,
        );
        assert_eq!(flat[0].qty, Decimal::ZERO);
        assert_eq!(flat[0].avg_price, None);
    }
}
