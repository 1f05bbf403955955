//! `[control]`: the local control API. Off unless enabled (the cockpit) or
//! run as a service (`omni-tui serve`, which always serves it).

use omni_core::validation::{Invalid, bad};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[control]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlConfig {
    /// Serve the API from the cockpit too (`serve` always does).
    pub enabled: bool,
    /// Address to listen on: a loopback address only, since the API speaks
    /// plain HTTP (port 0: any free port, written to `control.addr` beside
    /// the token, where `ctl` reads it).
    pub listen: String,
    /// The token file ("": `control.token` in the state directory). Made
    /// with mode 0600 if missing; refused if group or others may read it.
    pub token_file: String,
}

impl ControlConfig {
    /// The listen address (validated: a loopback socket address).
    pub fn listen_addr(&self) -> Result<SocketAddr, Invalid> {
        let addr: SocketAddr = self.listen.parse().map_err(|_| {
            bad(
                "control.listen",
                format!(
                    "`{}` is not an address:port such as 127.0.0.1:8787",
                    self.listen
                ),
            )
        })?;
        loopback_only(addr).map_err(|why| bad("control.listen", why))?;
        Ok(addr)
    }
}

/// Refuses an address that is not loopback, in a sentence: the API speaks
/// plain HTTP, so its token must never cross a network.
pub fn loopback_only(addr: SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "`{addr}` is not a loopback address: the API speaks plain HTTP, so it listens on 127.0.0.1 or ::1 only (reach it from elsewhere through an SSH tunnel)"
        ))
    }
}

/// Checks `[control]`.
pub fn validate(c: &ControlConfig) -> Result<(), Invalid> {
    c.listen_addr().map(|_| ())
}
