//! The MEXC mock's truth: symbols and their rules, balances, orders and
//! trades, and the matching that moves them. Every change yields the
//! pushes ([`Push`]) the private stream must carry.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;

/// A symbol the mock trades, with MEXC's rule fields and a price.
#[derive(Clone, Debug)]
pub struct MockSymbol {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// `"1"` online, `"2"` paused, `"3"` offline (MEXC's table).
    pub status: String,
    /// `baseAssetPrecision`: decimals of a quantity.
    pub base_precision: u32,
    /// `quoteAssetPrecision`: decimals of a price.
    pub quote_precision: u32,
    /// `baseSizePrecision`: minimum quantity.
    pub min_qty: Decimal,
    /// `quoteAmountPrecision`: minimum order value.
    pub min_value: Decimal,
    /// `maxQuoteAmountMarket`: maximum market order value.
    pub max_value_market: Decimal,
    /// Where market orders fill and limits are marketable against.
    pub price: Decimal,
}

/// An order as the mock holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockOrder {
    /// MEXC-style opaque id (`C02__…`).
    pub order_id: String,
    pub client_id: String,
    pub symbol: String,
    /// `BUY` / `SELL`.
    pub side: String,
    /// `LIMIT`, `MARKET`, `IMMEDIATE_OR_CANCEL`.
    pub kind: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub executed: Decimal,
    pub cum_quote: Decimal,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `PARTIALLY_CANCELED`.
    pub status: String,
    pub time: i64,
}

impl MockOrder {
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }

    /// The order as `GET /api/v3/order` and `openOrders` show it.
    pub fn json(&self) -> Value {
        json!({
            "symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_id, "price": plain(self.price),
            "origQty": plain(self.qty), "executedQty": plain(self.executed),
            "cummulativeQuoteQty": plain(self.cum_quote), "status": self.status,
            "timeInForce": if self.kind == "IMMEDIATE_OR_CANCEL" { "IOC" } else { "GTC" },
            "type": self.kind, "side": self.side, "stopPrice": "0",
            "time": self.time, "updateTime": self.time, "isWorking": self.is_open(),
            "origQuoteOrderQty": "0"
        })
    }

    /// MEXC's stream status number.
    pub fn status_code(&self) -> i32 {
        match self.status.as_str() {
            "NEW" => 1,
            "FILLED" => 2,
            "PARTIALLY_FILLED" => 3,
            "CANCELED" => 4,
            _ => 5,
        }
    }
}

/// One execution.
#[derive(Clone, Debug, PartialEq)]
pub struct MockTrade {
    pub id: String,
    pub order_id: String,
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
    /// The trade as `GET /api/v3/myTrades` shows it.
    pub fn json(&self) -> Value {
        json!({
            "symbol": self.symbol, "id": self.id, "orderId": self.order_id, "orderListId": -1,
            "price": plain(self.price), "qty": plain(self.qty),
            "quoteQty": plain(self.price * self.qty), "commission": plain(self.commission),
            "commissionAsset": self.commission_asset, "time": self.time,
            "isBuyer": self.side == "BUY", "isMaker": self.is_maker, "isBestMatch": true,
            "isSelfTrade": false,
            "clientOrderId": if self.client_id.is_empty() { Value::Null } else { json!(self.client_id) }
        })
    }
}

/// Free and locked amounts of one asset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Balance {
    pub free: Decimal,
    pub locked: Decimal,
}

/// What the private stream must carry after a change.
#[derive(Clone, Debug)]
pub enum Push {
    Order(MockOrder),
    Deal(MockTrade),
}

/// A decimal as MEXC prints it: plain, no trailing zeros.
pub fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A refusal: MEXC code and message (HTTP 400).
pub type Refusal = (i64, String);

/// What a new order asks for.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub symbol: String,
    pub side: String,
    pub kind: String,
    pub qty: Decimal,
    pub price: Decimal,
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
}

