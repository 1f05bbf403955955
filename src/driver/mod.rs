//! Drivers feed the engine. The simulation driver merges a market source
//! with a simulated broker's reports in time order, with no sleeps: the
//! headless mode, benchmarks and tests all run through it.

pub mod sim;
pub mod summary;

pub use sim::{AuditSink, CountingSink, MarketSource, NullSink, SimDriver};
pub use summary::Summary;
