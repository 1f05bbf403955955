//! The core of omni-tui: the domain, the deterministic engine and everything
//! it decides with (scanners, approval, risk gate, router, portfolio,
//! ensemble, features, indicators), plus the seams the outside plugs into
//! (market sources, audit sinks, execution clients).
//!
//! No socket, file, terminal or clock is touched here: the pipeline is
//! market data → scanners → approval → risk gate → router → execution →
//! portfolio, and [`engine::Engine`] is a pure state machine over one ordered
//! event feed. See docs/ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod approval;
pub mod defaults;
pub mod domain;
pub mod driver;
pub mod engine;
pub mod ensemble;
pub mod execution;
pub mod features;
pub mod indicators;
pub mod market;
pub mod portfolio;
pub mod random;
pub mod risk;
pub mod router;
pub mod scanners;
pub mod validation;
