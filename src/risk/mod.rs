//! The pre-trade risk gate, its limits, and the trading state.

pub mod hours;
