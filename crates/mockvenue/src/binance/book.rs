//! The mock's truth: symbols and their filters, balances, orders and
//! trades, and the matching that moves them. Every change yields the
//! `executionReport` events the stream must carry.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;

/// A symbol the mock trades, with its filters and current price.
#[derive(Clone, Debug)]
pub struct MockSymbol {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub status: String,
    pub tick: Decimal,
    pub step: Decimal,
    pub min_qty: Decimal,
    pub max_qty: Decimal,
    pub min_notional: Decimal,
    /// Where market orders fill and limits are marketable against.
    pub price: Decimal,
}

/// An order as the mock holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOrder {
    pub order_id: u64,
    pub client_id: String,
    pub symbol: String,
    /// `BUY` / `SELL`.
    pub side: String,
    /// `MARKET`, `LIMIT`, `STOP_LOSS`, `STOP_LOSS_LIMIT`.
    pub kind: String,
    pub tif: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub stop: Decimal,
    pub executed: Decimal,
    pub cum_quote: Decimal,
    /// Binance status: `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`.
    pub status: String,
    pub time: i64,
}

impl MockOrder {
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }

    /// The order as the REST API shows it.
    pub fn json(&self) -> Value {
        json!({
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_id, "price": f8(self.price),
            "origQty": f8(self.qty), "executedQty": f8(self.executed),
            "cummulativeQuoteQty": f8(self.cum_quote), "status": self.status,
            "timeInForce": self.tif, "type": self.kind, "side": self.side,
            "stopPrice": f8(self.stop), "icebergQty": f8(Decimal::ZERO),
            "time": self.time, "updateTime": self.time, "isWorking": true,
            "workingTime": self.time, "origQuoteOrderQty": f8(Decimal::ZERO),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        })
    }
}

/// One execution.
#[derive(Clone, Debug, PartialEq)]
pub struct MockTrade {
    pub id: u64,
    pub order_id: u64,
    pub client_id: String,
    pub symbol: String,
    pub side: String,
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub time: i64,
    pub is_maker: bool,
}

impl MockTrade {
    pub fn json(&self) -> Value {
        json!({
            "symbol": self.symbol, "id": self.id, "orderId": self.order_id, "orderListId": -1,
            "price": f8(self.price), "qty": f8(self.qty), "quoteQty": f8(self.price * self.qty),
            "commission": f8(self.commission), "commissionAsset": self.commission_asset,
            "time": self.time, "isBuyer": self.side == "BUY", "isMaker": self.is_maker,
            "isBestMatch": true,
        })
    }
}

/// Free and locked amounts of one asset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Balance {
    pub free: Decimal,
    pub locked: Decimal,
}

/// Binance prints decimals with 8 places.
pub fn f8(d: Decimal) -> String {
    format!("{d:.8}")
}

/// A refusal: Binance code and message (HTTP 400).
pub type Refusal = (i64, String);

/// What a new order asks for.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub symbol: String,
    pub side: String,
    pub kind: String,
    pub tif: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub stop: Decimal,
    pub client_id: String,
}

/// The truth book.
#[derive(Debug)]
pub struct Book {
    pub symbols: HashMap<String, MockSymbol>,
    pub balances: HashMap<String, Balance>,
    pub orders: Vec<MockOrder>,
    pub trades: Vec<MockTrade>,
    pub fee_rate: Decimal,
    next_order: u64,
    next_trade: u64,
    next_client: u64,
}

/// A symbol with the mock's usual filters (tick 0.01, step 0.00001,
/// minimum notional 5).
pub(crate) fn sym(base: &str, quote: &str, price: Decimal) -> MockSymbol {
    MockSymbol {
        symbol: format!("{base}{quote}"),
        base: base.into(),
        quote: quote.into(),
        status: "TRADING".into(),
        tick: Decimal::new(1, 2),
        step: Decimal::new(1, 5),
        min_qty: Decimal::new(1, 5),
        max_qty: Decimal::new(9000, 0),
        min_notional: Decimal::new(5, 0),
        price,
    }
}

fn refuse(code: i64, msg: &str) -> Refusal {
    (code, msg.to_string())
}

const INSUFFICIENT: &str = "Account has insufficient balance for requested action.";

impl Book {
    pub fn new() -> Self {
        let mut symbols = HashMap::new();
        for s in [
            sym("BTC", "USDT", Decimal::new(50000, 0)),
            sym("ETH", "USDT", Decimal::new(3000, 0)),
        ] {
            symbols.insert(s.symbol.clone(), s);
        }
        let mut balances = HashMap::new();
        balances.insert(
            "USDT".to_string(),
            Balance {
                free: Decimal::new(10000, 0),
                locked: Decimal::ZERO,
            },
        );
        Self {
            symbols,
            balances,
            orders: Vec::new(),
            trades: Vec::new(),
            fee_rate: Decimal::new(1, 3),
            next_order: 1000,
            next_trade: 500,
            next_client: 1,
        }
    }

