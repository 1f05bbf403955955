//! The order manager: one live account on one venue, behind the engine's
//! broker seam ([`omni_core::execution::Broker`]).
//!
//! What it promises, whatever the venue adapter below it:
//! - **Persist before send.** `submit` commits the order and its client
//!   order id to the journal (IN_FLIGHT) on the caller's thread and only
//!   then hands it to the worker; a failed commit refuses the order.
//! - **One client id per order.** An unknown outcome (timeout, dropped
//!   reply, 5xx, a duplicate-id answer) leaves the order IN_FLIGHT and is
//!   resolved by querying that id; the order is sent again, under the same
//!   id, only when the venue has said several times over seconds that it
//!   has no such order.
//! - **Fills once.** Every execution, from the stream or a query, is
//!   recorded in the journal by the venue's trade id before it is reported;
//!   one already recorded is dropped. So is the execution of an exit the
//!   venue holds for a position of ours and fires itself (a broker-side
//!   stop loss or take profit): journaled as the venue's order, reported
//!   as [`ExecutionReport::VenueExit`] of that position (`worker/exits.rs`).
//! - **Closes only close.** An order that may only reduce a position (an
//!   exit, an unwind, a flatten) says so in its client id
//!   ([`reduces_only`]), for venues that can refuse to let it open the
//!   other way (OANDA's `REDUCE_ONLY`).
//! - **The stream is not trusted to be complete.** After every
//!   (re)connection, unfinished orders are queried and their executions
//!   fetched.
//! - **Venue truth for the queries.** `open_orders`, `positions` and
//!   `balances` answer from the venue's last report (refreshed every
//!   `refresh`), and refuse when it is older than `stale_after`: a missing
//!   report is never taken as "nothing open".
//!
//! The adapter's network work runs on a worker thread with its own tokio
//! runtime; the engine's thread never waits on the network.

mod holdings;
mod worker;

use crate::api::{PlaceRequest, VenueApi, VenueCash, VenueHolding, VenueOrder};
use crate::journal::{Journal, JournalError, JournalOrder, JournalState};
use omni_core::domain::{AccountId, InstrumentId, Order, OrderId, Timestamp, VenueId};
use omni_core::execution::{
    Balance, Broker, BrokerError, BrokerPosition, ExecutionReport, OpenOrder,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub use holdings::InstrumentMap;

/// An instrument this account trades, as the catalog names it.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveInstrument {
    pub id: InstrumentId,
    /// Catalog name (`BTC/USDT`).
    pub name: String,
    /// The venue it trades on in the catalog.
    pub venue: VenueId,
    /// The catalog's minimum quantity: a holding smaller than it cannot be
    /// traded and is dust, not a position.
    pub min_qty: rust_decimal::Decimal,
}

/// How one live account is run.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    pub account: AccountId,
    /// The account's currency (`USDT`, `USD`): fees in it are taken as they
    /// are, fees in the base asset are valued at the fill price.
    pub currency: String,
    pub instruments: Vec<LiveInstrument>,
    /// The database holding the journal (the run's database).
    pub database: PathBuf,
    /// How often the venue's open orders, holdings and cash are fetched.
    pub refresh: Duration,
    /// Beyond this age the last report is not used (queries refuse).
    pub stale_after: Duration,
    /// First wait between queries of an order whose outcome is unknown;
    /// doubled each try up to [`worker::RESOLVE_MAX`].
    pub resolve_first: Duration,
    /// How long the venue must keep saying "no such order" (three answers
    /// at least) before an order is taken as never received.
    pub absent_for: Duration,
}

impl LiveSettings {
    /// Settings with the usual intervals: refresh every 10 s (Binance's
    /// open-orders query weighs 80 of 6000 per minute), stale after 60 s.
    pub fn new(
        account: AccountId,
        currency: &str,
        instruments: Vec<LiveInstrument>,
        database: PathBuf,
    ) -> Self {
        Self {
            account,
            currency: currency.to_string(),
            instruments,
            database,
            refresh: Duration::from_secs(10),
            stale_after: Duration::from_secs(60),
            resolve_first: Duration::from_millis(250),
            absent_for: Duration::from_secs(2),
        }
    }
}

