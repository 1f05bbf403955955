//! Serves the OANDA and TradeLocker mocks on 127.0.0.1 until interrupted,
//! so the cockpit can be tried with live forex accounts on one machine:
//!
//! ```text
//! cargo run -p omni-mockvenue --example serve -- [--oanda-nav 95400]
//! ```
//!
//! It prints a `[brokers]` snippet with the mocks' URLs and the
//! environment the run needs (made-up credentials, accepted only here).

use omni_mockvenue::oanda::MockOanda;
use omni_mockvenue::tradelocker::MockTradeLocker;
use rust_decimal::Decimal;

const OANDA_ACCOUNT: &str = "101-004-1435156-001";
const OANDA_TOKEN: &str = "local-oanda-token";
const TL_EMAIL: &str = "trader@example.com";
const TL_PASSWORD: &str = "local-tradelocker-password";
const TL_SERVER: &str = "LOCAL-DEMO";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let nav = args
        .iter()
        .position(|a| a == "--oanda-nav")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse::<Decimal>().ok());
    let oanda = MockOanda::start(OANDA_ACCOUNT, OANDA_TOKEN).await;
    oanda.set_balance(Decimal::new(100_000, 0));
    oanda.set_equity(nav);
    let tl = MockTradeLocker::start(TL_EMAIL, TL_PASSWORD, TL_SERVER).await;
    tl.set_balance(Decimal::new(100_000, 0));
    println!(
        "export OMNI_OANDA_ACCOUNT={OANDA_ACCOUNT} OMNI_OANDA_TOKEN={OANDA_TOKEN} \
         OMNI_TL_EMAIL={TL_EMAIL} OMNI_TL_PASSWORD={TL_PASSWORD}\n\n\
         [brokers.prop-oanda]\nrest_url = \"{}\"\nstream_url = \"{}\"\n\
         key_env = \"OMNI_OANDA_ACCOUNT\"\nsecret_env = \"OMNI_OANDA_TOKEN\"\n\n\
         [brokers.prop-tl]\nrest_url = \"{}\"\nserver = \"{TL_SERVER}\"\n\
         key_env = \"OMNI_TL_EMAIL\"\nsecret_env = \"OMNI_TL_PASSWORD\"",
        oanda.rest_url(),
        oanda.stream_url(),
        tl.rest_url()
    );
    // Serve until interrupted.
    std::future::pending::<()>().await;
}
