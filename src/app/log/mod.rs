//! The trade log: fills, closed trades, the gate's decisions, operator
//! commands and trading-state changes, newest first.
//!
//! This run's rows come from the engine's audit stream ([`TradeLog::apply`]
//! with the [`LogEvent`]s the engine thread forwards, worded by [`row_of`]);
//! rows of earlier runs, and this run's rows once let go, are read from the
//! store a page at a time ([`read_kind_page`], [`TradeLog::page_older`]).
//! Both sources word a record with the same functions (`wording`), from the
//! same numbers as text, and a row from the stream equals the row the store
//! gives for the same record (`tests/trade_log_stream.rs`): the stream's
//! records carry everything a row says (a binary fill its contract as
//! struck, a closed contract its terms and settle price).
//!
//! The rows are held per kind, each kind a run of its newest rows with no
//! gap, down to its *floor*; what the pane shows of several kinds merged
//! stops at the highest floor among the kinds that still have older rows in
//! the store ([`TradeLog::bound`]), so a kind paged deeper than another
//! never leaves a hole when they are shown together.
//!
//! One vocabulary: an operator command reads as the key's words (`kill
//! switch`, `re-arm`, `approve #19`, `approval mode AUTO`), never the
//! engine's internal names; a binary contract is a bet `UP` or `DOWN` on a
//! strike with a stake, never a `BUY` or a `long`; money names its currency
//! (the account's); reasons and purposes are the names the store keeps, as
//! `omni-tui trades` prints them.
//!
//! * `wording`: the text of each kind of row, from fields as the store
//!   keeps them.
//! * `stream`: a row from an audit record ([`row_of`]).
//! * `store`: rows, counts and the committed position from SQLite.
//! * `held`: [`TradeLog`], the rows held per kind: merging, paging, trimming.

mod held;
mod store;
mod stream;
mod wording;

pub use held::{LOG_ROWS, TradeLog};
pub use store::{PageFrom, committed, count_before_run, read_kind_page, read_log, read_log_page};
pub use stream::row_of;
pub use wording::{command_text, command_words};

use omni_core::domain::{BinaryContract, OrderPurpose, Timestamp};
use omni_core::engine::Audit;

/// What a log row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogKind {
    Fill,
    /// A closed round trip.
    Trade,
    /// The gate approved an intent.
    Approved,
    /// The gate refused an intent.
    Refused,
    Command,
    State,
    /// An alert the run's monitor raised.
    Alert,
}

impl LogKind {
    /// How many kinds there are.
    pub const COUNT: usize = 7;

    /// Every kind, in [`LogKind::index`] order.
    pub const ALL: [LogKind; Self::COUNT] = [
        LogKind::Fill,
        LogKind::Trade,
        LogKind::Approved,
        LogKind::Refused,
        LogKind::Command,
        LogKind::State,
        LogKind::Alert,
    ];

    /// Position in [`LogKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Upper-case label, e.g. `OPERATOR` for a command.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Fill => "FILL",
            LogKind::Trade => "TRADE",
            LogKind::Approved => "APPROVED",
            LogKind::Refused => "REFUSED",
            LogKind::Command => "OPERATOR",
            LogKind::State => "STATE",
            LogKind::Alert => "ALERT",
        }
    }
}

/// One line of the trade log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    /// The run it belongs to.
    pub run: i64,
    /// Order within the run (ties in time keep the order things happened).
    pub seq: i64,
    pub ts: Timestamp,
    pub kind: LogKind,
    pub text: String,
}

impl LogRow {
    /// Where this row sits in the store's order.
    pub fn cursor(&self) -> LogCursor {
        LogCursor {
            run: self.run,
            seq: self.seq,
        }
    }
}

/// A position in the log's order: runs, then the store's sequence within
/// a run. A page read with `before` holds rows strictly older than it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogCursor {
    pub run: i64,
    pub seq: i64,
}

impl LogCursor {
    /// Before every row.
    pub const MIN: LogCursor = LogCursor {
        run: i64::MIN,
        seq: i64::MIN,
    };
    /// After every row.
    pub const MAX: LogCursor = LogCursor {
        run: i64::MAX,
        seq: i64::MAX,
    };
}

/// One audit record the trade log shows, numbered as the store numbers it
/// (the record's position among every audit of the run, from 1).
#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    pub seq: i64,
    pub audit: Audit,
    /// For a fill: its order's purpose (the store joins it from `orders`).
    pub purpose: Option<OrderPurpose>,
    /// For a fill of a binary contract: its terms as struck (the position's,
    /// as the store keeps them on the buying order), else as ordered.
    pub contract: Option<BinaryContract>,
}

impl LogEvent {
    /// Whether the trade log shows a record of this kind.
    pub fn is_logged(a: &Audit) -> bool {
        matches!(
            a,
            Audit::Fill { .. }
                | Audit::TradeClosed(_)
                | Audit::Decision(_)
                | Audit::Command { .. }
                | Audit::TradingStateChanged { .. }
                | Audit::Alert { .. }
        )
    }
}
