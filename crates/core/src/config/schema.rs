//! The `omni.toml` schema. Every field has a default; the defaults are the
//! built-in demo, and `omni.toml.example` spells them out (a test compares).

use crate::domain::{AccountType, AssetClass, OpportunityKind, RiskProfile};
use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed and other global settings.
    pub general: GeneralConfig,
    /// Where market data comes from.
    pub market: MarketConfig,
    /// Venues: fees and order latency.
    pub venues: Vec<VenueConfig>,
    /// Instruments and the venues that list them.
    pub instruments: Vec<InstrumentConfig>,
    pub accounts: Vec<AccountConfig>,
    /// Which accounts each kind of opportunity is routed to.
    pub routes: Vec<RouteConfig>,
    pub scanners: ScannersConfig,
    /// Manual or automatic approval.
    pub approval: ApprovalConfig,
    pub risk: RiskConfig,
    /// Paper broker fill model.
    pub paper: PaperConfig,
    /// The ensemble of horizon models.
    pub ensemble: EnsembleConfig,
    /// Live market-data feeds, per venue.
    pub feeds: FeedsConfig,
}

/// The ensemble of horizon models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnsembleConfig {
    /// Attach the ensemble's belief to forex and binary opportunities.
    pub enabled: bool,
    /// Directory with short.json, medium.json and long.json (from
    /// `omni-tui train`); empty for the models bundled with the binary.
    pub models_dir: String,
}

impl Default for EnsembleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            models_dir: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneralConfig {
    /// Seed for the demo market and the paper broker; same seed, same run.
    pub seed: u64,
}

impl Default for GeneralConfig {
    fn default() -> Self {
        Self { seed: 7 }
    }
}

/// The market data source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketSource {
    /// The built-in demo market driven by real minute bars.
    Demo,
    /// The venues' own WebSocket and HTTP streams (`[feeds.*]`).
    Live,
    /// Recorded frames (`[market.replay]`).
    Replay,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketConfig {
    /// Which source feeds the engine.
    pub source: MarketSource,
    pub demo: DemoConfig,
    /// Replay of recorded frames.
    pub replay: ReplayConfig,
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            source: MarketSource::Demo,
            demo: DemoConfig::default(),
            replay: ReplayConfig::default(),
        }
    }
}

/// Replaying recordings (`omni-tui record`) or venue captures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayConfig {
    /// Files to replay, merged by receive time (`.gz` is read compressed).
    pub files: Vec<String>,
    /// Venue of files in the capture format (`<ns> <raw JSON>` per line),
    /// which do not name it.
    pub venue: String,
    /// Market time per wall-clock time in the cockpit (1 = real time).
    pub speed: f64,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            venue: String::new(),
            speed: 1.0,
        }
    }
}

