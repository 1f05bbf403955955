//! The Binance fault tests' common ground (manager_faults.rs and
//! manager_faults_more.rs): one funded mock, the real adapter with no grace
//! on "no such order", the manager's settings, and the journal's rows.
#![allow(dead_code)]

use omni_core::domain::{AccountId, InstrumentId, VenueId};
use omni_live::binance::{BinanceConfig, BinanceSpot};
use omni_live::journal::{Journal, JournalOrder};
use omni_live::{Credentials, LiveInstrument, LiveSettings, Secret};
use omni_mockvenue::binance::MockBinance;
use rust_decimal::Decimal;
use std::path::Path;
use std::time::Duration;

pub const KEY: &str = "fault-test-key";
pub const SECRET: &str = "fault-test-secret";
pub const ACCOUNT: AccountId = AccountId(0);
pub const BTC: InstrumentId = InstrumentId(0);
pub const BINANCE: VenueId = VenueId(0);
pub const POST_ORDER: &str = "POST /api/v3/order";

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

/// The adapter against the mock; `ws_url` is the mock's stream, or a
/// closed port for a stream that never comes up. Its query asks again at
/// once on "no such order" (no grace), so the manager's own schedule of
/// queries is what the tests see.
pub fn api(mock: &MockBinance, ws_url: String) -> BinanceSpot {
    BinanceSpot::new(BinanceConfig {
        rest_url: mock.rest_url(),
        ws_api_url: ws_url,
        request_timeout: Duration::from_millis(400),
        not_found_grace: Duration::ZERO,
        ..BinanceConfig::testnet(Credentials {
            key: Secret::new(KEY),
            secret: Secret::new(SECRET),
        })
    })
    .expect("adapter")
}

/// Refreshes every 300 ms; unknown outcomes queried from 100 ms on, 100,
/// 200, 400 … ms apart, and believed absent after `absent_for`.
pub fn settings(db: &Path, absent_for: Duration) -> LiveSettings {
    let mut s = LiveSettings::new(
        ACCOUNT,
        "USDT",
        vec![LiveInstrument {
            id: BTC,
            name: "BTC/USDT".into(),
            venue: BINANCE,
            min_qty: d("0.00001"),
        }],
        db.to_path_buf(),
    );
    s.refresh = Duration::from_millis(300);
    s.resolve_first = Duration::from_millis(100);
    s.absent_for = absent_for;
    s
}

/// The mock with BTC at 60 000 and 10 000 USDT.
pub async fn funded_mock() -> MockBinance {
    let mock = MockBinance::start(KEY, SECRET).await;
    mock.set_price("BTCUSDT", d("60000"));
    mock.set_balance("USDT", d("10000"));
    mock
}

pub fn journal_rows(db: &Path) -> Vec<JournalOrder> {
    Journal::open(db).unwrap().orders("binance").unwrap()
}

/// The journal's only row.
pub fn journal_row(db: &Path) -> JournalOrder {
    let rows = journal_rows(db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}
