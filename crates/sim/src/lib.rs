//! Simulation: the built-in demo market and the paper broker (a simulated
//! venue with its fill model, behind the same broker seam as live brokers).

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod demo;
pub mod paper;
