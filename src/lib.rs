//! omni-tui: a terminal trading cockpit around one deterministic engine.
//!
//! The pipeline is market data → scanners → approval → risk gate → router →
//! execution → portfolio → store. [`engine::Engine`] is a pure state machine
//! over one ordered event feed; drivers (headless, cockpit, replay) differ
//! only in where events come from. See docs/ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod app;
pub mod approval;
pub mod cli;
pub mod cockpit;
pub mod config;
pub mod domain;
pub mod driver;
pub mod engine;
pub mod ensemble;
pub mod execution;
pub mod features;
pub mod feeds;
pub mod history;
pub mod indicators;
pub mod market;
pub mod portfolio;
pub mod random;
pub mod risk;
pub mod router;
pub mod scanners;
pub mod store;
pub mod ui;