/// One venue's market-data feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Connect to it when the source is live.
    pub enabled: bool,
    /// Endpoint (the venue's real one by default; tests point it at 127.0.0.1).
    pub url: String,
    /// Our instrument names; each must list this venue.
    pub symbols: Vec<String>,
    /// The venue's heartbeat interval, seconds: silence for twice this long
    /// means the connection is dead.
    pub heartbeat_secs: f64,
    /// Frames larger than this are counted and dropped.
    pub max_frame_bytes: usize,
    /// Reconnect before the venue's connection age limit, hours.
    pub max_connection_hours: f64,
    /// Account id (OANDA only).
    pub account_id: String,
    /// Name of the environment variable holding the API token (OANDA
    /// only); the token itself never goes in the config file.
    pub token_env: String,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: String::new(),
            symbols: Vec::new(),
            heartbeat_secs: 20.0,
            max_frame_bytes: 1 << 20,
            max_connection_hours: 23.5,
            account_id: String::new(),
            token_env: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedsConfig {
    /// Binance spot combined stream (`bookTicker`, `kline_1m`).
    pub binance: FeedConfig,
    /// Kraken WebSocket v2 (`ticker`).
    pub kraken: FeedConfig,
    /// Coinbase Advanced Trade (`ticker`, `heartbeats`).
    pub coinbase: FeedConfig,
    /// Bybit v5 spot (`orderbook.1`).
    pub bybit: FeedConfig,
    /// OANDA v20 pricing stream (chunked HTTP).
    pub oanda: FeedConfig,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        let crypto = || vec!["BTC/USDT".to_string(), "ETH/USDT".to_string()];
        Self {
            binance: FeedConfig {
                enabled: true,
                url: "wss://stream.binance.com:9443/stream".into(),
                symbols: crypto(),
                heartbeat_secs: 20.0,
                ..FeedConfig::default()
            },
            kraken: FeedConfig {
                enabled: true,
                url: "wss://ws.kraken.com/v2".into(),
                symbols: crypto(),
                heartbeat_secs: 1.0,
                ..FeedConfig::default()
            },
            coinbase: FeedConfig {
                enabled: false,
                url: "wss://advanced-trade-ws.coinbase.com".into(),
                symbols: crypto(),
                heartbeat_secs: 1.0,
                ..FeedConfig::default()
            },
            bybit: FeedConfig {
                enabled: true,
                url: "wss://stream.bybit.com/v5/public/spot".into(),
                symbols: crypto(),
                heartbeat_secs: 20.0,
                ..FeedConfig::default()
            },
            oanda: FeedConfig {
                enabled: false,
                url: "https://stream-fxpractice.oanda.com/v3".into(),
                symbols: vec!["EUR/USD".into(), "XAU/USD".into()],
                heartbeat_secs: 5.0,
                token_env: "OANDA_TOKEN".into(),
                ..FeedConfig::default()
            },
        }
    }
}

/// The demo market: real minute bars replayed as ticks on several venues.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Mean milliseconds between quote updates, per venue and instrument.
    pub quote_interval_ms: u64,
    /// Mean milliseconds between trades on the reference venue.
    pub trade_interval_ms: u64,
    /// Standard deviation of each venue's price basis, in basis points.
    pub basis_bps: f64,
    /// Half-life of the basis (seconds): how fast venues re-converge.
    pub basis_halflife_secs: f64,
    /// Average number of venue dislocations per hour.
    pub dislocations_per_hour: f64,
    /// Mean size of a dislocation, in percent of price.
    pub dislocation_mean_pct: f64,
    /// Largest dislocation, in percent of price.
    pub dislocation_max_pct: f64,
    /// Mean duration of a dislocation, seconds.
    pub dislocation_secs: f64,
    /// Minute-bar series that drive each instrument.
    pub series: Vec<DemoSeriesConfig>,
    pub venues: Vec<DemoVenueConfig>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        let series =
            |instrument: &str, file: &str, spread_bps: f64, top_qty: f64| DemoSeriesConfig {
                instrument: instrument.into(),
                file: format!("{file}_m1.csv"),
                history_h1: format!("{file}_h1.csv"),
                spread_bps,
                top_qty,
            };
        let venue = |name: &str, lag_ms: u64, spread_mult: f64, size_mult: f64| DemoVenueConfig {
            venue: name.into(),
            lag_ms,
            spread_mult,
            size_mult,
        };
        Self {
            quote_interval_ms: 250,
            trade_interval_ms: 400,
            basis_bps: 2.3,
            basis_halflife_secs: 30.0,
            dislocations_per_hour: 8.0,
            dislocation_mean_pct: 0.4,
            dislocation_max_pct: 2.0,
            dislocation_secs: 20.0,
            series: vec![
                series("BTC/USDT", "btcusdt", 0.4, 2.0),
                series("ETH/USDT", "ethusdt", 0.6, 25.0),
                series("EUR/USD", "eurusd", 0.8, 2_000_000.0),
                series("XAU/USD", "xauusd", 0.9, 500.0),
            ],
            venues: vec![
                venue("binance", 0, 1.0, 1.0),
                venue("kraken", 700, 2.5, 0.5),
                venue("bybit", 250, 1.5, 0.8),
                venue("oanda", 0, 1.0, 1.0),
            ],
        }
    }
}

