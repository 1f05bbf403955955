//! Trading sessions: when an asset class may trade, in UTC.

use crate::config::SessionConfig;
use crate::domain::Timestamp;

const WEEK_MINUTES: u32 = 7 * 1440;

/// A parsed trading session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Session {
    /// Weekly open and close as minutes since Monday 00:00 UTC; `None` = always.
    weekly: Option<(u32, u32)>,
    /// Daily break as minutes of the UTC day `[start, end)`.
    daily_break: Option<(u32, u32)>,
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn parse_week_time(s: &str) -> Option<u32> {
    let (day, time) = s.trim().split_once(' ')?;
    let d = match day.to_ascii_lowercase().as_str() {
        "mon" => 0,
        "tue" => 1,
        "wed" => 2,
        "thu" => 3,
        "fri" => 4,
        "sat" => 5,
        "sun" => 6,
        _ => return None,
    };
    Some(d * 1440 + parse_hhmm(time)?)
}

impl Session {
    /// A session open around the clock.
    pub const ALWAYS: Session = Session {
        weekly: None,
        daily_break: None,
    };

    /// Parses a session; the error names the field and what was expected.
    pub fn parse(cfg: &SessionConfig) -> Result<Self, (&'static str, String)> {
        let weekly = match (cfg.open.trim(), cfg.close.trim()) {
            ("", "") => None,
            (open, close) => {
                let o = parse_week_time(open)
                    .ok_or(("open", format!("expected like `sun 22:00`, got `{open}`")))?;
                let c = parse_week_time(close)
                    .ok_or(("close", format!("expected like `fri 22:00`, got `{close}`")))?;
                Some((o, c))
            }
        };
        let daily_break = match cfg.daily_break.trim() {
            "" => None,
            s => {
                let parsed = s
                    .split_once('-')
                    .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)));
                Some(parsed.ok_or((
                    "daily_break",
                    format!("expected like `21:00-22:00`, got `{s}`"),
                ))?)
            }
        };
        Ok(Self {
            weekly,
            daily_break,
        })
    }

    /// True when trading is allowed at `ts`.
    pub fn is_open(&self, ts: Timestamp) -> bool {
        let (weekday, minute) = ts.weekday_minute();
        if let Some((start, end)) = self.daily_break {
            let inside = if start <= end {
                minute >= start && minute < end
            } else {
                minute >= start || minute < end
            };
            if inside {
                return false;
            }
        }
        match self.weekly {
            None => true,
            Some((open, close)) => {
                let wm = (weekday * 1440 + minute) % WEEK_MINUTES;
                if open <= close {
                    wm >= open && wm < close
                } else {
                    wm >= open || wm < close
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        use chrono::TimeZone;
        Timestamp::from_datetime(
            chrono::Utc
                .with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .expect("valid date"),
        )
    }

    #[test]
    fn forex_week_opens_sunday_and_closes_friday() {
        let s = Session::parse(&SessionConfig {
            open: "sun 22:00".into(),
            close: "fri 22:00".into(),
            daily_break: String::new(),
        })
        .expect("parses");
        // 2025-03-07 is a Friday, 2025-03-09 a Sunday.
        assert!(s.is_open(at(2025, 3, 7, 21, 59)));
        assert!(!s.is_open(at(2025, 3, 7, 22, 0)));
        assert!(!s.is_open(at(2025, 3, 8, 12, 0)));
        assert!(!s.is_open(at(2025, 3, 9, 21, 59)));
        assert!(s.is_open(at(2025, 3, 9, 22, 0)));
        assert!(s.is_open(at(2025, 3, 4, 3, 0)));
    }

    #[test]
    fn daily_break_closes_for_an_hour() {
        let s = Session::parse(&SessionConfig {
            open: String::new(),
            close: String::new(),
            daily_break: "21:00-22:00".into(),
        })
        .expect("parses");
        assert!(s.is_open(at(2025, 3, 4, 20, 59)));
        assert!(!s.is_open(at(2025, 3, 4, 21, 30)));
        assert!(s.is_open(at(2025, 3, 4, 22, 0)));
    }

    #[test]
    fn bad_text_names_the_field() {
        let err = Session::parse(&SessionConfig {
            open: "someday 22:00".into(),
            close: "fri 22:00".into(),
            daily_break: String::new(),
        })
        .expect_err("rejects");
        assert_eq!(err.0, "open");
    }
}
