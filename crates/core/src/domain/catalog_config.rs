//! `[[venues]]`, `[[instruments]]` and `[[accounts]]`: the definitions the
//! [`Catalog`](super::Catalog) is built from, and the checks on them.

use super::{
    AccountId, AccountInfo, AccountMode, AccountType, AssetClass, Catalog, Instrument,
    InstrumentId, RiskProfile, Venue, VenueId,
};
use crate::validation::{Invalid, MAX_MONEY, above, bad, range};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A venue's fees and order latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// Unique lower-case name, e.g. `binance`.
    pub name: String,
    /// Taker fee, percent of notional.
    pub taker_fee_pct: Decimal,
    /// Maker fee, percent of notional.
    pub maker_fee_pct: Decimal,
    /// Mean one-way order latency to this venue, ms (paper broker).
    pub order_latency_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentConfig {
    /// Our name, e.g. `BTC/USDT`.
    pub name: String,
    /// crypto, forex or metal.
    pub class: AssetClass,
    /// Price increment; must be greater than zero.
    pub tick_size: Decimal,
    /// Quantity increment; must be greater than zero.
    pub lot_size: Decimal,
    pub min_qty: Decimal,
    /// Venues listing it; the first is the reference venue.
    pub venues: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Unique name.
    pub name: String,
    /// spot, margin, prop_firm or binary.
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// conservative, balanced or aggressive.
    pub profile: RiskProfile,
    /// Currency of `balance` and of the money risk limits, e.g. `USDT`.
    pub currency: String,
    /// Starting balance in `currency`; must be positive.
    pub balance: Decimal,
    /// The broker that executes this account's orders.
    pub broker: BrokerKind,
    /// The broker's leverage, for the gate's margin check: an order needs
    /// its notional divided by this in margin available, as the broker
    /// reports it. 1 (no leverage) unless set.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub leverage: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

fn is_one(d: &Decimal) -> bool {
    *d == Decimal::ONE
}

/// Who executes an account's orders (`broker = "paper"`). Each kind is one
/// broker adapter behind the execution seam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerKind {
    /// The simulated venue in-process: fees, slippage, latency, partial fills.
    Paper,
    /// Binance Spot (its testnet unless `[brokers.<account>]` says otherwise).
    Binance,
    /// Alpaca (its paper service unless `[brokers.<account>]` says otherwise).
    Alpaca,
    /// OANDA v20 (its practice service unless `[brokers.<account>]` says
    /// otherwise).
    Oanda,
    /// TradeLocker (its demo service unless `[brokers.<account>]` says
    /// otherwise).
    #[serde(rename = "tradelocker")]
    TradeLocker,
    /// MEXC spot. MEXC has no test service: its endpoints move real money,
    /// so such an account is LIVE (only a local mock is TEST).
    Mexc,
}

impl BrokerKind {
    /// The name written in `omni.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerKind::Paper => "paper",
            BrokerKind::Binance => "binance",
            BrokerKind::Alpaca => "alpaca",
            BrokerKind::Oanda => "oanda",
            BrokerKind::TradeLocker => "tradelocker",
            BrokerKind::Mexc => "mexc",
        }
    }

    /// True for a broker outside this process (orders reach a venue).
    pub fn is_live(self) -> bool {
        !matches!(self, BrokerKind::Paper)
    }
}

