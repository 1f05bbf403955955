//! Venues and instruments, and the catalog that names them.

use super::account::{AccountMode, AccountType, RiskProfile};
use super::ids::{AccountId, InstrumentId, VenueId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What kind of market an instrument trades in; decides trading hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    /// Crypto spot pairs: open around the clock.
    Crypto,
    /// Currency pairs: the weekly forex session.
    Forex,
    /// Precious metals quoted like forex, with a daily break.
    Metal,
}

impl AssetClass {
    /// Lower-case name, as in config.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetClass::Crypto => "crypto",
            AssetClass::Forex => "forex",
            AssetClass::Metal => "metal",
        }
    }
}

/// A venue: where orders go and quotes come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Venue {
    /// Index in the catalog.
    pub id: VenueId,
    /// Lower-case name, e.g. `binance`.
    pub name: String,
    /// Taker fee as a fraction of notional (0.001 = 0.1 %).
    pub taker_fee: Decimal,
    /// Maker fee as a fraction of notional.
    pub maker_fee: Decimal,
}

/// A tradable instrument, the same on every venue that lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Instrument {
    /// Index in the catalog.
    pub id: InstrumentId,
    /// Our own name, e.g. `BTC/USDT` or `EUR/USD`.
    pub name: String,
    /// Asset class (trading hours, routing).
    pub class: AssetClass,
    pub tick_size: Decimal,
    pub lot_size: Decimal,
    pub min_qty: Decimal,
    /// Venues that quote it, in config order; the first is the reference
    /// venue whose prices build bars and mark positions.
    pub venues: Vec<VenueId>,
}

impl Instrument {
    /// The venue whose prices build this instrument's bars.
    pub fn primary_venue(&self) -> VenueId {
        // The config validator refuses instruments without venues.
        self.venues.first().copied().unwrap_or(VenueId(0))
    }

    /// Its base and quote assets, from its name (`ETH/BTC` → `ETH`, `BTC`);
    /// `None` for a name without one `/`.
    pub fn assets(&self) -> Option<(&str, &str)> {
        let (base, quote) = self.name.split_once('/')?;
        (!base.is_empty() && !quote.is_empty() && !quote.contains('/')).then_some((base, quote))
    }
}

/// An account as configured: the static half. Balances live in the portfolio.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountInfo {
    /// Index in the catalog.
    pub id: AccountId,
    /// Unique name, e.g. `spot-a`.
    pub name: String,
    /// Spot, margin, prop-firm or binary.
    pub kind: AccountType,
    pub profile: RiskProfile,
    /// Account currency (quote currencies are treated 1:1 with it, see docs).
    pub currency: String,
    /// Starting balance when no stored state exists.
    pub initial_balance: Decimal,
    /// DEMO, PAPER or LIVE, shown in the status bar.
    pub mode: AccountMode,
    /// Who executes its orders.
    pub broker: super::BrokerKind,
    /// The broker's leverage (margin needed = notional / leverage).
    pub leverage: Decimal,
}

/// Every venue, instrument and account by index. Built once from config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// Venues by [`VenueId`].
    pub venues: Vec<Venue>,
    /// Instruments by [`InstrumentId`].
    pub instruments: Vec<Instrument>,
    /// Accounts by [`AccountId`].
    pub accounts: Vec<AccountInfo>,
}

impl Catalog {
    /// The venue with this id.
    pub fn venue(&self, id: VenueId) -> &Venue {
        &self.venues[id.index()]
    }
    /// The instrument with this id.
    pub fn instrument(&self, id: InstrumentId) -> &Instrument {
        &self.instruments[id.index()]
    }
    /// The account with this id.
    pub fn account(&self, id: AccountId) -> &AccountInfo {
        &self.accounts[id.index()]
    }
    /// Looks a venue up by name.
    pub fn venue_by_name(&self, name: &str) -> Option<VenueId> {
        self.venues.iter().find(|v| v.name == name).map(|v| v.id)
    }
    /// Looks an instrument up by name.
    pub fn instrument_by_name(&self, name: &str) -> Option<InstrumentId> {
        self.instruments
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.id)
    }
    /// Looks an account up by name.
    pub fn account_by_name(&self, name: &str) -> Option<AccountId> {
        self.accounts.iter().find(|a| a.name == name).map(|a| a.id)
    }
    /// Number of (venue, instrument) slots, for flat per-market tables.
    pub fn market_slots(&self) -> usize {
        self.venues.len() * self.instruments.len()
    }
    /// The instrument that trades `base` against `quote` (`BTC`, `USDT` →
    /// `BTC/USDT`), if the catalog lists it.
    pub fn pair(&self, base: &str, quote: &str) -> Option<InstrumentId> {
        self.instruments
            .iter()
            .find(|i| i.assets() == Some((base, quote)))
            .map(|i| i.id)
    }
    /// Where a triangular cycle's leg on `instrument` is held for
    /// `account`: when the instrument's quote asset is not the account's
    /// currency and the catalog lists both its assets against that
    /// currency (ETH/BTC in a USDT account: ETH/USDT and BTC/USDT), those
    /// two instruments, base first. The engine books such fills there and
    /// the paper venue holds them there, by this one rule.
    pub fn cross_pairs(
        &self,
        account: AccountId,
        instrument: InstrumentId,
    ) -> Option<(InstrumentId, InstrumentId)> {
        let currency = &self.account(account).currency;
        let (base, quote) = self.instrument(instrument).assets()?;
        if quote == currency {
            return None;
        }
        Some((self.pair(base, currency)?, self.pair(quote, currency)?))
    }
    /// Index of the (venue, instrument) slot in flat per-market tables.
    pub fn market_slot(&self, venue: VenueId, instrument: InstrumentId) -> usize {
        instrument.index() * self.venues.len() + venue.index()
    }
}