    /// The exchangeInfo entry of a symbol.
    pub fn symbol_json(s: &MockSymbol) -> Value {
        json!({
            "symbol": s.symbol, "status": s.status, "baseAsset": s.base, "baseAssetPrecision": 8,
            "quoteAsset": s.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "isSpotTradingAllowed": true,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": f8(s.tick), "maxPrice": "1000000.00000000", "tickSize": f8(s.tick)},
                {"filterType": "LOT_SIZE", "minQty": f8(s.min_qty), "maxQty": f8(s.max_qty), "stepSize": f8(s.step)},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0.00000000"},
                {"filterType": "NOTIONAL", "minNotional": f8(s.min_notional), "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}
            ],
            "permissions": [], "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]
        })
    }

    fn bal(&mut self, asset: &str) -> &mut Balance {
        self.balances.entry(asset.to_string()).or_default()
    }

    pub fn order_by_client(&self, symbol: &str, client_id: &str) -> Option<&MockOrder> {
        // The newest order under that id (a closed order's id may be reused).
        self.orders
            .iter()
            .rev()
            .find(|o| o.symbol == symbol && o.client_id == client_id)
    }

    /// A client id for an order that did not name one.
    pub fn fresh_client_id(&mut self) -> String {
        self.next_client += 1;
        format!("web_{:020}", self.next_client)
    }

    /// Places an order: checks filters, duplicates and balances, then
    /// matches it. Returns the order and the events it caused.
    pub fn place(&mut self, n: NewOrder, now: i64) -> Result<(MockOrder, Vec<Value>), Refusal> {
        let s = self
            .symbols
            .get(&n.symbol)
            .cloned()
            .ok_or_else(|| refuse(-1121, "Invalid symbol."))?;
        if s.status != "TRADING" {
            return Err(refuse(-1013, "Market is closed."));
        }
        if n.side != "BUY" && n.side != "SELL" {
            return Err(refuse(
                -1100,
                "Illegal characters found in parameter 'side'.",
            ));
        }
        let limit_priced = matches!(n.kind.as_str(), "LIMIT" | "STOP_LOSS_LIMIT");
        if !matches!(
            n.kind.as_str(),
            "MARKET" | "LIMIT" | "STOP_LOSS" | "STOP_LOSS_LIMIT"
        ) {
            return Err(refuse(-1116, "Invalid orderType."));
        }
        if n.qty <= Decimal::ZERO
            || n.qty < s.min_qty
            || n.qty > s.max_qty
            || !(n.qty % s.step).is_zero()
        {
            return Err(refuse(-1013, "Filter failure: LOT_SIZE"));
        }
        if limit_priced && (n.price <= Decimal::ZERO || !(n.price % s.tick).is_zero()) {
            return Err(refuse(-1013, "Filter failure: PRICE_FILTER"));
        }
        let px = if limit_priced { n.price } else { s.price };
        if n.qty * px < s.min_notional {
            return Err(refuse(-1013, "Filter failure: NOTIONAL"));
        }
        if self
            .orders
            .iter()
            .any(|o| o.is_open() && o.client_id == n.client_id)
        {
            return Err(refuse(-2010, "Duplicate order sent."));
        }
        // Reserve what the order may spend.
        let (asset, need) = if n.side == "BUY" {
            (s.quote.clone(), n.qty * px)
        } else {
            (s.base.clone(), n.qty)
        };
        if self.bal(&asset).free < need {
            return Err(refuse(-2010, INSUFFICIENT));
        }
        self.next_order += 1;
        let mut o = MockOrder {
            order_id: self.next_order,
            client_id: n.client_id,
            symbol: n.symbol,
            side: n.side,
            kind: n.kind,
            tif: if limit_priced { n.tif } else { "GTC".into() },
            qty: n.qty,
            price: if limit_priced { n.price } else { Decimal::ZERO },
            stop: n.stop,
            executed: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            status: "NEW".into(),
            time: now,
        };
        let b = self.bal(&asset);
        b.free -= need;
        b.locked += need;
        let mut events = vec![report(&o, "NEW", None, now)];
        let marketable = match o.kind.as_str() {
            "MARKET" => true,
            "LIMIT" => {
                (o.side == "BUY" && o.price >= s.price) || (o.side == "SELL" && o.price <= s.price)
            }
            // Stops wait for a trigger the mock never fires.
            _ => false,
        };
        self.orders.push(o.clone());
        if marketable {
            events.extend(self.execute(o.order_id, o.qty, s.price, false, now)?);
        } else if o.tif == "IOC" {
            events.extend(self.end(o.order_id, "EXPIRED", None, now));
        }
        if let Some(cur) = self.orders.iter().find(|x| x.order_id == o.order_id) {
            o = cur.clone();
        }
        Ok((o, events))
    }

