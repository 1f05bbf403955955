//! Alpaca's per-asset trading rules (`GET /v2/assets/{symbol}`) and the
//! conforming of an order to them before it is sent.

use super::wire::WireAsset;
use crate::api::PlaceRequest;
use omni_core::domain::{OrderType, Side};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::sync::Mutex;

/// What an asset allows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AssetRules {
    /// `us_equity` or `crypto`.
    pub class: String,
    pub tradable: bool,
    pub fractionable: bool,
    pub min_order_size: Option<Decimal>,
    pub min_trade_increment: Option<Decimal>,
    pub price_increment: Option<Decimal>,
}

impl AssetRules {
    pub(crate) fn from_wire(symbol: &str, a: &WireAsset) -> Self {
        Self {
            class: a
                .class
                .clone()
                .unwrap_or_else(|| guess_class(symbol).into()),
            tradable: a.tradable,
            fractionable: a.fractionable,
            min_order_size: a.min_order_size.filter(|d| *d > Decimal::ZERO),
            min_trade_increment: a.min_trade_increment.filter(|d| *d > Decimal::ZERO),
            price_increment: a.price_increment.filter(|d| *d > Decimal::ZERO),
        }
    }

    pub(crate) fn is_equity(&self) -> bool {
        self.class == "us_equity"
    }

    /// The quantity step: whole shares unless fractionable.
    fn qty_step(&self) -> Option<Decimal> {
        if self.fractionable {
            self.min_trade_increment
        } else {
            Some(Decimal::ONE)
        }
    }

    /// The price tick at `price`: the asset's, else Alpaca's equity rule
    /// (cents at or above $1, hundredths of a cent below).
    fn tick(&self, price: Decimal) -> Option<Decimal> {
        self.price_increment.or_else(|| {
            self.is_equity().then(|| {
                if price >= Decimal::ONE {
                    Decimal::new(1, 2)
                } else {
                    Decimal::new(1, 4)
                }
            })
        })
    }
}

/// A pair with a slash is crypto; anything else an equity.
pub(crate) fn guess_class(symbol: &str) -> &'static str {
    if symbol.contains('/') {
        "crypto"
    } else {
        "us_equity"
    }
}

/// The rules of every prepared symbol.
#[derive(Default)]
pub(crate) struct RuleBook {
    by_symbol: Mutex<HashMap<String, AssetRules>>,
}

impl RuleBook {
    pub(crate) fn insert(&self, symbol: &str, rules: AssetRules) {
        self.lock().insert(symbol.to_string(), rules);
    }

    pub(crate) fn get(&self, symbol: &str) -> Option<AssetRules> {
        self.lock().get(symbol).cloned()
    }

    /// Floors the quantity to the step, rounds prices to the tick (a buy
    /// limit down, a sell limit up, so conforming never makes a price
    /// worse), and refuses what the asset does not allow.
    pub(crate) fn conform(
        &self,
        req: &mut PlaceRequest,
        _reference: Decimal,
    ) -> Result<(), String> {
        let sym = req.symbol.clone();
        let rules = self
            .get(&sym)
            .ok_or_else(|| format!("{sym}: no Alpaca asset rules loaded (prepare it first)"))?;
        if !rules.tradable {
            return Err(format!(
                "{sym}: asset is not tradable at Alpaca (tradable=false)"
            ));
        }
        if req.qty <= Decimal::ZERO {
            return Err(format!("{sym}: quantity {} is not positive", req.qty));
        }
        if let Some(step) = rules.qty_step() {
            let floored = floor_to(req.qty, step)
                .ok_or_else(|| format!("{sym}: quantity {} is out of range", req.qty))?;
            if floored <= Decimal::ZERO {
                let rule = if rules.fractionable {
                    format!("min_trade_increment {step}")
                } else {
                    "whole shares (fractionable=false)".into()
                };
                return Err(format!(
                    "{sym}: quantity {} rounds to 0 under {rule}",
                    req.qty
                ));
            }
            req.qty = floored.normalize();
        }
        if let Some(min) = rules.min_order_size
            && req.qty < min
        {
            return Err(format!(
                "{sym}: quantity {} is below min_order_size {min}",
                req.qty
            ));
        }
        let bracket = req.take_profit.is_some() || req.stop_loss.is_some();
        if bracket {
            if !rules.is_equity() {
                return Err(format!(
                    "{sym}: bracket orders (take profit / stop loss) are for US equities only at Alpaca"
                ));
            }
            if req.take_profit.is_none() || req.stop_loss.is_none() {
                return Err(format!(
                    "{sym}: an Alpaca bracket needs both a take profit and a stop loss"
                ));
            }
        }
        if let Some(limit) = req.limit {
            let up = req.side == Side::Sell;
            req.limit = Some(round_price(&rules, limit, up, &sym, "limit")?);
        }
        // Trigger prices have no "better" direction: the nearest tick.
        for (name, price) in [
            ("stop", &mut req.stop),
            ("take_profit", &mut req.take_profit),
            ("stop_loss", &mut req.stop_loss),
        ] {
            if let Some(p) = *price {
                *price = Some(round_near(&rules, p, &sym, name)?);
            }
        }
        if matches!(req.kind, OrderType::Limit | OrderType::StopLimit) && req.limit.is_none() {
            return Err(format!("{sym}: a {:?} order needs a limit price", req.kind));
        }
        if matches!(req.kind, OrderType::Stop | OrderType::StopLimit) && req.stop.is_none() {
            return Err(format!("{sym}: a {:?} order needs a stop price", req.kind));
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, AssetRules>> {
        // Whole-value inserts only: a poisoned map is still consistent.
        self.by_symbol
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `qty` floored to a multiple of `step`; `None` on overflow (checked
/// arithmetic: an absurd quantity must not panic).
fn floor_to(qty: Decimal, step: Decimal) -> Option<Decimal> {
    qty.checked_div(step)?.floor().checked_mul(step)
}

fn round_price(
    rules: &AssetRules,
    price: Decimal,
    up: bool,
    sym: &str,
    name: &str,
) -> Result<Decimal, String> {
    let Some(tick) = rules.tick(price) else {
        return Ok(price);
    };
    let steps = price.checked_div(tick);
    let steps = steps.map(|s| if up { s.ceil() } else { s.floor() });
    positive(steps.and_then(|s| s.checked_mul(tick)), tick, sym, name)
}

fn round_near(
    rules: &AssetRules,
    price: Decimal,
    sym: &str,
    name: &str,
) -> Result<Decimal, String> {
    let Some(tick) = rules.tick(price) else {
        return Ok(price);
    };
    let steps = price
        .checked_div(tick)
        .map(|s| s.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero));
    positive(steps.and_then(|s| s.checked_mul(tick)), tick, sym, name)
}

fn positive(p: Option<Decimal>, tick: Decimal, sym: &str, name: &str) -> Result<Decimal, String> {
    match p {
        Some(p) if p > Decimal::ZERO => Ok(p.normalize()),
        Some(_) => Err(format!(
            "{sym}: {name} price rounds to 0 under price_increment {tick}"
        )),
        None => Err(format!("{sym}: {name} price is out of range")),
    }
}
