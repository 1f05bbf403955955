//! The domain model: venues, instruments, quotes, bars, opportunities,
//! orders, fills, positions and accounts. Money is `rust_decimal::Decimal`.

pub mod account;
pub mod approx;
pub mod bar;
pub mod catalog_config;
pub mod ids;
pub mod instrument;
pub mod opportunity;
pub mod order;
pub mod plausible;
pub mod quote;
pub mod time;

pub use account::{AccountMode, AccountType, RiskProfile};
pub use bar::{Bar, BarAggregator, Timeframe};
pub use catalog_config::{AccountConfig, BrokerKind, InstrumentConfig, VenueConfig, build_catalog};
pub use ids::{AccountId, InstrumentId, OpportunityId, OrderId, VenueId};
pub use instrument::{AccountInfo, AssetClass, Catalog, Instrument, Venue};
pub use opportunity::{
    ArbitrageDetail, BetaBelief, BinaryContract, BinaryDetail, CycleLeg, Direction, ForexDetail,
    Opportunity, OpportunityDetail, OpportunityKind, OpportunityStatus, OpportunityTerms,
    ShapeKind, ShownTerms, TradeShape, TriangularDetail,
};
pub use order::{ExitReason, Fill, Order, OrderPurpose, OrderStatus, OrderType, Side, TimeInForce};
pub use quote::{Aggressor, Depth, Level, Quote, Trade};
pub use time::Timestamp;