/// A symbol with the mock's usual rules: quantities to 6 decimals (and at
/// least 0.000001), prices to 2, orders worth at least 5 of the quote,
/// market orders at most 100000.
pub(crate) fn sym(base: &str, quote: &str, price: Decimal) -> MockSymbol {
    MockSymbol {
        symbol: format!("{base}{quote}"),
        base: base.into(),
        quote: quote.into(),
        status: "1".into(),
        base_precision: 6,
        quote_precision: 2,
        min_qty: Decimal::new(1, 6),
        min_value: Decimal::new(5, 0),
        max_value_market: Decimal::new(100_000, 0),
        price,
    }
}

fn refuse(code: i64, msg: &str) -> Refusal {
    (code, msg.to_string())
}

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
            next_order: 505_979_017_439_002_600,
            next_trade: 805_000_000_000_000_000,
        }
    }

    /// The exchangeInfo entry of a symbol, in MEXC's shape.
    pub fn symbol_json(s: &MockSymbol) -> Value {
        json!({
            "symbol": s.symbol, "status": s.status, "baseAsset": s.base,
            "baseAssetPrecision": s.base_precision, "quoteAsset": s.quote,
            "quotePrecision": s.quote_precision, "quoteAssetPrecision": s.quote_precision,
            "baseCommissionPrecision": s.base_precision, "quoteCommissionPrecision": s.quote_precision,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "isSpotTradingAllowed": true, "isMarginTradingAllowed": false,
            "quoteAmountPrecision": plain(s.min_value),
            "baseSizePrecision": plain(s.min_qty),
            "permissions": ["SPOT"], "filters": [],
            "maxQuoteAmount": "2000000", "makerCommission": "0", "takerCommission": "0.001",
            "quoteAmountPrecisionMarket": plain(s.min_value),
            "maxQuoteAmountMarket": plain(s.max_value_market),
            "fullName": s.base, "tradeSideType": 1
        })
    }

    fn bal(&mut self, asset: &str) -> &mut Balance {
        self.balances.entry(asset.to_string()).or_default()
    }

    /// The newest order of a symbol under a client id.
    pub fn order_by_client(&self, symbol: &str, client_id: &str) -> Option<&MockOrder> {
        self.orders
            .iter()
            .rev()
            .find(|o| o.symbol == symbol && o.client_id == client_id)
    }

    /// A fresh MEXC-style order id.
    pub fn fresh_order_id(&mut self) -> String {
        self.next_order += 1;
        format!("C02__{}", self.next_order)
    }

    /// Places an order: checks the rules and balances, then matches it.
    /// Returns the order and the pushes it caused.
    pub fn place(&mut self, n: NewOrder, now: i64) -> Result<(MockOrder, Vec<Push>), Refusal> {
        let s = self
            .symbols
            .get(&n.symbol)
            .cloned()
            .ok_or_else(|| refuse(10007, "bad symbol"))?;
        if s.status != "1" {
            return Err(refuse(30000, "suspended transaction for the symbol"));
        }
        if n.side != "BUY" && n.side != "SELL" {
            return Err(refuse(33333, "param is error"));
        }
        let limit_priced = matches!(n.kind.as_str(), "LIMIT" | "IMMEDIATE_OR_CANCEL");
        if !limit_priced && n.kind != "MARKET" {
            return Err(refuse(30041, "current order type can not place order"));
        }
        if n.qty <= Decimal::ZERO || n.qty.normalize().scale() > s.base_precision {
            return Err(refuse(
                700008,
                "Illegal characters found in parameter 'quantity'",
            ));
        }
        if limit_priced
            && (n.price <= Decimal::ZERO || n.price.normalize().scale() > s.quote_precision)
        {
            return Err(refuse(
                700008,
                "Illegal characters found in parameter 'price'",
            ));
        }
        let px = if limit_priced { n.price } else { s.price };
        if n.qty < s.min_qty || n.qty * px < s.min_value {
            return Err((
                30002,
                format!(
                    "The minimum transaction volume cannot be less than:{}{}",
                    plain(s.min_value),
                    s.quote
                ),
            ));
        }
        if !limit_priced && n.qty * px > s.max_value_market {
            return Err((
                30003,
                format!(
                    "The maximum transaction volume cannot be greater than :{}{}",
                    plain(s.max_value_market),
                    s.quote
                ),
            ));
        }
        // Reserve what the order may spend.
        let (asset, need) = if n.side == "BUY" {
            (s.quote.clone(), n.qty * px)
        } else {
            (s.base.clone(), n.qty)
        };
        if self.bal(&asset).free < need {
            return Err(refuse(30004, "Insufficient position"));
        }
        let order_id = self.fresh_order_id();
        let mut o = MockOrder {
            order_id,
            client_id: n.client_id,
            symbol: n.symbol,
            side: n.side,
            kind: n.kind,
            qty: n.qty,
            price: if limit_priced { n.price } else { Decimal::ZERO },
            executed: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            status: "NEW".into(),
            time: now,
        };
        let b = self.bal(&asset);
        b.free -= need;
        b.locked += need;
        let mut pushes = vec![Push::Order(o.clone())];
        let marketable = o.kind == "MARKET"
            || (o.side == "BUY" && o.price >= s.price)
            || (o.side == "SELL" && o.price <= s.price);
        self.orders.push(o.clone());
        if marketable {
            pushes.extend(self.execute(&o.order_id, o.qty, s.price, false, now)?);
        } else if o.kind == "IMMEDIATE_OR_CANCEL" {
            pushes.extend(self.end(&o.order_id));
        }
        if let Some(cur) = self.orders.iter().find(|x| x.order_id == o.order_id) {
            o = cur.clone();
        }
        Ok((o, pushes))
    }

    /// The reserve an open order holds per unit of quantity.
    fn reserve_per_unit(o: &MockOrder, s: &MockSymbol) -> Decimal {
        if o.side == "SELL" {
            Decimal::ONE
        } else if o.price > Decimal::ZERO {
            o.price
        } else {
            s.price
        }
    }

    /// Fills `qty` of an order at `price`, moving balances; the fee is
    /// charged in the asset received.
    pub fn execute(
        &mut self,
        order_id: &str,
        qty: Decimal,
        price: Decimal,
        maker: bool,
        now: i64,
    ) -> Result<Vec<Push>, Refusal> {
        let idx = self
            .orders
            .iter()
            .position(|o| o.order_id == order_id)
            .ok_or_else(|| refuse(-2011, "Unknown order sent"))?;
        let o = self.orders[idx].clone();
        let s = self
            .symbols
            .get(&o.symbol)
            .cloned()
            .ok_or_else(|| refuse(10007, "bad symbol"))?;
        if !o.is_open() || qty <= Decimal::ZERO || o.executed + qty > o.qty {
            return Err(refuse(33333, "fill exceeds the order's remaining quantity"));
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
            id: format!("{}X1", self.next_trade),
            order_id: o.order_id.clone(),
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
        let mut pushes = vec![Push::Deal(t), Push::Order(cur.clone())];
        // A market order's rest never waits.
        if cur.kind == "MARKET" && cur.is_open() {
            pushes.extend(self.end(order_id));
        }
        Ok(pushes)
    }

    /// Ends an open order (a cancel, or an IOC rest), releasing its
    /// reserve: `CANCELED`, or `PARTIALLY_CANCELED` after fills.
    pub fn end(&mut self, order_id: &str) -> Vec<Push> {
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
        self.orders[idx].status = if o.executed.is_zero() {
            "CANCELED".into()
        } else {
            "PARTIALLY_CANCELED".into()
        };
        vec![Push::Order(self.orders[idx].clone())]
    }
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}