/// One instrument's driving series in the demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSeriesConfig {
    /// The instrument this series drives, by its `[[instruments]]` name.
    pub instrument: String,
    /// A bundled file in assets/demo, or a path to a CSV with
    /// `time,open,high,low,close,volume` (time in Unix seconds, UTC).
    pub file: String,
    /// Hourly bars before the minute history, replayed at start-up so the
    /// hourly model starts warm: a bundled file or a path; empty for none.
    pub history_h1: String,
    /// Typical spread on the reference venue, basis points.
    pub spread_bps: f64,
    /// Typical quantity at the top of book on the reference venue.
    pub top_qty: f64,
}

impl Default for DemoSeriesConfig {
    fn default() -> Self {
        Self {
            instrument: String::new(),
            file: String::new(),
            history_h1: String::new(),
            spread_bps: 1.0,
            top_qty: 1.0,
        }
    }
}

/// How one venue quotes in the demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoVenueConfig {
    /// A venue named in `[[venues]]`.
    pub venue: String,
    /// How far behind the reference price this venue's quotes run, ms.
    pub lag_ms: u64,
    /// Spread relative to the series' spread.
    pub spread_mult: f64,
    /// Top-of-book size relative to the series' size.
    pub size_mult: f64,
}

impl Default for DemoVenueConfig {
    fn default() -> Self {
        Self {
            venue: String::new(),
            lag_ms: 0,
            spread_mult: 1.0,
            size_mult: 1.0,
        }
    }
}

/// A venue's fees and order latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VenueConfig {
    /// Unique lower-case name, e.g. `binance`.
    pub name: String,
    /// Taker fee, percent of notional.
    pub taker_fee_pct: Decimal,
    /// Maker fee, percent of notional.
    pub maker_fee_pct: Decimal,
    /// Mean one-way order latency to this venue, ms (paper broker).
    pub order_latency_ms: u64,
}

impl Default for VenueConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            taker_fee_pct: dec!(0.1),
            maker_fee_pct: dec!(0.1),
            order_latency_ms: 50,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstrumentConfig {
    /// Our name, e.g. `BTC/USDT`.
    pub name: String,
    /// crypto, forex or metal.
    pub class: AssetClass,
    /// Price increment; must be greater than zero.
    pub tick_size: Decimal,
    /// Quantity increment; must be greater than zero.
    pub lot_size: Decimal,
    pub min_qty: Decimal,
    /// Venues listing it; the first is the reference venue.
    pub venues: Vec<String>,
}

impl Default for InstrumentConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            class: AssetClass::Crypto,
            tick_size: dec!(0.01),
            lot_size: dec!(0.0001),
            min_qty: dec!(0.0001),
            venues: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// Unique name.
    pub name: String,
    /// spot, margin, prop_firm or binary.
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// conservative, balanced or aggressive.
    pub profile: RiskProfile,
    /// Currency of `balance` and of the money risk limits, e.g. `USDT`.
    pub currency: String,
    /// Starting balance in `currency`; must be positive.
    pub balance: Decimal,
    /// `paper` (the only broker this build ships).
    pub broker: String,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: AccountType::Spot,
            profile: RiskProfile::Balanced,
            currency: "USD".into(),
            balance: dec!(10000),
            broker: "paper".into(),
        }
    }
}

/// One routing rule: opportunities of `kind` on `instruments` go to `accounts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouteConfig {
    /// arbitrage, forex or binary.
    pub kind: OpportunityKind,
    /// Instruments the rule covers, by their `[[instruments]]` names.
    pub instruments: Vec<String>,
    /// Account names; each sizes and trades independently.
    pub accounts: Vec<String>,
}