/// Builds the catalog from the three sections, refusing empty or duplicate
/// names, fees outside [0, 10] %, order latencies over a minute, sizes
/// outside (0, 10^6] (a minimum quantity up to 10^9), balances outside
/// (0, [`MAX_MONEY`]], and instruments on unknown venues. Every account gets `mode` (the demo
/// market makes paper accounts DEMO; real data makes them PAPER).
pub fn build_catalog(
    venues: &[VenueConfig],
    instruments: &[InstrumentConfig],
    accounts: &[AccountConfig],
    mode: AccountMode,
) -> Result<Catalog, Invalid> {
    let mut catalog = Catalog::default();
    let mut seen = HashSet::new();
    for (i, v) in venues.iter().enumerate() {
        let key = format!("venues[{i}]");
        if v.name.is_empty() {
            return Err(bad(format!("{key}.name"), "a venue needs a name"));
        }
        if !seen.insert(v.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("venue `{}` is defined twice", v.name),
            ));
        }
        for (field, fee) in [
            ("taker_fee_pct", v.taker_fee_pct),
            ("maker_fee_pct", v.maker_fee_pct),
        ] {
            range(format!("{key}.{field}"), fee, Decimal::ZERO, Decimal::TEN)?;
        }
        range(
            format!("{key}.order_latency_ms"),
            v.order_latency_ms,
            0,
            60_000,
        )?;
        catalog.venues.push(Venue {
            id: VenueId(i as u16),
            name: v.name.clone(),
            taker_fee: v.taker_fee_pct / Decimal::ONE_HUNDRED,
            maker_fee: v.maker_fee_pct / Decimal::ONE_HUNDRED,
        });
    }
    if catalog.venues.is_empty() {
        return Err(bad("venues", "at least one venue is needed"));
    }

    seen.clear();
    for (i, inst) in instruments.iter().enumerate() {
        let key = format!("instruments[{i}]");
        if inst.name.is_empty() {
            return Err(bad(format!("{key}.name"), "an instrument needs a name"));
        }
        if !seen.insert(inst.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("instrument `{}` is defined twice", inst.name),
            ));
        }
        let step_max = Decimal::from(1_000_000);
        for (field, value, max) in [
            ("tick_size", inst.tick_size, step_max),
            ("lot_size", inst.lot_size, step_max),
            ("min_qty", inst.min_qty, Decimal::from(1_000_000_000)),
        ] {
            above(format!("{key}.{field}"), value, Decimal::ZERO, max)?;
        }
        if inst.venues.is_empty() {
            return Err(bad(
                format!("{key}.venues"),
                "an instrument needs at least one venue",
            ));
        }
        let mut venues = Vec::new();
        for (j, name) in inst.venues.iter().enumerate() {
            let id = catalog.venue_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.venues[{j}]"),
                    format!("unknown venue `{name}`"),
                )
                .because("venues")
            })?;
            venues.push(id);
        }
        catalog.instruments.push(Instrument {
            id: InstrumentId(i as u16),
            name: inst.name.clone(),
            class: inst.class,
            tick_size: inst.tick_size.normalize(),
            lot_size: inst.lot_size.normalize(),
            min_qty: inst.min_qty,
            venues,
        });
    }

    seen.clear();
    for (i, a) in accounts.iter().enumerate() {
        let key = format!("accounts[{i}]");
        if a.name.is_empty() {
            return Err(bad(format!("{key}.name"), "an account needs a name"));
        }
        if !seen.insert(a.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("account `{}` is defined twice", a.name),
            ));
        }
        above(
            format!("{key}.balance"),
            a.balance,
            Decimal::ZERO,
            MAX_MONEY,
        )?;
        range(
            format!("{key}.leverage"),
            a.leverage,
            Decimal::ONE,
            Decimal::ONE_THOUSAND,
        )?;
        catalog.accounts.push(AccountInfo {
            id: AccountId(i as u16),
            name: a.name.clone(),
            kind: a.kind,
            profile: a.profile,
            currency: a.currency.clone(),
            initial_balance: a.balance,
            mode,
            broker: a.broker,
            leverage: a.leverage,
        });
    }

    Ok(catalog)
}

impl Catalog {
    /// The catalog of the built-in configuration, its accounts in `mode`.
    ///
    /// # Panics
    /// If the built-in sections do not build a catalog, which the
    /// configuration tests would have caught.
    pub fn builtin(mode: AccountMode) -> Self {
        use crate::defaults::section;
        build_catalog(
            &section::<Vec<VenueConfig>>("venues"),
            &section::<Vec<InstrumentConfig>>("instruments"),
            &section::<Vec<AccountConfig>>("accounts"),
            mode,
        )
        .unwrap_or_else(|e| panic!("built-in catalog: {}: {}", e.key, e.message))
    }
}
