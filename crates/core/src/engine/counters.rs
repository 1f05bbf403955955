//! What happened during this run, for the headless summary.

use crate::domain::OpportunityKind;
use crate::risk::RefusalReason;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Opportunities found per kind: a count for every kind of
/// [`OpportunityKind::ALL`], serialized as an object in that order
/// (`{"arbitrage":…,"forex":…,"binary":…}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerKind {
    counts: Vec<u64>,
}

impl Default for PerKind {
    fn default() -> Self {
        Self {
            counts: vec![0; OpportunityKind::ALL.len()],
        }
    }
}

impl PerKind {
    /// Adds one of a kind.
    pub fn bump(&mut self, kind: OpportunityKind) {
        if let Some(n) = self.counts.get_mut(kind.index()) {
            *n += 1;
        }
    }

    /// The count of a kind.
    pub fn get(&self, kind: OpportunityKind) -> u64 {
        self.counts.get(kind.index()).copied().unwrap_or(0)
    }

    /// Every kind with its count, in tab order.
    pub fn iter(&self) -> impl Iterator<Item = (OpportunityKind, u64)> + '_ {
        OpportunityKind::ALL.iter().map(|&k| (k, self.get(k)))
    }

    /// All kinds together.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

impl Serialize for PerKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.counts.len()))?;
        for (kind, n) in self.iter() {
            map.serialize_entry(kind.as_str(), &n)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PerKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<OpportunityKind, u64>::deserialize(d)?;
        let mut out = PerKind::default();
        for (kind, n) in map {
            if let Some(c) = out.counts.get_mut(kind.index()) {
                *c = n;
            }
        }
        Ok(out)
    }
}

impl RunCounters {
    /// Zero counts for a catalog's venues.
    pub fn new(catalog: &crate::domain::Catalog) -> Self {
        Self {
            quarantined_by_venue: vec![0; catalog.venues.len()],
            ..Self::default()
        }
    }

    /// Counts one quarantined event from a venue.
    pub fn quarantine(&mut self, venue: crate::domain::VenueId) {
        self.quarantined += 1;
        if let Some(n) = self.quarantined_by_venue.get_mut(venue.index()) {
            *n += 1;
        }
    }
}

/// Counts since the engine was built (one run).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounters {
    /// Market events processed (quotes, trades, bars).
    pub market_events: u64,
    /// Quotes applied.
    pub quotes: u64,
    /// Depth snapshots kept for sizing.
    pub depth: u64,
    /// Depth snapshots dropped: malformed, implausible or out of order.
    pub dropped_depth: u64,
    /// Market events dropped: out of order, or naming an unknown venue or
    /// instrument.
    pub dropped_quotes: u64,
    /// Market events quarantined as implausible (crossed or non-positive
    /// book, numbers out of bounds, inconsistent bar, jump from the
    /// reference), in all.
    pub quarantined: u64,
    /// The same, per venue (indexed by venue id).
    pub quarantined_by_venue: Vec<u64>,
    pub opportunities: PerKind,
    /// Opportunities approved by the operator.
    pub operator_approvals: u64,
    /// Opportunities approved by the auto (or approve-all) policy.
    pub policy_approvals: u64,
    /// Opportunities rejected by the operator.
    pub rejections: u64,
    /// Opportunities whose TTL ran out.
    pub expired: u64,
    /// Opportunities whose edge disappeared before a decision.
    pub vanished: u64,
    /// Intents the gate approved.
    pub gate_approved: u64,
    /// Intents the gate refused.
    pub gate_refused: u64,
    pub refusals: BTreeMap<RefusalReason, u64>,
    pub orders: u64,
    /// Fills applied.
    pub fills: u64,
    /// Fills ignored as duplicates (same trade id).
    pub duplicate_fills: u64,
    /// Reports about orders the engine does not know.
    pub unknown_reports: u64,
    /// Fills that could not be booked (more than ordered, or numbers out
    /// of bounds); each one halts trading.
    pub bad_fills: u64,
    /// Round trips closed.
    pub trades: u64,
    /// Realised P&L after fees of those round trips.
    pub realized_pnl: Decimal,
}
