//! Between the catalog's instruments and the venue's symbols, orders and
//! holdings.
//!
//! A venue names a holding its own way: Binance spot by asset (`BTC`),
//! Alpaca by position symbol (`AAPL`, `BTCUSD`). An instrument matches a
//! holding named by its venue symbol, its base asset, or its name without
//! the slash. Holdings the account had before omni-tui first traded it
//! (the baseline) are not positions we opened and are subtracted.

use super::LiveInstrument;
use crate::api::{VenueApi, VenueHolding, VenueOrder};
use crate::journal::Journal;
use omni_core::domain::{AccountId, InstrumentId, OrderId, VenueId};
use omni_core::execution::{BrokerPosition, OpenOrder};
use rust_decimal::Decimal;

/// The account's instruments with their venue symbols.
#[derive(Clone, Debug, Default)]
pub struct InstrumentMap {
    rows: Vec<Row>,
}

#[derive(Clone, Debug)]
struct Row {
    id: InstrumentId,
    venue: VenueId,
    symbol: String,
    /// Names a holding of this instrument may carry.
    holding_names: Vec<String>,
    /// Below this a holding is dust.
    min_qty: Decimal,
}

impl InstrumentMap {
    /// The map for `instruments` in `api`'s symbols.
    pub fn new<A: VenueApi>(api: &A, instruments: &[LiveInstrument]) -> Self {
        // A venue that names holdings by asset holds one ETH for ETH/USDT
        // and ETH/BTC alike: it is the position of the pair the book keeps
        // it on, the one against the account's currency (a cross pair's
        // fills are booked there). So crosses (quoted in an asset another
        // instrument is based on) come last, and a holding goes to the
        // first instrument it matches.
        let base_of = |name: &str| name.split('/').next().unwrap_or(name).to_string();
        let bases: Vec<String> = instruments.iter().map(|i| base_of(&i.name)).collect();
        let is_cross = |i: &LiveInstrument| {
            i.name
                .split_once('/')
                .is_some_and(|(_, quote)| bases.iter().any(|b| b == quote))
        };
        let mut ordered: Vec<&LiveInstrument> = instruments.iter().collect();
        ordered.sort_by_key(|i| is_cross(i));
        let rows = ordered
            .into_iter()
            .map(|i| {
                let symbol = api.symbol(&i.name);
                let base = i.name.split('/').next().unwrap_or(&i.name).to_string();
                let joined = i.name.replace('/', "");
                let mut holding_names = vec![symbol.clone(), base, joined];
                holding_names.dedup();
                Row {
                    id: i.id,
                    venue: i.venue,
                    symbol,
                    holding_names,
                    min_qty: i.min_qty,
                }
            })
            .collect();
        Self { rows }
    }

    /// The venue symbol of an instrument.
    pub fn symbol(&self, id: InstrumentId) -> Option<&str> {
        self.rows
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.symbol.as_str())
    }

    /// The instrument a venue symbol trades.
    pub fn instrument(&self, symbol: &str) -> Option<(InstrumentId, VenueId)> {
        self.rows
            .iter()
            .find(|r| r.symbol == symbol)
            .map(|r| (r.id, r.venue))
    }

    /// Every venue symbol of the account.
    pub fn symbols(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.symbol.clone()).collect()
    }

    /// An open order at the venue in the engine's terms: our order id when
    /// the journal knows its client id, order id 0 for one we did not
    /// place (still open at the venue, so K must cancel it).
    pub fn open_order(
        &self,
        account: AccountId,
        o: &VenueOrder,
        journal: &Journal,
    ) -> Option<OpenOrder> {
        let (instrument, venue) = self.instrument(&o.symbol)?;
        let order_id = journal
            .order(&o.client_id)
            .ok()
            .flatten()
            .map_or(OrderId(0), |j| OrderId(j.order_id));
        Some(OpenOrder {
            order_id,
            account,
            instrument,
            venue,
            side: o.side,
            open_qty: (o.qty - o.filled).max(Decimal::ZERO),
            limit_price: o.limit,
            stop_price: None,
        })
    }

    /// How many of `holdings` (non-zero) are in no instrument of the map.
    pub fn unmapped(&self, holdings: &[VenueHolding]) -> u32 {
        let n = holdings
            .iter()
            .filter(|h| !h.qty.is_zero())
            .filter(|h| {
                !self
                    .rows
                    .iter()
                    .any(|r| r.holding_names.iter().any(|n| n == &h.symbol))
            })
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Positions from the venue's holdings, less the baseline.
    pub fn positions(
        &self,
        account: AccountId,
        holdings: &[VenueHolding],
        baseline: &[(String, Decimal)],
    ) -> Vec<BrokerPosition> {
        let mut out = Vec::new();
        let mut used: Vec<&str> = Vec::new();
        for r in &self.rows {
            let Some(h) = holdings.iter().find(|h| {
                !used.contains(&h.symbol.as_str()) && r.holding_names.iter().any(|n| n == &h.symbol)
            }) else {
                continue;
            };
            used.push(&h.symbol);
            let base = baseline
                .iter()
                .find(|(asset, _)| asset == &h.symbol)
                .map_or(Decimal::ZERO, |(_, q)| *q);
            let qty = h.qty - base;
            if qty.is_zero() || qty.abs() < r.min_qty {
                continue;
            }
            out.push(BrokerPosition {
                account,
                instrument: r.id,
                venue: r.venue,
                qty,
                avg_price: h.avg_price.unwrap_or(Decimal::ZERO),
                contract: None,
            });
        }
        out
    }

    /// The holdings to close on a kill switch: each instrument's holding
    /// above the baseline (below it on a short), as the venue names it.
    pub fn to_flatten(
        &self,
        holdings: &[VenueHolding],
        baseline: &[(String, Decimal)],
    ) -> Vec<VenueHolding> {
        let mut out: Vec<VenueHolding> = Vec::new();
        for r in &self.rows {
            for h in holdings {
                if !r.holding_names.iter().any(|n| n == &h.symbol)
                    || out.iter().any(|o| o.symbol == h.symbol)
                {
                    continue;
                }
                let base = baseline
                    .iter()
                    .find(|(asset, _)| asset == &h.symbol)
                    .map_or(Decimal::ZERO, |(_, q)| *q);
                let qty = h.qty - base;
                if !qty.is_zero() {
                    out.push(VenueHolding {
                        symbol: h.symbol.clone(),
                        qty,
                        avg_price: h.avg_price,
                    });
                }
            }
        }
        out
    }
}
