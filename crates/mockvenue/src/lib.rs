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
pub mod mexc;
pub mod oanda;
pub mod tradelocker;

/// A port on 127.0.0.1 where nothing listens (a connection is refused),
/// checked by trying it. Another test may still bind it later; the check
/// only makes that unlikely, so tests use it at once.
pub fn closed_port() -> u16 {
    loop {
        let port = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l.local_addr().map(|a| a.port()).unwrap_or(0),
            Err(_) => 0,
        };
        if port == 0 {
            continue;
        }
        let refused = matches!(
            std::net::TcpStream::connect(("127.0.0.1", port)),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
        );
        if refused {
            return port;
        }
    }
}
