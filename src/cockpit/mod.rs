//! The cockpit: the terminal UI in front of the engine. One thread owns the
//! terminal; the engine runs on its own thread (`engine_thread`) and
//! publishes snapshots and the trade log's audit records.

pub mod run;

pub use run::{CockpitArgs, run};