    /// The reserve an open order holds per unit of quantity (quote per
    /// unit for a buy, one base unit for a sell).
    fn reserve_per_unit(o: &MockOrder, s: &MockSymbol) -> Decimal {
        if o.side == "SELL" {
            Decimal::ONE
        } else if o.price > Decimal::ZERO {
            o.price
        } else {
            s.price
        }
    }

    /// Fills `qty` of an order at `price`, moving balances.
    pub fn execute(
        &mut self,
        order_id: u64,
        qty: Decimal,
        price: Decimal,
        maker: bool,
        now: i64,
    ) -> Result<Vec<Value>, Refusal> {
        let idx = self
            .orders
            .iter()
            .position(|o| o.order_id == order_id)
            .ok_or_else(|| refuse(-2013, "Order does not exist."))?;
        let o = self.orders[idx].clone();
        let s = self
            .symbols
            .get(&o.symbol)
            .cloned()
            .ok_or_else(|| refuse(-1121, "Invalid symbol."))?;
        if !o.is_open() || qty <= Decimal::ZERO || o.executed + qty > o.qty {
            return Err(refuse(-1013, "fill exceeds the order's remaining quantity"));
        }
        let unit = Self::reserve_per_unit(&o, &s);
        let quote_amt = qty * price;
        let (fee, fee_asset) = if o.side == "BUY" {
            let fee = qty * self.fee_rate;
            let q = self.bal(&s.quote);
            q.locked -= qty * unit;
            q.free += qty * unit - quote_amt;
            self.bal(&s.base).free += qty - fee;
            (fee, s.base.clone())
        } else {
            let fee = quote_amt * self.fee_rate;
            self.bal(&s.base).locked -= qty;
            self.bal(&s.quote).free += quote_amt - fee;
            (fee, s.quote.clone())
        };
        self.next_trade += 1;
        let t = MockTrade {
            id: self.next_trade,
            order_id,
            client_id: o.client_id.clone(),
            symbol: o.symbol.clone(),
            side: o.side.clone(),
            price,
            qty,
            commission: fee,
            commission_asset: fee_asset,
            time: now,
            is_maker: maker,
        };
        self.trades.push(t.clone());
        let cur = &mut self.orders[idx];
        cur.executed += qty;
        cur.cum_quote += quote_amt;
        cur.status = if cur.executed == cur.qty {
            "FILLED".into()
        } else {
            "PARTIALLY_FILLED".into()
        };
        let cur = cur.clone();
        Ok(vec![report(&cur, "TRADE", Some(&t), now)])
    }

    /// Ends an open order (cancel or expiry), releasing its reserve.
    pub fn end(
        &mut self,
        order_id: u64,
        status: &str,
        cancel_id: Option<&str>,
        now: i64,
    ) -> Vec<Value> {
        let Some(idx) = self.orders.iter().position(|o| o.order_id == order_id) else {
            return Vec::new();
        };
        let o = self.orders[idx].clone();
        let Some(s) = self.symbols.get(&o.symbol).cloned() else {
            return Vec::new();
        };
        let left = o.qty - o.executed;
        let release = left * Self::reserve_per_unit(&o, &s);
        let asset = if o.side == "BUY" { s.quote } else { s.base };
        let b = self.bal(&asset);
        b.locked -= release;
        b.free += release;
        self.orders[idx].status = status.to_string();
        let cur = self.orders[idx].clone();
        let mut e = report(&cur, status, None, now);
        if let (Some(id), Some(obj)) = (cancel_id, e.as_object_mut()) {
            obj.insert("c".into(), json!(id));
            obj.insert("C".into(), json!(cur.client_id));
        }
        vec![e]
    }
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

/// An `executionReport` as Binance sends it.
pub fn report(o: &MockOrder, exec: &str, t: Option<&MockTrade>, now: i64) -> Value {
    let zero = f8(Decimal::ZERO);
    json!({
        "e": "executionReport", "E": now, "s": o.symbol, "c": o.client_id, "S": o.side,
        "o": o.kind, "f": o.tif, "q": f8(o.qty), "p": f8(o.price), "P": f8(o.stop),
        "F": zero, "g": -1, "C": "", "x": exec, "X": o.status, "r": "NONE",
        "i": o.order_id,
        "l": t.map_or(zero.clone(), |t| f8(t.qty)),
        "z": f8(o.executed),
        "L": t.map_or(zero.clone(), |t| f8(t.price)),
        "n": t.map_or("0".to_string(), |t| f8(t.commission)),
        "N": t.map(|t| t.commission_asset.clone()),
        "T": now, "t": t.map_or(-1, |t| i64::try_from(t.id).unwrap_or(-1)),
        "v": 0, "I": 0, "w": o.is_open(), "m": t.is_some_and(|t| t.is_maker), "M": false,
        "O": o.time, "Z": f8(o.cum_quote),
        "Y": t.map_or(zero.clone(), |t| f8(t.price * t.qty)),
        "Q": zero, "W": o.time, "V": "EXPIRE_MAKER"
    })
}
