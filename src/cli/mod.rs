//! Command-line subcommands. `anyhow` lives here, at the edge.

pub mod args;
pub mod backtest;
pub mod bench;
pub mod bench_api;
pub mod bench_frame;
pub mod bench_parse;
pub mod ctl;
pub mod data;
pub mod eval;
pub mod headless;
pub mod history_arg;
pub mod logging;
pub mod record;
pub mod serve;
pub mod trades;
pub mod train;