impl Default for RouteConfig {
    fn default() -> Self {
        Self {
            kind: OpportunityKind::Arbitrage,
            instruments: Vec::new(),
            accounts: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScannersConfig {
    pub arbitrage: ArbitrageScannerConfig,
    pub forex: ForexScannerConfig,
    pub binary: BinaryScannerConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArbitrageScannerConfig {
    pub enabled: bool,
    /// Smallest net edge (percent, after both taker fees) worth listing.
    pub min_net_pct: Decimal,
    /// How many arbitrage opportunities are kept, best first.
    pub top_n: usize,
    /// Seconds an opportunity waits for a decision.
    pub ttl_secs: i64,
    /// Quotes older than this (ms) are not used for arbitrage.
    pub max_quote_age_ms: i64,
    /// Share of the gross spread each leg's limit may give up to get filled
    /// (0 = limits at the seen prices; 0.25 keeps half the spread if both
    /// legs fill at their limits).
    pub leg_slack: Decimal,
}

impl Default for ArbitrageScannerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_net_pct: dec!(0.01),
            top_n: 10,
            ttl_secs: 15,
            max_quote_age_ms: 2000,
            leg_slack: dec!(0.25),
        }
    }
}

/// Forex technical scanner (RSI, SMA, ATR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForexScannerConfig {
    pub enabled: bool,
    /// Bar timeframe the indicators run on (M1 or M5).
    pub timeframe: String,
    /// RSI lookback, in bars of `timeframe`.
    pub rsi_period: usize,
    /// RSI below this is oversold (BUY side).
    pub rsi_oversold: f64,
    /// RSI above this is overbought (SELL side).
    pub rsi_overbought: f64,
    /// Fast SMA lookback, in bars of `timeframe`.
    pub sma_fast: usize,
    /// Slow SMA period (trend filter).
    pub sma_slow: usize,
    /// ATR lookback, in bars of `timeframe`.
    pub atr_period: usize,
    /// Stop-loss distance in ATRs.
    pub stop_atr: Decimal,
    /// Take-profit distance in ATRs.
    pub take_atr: Decimal,
    /// Seconds a signal waits for a decision.
    pub ttl_secs: i64,
    /// Instruments scanned; empty means every forex and metal instrument.
    pub instruments: Vec<String>,
}

impl Default for ForexScannerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            timeframe: "M1".into(),
            rsi_period: 14,
            rsi_oversold: 30.0,
            rsi_overbought: 70.0,
            sma_fast: 20,
            sma_slow: 50,
            atr_period: 14,
            stop_atr: dec!(1.5),
            take_atr: dec!(3.0),
            ttl_secs: 60,
            instruments: Vec::new(),
        }
    }
}

/// Binary prediction scanner (momentum and volatility).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinaryScannerConfig {
    pub enabled: bool,
    /// Seconds from purchase to settlement.
    pub expiry_secs: i64,
    /// Profit per unit staked on a win (0.85 = 85 %).
    pub payout: Decimal,
    /// Half-life of the drift and volatility estimates, seconds.
    pub halflife_secs: f64,
    /// One-second samples needed before predicting.
    pub min_samples: u32,
    /// Prior standard deviation of the drift, as a fraction of the
    /// per-second volatility: small values shrink noisy momentum toward zero.
    pub drift_prior_ratio: f64,
    /// Smallest probability of the chosen side worth listing.
    pub min_probability: f64,
    /// Seconds a prediction waits for a decision.
    pub ttl_secs: i64,
    /// Instruments scanned; empty means every instrument routed to binary.
    pub instruments: Vec<String>,
}

impl Default for BinaryScannerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            expiry_secs: 60,
            payout: dec!(0.85),
            halflife_secs: 30.0,
            min_samples: 30,
            drift_prior_ratio: 0.05,
            min_probability: 0.56,
            ttl_secs: 10,
            instruments: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// The operator decides every opportunity.
    Manual,
    /// The auto policy approves those above its thresholds.
    Auto,
    /// Everything is approved as it appears (the gate still decides).
    All,
}

impl ApprovalMode {
    /// Upper-case name: `MANUAL`, `AUTO` or `ALL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Manual => "MANUAL",
            ApprovalMode::Auto => "AUTO",
            ApprovalMode::All => "ALL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalConfig {
    /// manual (default) or auto.
    pub mode: ApprovalMode,
    /// Thresholds of the auto policy.
    pub auto: AutoPolicyConfig,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        Self {
            mode: ApprovalMode::Manual,
            auto: AutoPolicyConfig::default(),
        }
    }
}

