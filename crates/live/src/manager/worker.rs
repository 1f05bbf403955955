//! The order manager's worker: runs the adapter's requests and its stream
//! on its own thread and turns what the venue says into journal rows and
//! engine reports.

mod closing;
mod exits;

use super::{Command, InstrumentMap, LiveSettings, Shared, lock};
use crate::api::{ApiError, PlaceRequest, StreamEvent, VenueApi, VenueFill, VenueOrder};
use crate::journal::{Journal, JournalFill, JournalState};
use omni_core::domain::{InstrumentId, OrderId, Timestamp};
use omni_core::execution::{ExecutionReport, VenueFunds};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Longest wait between two queries of an order whose outcome is unknown.
pub const RESOLVE_MAX: Duration = Duration::from_secs(5);
/// How many consecutive "no such order" answers, over at least
/// `LiveSettings::absent_for`, mean the order never reached the venue.
const ABSENT_ANSWERS: u32 = 3;
/// Sends of one order at most (the first and one resend under the same
/// client id after the venue said it never had it).
const MAX_SENDS: u32 = 2;
/// How far back a restart hands the journal's executions to the engine
/// again (those it already has are ignored by trade id).
const REPLAY_FILLS: Duration = Duration::from_secs(24 * 3600);
/// Longest wait between two stream connections.
const STREAM_BACKOFF_MAX: Duration = Duration::from_secs(30);
/// After a kill switch: first wait between two rounds of "cancel what is
/// open, ask again", doubled while the venue cannot be reached, up to
/// [`KILL_WAIT_MAX`].
const KILL_WAIT: Duration = Duration::from_secs(1);
const KILL_WAIT_MAX: Duration = Duration::from_secs(30);

/// The kill switch's schedule after a round that waited `wait`: how long
/// until the next round, and the wait stored for the one after. A round
/// that reached the venue starts over at [`KILL_WAIT`]; one that could not
/// waits `wait`, and the next doubles it, up to [`KILL_WAIT_MAX`].
fn kill_backoff(wait: Duration, reached: bool) -> (Duration, Duration) {
    if reached {
        (KILL_WAIT, KILL_WAIT)
    } else {
        (wait, (wait * 2).min(KILL_WAIT_MAX))
    }
}

/// An order whose outcome is being found out by query.
#[derive(Clone, Debug)]
struct Unresolved {
    order_id: OrderId,
    req: PlaceRequest,
    next_at: Instant,
    wait: Duration,
    /// Consecutive "no such order" answers, and since when.
    absent: u32,
    absent_since: Option<Instant>,
}

pub(super) struct Worker<A> {
    api: Arc<A>,
    settings: LiveSettings,
    journal: Journal,
    map: InstrumentMap,
    shared: Arc<Mutex<Shared>>,
    /// Engine order id by client id, for this run's and the journal's
    /// unfinished orders.
    orders: BTreeMap<String, OrderId>,
    /// Orders already reported accepted (a stream update and a place answer
    /// both say so; the engine hears it once).
    accepted: BTreeSet<String>,
    unresolved: Vec<Unresolved>,
    prepared: bool,
    /// After a kill switch, until the venue reports no open order and no
    /// position: the next round and the wait after it.
    kill: Option<(Instant, Duration)>,
    /// When this run started (journal time): orders journaled since are
    /// this run's, and are left to `place` until it has sent them.
    started_ms: i64,
    /// Client ids `place` has handled in this run.
    placed: BTreeSet<String>,
    /// On a venue that closes positions itself: the engine's flatten
    /// orders waiting for the venue's close of their position.
    covers: Vec<closing::Cover>,
    /// Client ids of the closing orders the venue made for the kill switch.
    venue_closes: BTreeSet<String>,
    /// The venue's closing orders of the last kill switch that no engine
    /// flatten order has claimed yet (it may arrive after the round).
    unlinked: Vec<VenueOrder>,
}