/// What the venue last reported of the account.
#[derive(Clone, Debug, Default)]
pub struct VenueView {
    pub open_orders: Vec<VenueOrder>,
    pub holdings: Vec<VenueHolding>,
    pub cash: Vec<VenueCash>,
    /// When it was fetched; `None` before the first full report.
    pub at: Option<Instant>,
    /// The last error reaching the venue, until the next success.
    pub error: Option<String>,
    /// True while the private stream is authorized and listening.
    pub stream_up: bool,
    /// Stream frames the adapter could not read (counted, dropped).
    pub stream_reconnects: u64,
}

/// State the worker and the engine's thread share.
#[derive(Default)]
pub(crate) struct Shared {
    /// Reports waiting for the engine (stamped when handed over).
    pub reports: Vec<ExecutionReport>,
    pub view: VenueView,
    /// Rung when a report is queued: the engine's thread sleeps on it.
    pub bell: Option<Arc<dyn omni_core::market::Ring>>,
}

/// What the engine's thread asks of the worker.
#[derive(Debug)]
pub(crate) enum Command {
    Place {
        order_id: OrderId,
        req: PlaceRequest,
        reference: rust_decimal::Decimal,
        /// A kill switch's flatten order: on a venue that closes positions
        /// itself, the venue's close is used instead of sending it.
        flatten: bool,
    },
    Cancel {
        order_id: OrderId,
        symbol: String,
        client_id: String,
    },
    /// The kill switch: cancel every open order of the account at the
    /// venue, ours or not, and ask again until the venue reports flat.
    CancelAll,
    Stop,
}

/// Why a live broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("cannot start the {0} worker: {1}")]
    Worker(String, String),
}

/// One live account on one venue. See the module docs.
pub struct LiveBroker {
    name: &'static str,
    settings: LiveSettings,
    journal: Journal,
    map: InstrumentMap,
    shared: Arc<Mutex<Shared>>,
    tx: mpsc::UnboundedSender<Command>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// Client id of every order this run handed over, by engine order id.
    client_ids: BTreeMap<OrderId, (String, String)>,
}

/// How the client id of an order that may only reduce a position (an
/// exit at its stop or target, an unwind, a flatten) ends.
pub(crate) const REDUCING: &str = "-r";

/// True when `client_id` is one of our orders that may only reduce a
/// position. The venue seam's request does not carry why an order was
/// sent, but every send of an order, a resend after a restart included,
/// carries its client id; so an adapter whose venue can refuse to let a
/// closing order open the other way (OANDA's `positionFill: REDUCE_ONLY`)
/// reads it here, from the one place the id is made.
pub(crate) fn reduces_only(client_id: &str) -> bool {
    client_id.starts_with("om") && client_id.ends_with(REDUCING)
}

