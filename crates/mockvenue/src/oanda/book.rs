//! The mock's truth: instruments, prices, the account's balance, orders,
//! trades (positions are their sum) and the transaction history, with the
//! account's figures (NAV, margin) and the recording of transactions,
//! each published as a transaction-stream line. Trading is in
//! `trading.rs`, the JSON views in `views.rs`.
//!
//! Netting as on a v20 account without hedging: an order first reduces
//! the opposite trades of its instrument (oldest first) and opens a trade
//! with the rest; the opened trade's id is its fill's transaction id, as
//! OANDA numbers them. Profit and loss is booked in the account currency
//! without conversion (the mock prices every instrument in it).

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// What the stream connections receive.
#[derive(Clone, Debug)]
pub(crate) enum Frame {
    /// One line (newline included) for every connection.
    Line(Vec<u8>),
    /// Cut every connection.
    Drop,
}

/// An instrument and its trading rules (`GET …/instruments`).
#[derive(Clone, Debug, PartialEq)]
pub struct MockInstrument {
    /// `EUR_USD`
    pub name: String,
    pub display_precision: u32,
    pub trade_units_precision: u32,
    pub minimum_trade_size: Decimal,
    pub maximum_order_units: Decimal,
    /// Margin per unit of position value (`0.05` = 20:1).
    pub margin_rate: Decimal,
    pub pip_location: i32,
}

/// An order as the mock keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOrder {
    pub id: String,
    /// `clientExtensions.id`, when given.
    pub client_id: Option<String>,
    /// `MARKET`, `LIMIT`, `STOP`, `TAKE_PROFIT`, `STOP_LOSS`.
    pub kind: String,
    pub instrument: String,
    /// Signed units (negative sells); a dependent exit's are the units it
    /// would close when created.
    pub units: Decimal,
    pub price: Option<Decimal>,
    pub time_in_force: String,
    /// `PENDING`, `FILLED`, `CANCELLED`.
    pub state: String,
    /// The trade a dependent exit closes.
    pub trade_id: Option<String>,
    /// `takeProfitOnFill` / `stopLossOnFill` prices.
    pub take_profit_on_fill: Option<Decimal>,
    pub stop_loss_on_fill: Option<Decimal>,
    pub filling_transaction_id: Option<String>,
    pub cancelling_transaction_id: Option<String>,
    pub trade_opened_id: Option<String>,
    pub create_time: String,
    /// `DEFAULT` or `REDUCE_ONLY` (closeouts).
    pub position_fill: String,
}

/// A trade (one fill's opened units, reduced by later fills).
#[derive(Clone, Debug, PartialEq)]
pub struct MockTrade {
    pub id: String,
    pub instrument: String,
    pub price: Decimal,
    pub initial_units: Decimal,
    pub current_units: Decimal,
    /// `OPEN` or `CLOSED`.
    pub state: String,
    pub realized_pl: Decimal,
    pub open_time: String,
    pub take_profit_order_id: Option<String>,
    pub stop_loss_order_id: Option<String>,
}

/// A position: both sides of an instrument (short units negative).
#[derive(Clone, Debug, PartialEq)]
pub struct MockPosition {
    pub instrument: String,
    pub long_units: Decimal,
    pub long_average_price: Option<Decimal>,
    pub short_units: Decimal,
    pub short_average_price: Option<Decimal>,
}

/// An answer: HTTP status and OANDA's body.
pub(crate) type Answer = (u16, Value);

/// Now as OANDA writes it, `2016-10-28T15:11:58.023004583Z`.
pub(crate) fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        t / 3600,
        t / 60 % 60,
        t % 60,
        d.subsec_nanos()
    )
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Money as OANDA writes it: four decimals.
pub(crate) fn money(d: Decimal) -> String {
    format!("{:.4}", d.round_dp(4))
}

