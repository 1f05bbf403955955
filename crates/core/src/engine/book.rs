//! Opportunities waiting for a decision.

use crate::domain::{InstrumentId, Opportunity, OpportunityId, OpportunityKind, Timestamp};

/// The queue of pending opportunities. Small (top N arbitrage plus a few
/// signals), so a vector with linear scans beats any map.
#[derive(Clone, Debug, Default)]
pub struct OpportunityBook {
    items: Vec<Opportunity>,
}

impl OpportunityBook {
    /// Adds a pending opportunity.
    pub fn insert(&mut self, o: Opportunity) {
        self.items.push(o);
    }

    /// A pending opportunity by id.
    pub fn get(&self, id: OpportunityId) -> Option<&Opportunity> {
        self.items.iter().find(|o| o.id == id)
    }

    /// Removes and returns a pending opportunity.
    pub fn remove(&mut self, id: OpportunityId) -> Option<Opportunity> {
        let i = self.items.iter().position(|o| o.id == id)?;
        Some(self.items.remove(i))
    }

    /// Every pending opportunity, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Opportunity> {
        self.items.iter()
    }

    /// Pending count of one kind.
    pub fn count(&self, kind: OpportunityKind) -> usize {
        self.items.iter().filter(|o| o.kind() == kind).count()
    }

    /// The pending opportunity of a kind on an instrument with this key
    /// ([`OpportunityTerms::key`](crate::domain::OpportunityTerms::key)).
    pub fn find_mut(
        &mut self,
        kind: OpportunityKind,
        instrument: InstrumentId,
        key: u64,
    ) -> Option<&mut Opportunity> {
        self.items.iter_mut().find(|o| {
            o.instrument == instrument && o.kind() == kind && o.detail.terms().key() == key
        })
    }

    /// Pending ids of a kind on an instrument.
    pub fn ids_of(&self, kind: OpportunityKind, instrument: InstrumentId) -> Vec<OpportunityId> {
        self.items
            .iter()
            .filter(|o| o.instrument == instrument && o.kind() == kind)
            .map(|o| o.id)
            .collect()
    }

    /// The lowest-scoring pending opportunity of a kind.
    pub fn worst(&self, kind: OpportunityKind) -> Option<&Opportunity> {
        self.items
            .iter()
            .filter(|o| o.kind() == kind)
            .min_by(|a, b| a.score.total_cmp(&b.score).then(b.id.cmp(&a.id)))
    }

    /// Removes and returns everything whose time-to-live has run out.
    pub fn take_expired(&mut self, now: Timestamp) -> Vec<Opportunity> {
        if !self.items.iter().any(|o| o.expires <= now) {
            return Vec::new();
        }
        let (gone, keep) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|o| o.expires <= now);
        self.items = keep;
        gone
    }

    /// The earliest expiry among pending opportunities; `None` when there are none.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.items.iter().map(|o| o.expires).min()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True if none pending.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
