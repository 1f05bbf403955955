//! Checks that go beyond the schema (names that must exist, ranges) and
//! builds the [`Catalog`]. Errors carry the key path so the loader can point
//! at the line.

use super::error::ConfigError;
use super::load::line_of;
use super::schema::{Config, MarketSource};
use crate::domain::{
    AccountId, AccountInfo, AccountMode, AccountType, Catalog, Instrument, InstrumentId,
    OpportunityKind, Timeframe, Venue, VenueId,
};
use crate::risk::hours::Session;
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::path::Path;

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

/// A validation failure before it is placed in a file.
#[derive(Debug)]
pub struct Invalid {
    pub key: KeyPath,
    pub message: String,
}

impl Invalid {
    /// Places the failure in a file, finding the key's line in `text`.
    pub fn into_error(self, path: &str, text: Option<&str>) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_string(),
            line: text.and_then(|t| self.key.line_in(t)).unwrap_or(0),
            key: self.key.to_string(),
            message: self.message,
        }
    }
}

fn bad(key: impl AsRef<str>, message: impl Into<String>) -> Invalid {
    Invalid {
        key: KeyPath::parse(key.as_ref()),
        message: message.into(),
    }
}

/// Validates the configuration and builds the catalog. `base_dir` resolves
/// relative data paths; `None` accepts only bundled files.
pub fn validate(cfg: &Config, base_dir: Option<&Path>) -> Result<Catalog, Invalid> {
    let mut catalog = Catalog::default();

    let mut seen = HashSet::new();
    for (i, v) in cfg.venues.iter().enumerate() {
        let key = format!("venues[{i}]");
        if v.name.is_empty() {
            return Err(bad(format!("{key}.name"), "a venue needs a name"));
        }
        if !seen.insert(v.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("venue `{}` is defined twice", v.name),
            ));
        }
        for (field, fee) in [
            ("taker_fee_pct", v.taker_fee_pct),
            ("maker_fee_pct", v.maker_fee_pct),
        ] {
            if fee < Decimal::ZERO || fee >= Decimal::from(100) {
                return Err(bad(
                    format!("{key}.{field}"),
                    "a fee must be a percent in [0, 100)",
                ));
            }
        }
        catalog.venues.push(Venue {
            id: VenueId(i as u16),
            name: v.name.clone(),
            taker_fee: v.taker_fee_pct / Decimal::ONE_HUNDRED,
            maker_fee: v.maker_fee_pct / Decimal::ONE_HUNDRED,
        });
    }
    if catalog.venues.is_empty() {
        return Err(bad("venues", "at least one venue is needed"));
    }

    seen.clear();
    for (i, inst) in cfg.instruments.iter().enumerate() {
        let key = format!("instruments[{i}]");
        if inst.name.is_empty() {
            return Err(bad(format!("{key}.name"), "an instrument needs a name"));
        }
        if !seen.insert(inst.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("instrument `{}` is defined twice", inst.name),
            ));
        }
        for (field, value) in [
            ("tick_size", inst.tick_size),
            ("lot_size", inst.lot_size),
            ("min_qty", inst.min_qty),
        ] {
            if value <= Decimal::ZERO {
                return Err(bad(format!("{key}.{field}"), "must be greater than zero"));
            }
        }
        if inst.venues.is_empty() {
            return Err(bad(
                format!("{key}.venues"),
                "an instrument needs at least one venue",
            ));
        }
        let mut venues = Vec::new();
        for (j, name) in inst.venues.iter().enumerate() {
            let id = catalog.venue_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.venues[{j}]"),
                    format!("unknown venue `{name}`"),
                )
            })?;
            venues.push(id);
        }
        catalog.instruments.push(Instrument {
            id: InstrumentId(i as u16),
            name: inst.name.clone(),
            class: inst.class,
            tick_size: inst.tick_size.normalize(),
            lot_size: inst.lot_size.normalize(),
            min_qty: inst.min_qty,
            venues,
        });
    }

    seen.clear();
    for (i, a) in cfg.accounts.iter().enumerate() {
        let key = format!("accounts[{i}]");
        if a.name.is_empty() {
            return Err(bad(format!("{key}.name"), "an account needs a name"));
        }
        if !seen.insert(a.name.clone()) {
            return Err(bad(
                format!("{key}.name"),
                format!("account `{}` is defined twice", a.name),
            ));
        }
        if a.balance <= Decimal::ZERO {
            return Err(bad(
                format!("{key}.balance"),
                "the starting balance must be positive",
            ));
        }
        if a.broker != "paper" {
            return Err(bad(
                format!("{key}.broker"),
                format!("unknown broker `{}` (this build has: paper)", a.broker),
            ));
        }
        // Paper accounts on the demo market are DEMO; on real data PAPER.
        let mode = match cfg.market.source {
            MarketSource::Demo => AccountMode::Demo,
            MarketSource::Live | MarketSource::Replay => AccountMode::Paper,
        };
        catalog.accounts.push(AccountInfo {
            id: AccountId(i as u16),
            name: a.name.clone(),
            kind: a.kind,
            profile: a.profile,
            currency: a.currency.clone(),
            initial_balance: a.balance,
            mode,
        });
    }

    for (i, r) in cfg.routes.iter().enumerate() {
        let key = format!("routes[{i}]");
        for (j, name) in r.instruments.iter().enumerate() {
            let id = catalog.instrument_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.instruments[{j}]"),
                    format!("unknown instrument `{name}`"),
                )
            })?;
            if r.kind == OpportunityKind::Arbitrage && catalog.instrument(id).venues.len() < 2 {
                return Err(bad(
                    format!("{key}.instruments[{j}]"),
                    format!("arbitrage needs an instrument on two venues; `{name}` has one"),
                ));
            }
        }
        for (j, name) in r.accounts.iter().enumerate() {
            let id = catalog.account_by_name(name).ok_or_else(|| {
                bad(
                    format!("{key}.accounts[{j}]"),
                    format!("unknown account `{name}`"),
                )
            })?;
            let kind = catalog.account(id).kind;
            let fits = match r.kind {
                OpportunityKind::Binary => kind == AccountType::Binary,
                _ => kind != AccountType::Binary,
            };
            if !fits {
                return Err(bad(
                    format!("{key}.accounts[{j}]"),
                    format!(
                        "a {} account cannot take {} opportunities",
                        kind.as_str(),
                        r.kind.as_str()
                    ),
                ));
            }
        }
    }

    if Timeframe::parse(&cfg.scanners.forex.timeframe).is_none() {
        return Err(bad(
            "scanners.forex.timeframe",
            "expected M1, M5, M15, H1, H4 or D1",
        ));
    }
    let f = &cfg.scanners.forex;
    for (field, v) in [
        ("rsi_period", f.rsi_period),
        ("sma_fast", f.sma_fast),
        ("sma_slow", f.sma_slow),
        ("atr_period", f.atr_period),
    ] {
        if v == 0 {
            return Err(bad(format!("scanners.forex.{field}"), "must be at least 1"));
        }
    }
    for (k, list) in [
        (
            "scanners.forex.instruments",
            &cfg.scanners.forex.instruments,
        ),
        (
            "scanners.binary.instruments",
            &cfg.scanners.binary.instruments,
        ),
    ] {
        for (j, name) in list.iter().enumerate() {
            if catalog.instrument_by_name(name).is_none() {
                return Err(bad(
                    format!("{k}[{j}]"),
                    format!("unknown instrument `{name}`"),
                ));
            }
        }
    }
    let a = &cfg.scanners.arbitrage;
    if a.leg_slack < Decimal::ZERO || a.leg_slack >= Decimal::new(5, 1) {
        return Err(bad("scanners.arbitrage.leg_slack", "must be in [0, 0.5)"));
    }
    let b = &cfg.scanners.binary;
    if b.expiry_secs <= 0 {
        return Err(bad("scanners.binary.expiry_secs", "must be positive"));
    }
    if b.payout <= Decimal::ZERO {
        return Err(bad("scanners.binary.payout", "must be positive"));
    }

    for (class, s) in [
        ("crypto", &cfg.risk.hours.crypto),
        ("forex", &cfg.risk.hours.forex),
        ("metal", &cfg.risk.hours.metal),
    ] {
        Session::parse(s)
            .map_err(|(field, msg)| bad(format!("risk.hours.{class}.{field}"), msg))?;
    }
    let r = &cfg.risk;
    for (field, v) in [
        ("max_position_pct", r.max_position_pct),
        ("price_collar_pct", r.price_collar_pct),
        ("max_order_notional", r.max_order_notional),
    ] {
        if v <= Decimal::ZERO {
            return Err(bad(format!("risk.{field}"), "must be greater than zero"));
        }
    }
    if !(0.0 < r.level_medium_at && r.level_medium_at < r.level_high_at && r.level_high_at <= 1.0) {
        return Err(bad(
            "risk.level_high_at",
            "need 0 < level_medium_at < level_high_at <= 1",
        ));
    }

    for (i, s) in cfg.market.demo.series.iter().enumerate() {
        let key = format!("market.demo.series[{i}]");
        if catalog.instrument_by_name(&s.instrument).is_none() {
            return Err(bad(
                format!("{key}.instrument"),
                format!("unknown instrument `{}`", s.instrument),
            ));
        }
        if s.spread_bps < 0.0 || s.top_qty <= 0.0 {
            return Err(bad(key, "spread_bps must be >= 0 and top_qty > 0"));
        }
    }
    validate_feeds(cfg, &catalog, base_dir)?;
    for (i, v) in cfg.market.demo.venues.iter().enumerate() {
        if catalog.venue_by_name(&v.venue).is_none() {
            return Err(bad(
                format!("market.demo.venues[{i}].venue"),
                format!("unknown venue `{}`", v.venue),
            ));
        }
    }
    Ok(catalog)
}

