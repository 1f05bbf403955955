//! One file per pane.

pub mod accounts;
pub mod banner;
pub mod chart;
pub mod confirm;
pub mod ensemble;
pub mod market;
pub mod opportunities;
pub mod orders;
pub mod overlay;
pub mod positions;
pub mod risk;
pub mod status_bar;
pub mod trade_log;
