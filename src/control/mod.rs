//! The local control API: read the run's state, pause, resume, kill,
//! approve and reject from outside the terminal (`omni-tui ctl`, scripts,
//! a Prometheus scraper). Plain HTTP on a loopback address, each request
//! authenticated by a bearer token kept in a private file. Every action
//! enters the engine as the same command a key sends, marked as coming
//! from the API.

pub mod config;
pub mod prometheus;
pub mod server;
pub mod token;
pub mod views;

pub use server::ControlServer;
pub use token::Token;
