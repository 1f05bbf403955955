//! OANDA's transaction times to epoch milliseconds: RFC 3339 in UTC with
//! nanoseconds (`2016-10-28T15:11:58.023004583Z`, what we ask for with
//! `Accept-Datetime-Format: RFC3339`), or UNIX seconds with a fraction
//! (`1477667518.023004583`, the other format OANDA offers).

use rust_decimal::Decimal;

/// Epoch milliseconds of an OANDA time, or `None` if it is not one.
pub(crate) fn parse_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.contains('T') {
        let secs: Decimal = s.parse().ok()?;
        let ms = secs.checked_mul(Decimal::ONE_THOUSAND)?.floor();
        return i64::try_from(ms).ok();
    }
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let clock = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z'))?;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.split(':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next()?.parse().ok()?;
    if t.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn oanda_times_parse() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_ms("2016-10-28T15:11:58.023004583Z"),
            Some(1_477_667_518_023)
        );
        assert_eq!(parse_ms("2024-02-29T00:00:00.5Z"), Some(1_709_164_800_500));
        assert_eq!(parse_ms("1477667518.023004583"), Some(1_477_667_518_023));
        assert_eq!(parse_ms("2016-13-01T00:00:00Z"), None);
        assert_eq!(parse_ms("yesterday"), None);
    }
}