/// The auto policy: approve above every threshold of the opportunity's kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoPolicyConfig {
    /// Arbitrage: minimum net edge, percent.
    pub arbitrage_min_net_pct: Decimal,
    /// Arbitrage: risk score must be below this.
    pub arbitrage_max_risk_score: u8,
    /// Forex: minimum confidence, 0..1.
    pub forex_min_confidence: f64,
    /// Forex: minimum reward/risk.
    pub forex_min_reward_risk: Decimal,
    /// Binary: minimum probability of the chosen side, 0..1.
    pub binary_min_probability: f64,
    /// Binary: only contracts with this expiry, seconds.
    pub binary_expiry_secs: i64,
}

impl Default for AutoPolicyConfig {
    fn default() -> Self {
        Self {
            arbitrage_min_net_pct: dec!(0.5),
            arbitrage_max_risk_score: 30,
            forex_min_confidence: 0.70,
            forex_min_reward_risk: dec!(2.0),
            binary_min_probability: 0.75,
            binary_expiry_secs: 60,
        }
    }
}

/// What pause means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseState {
    /// Only risk-reducing orders pass.
    Reducing,
    /// Nothing new passes.
    Halted,
}

/// Risk limits. Money limits are in each account's currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// State entered by pause: reducing or halted.
    pub pause_state: PauseState,
    /// Entry orders per account per UTC day.
    pub daily_trade_limit: u32,
    /// Loss (realised plus unrealised, since the day's start) that stops new entries.
    pub daily_loss_limit: Decimal,
    /// Consecutive losing trades that start a cooldown.
    pub loss_streak_limit: u32,
    /// Cooldown length, seconds.
    pub loss_streak_cooldown_secs: i64,
    /// Largest position, percent of account equity (notional).
    pub max_position_pct: Decimal,
    /// Largest single order, in account currency.
    pub max_order_notional: Decimal,
    /// Largest distance of an order's price from the latest quote, percent.
    pub price_collar_pct: Decimal,
    /// A quote older than this (ms) is not fresh: no orders on it.
    pub max_quote_age_ms: i64,
    /// Entry orders per account per minute (message throttle).
    pub max_orders_per_minute: u32,
    /// Usage fraction at which the risk level becomes MEDIUM.
    pub level_medium_at: f64,
    /// Usage fraction at which the risk level becomes HIGH.
    pub level_high_at: f64,
    /// Signal checks per kind of opportunity.
    pub signal: SignalRulesConfig,
    /// Trading hours per asset class.
    pub hours: HoursConfig,
    /// Rules for prop-firm accounts.
    pub prop_firm: PropFirmConfig,
    /// Sizing fractions per risk profile.
    pub profiles: ProfilesConfig,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            pause_state: PauseState::Reducing,
            daily_trade_limit: 50,
            daily_loss_limit: dec!(100),
            loss_streak_limit: 5,
            loss_streak_cooldown_secs: 1800,
            max_position_pct: dec!(25),
            max_order_notional: dec!(20000),
            price_collar_pct: dec!(0.5),
            max_quote_age_ms: 3000,
            max_orders_per_minute: 20,
            level_medium_at: 0.5,
            level_high_at: 0.8,
            signal: SignalRulesConfig::default(),
            hours: HoursConfig::default(),
            prop_firm: PropFirmConfig::default(),
            profiles: ProfilesConfig::default(),
        }
    }
}

/// Signal validation for one kind of opportunity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalRule {
    /// Smallest confidence accepted, 0..1.
    pub min_confidence: f64,
    /// Seconds between entries on one instrument for one account.
    pub min_interval_secs: i64,
}

/// Signal validation per kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalRulesConfig {
    /// Arbitrage (confidence = 1 − risk score / 100).
    pub arbitrage: SignalRule,
    pub forex: SignalRule,
    /// Binary (confidence = probability of the chosen side).
    pub binary: SignalRule,
}

