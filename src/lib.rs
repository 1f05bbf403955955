//! The `omni-tui` program: the cockpit (terminal UI over the engine thread),
//! the command line (headless, replay, record, train, eval, bench, …) and
//! the wiring that assembles the workspace's crates into one process.
//!
//! Dependencies point one way: this crate → omni-feeds, omni-store,
//! omni-sim, omni-research → omni-core. See docs/ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod app;
pub mod backtest;
pub mod cli;
pub mod cockpit;
pub mod config;
pub mod control;
pub mod engine_thread;
pub mod launch;
pub mod live;
pub mod metrics;
pub mod monitor;
pub mod setup;
pub mod signals;
pub mod summary;
pub mod ui;
pub mod warm;