/// Locks the shared state; a worker that panicked while holding it left
/// it as it was, which is still the best knowledge there is.
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LiveBroker {
    /// Starts the worker for `api`: it prepares the adapter, opens the
    /// stream, reconciles the journal's unfinished orders with the venue,
    /// then serves requests.
    pub fn start<A: VenueApi>(api: A, settings: LiveSettings) -> Result<Self, StartError> {
        // The venues speak TLS (`https://`, `wss://`); rustls needs one
        // process-wide crypto provider, installed once (a second install,
        // or the feeds' own, is refused harmlessly).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let name = api.name();
        let journal = Journal::open(&settings.database)?;
        let worker_journal = Journal::open(&settings.database)?;
        let map = InstrumentMap::new(&api, &settings.instruments);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (tx, rx) = mpsc::unbounded_channel();
        let ctx = worker::Worker::new(
            api,
            settings.clone(),
            worker_journal,
            map.clone(),
            shared.clone(),
        );
        let worker = std::thread::Builder::new()
            .name(format!("live-{name}-{}", settings.account.0))
            .spawn(move || ctx.run(rx))
            .map_err(|e| StartError::Worker(name.to_string(), e.to_string()))?;
        Ok(Self {
            name,
            settings,
            journal,
            map,
            shared,
            tx,
            worker: Some(worker),
            client_ids: BTreeMap::new(),
        })
    }

    /// The venue's last report of the account.
    pub fn view(&self) -> VenueView {
        lock(&self.shared).view.clone()
    }

    /// Every journaled order of this venue, oldest first.
    pub fn journal_orders(&self) -> Result<Vec<JournalOrder>, JournalError> {
        self.journal.orders(self.name)
    }

    /// The client id of an engine order: unique across runs and accounts
    /// (the order id is unique per database; the account and the time
    /// guard against a database started afresh), and within Binance's
    /// `[a-zA-Z0-9-_]{1,36}`; ending in [`REDUCING`] when the order may
    /// only reduce a position (see [`reduces_only`]).
    fn client_id(&self, order: &Order, now: Timestamp) -> String {
        format!(
            "om{}-{}-{}{}",
            self.settings.account.0,
            order.id.0,
            now.0.div_euclid(1_000_000).rem_euclid(1_000_000_000_000),
            if order.purpose.reduces_risk() {
                REDUCING
            } else {
                ""
            }
        )
    }

    fn fresh_view(&self) -> Result<VenueView, BrokerError> {
        let view = self.view();
        let fresh = view
            .at
            .is_some_and(|t| t.elapsed() <= self.settings.stale_after);
        if fresh {
            Ok(view)
        } else {
            Err(BrokerError::Unavailable {
                broker: self.name.to_string(),
                reason: view.error.unwrap_or_else(|| {
                    "no recent report from the venue (a missing report is not flat)".into()
                }),
            })
        }
    }

    fn send(&self, command: Command) -> Result<(), BrokerError> {
        self.tx.send(command).map_err(|_| BrokerError::Unavailable {
            broker: self.name.to_string(),
            reason: "the order manager's worker has stopped".into(),
        })
    }
}

