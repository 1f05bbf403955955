//! Local venue servers for tests and benchmarks. Each binds 127.0.0.1 on a
//! free port and speaks its venue's wire format: the same paths, the same
//! authentication checks (a wrong signature or key gets the venue's own
//! error body), the same JSON shapes with decimals as strings, the same
//! private stream; and it can be scripted to misbehave (delay, drop a
//! reply after executing, reject, rate-limit, fill partially, send a fill
//! twice, drop the stream). Its book of orders, fills and holdings is the
//! truth a test compares the order manager's database with.

pub mod alpaca;
pub mod binance;