impl Default for SignalRulesConfig {
    fn default() -> Self {
        Self {
            arbitrage: SignalRule {
                min_confidence: 0.3,
                min_interval_secs: 5,
            },
            forex: SignalRule {
                min_confidence: 0.55,
                min_interval_secs: 300,
            },
            binary: SignalRule {
                min_confidence: 0.55,
                min_interval_secs: 300,
            },
        }
    }
}

impl Default for SignalRule {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            min_interval_secs: 300,
        }
    }
}

/// Trading hours of one asset class, UTC. Empty `open`/`close` means always open.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Weekly open, e.g. `sun 22:00`; empty for around the clock.
    pub open: String,
    /// Weekly close, e.g. `fri 22:00`.
    pub close: String,
    /// Daily break, e.g. `21:00-22:00`; empty for none.
    pub daily_break: String,
}

/// Trading hours per asset class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoursConfig {
    pub crypto: SessionConfig,
    pub forex: SessionConfig,
    pub metal: SessionConfig,
}

impl Default for HoursConfig {
    fn default() -> Self {
        Self {
            crypto: SessionConfig::default(),
            forex: SessionConfig {
                open: "sun 22:00".into(),
                close: "fri 22:00".into(),
                daily_break: String::new(),
            },
            metal: SessionConfig {
                open: "sun 22:00".into(),
                close: "fri 21:00".into(),
                daily_break: "21:00-22:00".into(),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PropFirmConfig {
    /// Largest loss in a day, percent of the day's starting equity.
    pub daily_loss_pct: Decimal,
    /// Largest drawdown, percent of the starting balance.
    pub max_drawdown_pct: Decimal,
}

impl Default for PropFirmConfig {
    fn default() -> Self {
        Self {
            daily_loss_pct: dec!(5),
            max_drawdown_pct: dec!(10),
        }
    }
}

/// Sizing fractions of one risk profile, in percent of equity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    /// Arbitrage: notional per opportunity.
    pub arbitrage_alloc_pct: Decimal,
    /// Forex: loss at the stop-loss per trade.
    pub risk_per_trade_pct: Decimal,
    /// Binary: stake per contract.
    pub binary_stake_pct: Decimal,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self {
            arbitrage_alloc_pct: dec!(10),
            risk_per_trade_pct: dec!(0.5),
            binary_stake_pct: dec!(1),
        }
    }
}

/// Sizing fractions per risk profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfilesConfig {
    pub conservative: ProfileConfig,
    pub balanced: ProfileConfig,
    pub aggressive: ProfileConfig,
}

impl Default for ProfilesConfig {
    fn default() -> Self {
        Self {
            conservative: ProfileConfig {
                arbitrage_alloc_pct: dec!(5),
                risk_per_trade_pct: dec!(0.25),
                binary_stake_pct: dec!(0.5),
            },
            balanced: ProfileConfig::default(),
            aggressive: ProfileConfig {
                arbitrage_alloc_pct: dec!(20),
                risk_per_trade_pct: dec!(1),
                binary_stake_pct: dec!(2),
            },
        }
    }
}

impl ProfilesConfig {
    /// The fractions of one profile.
    pub fn of(&self, profile: RiskProfile) -> &ProfileConfig {
        match profile {
            RiskProfile::Conservative => &self.conservative,
            RiskProfile::Balanced => &self.balanced,
            RiskProfile::Aggressive => &self.aggressive,
        }
    }
}

/// The paper broker's fill model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperConfig {
    /// Random extra latency per order, uniform 0..this, ms.
    pub latency_jitter_ms: u64,
    /// Price impact in basis points for taking one full top-of-book size.
    pub slippage_bps: Decimal,
    /// The book is assumed this many top-of-book sizes deep; beyond it an
    /// order fills partially and the rest is cancelled.
    pub depth_multiple: Decimal,
    /// Haircut (percent of fair value) when a binary option is sold back early.
    pub binary_sellback_haircut_pct: Decimal,
}