pub(super) fn units_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A decimal sent as a string (OANDA's way) or as a JSON number.
pub(crate) fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Decimal places of a decimal as written (trailing zeros dropped).
pub(super) fn places(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// The whole state of the mock account.
pub(crate) struct Book {
    pub account_id: String,
    pub currency: String,
    pub balance: Decimal,
    /// Replaces the computed NAV while set (drives prop-rule tests).
    pub nav_override: Option<Decimal>,
    pub instruments: BTreeMap<String, MockInstrument>,
    pub prices: BTreeMap<String, Decimal>,
    pub orders: Vec<MockOrder>,
    pub trades: Vec<MockTrade>,
    pub transactions: Vec<Value>,
    /// Every client id ever used: reuse is refused forever.
    pub used_ids: HashSet<String>,
    pub duplicate_next_fill: bool,
    /// The next IOC order fills only this many units (see
    /// `MockOanda::partial_fill_next`).
    pub partial_next: Option<Decimal>,
    /// The cancel of the remainder of the partial fill just made.
    pub(super) remainder_cancel: Option<Value>,
    last_id: u64,
    /// The id of the first transaction of the request being handled.
    batch: u64,
    frames: broadcast::Sender<Frame>,
}

impl Book {
    pub(crate) fn new(account_id: &str, frames: broadcast::Sender<Frame>) -> Self {
        let mut instruments = BTreeMap::new();
        let mut prices = BTreeMap::new();
        for (name, dp, rate, pip, px) in [
            (
                "EUR_USD",
                5,
                Decimal::new(5, 2),
                -4,
                Decimal::new(108_000, 5),
            ),
            (
                "USD_JPY",
                3,
                Decimal::new(4, 2),
                -2,
                Decimal::new(150_000, 3),
            ),
        ] {
            instruments.insert(
                name.to_string(),
                MockInstrument {
                    name: name.into(),
                    display_precision: dp,
                    trade_units_precision: 0,
                    minimum_trade_size: Decimal::ONE,
                    maximum_order_units: Decimal::new(100_000_000, 0),
                    margin_rate: rate,
                    pip_location: pip,
                },
            );
            prices.insert(name.to_string(), px);
        }
        Self {
            account_id: account_id.into(),
            currency: "USD".into(),
            balance: Decimal::new(100_000, 0),
            nav_override: None,
            instruments,
            prices,
            orders: Vec::new(),
            trades: Vec::new(),
            transactions: Vec::new(),
            used_ids: HashSet::new(),
            duplicate_next_fill: false,
            partial_next: None,
            remainder_cancel: None,
            last_id: 0,
            batch: 0,
            frames,
        }
    }

    pub(crate) fn last_id(&self) -> String {
        self.last_id.to_string()
    }

    pub(super) fn price(&self, instrument: &str) -> Decimal {
        self.prices.get(instrument).copied().unwrap_or(Decimal::ONE)
    }

    pub(super) fn price_text(&self, instrument: &str, p: Decimal) -> String {
        let dp = self
            .instruments
            .get(instrument)
            .map_or(5, |i| i.display_precision);
        format!("{:.*}", dp as usize, p.round_dp(dp))
    }

    pub(super) fn open_trades(&self) -> impl Iterator<Item = &MockTrade> {
        self.trades.iter().filter(|t| t.state == "OPEN")
    }

    pub(crate) fn unrealized(&self) -> Decimal {
        self.open_trades()
            .map(|t| (self.price(&t.instrument) - t.price) * t.current_units)
            .sum()
    }

    pub(crate) fn nav(&self) -> Decimal {
        self.nav_override
            .unwrap_or_else(|| self.balance + self.unrealized())
    }

    pub(super) fn trade_margin(&self, t: &MockTrade) -> Decimal {
        let rate = self
            .instruments
            .get(&t.instrument)
            .map_or(Decimal::ONE, |i| i.margin_rate);
        t.current_units.abs() * self.price(&t.instrument) * rate
    }

    pub(crate) fn margin_used(&self) -> Decimal {
        self.open_trades().map(|t| self.trade_margin(t)).sum()
    }

    pub(crate) fn margin_available(&self) -> Decimal {
        (self.nav() - self.margin_used()).max(Decimal::ZERO)
    }

    /// Positions with open trades, by instrument.
    pub(crate) fn positions(&self) -> Vec<MockPosition> {
        let mut by: BTreeMap<&str, MockPosition> = BTreeMap::new();
        let mut cost: BTreeMap<(&str, bool), Decimal> = BTreeMap::new();
        for t in self.open_trades() {
            let p = by
                .entry(t.instrument.as_str())
                .or_insert_with(|| MockPosition {
                    instrument: t.instrument.clone(),
                    long_units: Decimal::ZERO,
                    long_average_price: None,
                    short_units: Decimal::ZERO,
                    short_average_price: None,
                });
            let long = t.current_units.is_sign_positive();
            if long {
                p.long_units += t.current_units;
            } else {
                p.short_units += t.current_units;
            }
            *cost.entry((t.instrument.as_str(), long)).or_default() +=
                t.current_units.abs() * t.price;
        }
        for (name, p) in &mut by {
            if !p.long_units.is_zero() {
                p.long_average_price = cost
                    .get(&(*name, true))
                    .map(|c| (c / p.long_units).round_dp(5).normalize());
            }
            if !p.short_units.is_zero() {
                p.short_average_price = cost
                    .get(&(*name, false))
                    .map(|c| (c / p.short_units.abs()).round_dp(5).normalize());
            }
        }
        by.into_values().collect()
    }

    // ----- transactions -------------------------------------------------

    /// Starts the transactions of one request (they share a `batchID`).
    pub(crate) fn begin(&mut self) {
        self.batch = self.last_id + 1;
    }

    pub(super) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Records a transaction under `id` with the common fields and
    /// publishes it on the stream.
    pub(super) fn record(&mut self, id: u64, kind: &str, fields: Value) -> Value {
        let mut t = Map::new();
        t.insert("id".into(), json!(id.to_string()));
        t.insert("time".into(), json!(now_rfc3339()));
        t.insert("userID".into(), json!(1_435_156));
        t.insert("accountID".into(), json!(self.account_id));
        t.insert("batchID".into(), json!(self.batch.max(1).to_string()));
        t.insert("requestID".into(), json!(format!("7890{id:08}")));
        t.insert("type".into(), json!(kind));
        if let Value::Object(f) = fields {
            for (k, v) in f {
                if !v.is_null() {
                    t.insert(k, v);
                }
            }
        }
        let t = Value::Object(t);
        self.transactions.push(t.clone());
        let mut line = t.to_string().into_bytes();
        line.push(b'\n');
        let times = if kind == "ORDER_FILL" && std::mem::take(&mut self.duplicate_next_fill) {
            2
        } else {
            1
        };
        for _ in 0..times {
            // No listener is not an error: the stream does not replay.
            let _ = self.frames.send(Frame::Line(line.clone()));
        }
        t
    }

    pub(super) fn add(&mut self, kind: &str, fields: Value) -> Value {
        let id = self.next_id();
        self.record(id, kind, fields)
    }

    /// Sends a raw line to every stream connection.
    pub(crate) fn send_raw(&self, frame: Frame) {
        let _ = self.frames.send(frame);
    }

    fn related(&self) -> Value {
        let ids: Vec<String> = (self.batch.max(1)..=self.last_id)
            .map(|i| i.to_string())
            .collect();
        json!(ids)
    }

    /// Adds `relatedTransactionIDs` and `lastTransactionID` to an answer.
    pub(super) fn envelope(&self, mut body: Map<String, Value>) -> Value {
        body.insert("relatedTransactionIDs".into(), self.related());
        body.insert("lastTransactionID".into(), json!(self.last_id()));
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_money_are_written_as_oanda_does() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(17_102), (2016, 10, 28));
        let t = now_rfc3339();
        assert_eq!((t.len(), &t[10..11], &t[29..]), (30, "T", "Z"), "{t}");
        assert_eq!(money(Decimal::new(1, 0)), "1.0000");
        assert_eq!(money(Decimal::new(-12_345_678, 5)), "-123.4568");
    }
}