impl Drop for LiveBroker {
    fn drop(&mut self) {
        let _ = self.tx.send(Command::Stop);
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

impl Broker for LiveBroker {
    fn name(&self) -> &str {
        self.name
    }

    fn set_ring(&mut self, ring: Arc<dyn omni_core::market::Ring>) {
        lock(&self.shared).bell = Some(ring);
    }

    fn submit(&mut self, order: &Order, now: Timestamp) -> Result<(), BrokerError> {
        let refuse = |reason: String| BrokerError::Refused {
            broker: self.name.to_string(),
            reason,
        };
        if order.account != self.settings.account {
            return Err(refuse(format!(
                "not this broker's account #{}",
                order.account.0
            )));
        }
        let Some(symbol) = self.map.symbol(order.instrument) else {
            return Err(refuse(format!(
                "instrument #{} is not traded on this account",
                order.instrument.0
            )));
        };
        // An order for another venue's book (an arbitrage leg) cannot be
        // placed here: this account reaches one venue only.
        if self.map.instrument(symbol) != Some((order.instrument, order.venue)) {
            return Err(refuse(format!(
                "this account trades instrument #{} on another venue than #{}",
                order.instrument.0, order.venue.0
            )));
        }
        let client_id = self.client_id(order, now);
        let req = PlaceRequest {
            client_id: client_id.clone(),
            symbol: symbol.to_string(),
            side: order.side,
            kind: order.order_type,
            tif: order.tif,
            qty: order.qty,
            limit: order.limit_price,
            stop: order.stop_price,
            take_profit: order.take_profit,
            stop_loss: order.stop_loss,
        };
        let row = JournalOrder {
            client_id: client_id.clone(),
            order_id: order.id.0,
            account: order.account.0,
            broker: self.name.to_string(),
            symbol: req.symbol.clone(),
            side: order.side.as_str().to_string(),
            qty: order.qty,
            limit: order.limit_price,
            state: JournalState::InFlight,
            venue_id: None,
            filled: rust_decimal::Decimal::ZERO,
            reason: None,
            sends: 0,
            created_ms: 0,
        };
        // Committed (synchronous=FULL) before the request can leave; the
        // journal keeps wall time, which tells this run's orders from an
        // earlier run's.
        self.journal
            .insert(&row, worker::now_ms())
            .map_err(|e| refuse(format!("not journaled, not sent: {e}")))?;
        self.client_ids
            .insert(order.id, (req.symbol.clone(), client_id));
        self.send(Command::Place {
            order_id: order.id,
            req,
            reference: order.reference_price,
            flatten: order.purpose == omni_core::domain::OrderPurpose::Flatten,
        })
    }

    fn cancel(
        &mut self,
        account: AccountId,
        order_id: OrderId,
        _now: Timestamp,
    ) -> Result<(), BrokerError> {
        if account != self.settings.account {
            return Err(BrokerError::NoBroker(account.0));
        }
        // This run's orders are remembered; an earlier run's (restored as
        // working after a restart) are found in the journal.
        let known = self.client_ids.get(&order_id).cloned().or_else(|| {
            self.journal
                .by_order_id(self.name, account.0, order_id.0)
                .ok()
                .flatten()
                .map(|o| (o.symbol, o.client_id))
        });
        let Some((symbol, client_id)) = known else {
            return Err(BrokerError::Refused {
                broker: self.name.to_string(),
                reason: format!("order #{} is not in this account's journal", order_id.0),
            });
        };
        self.send(Command::Cancel {
            order_id,
            symbol,
            client_id,
        })
    }

    fn cancel_all(&mut self, account: AccountId, _now: Timestamp) -> Result<usize, BrokerError> {
        if account != self.settings.account {
            return Err(BrokerError::NoBroker(account.0));
        }
        let known = self.view().open_orders.len();
        self.send(Command::CancelAll)?;
        Ok(known)
    }

    fn open_orders(&self, account: AccountId) -> Result<Vec<OpenOrder>, BrokerError> {
        if account != self.settings.account {
            return Err(BrokerError::NoBroker(account.0));
        }
        let view = self.fresh_view()?;
        Ok(view
            .open_orders
            .iter()
            .filter_map(|o| self.map.open_order(account, o, &self.journal))
            .collect())
    }

    fn positions(&self, account: AccountId) -> Result<Vec<BrokerPosition>, BrokerError> {
        if account != self.settings.account {
            return Err(BrokerError::NoBroker(account.0));
        }
        let view = self.fresh_view()?;
        let baseline = self
            .journal
            .baseline(self.name, account.0)
            .map_err(|e| BrokerError::Unavailable {
                broker: self.name.to_string(),
                reason: e.to_string(),
            })?
            .unwrap_or_default();
        Ok(self.map.positions(account, &view.holdings, &baseline))
    }

    fn balances(&self, account: AccountId) -> Result<Vec<Balance>, BrokerError> {
        if account != self.settings.account {
            return Err(BrokerError::NoBroker(account.0));
        }
        let view = self.fresh_view()?;
        Ok(view
            .cash
            .iter()
            .map(|c| Balance {
                account,
                currency: c.currency.clone(),
                cash: c.amount,
            })
            .collect())
    }

    /// Hands over what the worker has learned, stamped `until` (the
    /// engine's "now"): venue times are not the engine's clock.
    fn advance(&mut self, until: Timestamp, out: &mut Vec<ExecutionReport>) {
        let mut shared = lock(&self.shared);
        for mut r in shared.reports.drain(..) {
            *r.ts_mut() = until;
            out.push(r);
        }
    }
}
