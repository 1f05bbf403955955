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

    /// The line where the deepest existing part of this path is written.
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
}

/// A failure at `key`: what the loaders of every section return, and the
/// file loader places at its line.
pub fn bad(key: impl AsRef<str>, message: impl Into<String>) -> Invalid {
    Invalid {
        key: KeyPath::parse(key.as_ref()),
        message: message.into(),
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
