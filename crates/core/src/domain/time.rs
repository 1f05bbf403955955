//! Event time. The engine never reads the wall clock: every event carries a
//! [`Timestamp`], and all durations are plain nanosecond counts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Nanoseconds in one millisecond.
pub const MILLI: i64 = 1_000_000;
/// Nanoseconds in one second.
pub const SECOND: i64 = 1_000_000_000;
/// Nanoseconds in one minute.
pub const MINUTE: i64 = 60 * SECOND;
/// Nanoseconds in one day.
pub const DAY: i64 = 86_400 * SECOND;

/// A point in time: nanoseconds since the Unix epoch, UTC.
///
/// An `i64` rather than a `chrono::DateTime` because the engine compares and
/// subtracts times on every event and this keeps those operations one
/// instruction each; conversion to calendar time happens only at the edges.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `n` nanoseconds after the epoch.
    pub const fn from_nanos(n: i64) -> Self {
        Self(n)
    }
    /// The timestamp `ms` milliseconds after the epoch (saturating at the
    /// ends of `i64` nanoseconds, like every conversion of a count of
    /// milliseconds or seconds here: a configured duration never wraps).
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms.saturating_mul(MILLI))
    }
    /// The timestamp `s` seconds after the epoch (saturating).
    pub const fn from_secs(s: i64) -> Self {
        Self(s.saturating_mul(SECOND))
    }
    /// Nanoseconds since the epoch.
    pub const fn nanos(self) -> i64 {
        self.0
    }
    /// Whole milliseconds since the epoch (floor).
    pub const fn millis(self) -> i64 {
        self.0.div_euclid(MILLI)
    }
    /// Whole seconds since the epoch (floor).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(SECOND)
    }
    /// This time plus `nanos` nanoseconds.
    pub const fn plus(self, nanos: i64) -> Self {
        Self(self.0 + nanos)
    }
    /// This time plus `ms` milliseconds, saturating: a huge duration lands
    /// at the end of time rather than wrapping into the past.
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms.saturating_mul(MILLI)))
    }
    /// This time plus `s` seconds, saturating (an expiry or a cooldown of
    /// `i64::MAX` seconds is "never", not a time before now).
    pub const fn plus_secs(self, s: i64) -> Self {
        Self(self.0.saturating_add(s.saturating_mul(SECOND)))
    }
    /// Nanoseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
    /// Days since the epoch (UTC calendar day index), used for daily limits.
    pub const fn day_index(self) -> i64 {
        self.0.div_euclid(DAY)
    }
    /// Day of week (0 = Monday) and minute of the UTC day, for trading hours.
    pub fn weekday_minute(self) -> (u32, u32) {
        // Integer arithmetic instead of a calendar conversion: this runs on
        // every quote. 1970-01-01 was a Thursday (3 days after a Monday).
        let day = self.day_index();
        let weekday = (day + 3).rem_euclid(7) as u32;
        let minute = (self.0.rem_euclid(DAY) / MINUTE) as u32;
        (weekday, minute)
    }
    /// The start of the bucket of `width` nanoseconds that holds this time.
    pub const fn floor_to(self, width: i64) -> Self {
        Self(self.0 - self.0.rem_euclid(width))
    }
    /// Calendar time in UTC.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_nanos(self.0)
    }
    /// Converts a calendar time.
    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        // Dates beyond year 2262 do not fit in i64 nanoseconds; clamp rather than panic.
        Self(dt.timestamp_nanos_opt().unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_datetime().format("%Y-%m-%d %H:%M:%S%.3f"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_saturate_instead_of_wrapping_into_the_past() {
        let now = Timestamp::from_secs(1_741_071_600);
        assert_eq!(now.plus_secs(i64::MAX), Timestamp(i64::MAX));
        assert_eq!(now.plus_millis(i64::MAX), Timestamp(i64::MAX));
        assert!(now.plus_secs(9_223_372_036_854_775) > now);
        assert_eq!(Timestamp::from_secs(i64::MIN), Timestamp(i64::MIN));
        assert_eq!(now.plus_secs(60), now.plus(60 * SECOND));
    }

    #[test]
    fn weekday_and_minute_of_a_known_time() {
        // 2025-03-04 07:00:00 UTC was a Tuesday.
        let t = Timestamp::from_secs(1_741_071_600);
        assert_eq!(t.weekday_minute(), (1, 420));
        assert_eq!(t.to_string(), "2025-03-04 07:00:00.000");
    }

    #[test]
    fn weekday_minute_matches_the_calendar_across_years() {
        use chrono::{Datelike, Timelike};
        let mut t = Timestamp::from_secs(-86_400 * 3 + 12_345);
        while t.secs() < 4_102_444_800 {
            let dt = t.to_datetime();
            let expected = (
                dt.weekday().num_days_from_monday(),
                dt.hour() * 60 + dt.minute(),
            );
            assert_eq!(t.weekday_minute(), expected, "{t}");
            t = t.plus_secs(86_400 * 37 + 3_611);
        }
    }

    #[test]
    fn floor_to_minute() {
        let t = Timestamp::from_millis(1_741_071_659_999);
        assert_eq!(t.floor_to(MINUTE), Timestamp::from_secs(1_741_071_600));
    }
}