/// Wall time, ms since the epoch (the journal's clock).
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl<A: VenueApi> Worker<A> {
    pub(super) fn new(
        api: A,
        settings: LiveSettings,
        journal: Journal,
        map: InstrumentMap,
        shared: Arc<Mutex<Shared>>,
    ) -> Self {
        Self {
            api: Arc::new(api),
            settings,
            journal,
            map,
            shared,
            orders: BTreeMap::new(),
            accepted: BTreeSet::new(),
            unresolved: Vec::new(),
            prepared: false,
            kill: None,
            started_ms: now_ms(),
            placed: BTreeSet::new(),
            covers: Vec::new(),
            venue_closes: BTreeSet::new(),
            unlinked: Vec::new(),
        }
    }

    /// Runs until `Stop` or until the broker is dropped.
    pub(super) fn run(mut self, rx: mpsc::UnboundedReceiver<Command>) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                lock(&self.shared).view.error = Some(format!("no runtime: {e}"));
                return;
            }
        };
        rt.block_on(self.serve(rx));
    }

    fn report(&self, r: ExecutionReport) {
        let mut shared = lock(&self.shared);
        shared.reports.push(r);
        if let Some(bell) = &shared.bell {
            bell.ring();
        }
    }

    fn journal_error(&self, e: &crate::journal::JournalError) {
        tracing::error!(venue = self.api.name(), "{e}");
        lock(&self.shared).view.error = Some(e.to_string());
    }

    async fn serve(&mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let (stream_tx, mut stream_rx) = mpsc::channel(1024);
        let api = self.api.clone();
        let stream = tokio::spawn(async move {
            let mut wait = Duration::from_millis(500);
            loop {
                let started = Instant::now();
                api.stream(stream_tx.clone()).await;
                if stream_tx.is_closed() {
                    return;
                }
                // A connection that lived a while starts the backoff over.
                if started.elapsed() > STREAM_BACKOFF_MAX {
                    wait = Duration::from_millis(500);
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(STREAM_BACKOFF_MAX);
            }
        });
        self.adopt_journal();
        self.replay_recent_fills();
        self.prepare().await;
        self.reconcile().await;
        let _ = self.refresh().await;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut last_refresh = Instant::now();
        loop {
            tokio::select! {
                cmd = rx.recv() => {
                    match cmd {
                        None | Some(Command::Stop) => break,
                        Some(cmd) => self.command(cmd).await,
                    }
                    // What the engine sent in the same step (a kill
                    // switch's cancel-all and its flatten orders) is taken
                    // in before the kill switch's first round.
                    while let Ok(cmd) = rx.try_recv() {
                        if matches!(cmd, Command::Stop) {
                            stream.abort();
                            return;
                        }
                        self.command(cmd).await;
                    }
                    if self.kill.is_some_and(|(at, _)| at <= Instant::now()) {
                        self.kill_round().await;
                        last_refresh = Instant::now();
                    }
                }
                Some(ev) = stream_rx.recv() => self.stream_event(ev).await,
                _ = tick.tick() => {
                    self.resolve_due().await;
                    if self.kill.is_some_and(|(at, _)| at <= Instant::now()) {
                        self.kill_round().await;
                        last_refresh = Instant::now();
                    }
                    if last_refresh.elapsed() >= self.settings.refresh {
                        last_refresh = Instant::now();
                        if !self.prepared {
                            self.prepare().await;
                        }
                        // Then orders left unfinished (an execution not
                        // yet fetched, a stream that missed an update) are
                        // brought up to date against the fresh open orders.
                        if self.refresh().await.is_ok() {
                            let open = lock(&self.shared).view.open_orders.clone();
                            self.reconcile_with(Some(open)).await;
                        }
                    }
                }
            }
        }
        stream.abort();
    }

    /// Learns the journal's unfinished orders (from an earlier run) so
    /// their updates find their engine order ids, and queues them for a
    /// query: they may have filled or ended while nobody listened.
    fn adopt_journal(&mut self) {
        match self.journal.unfinished(self.api.name()) {
            Ok(rows) => {
                for o in rows {
                    if o.account != self.settings.account.0 {
                        continue;
                    }
                    if matches!(self.journal.covered_by(&o.client_id), Ok(Some(_))) {
                        self.venue_closes.insert(o.client_id.clone());
                    }
                    self.orders.insert(o.client_id.clone(), OrderId(o.order_id));
                }
            }
            Err(e) => self.journal_error(&e),
        }
    }

    /// Hands the engine again every execution the journal recorded in the
    /// last [`REPLAY_FILLS`]: one the engine's store lost in a crash (the
    /// journal commits first) is booked now; the others it already has, by
    /// trade id, and ignores (with their fees in kind).
    fn replay_recent_fills(&mut self) {
        let since = now_ms().saturating_sub(REPLAY_FILLS.as_millis() as i64);
        let name = self.api.name();
        let fills = match self
            .journal
            .fills_since(name, self.settings.account.0, since)
        {
            Ok(f) => f,
            Err(e) => {
                self.journal_error(&e);
                return;
            }
        };
        // Per client id, what the earlier executions already recorded: a
        // venue's closing order is booked only up to its engine order.
        let mut before: BTreeMap<String, Decimal> = BTreeMap::new();
        for (order_id, f) in fills {
            // An exit the venue made: no order of the engine's filled.
            if order_id == exits::NO_ENGINE_ORDER {
                self.replay_venue_exit(&f);
                continue;
            }
            let trade_id = format!("{name}:{}", f.trade_id);
            let prior = before.entry(f.client_id.clone()).or_default();
            let share = self.booked_share(&f.client_id, *prior, f.qty, f.fee);
            *prior += f.qty;
            let Some((qty, fee)) = share else {
                continue;
            };
            self.report(ExecutionReport::Filled {
                order_id: OrderId(order_id),
                trade_id: trade_id.clone(),
                qty,
                price: f.price,
                fee,
                ts: Timestamp(0),
                contract: None,
            });
            let symbol = self
                .journal
                .order(&f.client_id)
                .ok()
                .flatten()
                .map(|o| o.symbol);
            if let Some((instrument, _)) = symbol.and_then(|s| self.map.instrument(&s))
                && !f.fee_in_kind.is_zero()
            {
                self.report(ExecutionReport::FeeInKind {
                    account: self.settings.account,
                    instrument,
                    trade_id,
                    qty: f.fee_in_kind,
                    ts: Timestamp(0),
                });
            }
        }
    }

    async fn prepare(&mut self) {
        match self.api.prepare(&self.map.symbols()).await {
            Ok(()) => self.prepared = true,
            Err(e) => {
                tracing::warn!(venue = self.api.name(), "prepare: {e}");
                lock(&self.shared).view.error = Some(format!("prepare: {e}"));
            }
        }
    }

    /// Fetches the venue's open orders, holdings and cash; records the
    /// baseline the first time an account is seen; reports the venue's
    /// state to the engine. Returns the open orders and positions, or why
    /// the venue could not be asked.
    async fn refresh(&mut self) -> Result<(u32, Vec<(InstrumentId, Decimal)>), String> {
        let api = self.api.clone();
        let (orders, holdings, cash) = tokio::join!(api.open_orders(), api.holdings(), api.cash());
        let result = match (orders, holdings, cash) {
            (Ok(open_orders), Ok(holdings), Ok(cash)) => {
                let name = self.api.name();
                let account = self.settings.account.0;
                let baseline = match self.journal.baseline(name, account) {
                    Ok(Some(b)) => Ok(b),
                    Ok(None) => {
                        let base: Vec<(String, Decimal)> =
                            holdings.iter().map(|h| (h.symbol.clone(), h.qty)).collect();
                        self.journal
                            .set_baseline(name, account, &base)
                            .map(|()| base)
                    }
                    Err(e) => Err(e),
                };
                match baseline {
                    Ok(baseline) => {
                        let positions =
                            self.map
                                .positions(self.settings.account, &holdings, &baseline);
                        let counts = (
                            u32::try_from(open_orders.len()).unwrap_or(u32::MAX),
                            positions
                                .iter()
                                .map(|p| (p.instrument, p.qty))
                                .collect::<Vec<_>>(),
                        );
                        let mut s = lock(&self.shared);
                        s.view.open_orders = open_orders;
                        s.view.holdings = holdings;
                        s.view.cash = cash;
                        s.view.at = Some(Instant::now());
                        s.view.error = None;
                        Ok(counts)
                    }
                    Err(e) => {
                        self.journal_error(&e);
                        Err(e.to_string())
                    }
                }
            }
            (a, b, c) => {
                let e = a.err().or(b.err()).or(c.err());
                let reason = e.map_or_else(String::new, |e| e.to_string());
                lock(&self.shared).view.error = Some(reason.clone());
                Err(reason)
            }
        };
        let (open_orders, positions, unreachable) = match &result {
            Ok((o, p)) => (*o, p.clone(), None),
            Err(e) => (0, Vec::new(), Some(e.clone())),
        };
        let (cash, funds, other_positions) = if unreachable.is_none() {
            let s = lock(&self.shared);
            let mine = s
                .view
                .cash
                .iter()
                .find(|c| c.currency == self.settings.currency);
            let cash = mine.map(|c| c.amount);
            let funds = mine.map_or_else(VenueFunds::default, |c| VenueFunds {
                equity: c.equity,
                margin_used: c.margin_used,
                margin_available: c.margin_available,
            });
            // Where K closes every position of the account, one in a
            // symbol the account does not trade still keeps it from flat,
            // and so does one whose sides net to zero (a hedging account's
            // long and short, listed with a net of 0).
            let others = if self.api.closes_positions() && self.kill.is_some() {
                let hedged = s.view.holdings.iter().filter(|h| h.qty.is_zero()).count();
                self.map
                    .unmapped(&s.view.holdings)
                    .saturating_add(u32::try_from(hedged).unwrap_or(u32::MAX))
            } else {
                0
            };
            (cash, funds, others)
        } else {
            (None, VenueFunds::default(), 0)
        };
        self.report(ExecutionReport::VenueState {
            account: self.settings.account,
            open_orders,
            positions,
            unreachable,
            cash,
            cash_paid_for_positions: self.api.cash_paid_for_positions(),
            other_positions,
            funds,
            ts: Timestamp(0),
        });
        result
    }

    /// Starts (or restarts) the kill switch's rounds: the first one now, or
    /// where the venue closes positions itself, a moment later, so the
    /// engine's flatten orders sent in the same step are in before it.
    fn start_kill(&mut self) {
        let first = if self.api.closes_positions() {
            Instant::now() + std::time::Duration::from_millis(50)
        } else {
            Instant::now()
        };
        self.kill = Some((first, KILL_WAIT));
        if self.api.closes_positions() {
            // The venue closes every position of the account, those held
            // before omni-tui traded it included; from now on every
            // holding counts, and flat means the venue holds none.
            if let Err(e) = self
                .journal
                .clear_baseline(self.api.name(), self.settings.account.0)
            {
                self.journal_error(&e);
            }
        }
    }

    /// One round of the kill switch, until the venue reports no open order
    /// and no position: rounds go on a second apart; while the venue cannot
    /// be reached the wait doubles up to [`KILL_WAIT_MAX`].
    async fn kill_round(&mut self) {
        let Some((_, wait)) = self.kill else {
            return;
        };
        let outcome = if self.api.closes_positions() {
            self.close_round().await
        } else {
            self.cancel_round().await
        };
        self.kill = match outcome {
            Ok(true) => {
                tracing::info!(
                    venue = self.api.name(),
                    "kill switch: the venue reports flat"
                );
                None
            }
            // A round may have asked for its successor sooner (a time
            // still ahead: the round itself was due, so not later than now).
            Ok(false) => {
                let now = Instant::now();
                let (after, next) = kill_backoff(wait, true);
                let asked = self.kill.map(|(at, _)| at).filter(|at| *at > now);
                Some((asked.unwrap_or(now + after).min(now + after), next))
            }
            Err(e) => {
                tracing::warn!(
                    venue = self.api.name(),
                    "kill switch: {e}; again in {wait:?}"
                );
                lock(&self.shared).view.error = Some(format!("kill switch: {e}"));
                let (after, next) = kill_backoff(wait, false);
                Some((Instant::now() + after, next))
            }
        };
    }

    /// A round on a venue whose positions are the engine's flatten orders
    /// to close (a spot venue): cancel every open order (ours or not),
    /// then ask. True when the venue reports flat.
    async fn cancel_round(&mut self) -> Result<bool, String> {
        let cancelled = match self.api.cancel_all().await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(venue = self.api.name(), "kill switch: {n} orders cancelled");
                }
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        };
        let state = self.refresh().await;
        if state.is_ok() {
            let open = lock(&self.shared).view.open_orders.clone();
            self.reconcile_with(Some(open)).await;
        }
        cancelled?;
        let (open, positions) = state?;
        Ok(open == 0 && positions.is_empty())
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Place {
                order_id,
                req,
                flatten: true,
                ..
            } if self.api.closes_positions() => self.cover(order_id, req).await,
            Command::Place {
                order_id,
                req,
                reference,
                ..
            } => {
                self.place(order_id, req, reference).await;
                // After a kill switch the orders placed are the flatten
                // orders: ask the venue again now rather than a second on.
                if let Some((at, wait)) = self.kill.as_mut() {
                    *at = Instant::now();
                    *wait = KILL_WAIT;
                }
            }
            Command::Cancel {
                order_id,
                symbol,
                client_id,
            } => match self.api.cancel(&symbol, &client_id).await {
                Ok(()) => {
                    // The cancel is confirmed by the stream or a query; ask
                    // now so a silent stream does not leave it working.
                    self.query_and_apply(&symbol, &client_id).await;
                }
                Err(e) => {
                    self.report(ExecutionReport::CancelRejected {
                        order_id,
                        ts: Timestamp(0),
                        reason: e.to_string(),
                    });
                    self.query_and_apply(&symbol, &client_id).await;
                }
            },
            // The first round runs once the commands sent with it are in.
            Command::CancelAll => {
                // A new kill switch: closes left from an earlier one are
                // not this one's.
                self.unlinked.clear();
                self.start_kill();
            }
            Command::Stop => {}
        }
    }

    async fn place(&mut self, order_id: OrderId, mut req: PlaceRequest, reference: Decimal) {
        let name = self.api.name();
        self.orders.insert(req.client_id.clone(), order_id);
        self.placed.insert(req.client_id.clone());
        if !self.prepared {
            self.prepare().await;
        }
        if let Err(why) = self.api.conform(&mut req, reference) {
            self.finish_rejected(order_id, &req.client_id, &format!("not sent: {why}"));
            return;
        }
        if let Err(e) = self.journal.sent(&req.client_id, now_ms()) {
            // Counting the send failed: the journal cannot be trusted to
            // say this order exists, so it is not sent.
            self.journal_error(&e);
            self.finish_rejected(order_id, &req.client_id, &format!("not sent: {e}"));
            return;
        }
        match self.api.place(&req).await {
            Ok(o) => self.apply_order(&o).await,
            Err(ApiError::OutcomeUnknown(why)) => {
                tracing::warn!(venue = name, client_id = %req.client_id, "outcome unknown: {why}");
                self.unresolved(order_id, req);
            }
            Err(ApiError::DuplicateClientId) => {
                // Already placed (an earlier send landed): find it.
                self.unresolved(order_id, req);
            }
            Err(e) => {
                self.finish_rejected(order_id, &req.client_id, &e.to_string());
            }
        }
    }

    fn unresolved(&mut self, order_id: OrderId, req: PlaceRequest) {
        let wait = self.settings.resolve_first;
        self.unresolved.push(Unresolved {
            order_id,
            req,
            next_at: Instant::now() + wait,
            wait,
            absent: 0,
            absent_since: None,
        });
    }

    fn finish_rejected(&mut self, order_id: OrderId, client_id: &str, reason: &str) {
        if let Err(e) = self.journal.update(
            client_id,
            JournalState::Rejected,
            None,
            None,
            Some(reason),
            now_ms(),
        ) {
            self.journal_error(&e);
        }
        self.report(ExecutionReport::Rejected {
            order_id,
            ts: Timestamp(0),
            reason: reason.to_string(),
        });
    }

    /// Queries every order whose outcome is unknown and due.
    async fn resolve_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Unresolved> = {
            let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unresolved)
                .into_iter()
                .partition(|u| u.next_at <= now);
            self.unresolved = wait;
            due
        };
        for mut u in due {
            match self.api.query(&u.req.symbol, &u.req.client_id).await {
                Ok(Some(o)) => self.apply_order(&o).await,
                Ok(None) => {
                    u.absent += 1;
                    let since = *u.absent_since.get_or_insert(now);
                    let sends = self
                        .journal
                        .order(&u.req.client_id)
                        .ok()
                        .flatten()
                        .map_or(MAX_SENDS, |o| o.sends);
                    if u.absent >= ABSENT_ANSWERS && since.elapsed() >= self.settings.absent_for {
                        if sends < MAX_SENDS {
                            // The venue never had it: send it again under
                            // the same client id, so a late first send is
                            // refused as a duplicate, never placed twice.
                            self.place(u.order_id, u.req, Decimal::ZERO).await;
                        } else {
                            self.finish_rejected(
                                u.order_id,
                                &u.req.client_id,
                                "the venue never received it (no such order after resending)",
                            );
                        }
                        continue;
                    }
                    self.retry_later(u);
                }
                Err(e) => {
                    tracing::warn!(venue = self.api.name(), client_id = %u.req.client_id, "query: {e}");
                    u.absent = 0;
                    u.absent_since = None;
                    self.retry_later(u);
                }
            }
        }
    }

    fn retry_later(&mut self, mut u: Unresolved) {
        u.wait = (u.wait * 2).min(RESOLVE_MAX);
        u.next_at = Instant::now() + u.wait;
        self.unresolved.push(u);
    }

    /// Queries one order and applies what the venue says.
    async fn query_and_apply(&mut self, symbol: &str, client_id: &str) {
        if let Ok(Some(o)) = self.api.query(symbol, client_id).await {
            self.apply_order(&o).await;
        }
    }

    /// Queries every unfinished order of the journal (after a start or a
    /// reconnect: the stream does not replay what was missed).
    async fn reconcile(&mut self) {
        let open = self.api.open_orders().await.ok();
        self.reconcile_with(open).await;
    }

    /// Brings the journal's unfinished orders up to date with the venue:
    /// an order the venue lists as open with the journal's filled quantity
    /// (and every execution recorded) needs nothing; any other is queried
    /// by its client id, so the cost follows what changed, not how many
    /// orders rest. `open` is the venue's open orders when just fetched.
    async fn reconcile_with(&mut self, open: Option<Vec<VenueOrder>>) {
        let rows = match self.journal.unfinished(self.api.name()) {
            Ok(rows) => rows,
            Err(e) => {
                self.journal_error(&e);
                return;
            }
        };
        for o in rows {
            if o.account != self.settings.account.0 {
                continue;
            }
            if self
                .unresolved
                .iter()
                .any(|u| u.req.client_id == o.client_id)
            {
                continue;
            }
            // This run's order not yet sent: its `Place` is still queued;
            // or a flatten order waiting for the venue's close.
            if (o.created_ms >= self.started_ms && !self.placed.contains(&o.client_id))
                || self.is_cover(&o.client_id)
            {
                continue;
            }
            // An earlier run's order that was never sent: each send is
            // counted in the journal before the request leaves, so none
            // left. It is not sent now either (its moment has passed).
            if o.state == JournalState::InFlight && o.sends == 0 {
                self.orders.insert(o.client_id.clone(), OrderId(o.order_id));
                self.finish_rejected(
                    OrderId(o.order_id),
                    &o.client_id,
                    "never sent: the previous run stopped before sending it",
                );
                continue;
            }
            if let Some(v) = open
                .as_ref()
                .and_then(|open| open.iter().find(|v| v.client_id == o.client_id))
            {
                let applied = self.journal.recorded_qty(&o.client_id);
                let current = o.state != JournalState::InFlight
                    && v.filled == o.filled
                    && applied >= v.filled;
                if !current {
                    self.orders.insert(o.client_id.clone(), OrderId(o.order_id));
                    self.apply_order(&v.clone()).await;
                }
                continue;
            }
            match self.api.query(&o.symbol, &o.client_id).await {
                Ok(Some(v)) => self.apply_order(&v).await,
                Ok(None) if o.state == JournalState::InFlight => {
                    // Persisted but perhaps never sent (a crash between the
                    // commit and the send): resolved by query, never by a
                    // new id; rejected once the venue keeps saying absent.
                    let order_id = OrderId(o.order_id);
                    self.orders.insert(o.client_id.clone(), order_id);
                    let wait = self.settings.resolve_first;
                    self.unresolved.push(Unresolved {
                        order_id,
                        req: PlaceRequest {
                            client_id: o.client_id.clone(),
                            symbol: o.symbol.clone(),
                            side: if o.side == "SELL" {
                                omni_core::domain::Side::Sell
                            } else {
                                omni_core::domain::Side::Buy
                            },
                            kind: omni_core::domain::OrderType::Market,
                            tif: omni_core::domain::TimeInForce::Ioc,
                            qty: o.qty,
                            limit: o.limit,
                            stop: None,
                            take_profit: None,
                            stop_loss: None,
                        },
                        next_at: Instant::now() + wait,
                        wait,
                        absent: 1,
                        absent_since: Some(Instant::now()),
                    });
                    // An order from an earlier run is never sent again: its
                    // intent is stale. Mark it as sent to the limit.
                    for _ in o.sends..MAX_SENDS {
                        let _ = self.journal.sent(&o.client_id, now_ms());
                    }
                }
                // An exit of the venue's that it no longer lists: its
                // fill cannot be fetched any more; the row ends, and the
                // engine, which has no order for it, hears nothing.
                Ok(None) if exits::is_venue_exit(&o) => self.end_exit(
                    &o.client_id,
                    JournalState::Cancelled,
                    Some("the venue no longer lists its exit"),
                ),
                Ok(None) => {
                    self.finish_rejected(
                        OrderId(o.order_id),
                        &o.client_id,
                        "the venue has no such order",
                    );
                }
                Err(e) => {
                    tracing::warn!(venue = self.api.name(), "reconcile {}: {e}", o.client_id);
                }
            }
        }
    }

    /// Applies an order's state as the venue reports it. Executions come
    /// first: those the journal lacks are fetched and recorded, and only
    /// when every one the venue counts is recorded does the journal (and
    /// the engine) hear that the order ended. Otherwise it stays unfinished
    /// and is asked about again, so a crash between the two never leaves a
    /// finished order with a fill missing.
    async fn apply_order(&mut self, o: &VenueOrder) {
        let Some(&order_id) = self.orders.get(&o.client_id) else {
            // Not an order of ours: seen in the open orders, cancelled by K.
            return;
        };
        self.unresolved.retain(|u| u.req.client_id != o.client_id);
        let known = self.journal.order(&o.client_id).ok().flatten();
        if known.as_ref().is_some_and(exits::is_venue_exit) {
            self.apply_exit_order(o).await;
            return;
        }
        if o.state != crate::api::VenueOrderState::Rejected
            && self.accepted.insert(o.client_id.clone())
        {
            self.report(ExecutionReport::Accepted {
                order_id,
                ts: Timestamp(0),
            });
        }
        if o.filled > self.journal.recorded_qty(&o.client_id) {
            match self.api.fills(&o.symbol, &o.venue_id).await {
                Ok(fills) => {
                    for f in fills {
                        self.apply_fill(&f, Some(&o.client_id));
                    }
                }
                Err(e) => tracing::warn!(venue = self.api.name(), "fills of {}: {e}", o.client_id),
            }
        }
        let recorded = self.journal.recorded_qty(&o.client_id);
        let complete = recorded >= o.filled;
        let state = match (complete, o.state.is_terminal()) {
            (true, _) | (false, false) => o.state.into(),
            // Ended at the venue, but an execution is not recorded yet.
            (false, true) => JournalState::PartiallyFilled,
        };
        // A snapshot older than what was already heard (NEW after a fill
        // the journal holds) does not move the order back.
        let state = if state == JournalState::New
            && (!recorded.is_zero() || known.as_ref().is_some_and(|k| !k.filled.is_zero()))
        {
            JournalState::PartiallyFilled
        } else {
            state
        };
        if let Err(e) = self.journal.update(
            &o.client_id,
            state,
            Some(&o.venue_id),
            Some(o.filled),
            o.reason.as_deref(),
            now_ms(),
        ) {
            self.journal_error(&e);
        }
        let was_terminal = known.as_ref().is_some_and(|k| k.state.is_terminal());
        if was_terminal || !complete {
            return;
        }
        let reason = o.reason.clone().unwrap_or_default();
        // A venue's closing order stands for the engine's flatten order,
        // whose quantity is what the engine waits for.
        let covered = self.journal.covered_by(&o.client_id).ok().flatten();
        let ordered = covered.as_ref().or(known.as_ref()).map_or(o.qty, |k| k.qty);
        match o.state {
            // The venue's close held less than the book: the rest will
            // never fill.
            crate::api::VenueOrderState::Filled if covered.is_some() && o.filled < ordered => self
                .report(ExecutionReport::Cancelled {
                    order_id,
                    ts: Timestamp(0),
                    reason: format!("the venue's close held {} of {}", o.filled, ordered),
                }),
            // The venue's filters rounded the order down: it is done, and
            // the engine hears that the rest will never fill.
            crate::api::VenueOrderState::Filled if covered.is_none() && o.qty < ordered => self
                .report(ExecutionReport::Cancelled {
                    order_id,
                    ts: Timestamp(0),
                    reason: format!(
                        "the venue took {} of {} (rounded to its lot size)",
                        o.qty, ordered
                    ),
                }),
            // A venue's close it cancelled (a halted market): refused, so
            // the engine waits before trying again instead of at once.
            crate::api::VenueOrderState::Cancelled if covered.is_some() && o.filled.is_zero() => {
                self.report(ExecutionReport::Rejected {
                    order_id,
                    ts: Timestamp(0),
                    reason: format!(
                        "the venue cancelled its close: {}",
                        if reason.is_empty() {
                            "no reason given"
                        } else {
                            &reason
                        }
                    ),
                })
            }
            crate::api::VenueOrderState::Cancelled => self.report(ExecutionReport::Cancelled {
                order_id,
                ts: Timestamp(0),
                reason: if reason.is_empty() {
                    "cancelled".into()
                } else {
                    reason
                },
            }),
            crate::api::VenueOrderState::Expired => self.report(ExecutionReport::Expired {
                order_id,
                ts: Timestamp(0),
            }),
            crate::api::VenueOrderState::Rejected => self.report(ExecutionReport::Rejected {
                order_id,
                ts: Timestamp(0),
                reason: if reason.is_empty() {
                    "rejected by the venue".into()
                } else {
                    reason
                },
            }),
            _ => {}
        }
    }

    /// Records an execution once and reports it; one already recorded, or
    /// of an order that is not ours, is not reported.
    fn apply_fill(&mut self, f: &VenueFill, client_id: Option<&str>) {
        // A closing order the venue made may carry no client id on its
        // fills; it is named by the venue's own order id (before any
        // client id an adapter put on its fill: a venue's exit of a
        // position is named by the order that opened it).
        let venue_close = self
            .venue_closes
            .contains(&f.venue_order_id)
            .then_some(f.venue_order_id.as_str());
        let Some(client_id) = client_id
            .or(venue_close)
            .or(f.client_id.as_deref())
            .map(str::to_string)
        else {
            return;
        };
        // A stop loss or take profit the venue held for a position of
        // ours, executed by the venue itself.
        if venue_close.is_none()
            && let Some(exit_id) = self.venue_exit(f, &client_id)
        {
            self.apply_venue_exit(f, &exit_id, &client_id);
            return;
        }
        let Some(&order_id) = self.orders.get(&client_id) else {
            tracing::info!(
                venue = self.api.name(),
                "fill {} of an order not ours",
                f.trade_id
            );
            return;
        };
        let fee = self.fee_in_currency(f);
        let fee_in_kind = if self.fee_in_base(f) {
            f.fee
        } else {
            Decimal::ZERO
        };
        let row = JournalFill {
            broker: self.api.name().to_string(),
            trade_id: f.trade_id.clone(),
            client_id: client_id.clone(),
            qty: f.qty,
            price: f.price,
            fee,
            fee_in_kind,
            ts_ms: f.ts_ms,
        };
        let trade_id = format!("{}:{}", self.api.name(), f.trade_id);
        let recorded = self.journal.recorded_qty(&client_id);
        let share = self.booked_share(&client_id, recorded, f.qty, fee);
        let (qty, fee) = share.unwrap_or((Decimal::ZERO, Decimal::ZERO));
        match self.journal.record_fill(&row) {
            Ok(true) if qty.is_zero() => {
                tracing::info!(
                    venue = self.api.name(),
                    "fill {} closes a holding the book does not have: recorded, not booked",
                    f.trade_id
                );
            }
            Ok(true) => {
                self.report(ExecutionReport::Filled {
                    order_id,
                    trade_id: trade_id.clone(),
                    qty,
                    price: f.price,
                    fee,
                    ts: Timestamp(0),
                    contract: None,
                });
                // A fee kept in the coin bought: the venue holds that much
                // less than the fill's quantity, and so must the book.
                if let Some((instrument, _)) = self.map.instrument(&f.symbol)
                    && !fee_in_kind.is_zero()
                {
                    self.report(ExecutionReport::FeeInKind {
                        account: self.settings.account,
                        instrument,
                        trade_id,
                        qty: fee_in_kind,
                        ts: Timestamp(0),
                    });
                }
            }
            Ok(false) => {}
            Err(e) => self.journal_error(&e),
        }
    }

    /// What of an execution the engine books, with its share of the fee:
    /// all of it, except on a venue's closing order, which is booked only
    /// up to the engine order it stands for (`recorded` is what the
    /// order's earlier executions hold); what it closed beyond, a holding
    /// the book never had, is recorded in the journal only. `None` when
    /// nothing is left to book.
    fn booked_share(
        &self,
        client_id: &str,
        recorded: Decimal,
        qty: Decimal,
        fee: Decimal,
    ) -> Option<(Decimal, Decimal)> {
        let room = match self.journal.covered_by(client_id) {
            Ok(Some(engine)) => (engine.qty - recorded).max(Decimal::ZERO),
            // Not a closing order (or the journal cannot say: the venue's
            // word is booked, and a disagreement shows as a reconciliation).
            _ => return Some((qty, fee)),
        };
        if room.is_zero() {
            return None;
        }
        if room >= qty {
            return Some((qty, fee));
        }
        let share = fee
            .checked_mul(room)
            .and_then(|x| x.checked_div(qty))
            .unwrap_or(Decimal::ZERO);
        Some((room, share))
    }

    /// True when the fee was taken in the instrument's own base asset
    /// (`BTC` on a `BTCUSDT` buy), not in money.
    fn fee_in_base(&self, f: &VenueFill) -> bool {
        !f.fee.is_zero()
            && !f.fee_asset.is_empty()
            && f.fee_asset != self.settings.currency
            && f.symbol.starts_with(&f.fee_asset)
    }

    /// The fee in the account's currency: as charged when in it, valued at
    /// the fill price when charged in the base asset, else 0 (a fee in a
    /// third asset, such as BNB, is not valued here; the venue's balances
    /// show it).
    fn fee_in_currency(&self, f: &VenueFill) -> Decimal {
        if f.fee.is_zero() || f.fee_asset.is_empty() || f.fee_asset == self.settings.currency {
            return f.fee;
        }
        if f.symbol.starts_with(&f.fee_asset) {
            return f.fee.checked_mul(f.price).unwrap_or(Decimal::ZERO);
        }
        tracing::info!(
            venue = self.api.name(),
            "fee {} {} on trade {} not valued in {}",
            f.fee,
            f.fee_asset,
            f.trade_id,
            self.settings.currency
        );
        Decimal::ZERO
    }

    async fn stream_event(&mut self, ev: StreamEvent) {
        match ev {
            StreamEvent::Connected => {
                lock(&self.shared).view.stream_up = true;
                // Whatever happened while the stream was down is fetched.
                self.reconcile().await;
            }
            StreamEvent::Order(o) => self.apply_order(&o).await,
            StreamEvent::Fill(f) => self.apply_fill(&f, None),
            StreamEvent::Disconnected(why) => {
                tracing::warn!(venue = self.api.name(), "private stream down: {why}");
                let mut s = lock(&self.shared);
                s.view.stream_up = false;
                s.view.stream_reconnects += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{KILL_WAIT, KILL_WAIT_MAX, kill_backoff};
    use std::time::Duration;

    /// The waits between the kill switch's rounds while every round fails.
    fn unreachable_waits(from: Duration, rounds: usize) -> Vec<u64> {
        let mut wait = from;
        (0..rounds)
            .map(|_| {
                let (after, next) = kill_backoff(wait, false);
                wait = next;
                after.as_secs()
            })
            .collect()
    }

    #[test]
    fn kill_rounds_back_off_from_one_second_doubling_to_thirty_while_unreachable() {
        assert_eq!(
            (KILL_WAIT, KILL_WAIT_MAX),
            (Duration::from_secs(1), Duration::from_secs(30))
        );
        assert_eq!(
            unreachable_waits(KILL_WAIT, 9),
            vec![1, 2, 4, 8, 16, 30, 30, 30, 30]
        );
    }

    #[test]
    fn a_round_that_reaches_the_venue_starts_the_backoff_over() {
        // Deep in the backoff, one answer from the venue resets it.
        assert_eq!(kill_backoff(KILL_WAIT_MAX, true), (KILL_WAIT, KILL_WAIT));
        assert_eq!(
            kill_backoff(Duration::from_secs(16), true),
            (KILL_WAIT, KILL_WAIT)
        );
        // And the next outage backs off from one second again.
        let (_, wait) = kill_backoff(KILL_WAIT_MAX, true);
        assert_eq!(unreachable_waits(wait, 3), vec![1, 2, 4]);
    }
}