/// The demo series files exist: each names a series bundled with the
/// binary (`bundled` says which, since the data lives with the demo market)
/// or a file relative to the configuration's directory.
pub fn validate_series_files(
    cfg: &Config,
    base_dir: &Path,
    bundled: &dyn Fn(&str) -> bool,
) -> Result<(), Invalid> {
    for (i, s) in cfg.market.demo.series.iter().enumerate() {
        let key = format!("market.demo.series[{i}]");
        let found = bundled(&s.file) || base_dir.join(&s.file).is_file();
        if !found {
            return Err(bad(
                format!("{key}.file"),
                format!(
                    "`{}` is neither a bundled series nor a readable file",
                    s.file
                ),
            ));
        }
        let h1_found = s.history_h1.is_empty()
            || bundled(&s.history_h1)
            || base_dir.join(&s.history_h1).is_file();
        if !h1_found {
            return Err(bad(
                format!("{key}.history_h1"),
                format!(
                    "`{}` is neither a bundled series nor a readable file",
                    s.history_h1
                ),
            ));
        }
    }
    Ok(())
}

/// Enabled feeds must name configured venues and instruments those venues
/// list; a replay needs files.
fn validate_feeds(cfg: &Config, catalog: &Catalog, base_dir: Option<&Path>) -> Result<(), Invalid> {
    let f = &cfg.feeds;
    for (name, feed) in [
        ("binance", &f.binance),
        ("kraken", &f.kraken),
        ("coinbase", &f.coinbase),
        ("bybit", &f.bybit),
        ("oanda", &f.oanda),
    ] {
        let key = format!("feeds.{name}");
        // TOML admits `nan` and `inf`: neither is a duration.
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(feed.heartbeat_secs) {
            return Err(bad(
                format!("{key}.heartbeat_secs"),
                "must be a positive finite number of seconds",
            ));
        }
        if feed.max_frame_bytes == 0 {
            return Err(bad(format!("{key}.max_frame_bytes"), "must be positive"));
        }
        if !positive(feed.max_connection_hours) {
            return Err(bad(
                format!("{key}.max_connection_hours"),
                "must be a positive finite number of hours",
            ));
        }
        let live = cfg.market.source == MarketSource::Live && feed.enabled;
        if !live {
            continue;
        }
        let Some(venue) = catalog.venue_by_name(name) else {
            return Err(bad(
                format!("{key}.enabled"),
                format!("no [[venues]] entry named `{name}`: add one to trade its quotes"),
            ));
        };
        let scheme_ok = if name == "oanda" {
            feed.url.starts_with("http://") || feed.url.starts_with("https://")
        } else {
            feed.url.starts_with("ws://") || feed.url.starts_with("wss://")
        };
        if !scheme_ok {
            return Err(bad(
                format!("{key}.url"),
                format!(
                    "`{}` is not a {} URL",
                    feed.url,
                    if name == "oanda" { "http(s)" } else { "ws(s)" }
                ),
            ));
        }
        if feed.symbols.is_empty() {
            return Err(bad(
                format!("{key}.symbols"),
                "an enabled feed needs at least one symbol",
            ));
        }
        for (j, sym) in feed.symbols.iter().enumerate() {
            let Some(inst) = catalog.instrument_by_name(sym) else {
                return Err(bad(
                    format!("{key}.symbols[{j}]"),
                    format!("unknown instrument `{sym}`"),
                ));
            };
            if !catalog.instrument(inst).venues.contains(&venue) {
                return Err(bad(
                    format!("{key}.symbols[{j}]"),
                    format!("instrument `{sym}` does not list venue `{name}`"),
                ));
            }
        }
        if name == "oanda" && (feed.account_id.is_empty() || feed.token_env.is_empty()) {
            return Err(bad(
                format!("{key}.account_id"),
                "OANDA needs account_id and token_env",
            ));
        }
    }
    if cfg.market.source == MarketSource::Replay {
        let r = &cfg.market.replay;
        if r.files.is_empty() {
            return Err(bad(
                "market.replay.files",
                "source = \"replay\" needs files",
            ));
        }
        for (i, file) in r.files.iter().enumerate() {
            if base_dir.is_some_and(|d| !d.join(file).is_file()) {
                return Err(bad(
                    format!("market.replay.files[{i}]"),
                    format!("`{file}` is not a readable file"),
                ));
            }
        }
    }
    // TOML admits `nan` and `inf`; neither is a pace.
    let speed = cfg.market.replay.speed;
    if !speed.is_finite() || speed <= 0.0 {
        return Err(bad(
            "market.replay.speed",
            "must be a positive finite number",
        ));
    }
    Ok(())
}
