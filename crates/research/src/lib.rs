//! Research on historical bars: the CSV loader for every layout in the
//! data sets, and the ensemble's dataset builder, training and evaluation.
//! The models it writes are read by the core's ensemble at run time.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod binary;
pub mod bootstrap;
pub mod dataset;
pub mod eval;
pub mod history;
pub mod metrics;
pub mod models;
pub mod stack;
pub mod train;
pub mod venues;
