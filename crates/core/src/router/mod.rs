//! Routing: one opportunity to every account its kind and instrument are
//! routed to; each account sizes its own order.

pub mod config;
pub mod sizing;

use crate::domain::{AccountId, Catalog, InstrumentId, OpportunityKind};
use crate::router::config::RouteConfig;

/// The routing table: (kind, instrument) → accounts, in config order.
#[derive(Clone, Debug, Default)]
pub struct Router {
    n_instruments: usize,
    table: Vec<Vec<AccountId>>,
}

impl Router {
    /// Builds the table from validated routes (unknown names were refused
    /// by the config validator and are skipped here).
    pub fn new(routes: &[RouteConfig], catalog: &Catalog) -> Self {
        let n = catalog.instruments.len();
        let mut table = vec![Vec::new(); OpportunityKind::ALL.len() * n];
        for r in routes {
            for inst in r
                .instruments
                .iter()
                .filter_map(|i| catalog.instrument_by_name(i))
            {
                let slot = &mut table[r.kind.index() * n + inst.index()];
                for acct in r.accounts.iter().filter_map(|a| catalog.account_by_name(a)) {
                    if !slot.contains(&acct) {
                        slot.push(acct);
                    }
                }
            }
        }
        Self {
            n_instruments: n,
            table,
        }
    }

    /// The accounts an opportunity goes to.
    pub fn accounts_for(&self, kind: OpportunityKind, instrument: InstrumentId) -> &[AccountId] {
        self.table
            .get(kind.index() * self.n_instruments + instrument.index())
            .map_or(&[], Vec::as_slice)
    }

    /// True if any account takes this kind on this instrument.
    pub fn routed(&self, kind: OpportunityKind, instrument: InstrumentId) -> bool {
        !self.accounts_for(kind, instrument).is_empty()
    }
}
