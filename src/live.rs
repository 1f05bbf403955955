//! Starting a live account's order manager from its `[brokers.<account>]`
//! entry: its keys are read here (and only for live accounts), its adapter
//! built, and its journal opened in the run's database.

use crate::config::LoadedConfig;
use anyhow::Context;
use omni_core::domain::{AccountInfo, BrokerKind};
use omni_core::execution::Broker;
use omni_live::alpaca::{Alpaca, AlpacaConfig};
use omni_live::binance::{BinanceConfig, BinanceSpot};
use omni_live::mexc::{MexcConfig, MexcSpot};
use omni_live::oanda::{Oanda, OandaConfig};
use omni_live::tradelocker::{TradeLocker, TradeLockerConfig};
use omni_live::{LiveBroker, LiveInstrument, LiveSettings};
use std::path::Path;

/// The order manager of one live account.
pub fn start(
    loaded: &LoadedConfig,
    info: &AccountInfo,
    db: &Path,
) -> anyhow::Result<Box<dyn Broker>> {
    let name = &info.name;
    let entry = loaded
        .config
        .brokers
        .get(name)
        .with_context(|| format!("account `{name}` has no [brokers.{name}]"))?;
    let keys = entry
        .key_source(&loaded.base_dir)
        .with_context(|| format!("[brokers.{name}] names no keys"))?
        .load()
        .with_context(|| format!("keys of account `{name}`"))?;
    let (rest_url, stream_url) = entry.urls(info.broker);
    let settings = LiveSettings::new(
        info.id,
        &info.currency,
        instruments(loaded, info),
        db.to_path_buf(),
    );
    let broker = match info.broker {
        BrokerKind::Binance => {
            let cfg = BinanceConfig {
                rest_url,
                ws_api_url: stream_url,
                quote_assets: vec![info.currency.clone()],
                ..BinanceConfig::testnet(keys)
            };
            let api = BinanceSpot::new(cfg).with_context(|| format!("account `{name}`"))?;
            LiveBroker::start(api, settings)
        }
        BrokerKind::Alpaca => {
            let cfg = AlpacaConfig {
                rest_url,
                stream_url,
                ..AlpacaConfig::paper(keys)
            };
            let api = Alpaca::new(cfg).with_context(|| format!("account `{name}`"))?;
            LiveBroker::start(api, settings)
        }
        // OANDA's pair is the v20 account id and the access token.
        BrokerKind::Oanda => {
            let cfg = OandaConfig {
                rest_url,
                stream_url,
                ..OandaConfig::practice(keys.key.expose(), keys.secret)
            };
            let api = Oanda::new(cfg).with_context(|| format!("account `{name}`"))?;
            LiveBroker::start(api, settings)
        }
        // TradeLocker's is the login's email and password.
        BrokerKind::TradeLocker => {
            let server = entry.server.clone().unwrap_or_default();
            let cfg = TradeLockerConfig {
                rest_url,
                account_id: entry.account_id.clone(),
                // Prices of an instrument whose details give no tick go to
                // the catalog's.
                tick_sizes: loaded
                    .catalog
                    .instruments
                    .iter()
                    .map(|i| (i.name.clone(), i.tick_size))
                    .collect(),
                ..TradeLockerConfig::demo(keys.key.expose(), keys.secret, &server)
            };
            let api = TradeLocker::new(cfg).with_context(|| format!("account `{name}`"))?;
            LiveBroker::start(api, settings)
        }
        BrokerKind::Mexc => {
            let cfg = MexcConfig {
                rest_url,
                ws_url: stream_url,
                quote_assets: vec![info.currency.clone()],
                ..MexcConfig::new(keys)
            };
            let api = MexcSpot::new(cfg).with_context(|| format!("account `{name}`"))?;
            LiveBroker::start(api, settings)
        }
        BrokerKind::Paper => anyhow::bail!("account `{name}` is a paper account"),
    }
    .with_context(|| format!("account `{name}`"))?;
    Ok(Box::new(broker))
}

/// The instruments a live account may trade: those routed to it, on the
/// venue named like the broker when the instrument lists it (a Binance
/// account trades Binance's book), else on its reference venue.
fn instruments(loaded: &LoadedConfig, info: &AccountInfo) -> Vec<LiveInstrument> {
    let catalog = &loaded.catalog;
    let own = catalog
        .venues
        .iter()
        .find(|v| v.name == info.broker.as_str())
        .map(|v| v.id);
    let routed = |name: &str| {
        loaded.config.routes.iter().any(|r| {
            r.accounts.iter().any(|a| a == &info.name) && r.instruments.iter().any(|i| i == name)
        })
    };
    catalog
        .instruments
        .iter()
        .filter(|i| routed(&i.name))
        .map(|i| LiveInstrument {
            id: i.id,
            name: i.name.clone(),
            venue: own
                .filter(|v| i.venues.contains(v))
                .unwrap_or_else(|| i.primary_venue()),
            min_qty: i.min_qty,
        })
        .collect()
}
