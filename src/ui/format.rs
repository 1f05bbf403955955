//! Number formatting shared by the panes.

use rust_decimal::Decimal;

/// A price with the instrument's decimals.
pub fn price(d: Decimal, dp: u32) -> String {
    format!("{:.*}", dp as usize, d.round_dp(dp))
}

/// Money with two decimals and a sign.
pub fn money(d: Decimal) -> String {
    let r = d.round_dp(2);
    if r > Decimal::ZERO {
        format!("+{r:.2}")
    } else {
        format!("{r:.2}")
    }
}

/// A quantity without trailing zeros.
pub fn qty(d: Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}

/// Milliseconds as `850ms`, `4.2s` or `3m`.
pub fn age(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m", ms / 60_000)
    }
}

/// Seconds as `42s` or `3m05s`.
pub fn secs(s: i64) -> String {
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}
