//! Trading sessions: when an asset class may trade, in UTC.

use super::config::SessionConfig;
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

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

/// A weekly time such as `sun 22:00` (UTC), or empty for none. Text that
/// does not parse is refused when the configuration is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WeekTime {
    text: String,
    /// Minutes since Monday 00:00.
    minute: Option<u32>,
}

impl WeekTime {
    /// Minutes since Monday 00:00 UTC; `None` when empty.
    pub fn minute(&self) -> Option<u32> {
        self.minute
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for WeekTime {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let minute =
            match text.trim() {
                "" => None,
                s => Some(parse_week_time(s).ok_or_else(|| {
                    format!("expected a day and a time like `sun 22:00`, got `{s}`")
                })?),
            };
        Ok(Self { text, minute })
    }
}

impl From<WeekTime> for String {
    fn from(w: WeekTime) -> String {
        w.text
    }
}

/// A daily break such as `21:00-22:00` (UTC, end exclusive; it may wrap
/// midnight), or empty for none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DailyBreak {
    text: String,
    range: Option<(u32, u32)>,
}

impl DailyBreak {
    /// Start and end as minutes of the UTC day; `None` when empty.
    pub fn range(&self) -> Option<(u32, u32)> {
        self.range
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for DailyBreak {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let range = match text.trim() {
            "" => None,
            s => Some(
                s.split_once('-')
                    .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)))
                    .ok_or_else(|| format!("expected like `21:00-22:00`, got `{s}`"))?,
            ),
        };
        Ok(Self { text, range })
    }
}

impl From<DailyBreak> for String {
    fn from(d: DailyBreak) -> String {
        d.text
    }
}

impl Session {
    /// A session open around the clock.
    pub const ALWAYS: Session = Session {
        weekly: None,
        daily_break: None,
    };

    /// The session of a configured `[risk.hours.<class>]`: open around the
    /// clock when `open` and `close` are both empty (validation refuses one
    /// without the other).
    pub fn of(cfg: &SessionConfig) -> Self {
        let weekly = match (cfg.open.minute(), cfg.close.minute()) {
            (Some(o), Some(c)) => Some((o, c)),
            _ => None,
        };
        Self {
            weekly,
            daily_break: cfg.daily_break.range(),
        }
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

    fn session(open: &str, close: &str, daily_break: &str) -> Session {
        Session::of(&SessionConfig {
            open: WeekTime::try_from(open.to_string()).expect("open parses"),
            close: WeekTime::try_from(close.to_string()).expect("close parses"),
            daily_break: DailyBreak::try_from(daily_break.to_string()).expect("break parses"),
        })
    }

    #[test]
    fn forex_week_opens_sunday_and_closes_friday() {
        let s = session("sun 22:00", "fri 22:00", "");
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
        let s = session("", "", "21:00-22:00");
        assert!(s.is_open(at(2025, 3, 4, 20, 59)));
        assert!(!s.is_open(at(2025, 3, 4, 21, 30)));
        assert!(s.is_open(at(2025, 3, 4, 22, 0)));
    }

    #[test]
    fn bad_text_is_refused_with_what_was_expected() {
        let err = WeekTime::try_from("someday 22:00".to_string()).expect_err("rejects");
        assert!(err.contains("`someday 22:00`"), "{err}");
        assert!(DailyBreak::try_from("21-22".to_string()).is_err());
    }
}