impl Default for PaperConfig {
    fn default() -> Self {
        Self {
            latency_jitter_ms: 20,
            slippage_bps: dec!(2),
            depth_multiple: dec!(3),
            binary_sellback_haircut_pct: dec!(5),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let venue = |name: &str, taker: Decimal, maker: Decimal, latency: u64| VenueConfig {
            name: name.into(),
            taker_fee_pct: taker,
            maker_fee_pct: maker,
            order_latency_ms: latency,
        };
        let instrument =
            |name: &str, class: AssetClass, tick: Decimal, lot: Decimal, venues: &[&str]| {
                InstrumentConfig {
                    name: name.into(),
                    class,
                    tick_size: tick,
                    lot_size: lot,
                    min_qty: lot,
                    venues: venues.iter().map(|v| v.to_string()).collect(),
                }
            };
        let account = |name: &str,
                       kind: AccountType,
                       profile: RiskProfile,
                       currency: &str,
                       balance: Decimal| AccountConfig {
            name: name.into(),
            kind,
            profile,
            currency: currency.into(),
            balance,
            broker: "paper".into(),
        };
        let route = |kind: OpportunityKind, instruments: &[&str], accounts: &[&str]| RouteConfig {
            kind,
            instruments: instruments.iter().map(|s| s.to_string()).collect(),
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
        };
        Self {
            general: GeneralConfig::default(),
            market: MarketConfig::default(),
            venues: vec![
                venue("binance", dec!(0.075), dec!(0.075), 40),
                venue("kraken", dec!(0.16), dec!(0.10), 90),
                venue("bybit", dec!(0.10), dec!(0.10), 60),
                venue("oanda", dec!(0), dec!(0), 30),
            ],
            instruments: vec![
                instrument(
                    "BTC/USDT",
                    AssetClass::Crypto,
                    dec!(0.01),
                    dec!(0.00001),
                    &["binance", "kraken", "bybit"],
                ),
                instrument(
                    "ETH/USDT",
                    AssetClass::Crypto,
                    dec!(0.01),
                    dec!(0.0001),
                    &["binance", "kraken", "bybit"],
                ),
                instrument(
                    "EUR/USD",
                    AssetClass::Forex,
                    dec!(0.00001),
                    dec!(1),
                    &["oanda"],
                ),
                instrument(
                    "XAU/USD",
                    AssetClass::Metal,
                    dec!(0.01),
                    dec!(0.01),
                    &["oanda"],
                ),
            ],
            accounts: vec![
                account(
                    "spot-a",
                    AccountType::Spot,
                    RiskProfile::Balanced,
                    "USDT",
                    dec!(20000),
                ),
                account(
                    "spot-b",
                    AccountType::Spot,
                    RiskProfile::Conservative,
                    "USDT",
                    dec!(50000),
                ),
                account(
                    "margin-fx",
                    AccountType::Margin,
                    RiskProfile::Balanced,
                    "USD",
                    dec!(10000),
                ),
                account(
                    "prop-fx",
                    AccountType::PropFirm,
                    RiskProfile::Conservative,
                    "USD",
                    dec!(100000),
                ),
                account(
                    "binary",
                    AccountType::Binary,
                    RiskProfile::Aggressive,
                    "USD",
                    dec!(2000),
                ),
            ],
            routes: vec![
                route(
                    OpportunityKind::Arbitrage,
                    &["BTC/USDT"],
                    &["spot-a", "spot-b"],
                ),
                route(OpportunityKind::Arbitrage, &["ETH/USDT"], &["spot-a"]),
                route(
                    OpportunityKind::Forex,
                    &["EUR/USD", "XAU/USD"],
                    &["margin-fx", "prop-fx"],
                ),
                route(
                    OpportunityKind::Binary,
                    &["BTC/USDT", "ETH/USDT", "EUR/USD", "XAU/USD"],
                    &["binary"],
                ),
            ],
            scanners: ScannersConfig::default(),
            approval: ApprovalConfig::default(),
            risk: RiskConfig::default(),
            paper: PaperConfig::default(),
            ensemble: EnsembleConfig::default(),
            feeds: FeedsConfig::default(),
        }
    }
}
