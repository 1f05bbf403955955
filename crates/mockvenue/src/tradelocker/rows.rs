//! The mock's `/trade/config` column lists and its positional rows.
//!
//! The column ids are the ones the official client knows (see the notes),
//! deliberately in a different order from the notes' lists, so an adapter
//! that reads rows by fixed position fails. Numbers go out sometimes as
//! JSON numbers and sometimes as strings (alternating by row and column),
//! as different TradeLocker brokers send them.

use super::book::{AccountFigures, Book, MockExecution, MockOrder, MockPosition};
use rust_decimal::Decimal;

pub(crate) const ORDERS: &[&str] = &[
    "strategyId",
    "status",
    "id",
    "side",
    "qty",
    "filledQty",
    "type",
    "tradableInstrumentId",
    "routeId",
    "avgPrice",
    "price",
    "stopPrice",
    "validity",
    "expireDate",
    "createdDate",
    "lastModified",
    "isOpen",
    "positionId",
    "stopLoss",
    "stopLossType",
    "takeProfit",
    "takeProfitType",
];

pub(crate) const ORDERS_HISTORY: &[&str] = &[
    "id",
    "qty",
    "status",
    "tradableInstrumentId",
    "strategyId",
    "side",
    "type",
    "filledQty",
    "avgPrice",
    "positionId",
    "routeId",
    "price",
    "stopPrice",
    "validity",
    "expireDate",
    "createdDate",
    "lastModified",
    "isOpen",
    "stopLoss",
    "stopLossType",
    "takeProfit",
    "takeProfitType",
];

pub(crate) const POSITIONS: &[&str] = &[
    "qty",
    "side",
    "id",
    "avgPrice",
    "tradableInstrumentId",
    "routeId",
    "stopLossId",
    "takeProfitId",
    "openDate",
    "unrealizedPl",
    "strategyId",
];

pub(crate) const EXECUTIONS: &[&str] = &[
    "orderId",
    "qty",
    "id",
    "tradableInstrumentId",
    "side",
    "price",
    "positionId",
    "createdDate",
];

pub(crate) const ACCOUNT: &[&str] = &[
    "availableFunds",
    "projectedBalance",
    "openGrossPnL",
    "balance",
    "blockedBalance",
    "cashBalance",
    "unsettledCash",
    "withdrawalAvailable",
    "stocksValue",
    "optionValue",
    "maintMarginReq",
    "initialMarginReq",
    "marginWarningLevel",
    "blockedForStocks",
    "stockOrdersReq",
    "stopOutLevel",
    "warningMarginReq",
    "marginBeforeWarning",
    "todayGross",
    "todayNet",
    "todayFees",
    "todayVolume",
    "todayTradesCount",
    "openNetPnL",
    "positionsCount",
    "ordersCount",
];

/// One cell before rendering.
enum Cell {
    Text(String),
    Num(String),
    Bool(bool),
    Null,
}

fn num(d: Decimal) -> Cell {
    Cell::Num(d.normalize().to_string())
}

fn opt(d: Option<Decimal>) -> Cell {
    d.map_or(Cell::Null, num)
}

fn text(s: &Option<String>) -> Cell {
    s.as_ref().map_or(Cell::Null, |s| Cell::Text(s.clone()))
}

