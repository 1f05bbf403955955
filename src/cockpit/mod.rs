//! The cockpit: the terminal UI in front of the engine. One thread owns the
//! terminal; the engine runs on its own thread and publishes snapshots and
//! the trade log's audit records.

pub mod engine_thread;
pub mod fanout;
pub mod run;
pub mod snapshot;

pub use run::{CockpitArgs, run};
