//! The account side: config and instruments, positions netted per
//! instrument, the account state as cash, equity and margin, executions,
//! and the close of every position. Quantities TradeLocker gives in lots
//! are reported in units ([`Catalog::report`]).

use super::catalog::{Catalog, Tables, parse_config, parse_instruments};
use super::limiter::Route;
use super::orders::{List, list, to_venue};
use super::rest::{Call, Rest};
use super::rows::{ExecutionRow, PositionRow, rows_of};
use super::specs::ensure;
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

/// Positions netted per instrument: quantities (lots) summed with sells
/// negative, then reported in units; the average price weighted by
/// quantity over the positions on the net's side (none when the net is
/// zero). An instrument whose positions net to zero is still reported,
/// with quantity 0, so "no position at all" stays visible.
pub(crate) fn net(list: &[PositionRow], catalog: &Catalog) -> Vec<VenueHolding> {
    let mut by: BTreeMap<&str, Vec<&PositionRow>> = BTreeMap::new();
    for p in list {
        by.entry(p.instrument_id.as_str()).or_default().push(p);
    }
    let mut out: Vec<VenueHolding> = by
        .into_iter()
        .map(|(id, ps)| {
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
                        None => return (id, qty, None),
                    }
                }
                Some(sum / weight)
            };
            (id, qty, avg_price)
        })
        .map(|(id, lots, avg_price)| {
            let (symbol, [qty]) = catalog.report(id, [lots]);
            VenueHolding {
                symbol,
                qty,
                avg_price,
            }
        })
        .collect();
    out.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    out
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

/// An execution in the seam's terms: its lots in units.
pub(crate) fn to_fill(
    e: &ExecutionRow,
    client_id: Option<String>,
    catalog: &Catalog,
    currency: &str,
) -> VenueFill {
    let (symbol, [qty]) = catalog.report(&e.instrument_id, [e.qty]);
    VenueFill {
        trade_id: e.id.clone(),
        client_id,
        venue_order_id: e.order_id.clone(),
        symbol,
        side: e.side,
        qty,
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
    let rows = executions(rest, tables).await?;
    ensure(rest, catalog, rows.iter().map(|e| e.instrument_id.as_str())).await?;
    let mut out: Vec<VenueFill> = rows
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
    // Their sizes are known before anything is closed (the closing
    // orders are on the same instruments), so a failed read of them
    // cannot lose the closes' answer after the close-all has gone.
    ensure(
        rest,
        catalog,
        before.iter().map(|p| p.instrument_id.as_str()),
    )
    .await?;
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
        let (symbol, [units]) = catalog.report(&p.instrument_id, [p.qty]);
        out.left.push((
            symbol,
            format!(
                "position {} ({} {} lots, {units} as reported) still open after close-all; \
                 TradeLocker may be closing it with a resting order",
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

    /// EURUSD (id 206) at 100 000 units a lot.
    fn catalog() -> Catalog {
        let c = Catalog::default();
        let d = RawValue::from_string(
            r#"{"instruments":[{"tradableInstrumentId":206,"name":"EURUSD","routes":[{"id":7010,"type":"TRADE"}]}]}"#
                .to_string(),
        )
        .unwrap();
        let list = parse_instruments(&d).unwrap();
        c.set_spec(
            "206",
            crate::tradelocker::specs::Spec {
                contract: Some(dec!(100000)),
                ..crate::tradelocker::specs::Spec::unknown(&list[0])
            },
        );
        c.set_instruments(list);
        c
    }

    #[test]
    fn positions_net_per_instrument_in_units_with_a_weighted_average() {
        let c = catalog();
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
                symbol: "EURUSD".into(),
                qty: dec!(35000),
                avg_price: Some(dec!(1.1030))
            }]
        );
        // Lots whose contract size is unknown are never reported as units.
        let unknown = net(
            &[pos("1", Side::Buy, dec!(0.10), dec!(1.1))],
            &Catalog::default(),
        );
        assert_eq!(
            unknown[0].symbol,
            format!("206{}", crate::tradelocker::catalog::IN_LOTS)
        );
        assert_eq!(unknown[0].qty, dec!(0.10));
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
