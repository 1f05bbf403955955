//! Small copyable identifiers. Names live in the [`crate::domain::Catalog`];
//! the hot path carries only these indices.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! index_id {
    ($(#[$doc:meta])* $name:ident, $inner:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $inner);

        impl $name {
            /// The index into the catalog's table.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_id!(
    /// A trading venue (exchange or broker) by its position in the catalog.
    VenueId,
    u16
);
index_id!(
    /// An instrument by its position in the catalog.
    InstrumentId,
    u16
);
index_id!(
    /// An account by its position in the catalog.
    AccountId,
    u16
);

/// A client order id, unique across restarts (restored from the store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderId(pub u64);

/// An opportunity id, unique across restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpportunityId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "O{}", self.0)
    }
}

impl fmt::Display for OpportunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
