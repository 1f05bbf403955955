//! Configuration checks every component shares: the key path of a value
//! (`accounts[1].balance`), where it is written in a file, and the error a
//! component returns when it refuses a value. Each component validates its
//! own section with these; the binary's loader turns an [`Invalid`] into an
//! error naming the file, the line and the key.

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySegment {
    /// A table key, as `risk` in `risk.daily_loss_limit`.
    Key(String),
    /// An array index, as `1` in `accounts[1]`.
    Index(usize),
}

/// A dotted key path such as `accounts[1].balance`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<KeySegment>);

impl KeyPath {
    /// Parses `a.b[2].c`.
    pub fn parse(s: &str) -> Self {
        let mut segs = Vec::new();
        for part in s.split('.') {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                let key = &rest[..open];
                if !key.is_empty() {
                    segs.push(KeySegment::Key(key.to_string()));
                }
                rest = &rest[open..];
                while let Some(close) = rest.find(']') {
                    if let Ok(i) = rest[1..close].parse() {
                        segs.push(KeySegment::Index(i));
                    }
                    rest = &rest[close + 1..];
                    if !rest.starts_with('[') {
                        break;
                    }
                }
            } else if !rest.is_empty() && rest != "?" {
                segs.push(KeySegment::Key(rest.to_string()));
            }
        }
        Self(segs)
    }

    /// The line where this path is written in `text`: the key's own line
    /// (for a path into a value, such as a field of a string, the value's);
    /// `None` when the file does not write it (its value, if any, is a
    /// built-in default).
    pub fn line_in(&self, text: &str) -> Option<usize> {
        let doc = toml::de::DeTable::parse(text).ok()?;
        let mut best = None;
        let mut table = Some(doc.get_ref());
        let mut array: Option<&toml::de::DeArray<'_>> = None;
        for seg in &self.0 {
            let value = match (seg, table, array) {
                (KeySegment::Key(k), Some(t), _) => {
                    let (key, v) = t.get_key_value(k.as_str())?;
                    best = Some(line_of(text, key.span().start));
                    v
                }
                (KeySegment::Index(i), _, Some(a)) => {
                    let v = a.get(*i)?;
                    best = Some(line_of(text, v.span().start));
                    v
                }
                _ => break,
            };
            table = None;
            array = None;
            match value.get_ref() {
                toml::de::DeValue::Table(t) => table = Some(t),
                toml::de::DeValue::Array(a) => array = Some(a),
                _ => {}
            }
        }
        best
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                KeySegment::Key(k) if i == 0 => write!(f, "{k}")?,
                KeySegment::Key(k) => write!(f, ".{k}")?,
                KeySegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A configuration value that is refused, before it is placed in a file:
/// the key path and what is wrong with the value.
#[derive(Debug)]
pub struct Invalid {
    pub key: KeyPath,
    pub message: String,
    /// For a check across keys: the other key, whose value makes this
    /// one wrong (`venues` for an instrument on an unknown venue). When
    /// `key` is not in the user's file (its built-in default is used), the
    /// loader places the refusal at this key instead.
    pub because: Option<KeyPath>,
}

impl Invalid {
    /// Names the other key of a check across keys.
    #[must_use]
    pub fn because(mut self, key: impl AsRef<str>) -> Self {
        self.because = Some(KeyPath::parse(key.as_ref()));
        self
    }
}

/// A failure at `key`: what the loaders of every section return, and the
/// file loader places at its line.
pub fn bad(key: impl AsRef<str>, message: impl Into<String>) -> Invalid {
    Invalid {
        key: KeyPath::parse(key.as_ref()),
        message: message.into(),
        because: None,
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The largest amount of money a key may hold (balances, money limits):
/// 10^15 in the account's currency. Far above any real account, and far
/// enough below `Decimal::MAX` (about 7.9 × 10^28) that sizing and the risk
/// gate's products of money and percents cannot overflow.
pub const MAX_MONEY: rust_decimal::Decimal =
    rust_decimal::Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Seconds in a day: the longest time an opportunity waits for a decision.
pub const DAY_SECS: i64 = 86_400;

/// Seconds in a week: the longest configured duration (cooldowns, minimum
/// intervals, binary expiries). A week in nanoseconds is far from `i64`'s
/// limit, so no conversion of a configured duration can wrap.
pub const WEEK_SECS: i64 = 7 * DAY_SECS;

/// The values a numeric key may take: from `min` (itself allowed, or only
/// what lies above it) to `max` (allowed). NaN is never in a range, so a
/// float key that is `nan` or `inf` in the file is refused by the same
/// check that refuses a value that is too large.
#[derive(Clone, Copy, Debug)]
pub struct Range<T> {
    /// Lowest bound.
    pub min: T,
    /// Whether `min` itself is refused (a positive duration, a positive size).
    pub min_excluded: bool,
    /// Highest allowed value.
    pub max: T,
}

impl<T: PartialOrd + std::fmt::Display> Range<T> {
    /// `min..=max`.
    pub const fn closed(min: T, max: T) -> Self {
        Self {
            min,
            min_excluded: false,
            max,
        }
    }

    /// Above `min`, up to and including `max`.
    pub const fn above(min: T, max: T) -> Self {
        Self {
            min,
            min_excluded: true,
            max,
        }
    }

    /// True when `value` is in the range (never for NaN).
    pub fn contains(&self, value: &T) -> bool {
        let low = if self.min_excluded {
            *value > self.min
        } else {
            *value >= self.min
        };
        low && *value <= self.max
    }

    /// `Ok` when `value` is in the range, else a refusal at `key` that
    /// states the range and the value:
    /// "must be between 1 and 86_400, got 0".
    pub fn check(&self, key: impl AsRef<str>, value: T) -> Result<(), Invalid> {
        if self.contains(&value) {
            return Ok(());
        }
        let (min, max) = (grouped(&self.min), grouped(&self.max));
        let message = if self.min_excluded {
            format!("must be greater than {min} and at most {max}, got {value}")
        } else {
            format!("must be between {min} and {max}, got {value}")
        };
        Err(bad(key, message))
    }
}

/// Checks `value` at `key` against `min..=max`; see [`Range::check`].
pub fn range<T: PartialOrd + std::fmt::Display>(
    key: impl AsRef<str>,
    value: T,
    min: T,
    max: T,
) -> Result<(), Invalid> {
    Range::closed(min, max).check(key, value)
}

/// Checks that `min < value <= max` at `key`; see [`Range::check`].
pub fn above<T: PartialOrd + std::fmt::Display>(
    key: impl AsRef<str>,
    value: T,
    min: T,
    max: T,
) -> Result<(), Invalid> {
    Range::above(min, max).check(key, value)
}

/// A bound as a reader checks it against the file: digits of a large whole
/// number grouped by `_` as TOML allows (`86_400`, `1_000_000_000_000_000`);
/// anything else as displayed.
fn grouped(bound: &impl std::fmt::Display) -> String {
    let s = bound.to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return s;
    }
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_names_its_bounds_and_the_value() {
        let e = range("risk.daily_trade_limit", 0u32, 1, 100_000).expect_err("zero");
        assert_eq!(e.key.to_string(), "risk.daily_trade_limit");
        assert_eq!(e.message, "must be between 1 and 100_000, got 0");
        let e = above("a.b", f64::NAN, 0.0, 86_400.0).expect_err("nan");
        assert_eq!(
            e.message,
            "must be greater than 0 and at most 86_400, got NaN"
        );
        assert!(above("a.b", f64::INFINITY, 0.0, 1.0).is_err());
        assert!(above("a.b", 0.0, 0.0, 1.0).is_err());
        assert!(range("a.b", 0.0, 0.0, 1.0).is_ok());
        assert!(range("a.b", 1.0, 0.0, 1.0).is_ok());
        assert!(range("a.b", -1i64, 0, 1).is_err());
        assert_eq!(grouped(&-1234567), "-1_234_567");
        assert_eq!(grouped(&0.5), "0.5");
        assert_eq!(grouped(&1000), "1000");
    }

    #[test]
    fn max_money_is_ten_to_the_fifteenth() {
        assert_eq!(
            MAX_MONEY,
            rust_decimal::Decimal::from(1_000_000_000_000_000i64)
        );
    }
}
