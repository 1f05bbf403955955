//! Wall-clock stamps in Alpaca's formats, and deterministic uuid-shaped
//! ids (a kind tag and a sequence number, so tests can predict them).

use std::time::{SystemTime, UNIX_EPOCH};

/// A uuid-shaped id: `kind` in the first group, `n` in the last.
pub(crate) fn uuid_like(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff)
}

fn now_parts() -> (i64, u32, u32, u32, u32, u32, u32) {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    // `in_day` is below 86 400 000, so every part fits a u32.
    let part = |v: i64| u32::try_from(v).unwrap_or(0);
    (
        y,
        m,
        d,
        part(in_day / 3_600_000),
        part(in_day / 60_000 % 60),
        part(in_day / 1000 % 60),
        part(in_day % 1000),
    )
}

/// Now as `2026-01-02T14:30:00.123Z`.
pub(crate) fn now_rfc3339() -> String {
    let (y, mo, d, h, mi, s, ms) = now_parts();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Now as the time prefix of a FILL activity id, `20190524113406977`.
pub(crate) fn activity_stamp() -> String {
    let (y, mo, d, h, mi, s, ms) = now_parts();
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{ms:03}")
}

/// The date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(18_040), (2019, 5, 24));
        assert_eq!(super::civil_from_days(19_101), (2022, 4, 19));
    }
}