/// A JSON string literal.
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Renders a row; numbers alternate between number and string form.
fn render(cells: Vec<Cell>, row: usize) -> String {
    let parts: Vec<String> = cells
        .into_iter()
        .enumerate()
        .map(|(i, c)| match c {
            Cell::Text(s) => quoted(&s),
            Cell::Num(n) if (i + row).is_multiple_of(2) => n,
            Cell::Num(n) => quoted(&n),
            Cell::Bool(b) => b.to_string(),
            Cell::Null => "null".into(),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

fn order_cell(o: &MockOrder, col: &str) -> Cell {
    match col {
        "id" => Cell::Num(o.id.clone()),
        "tradableInstrumentId" => Cell::Num(o.tradable_id.to_string()),
        "routeId" => Cell::Num(o.route_id.to_string()),
        "qty" => num(o.qty),
        "side" => Cell::Text(o.side.clone()),
        "type" => Cell::Text(o.kind.clone()),
        "status" => Cell::Text(o.status.clone()),
        "filledQty" => num(o.filled),
        "avgPrice" => num(o.avg_price),
        "price" => opt(o.price),
        "stopPrice" => opt(o.stop_price),
        "validity" => Cell::Text(o.validity.clone()),
        "expireDate" => Cell::Num("0".into()),
        "createdDate" => Cell::Num(o.created_ms.to_string()),
        "lastModified" => Cell::Num(o.modified_ms.to_string()),
        "isOpen" => Cell::Bool(o.is_open()),
        "positionId" => o
            .position_id
            .as_ref()
            .map_or(Cell::Num("0".into()), |p| Cell::Num(p.clone())),
        "stopLoss" => opt(o.stop_loss),
        "stopLossType" => text(&o.stop_loss.map(|_| "absolute".to_string())),
        "takeProfit" => opt(o.take_profit),
        "takeProfitType" => text(&o.take_profit.map(|_| "absolute".to_string())),
        "strategyId" => text(&o.strategy_id),
        _ => Cell::Null,
    }
}

fn position_cell(b: &Book, p: &MockPosition, col: &str) -> Cell {
    match col {
        "id" => Cell::Num(p.id.clone()),
        "tradableInstrumentId" => Cell::Num(p.tradable_id.to_string()),
        "routeId" => Cell::Num(p.route_id.to_string()),
        "side" => Cell::Text(p.side.clone()),
        "qty" => num(p.qty),
        "avgPrice" => num(p.avg_price),
        "stopLossId" => text(&p.stop_loss_id),
        "takeProfitId" => text(&p.take_profit_id),
        "openDate" => Cell::Num(p.open_ms.to_string()),
        "unrealizedPl" => {
            let size = b
                .instruments
                .iter()
                .find(|i| i.name == p.instrument)
                .map_or(Decimal::ONE, |i| i.contract_size);
            let px = b.prices.get(&p.instrument).copied().unwrap_or(p.avg_price);
            let sign = if p.side == "buy" {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            num(((px - p.avg_price) * p.qty * size * sign).round_dp(2))
        }
        "strategyId" => text(&p.strategy_id),
        _ => Cell::Null,
    }
}

fn execution_cell(e: &MockExecution, col: &str) -> Cell {
    match col {
        "id" => Cell::Num(e.id.clone()),
        "price" => num(e.price),
        "side" => Cell::Text(e.side.clone()),
        "createdDate" => Cell::Num(e.created_ms.to_string()),
        "qty" => num(e.qty),
        "orderId" => Cell::Num(e.order_id.clone()),
        "positionId" => Cell::Num(e.position_id.clone()),
        "tradableInstrumentId" => Cell::Num(e.tradable_id.to_string()),
        _ => Cell::Null,
    }
}

fn account_cell(f: &AccountFigures, col: &str) -> Cell {
    match col {
        "balance" | "cashBalance" => num(f.balance),
        "projectedBalance" => num(f.equity),
        "availableFunds" | "withdrawalAvailable" => num(f.available),
        "initialMarginReq" => num(f.margin),
        "maintMarginReq" => num((f.margin / Decimal::TWO).round_dp(2)),
        "openGrossPnL" | "openNetPnL" => num(f.open_pnl),
        "todayTradesCount" => Cell::Num(f.trades_today.to_string()),
        "positionsCount" => Cell::Num(f.positions.to_string()),
        "ordersCount" => Cell::Num(f.orders.to_string()),
        _ => Cell::Num("0".into()),
    }
}

/// `{"<key>":[rows…]}` for these orders.
pub(crate) fn orders(key: &str, cols: &[&str], list: &[&MockOrder]) -> String {
    let rows: Vec<String> = list
        .iter()
        .enumerate()
        .map(|(r, o)| render(cols.iter().map(|c| order_cell(o, c)).collect(), r))
        .collect();
    format!("{{{}:[{}]}}", quoted(key), rows.join(","))
}

pub(crate) fn positions(b: &Book) -> String {
    let rows: Vec<String> = b
        .positions
        .iter()
        .enumerate()
        .map(|(r, p)| {
            render(
                POSITIONS.iter().map(|c| position_cell(b, p, c)).collect(),
                r,
            )
        })
        .collect();
    format!("{{\"positions\":[{}]}}", rows.join(","))
}

pub(crate) fn executions(b: &Book) -> String {
    let rows: Vec<String> = b
        .executions
        .iter()
        .enumerate()
        .map(|(r, e)| render(EXECUTIONS.iter().map(|c| execution_cell(e, c)).collect(), r))
        .collect();
    format!("{{\"executions\":[{}]}}", rows.join(","))
}

pub(crate) fn account(f: &AccountFigures) -> String {
    let row = render(ACCOUNT.iter().map(|c| account_cell(f, c)).collect(), 1);
    format!("{{\"accountDetailsData\":{row}}}")
}

/// The `columns` list of one config table.
pub(crate) fn table(id: &str, title: &str, cols: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": title,
        "columns": cols
            .iter()
            .map(|c| serde_json::json!({ "id": c, "description": c }))
            .collect::<Vec<_>>(),
    })
}
