//! The rows the Trade Log pane holds, per kind: this run's from the
//! stream, older ones paged in from the store, merged newest first and let
//! go of when far below the view.

use super::store::{PageFrom, count_before_run, read_kind_page};
use super::stream::row_of;
use super::{LogCursor, LogEvent, LogKind, LogRow};
use omni_core::domain::Catalog;
use rusqlite::Connection;
use std::collections::VecDeque;

/// Rows read in one page from the store (the first page of earlier runs at
/// start, and each page read when the view needs older rows).
pub const LOG_ROWS: usize = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Held {
    row: LogRow,
    /// Its id in its table, for rows read from the store.
    id: Option<i64>,
}

/// One kind's rows: every row of the kind at or above `floor`, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KindRows {
    rows: VecDeque<Held>,
    /// Every row of this kind at or above it is held.
    floor: LogCursor,
    /// The store id of the oldest row held, when that row is at `floor`
    /// and came from the store: the next page starts there by primary key.
    floor_id: Option<i64>,
    /// The store may hold rows of this kind below `floor`.
    older: bool,
}

impl KindRows {
    fn new(floor: LogCursor) -> Self {
        Self {
            rows: VecDeque::new(),
            floor,
            floor_id: None,
            older: true,
        }
    }
}

/// The rows the Trade Log pane shows, newest first: this run's from the
/// audit stream, older ones from the store, held per kind.
#[derive(Clone, Debug)]
pub struct TradeLog {
    /// This run's id in the store (rows from the stream carry it).
    run: i64,
    /// By [`LogKind::index`].
    kinds: [KindRows; LogKind::COUNT],
    /// Rows of each kind of the runs before this one in the store, once
    /// counted ([`TradeLog::count_history`]).
    history: Option<[usize; LogKind::COUNT]>,
    /// This run's rows of each kind seen on the stream.
    streamed: [usize; LogKind::COUNT],
    /// Changes with every change of the rows held (views cache on it).
    version: u64,
}

/// Versions are unique across logs, so a view's cache never mistakes one
/// log for another.
fn next_version() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for TradeLog {
    fn default() -> Self {
        Self::new(0)
    }
}

/// Merges several kinds' rows, newest first, down to a bound.
struct Merged<'a> {
    log: &'a TradeLog,
    kinds: Vec<LogKind>,
    pos: [usize; LogKind::COUNT],
    bound: Option<LogCursor>,
}

impl<'a> Iterator for Merged<'a> {
    type Item = (LogKind, usize, &'a LogRow);

    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<(LogKind, &'a LogRow)> = None;
        for &k in &self.kinds {
            if let Some(h) = self.log.kinds[k.index()].rows.get(self.pos[k.index()])
                && best.is_none_or(|(_, b)| h.row.cursor() > b.cursor())
            {
                best = Some((k, &h.row));
            }
        }
        let (k, row) = best?;
        if self.bound.is_some_and(|b| row.cursor() < b) {
            return None;
        }
        let i = self.pos[k.index()];
        self.pos[k.index()] += 1;
        Some((k, i, row))
    }
}

impl TradeLog {
    /// An empty log for run `run`, whose rows will come from the stream
    /// (and earlier runs' from the store).
    pub fn new(run: i64) -> Self {
        Self::with_floor(run, LogCursor { run, seq: 0 })
    }

    fn with_floor(run: i64, floor: LogCursor) -> Self {
        Self {
            run,
            kinds: std::array::from_fn(|_| KindRows::new(floor)),
            history: None,
            streamed: [0; LogKind::COUNT],
            version: next_version(),
        }
    }

    /// Marks a change of the rows held.
    fn bump(&mut self) {
        self.version = next_version();
    }

    /// A log of the newest rows read from the store (newest first), for
    /// run `run`.
    pub fn from_rows(run: i64, rows: Vec<LogRow>) -> Self {
        let mut log = Self::with_floor(run, LogCursor::MAX);
        let n = rows.len();
        log.extend_older(rows, n);
        log
    }

    pub fn run(&self) -> i64 {
        self.run
    }

    /// Rows held, of every kind.
    pub fn len(&self) -> usize {
        self.kinds.iter().map(|k| k.rows.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.iter().all(|k| k.rows.is_empty())
    }

    /// Changes whenever the rows held change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Rows held of one kind.
    pub fn held(&self, kind: LogKind) -> usize {
        self.kinds[kind.index()].rows.len()
    }

    /// Every row held, newest first (kinds paged to different depths
    /// included: see [`TradeLog::view`] for rows without gaps).
    pub fn iter(&self) -> impl Iterator<Item = &LogRow> {
        self.merged(&LogKind::ALL, None).map(|(_, _, r)| r)
    }

    /// The rows of `kinds`, newest first, with no gap: down to the
    /// [`TradeLog::bound`] of those kinds.
    pub fn view<'a>(
        &'a self,
        kinds: &[LogKind],
    ) -> impl Iterator<Item = (LogKind, usize, &'a LogRow)> + 'a {
        self.merged(kinds, self.bound(kinds))
    }

    fn merged(&self, kinds: &[LogKind], bound: Option<LogCursor>) -> Merged<'_> {
        Merged {
            log: self,
            kinds: kinds.to_vec(),
            pos: [0; LogKind::COUNT],
            bound,
        }
    }

    /// The row at `index` of `kind`'s rows (as [`TradeLog::view`] numbers them).
    pub fn row(&self, kind: LogKind, index: usize) -> Option<&LogRow> {
        self.kinds[kind.index()].rows.get(index).map(|h| &h.row)
    }

    /// The oldest position the rows of `kinds` can be shown down to
    /// without a gap: the highest floor among those kinds that still have
    /// older rows in the store (`None`: every row of them is held).
    pub fn bound(&self, kinds: &[LogKind]) -> Option<LogCursor> {
        kinds
            .iter()
            .map(|k| &self.kinds[k.index()])
            .filter(|k| k.older)
            .map(|k| k.floor)
            .max()
    }

    /// Whether the store may hold rows of `kinds` older than those held.
    pub fn has_older(&self, kinds: &[LogKind]) -> bool {
        kinds.iter().any(|k| self.kinds[k.index()].older)
    }

    /// Which of `kinds` to page next: the one with older rows in the store
    /// whose floor is highest (it bounds what can be shown).
    pub fn binding_kind(&self, kinds: &[LogKind]) -> Option<LogKind> {
        kinds
            .iter()
            .copied()
            .filter(|k| self.kinds[k.index()].older)
            .max_by_key(|k| self.kinds[k.index()].floor)
    }

    /// How many rows of `kinds` there are, in the store and on the stream,
    /// and whether that is exact: it is once the earlier runs have been
    /// counted ([`TradeLog::count_history`]) or every row of them is held.
    pub fn total(&self, kinds: &[LogKind]) -> (usize, bool) {
        let mut n = 0;
        let mut exact = true;
        for k in kinds {
            let held = self.kinds[k.index()].rows.len();
            match self.history {
                Some(h) => n += (h[k.index()] + self.streamed[k.index()]).max(held),
                None => {
                    n += held;
                    exact &= !self.kinds[k.index()].older;
                }
            }
        }
        (n, exact)
    }

    /// Counts the rows of the runs before this one in the store, once: with
    /// this run's rows counted as they stream in, the totals are exact.
    pub fn count_history(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.history.is_some() {
            return Ok(());
        }
        let mut h = [0; LogKind::COUNT];
        for k in LogKind::ALL {
            h[k.index()] = count_before_run(conn, k, self.run)?;
        }
        self.history = Some(h);
        for k in LogKind::ALL {
            self.settle_older(k);
        }
        self.bump();
        Ok(())
    }

    /// With the totals known, a kind all of whose rows are held has no older ones.
    fn settle_older(&mut self, kind: LogKind) {
        if let Some(h) = self.history {
            let i = kind.index();
            if self.kinds[i].rows.len() >= h[i] + self.streamed[i] {
                self.kinds[i].older = false;
            }
        }
    }

    /// Whether the earlier runs have been counted.
    pub fn counted(&self) -> bool {
        self.history.is_some()
    }

    /// Adds this run's rows from the audit stream (oldest first, as the
    /// engine produced them).
    pub fn apply(&mut self, catalog: &Catalog, events: &[LogEvent]) {
        for e in events {
            if let Some(row) = row_of(self.run, catalog, e) {
                let k = row.kind;
                self.kinds[k.index()]
                    .rows
                    .push_front(Held { row, id: None });
                self.streamed[k.index()] += 1;
                self.bump();
            }
        }
    }

    /// Appends a page of older rows of every kind (newest first) read with
    /// a `before` at or above every kind's floor (at start, the first row
    /// of this run: `LogCursor { run, seq: 0 }`); `asked` is the page size
    /// requested, so a short page means the store has nothing older.
    pub fn extend_older(&mut self, rows: Vec<LogRow>, asked: usize) {
        let full = !rows.is_empty() && rows.len() >= asked;
        let oldest = rows.last().map(LogRow::cursor);
        for row in rows {
            let k = &mut self.kinds[row.kind.index()];
            // At or above the floor, it is held already.
            if row.cursor() < k.floor {
                k.rows.push_back(Held { row, id: None });
            }
        }
        for kind in LogKind::ALL {
            let k = &mut self.kinds[kind.index()];
            match (full, oldest) {
                (true, Some(o)) if o < k.floor => {
                    k.floor = o;
                    k.floor_id = None;
                }
                (true, _) => {}
                (false, _) => {
                    k.floor = LogCursor::MIN;
                    k.floor_id = None;
                    k.older = false;
                }
            }
            self.settle_older(kind);
        }
        self.bump();
    }

    /// Reads the next page of `kind` below its floor from the store;
    /// returns how many rows it added.
    pub fn page_older(
        &mut self,
        conn: &Connection,
        kind: LogKind,
        limit: usize,
    ) -> rusqlite::Result<usize> {
        let k = &self.kinds[kind.index()];
        if !k.older {
            return Ok(0);
        }
        let from = k.floor_id.map_or(PageFrom::Cursor(k.floor), PageFrom::Id);
        let page = read_kind_page(conn, kind, from, limit)?;
        let n = page.len();
        let k = &mut self.kinds[kind.index()];
        k.older = n >= limit.max(1);
        if let Some((row, id)) = page.last() {
            k.floor = row.cursor();
            k.floor_id = Some(*id);
        }
        k.rows
            .extend(page.into_iter().map(|(row, id)| Held { row, id: Some(id) }));
        self.settle_older(kind);
        self.bump();
        Ok(n)
    }

    /// Lets go of `kind`'s oldest rows, keeping its newest `keep` (more if
    /// some of those to let go are this run's rows the store has not
    /// committed yet: only what paging can read back is let go). Returns
    /// whether anything was let go.
    pub fn let_go(&mut self, kind: LogKind, keep: usize, committed: Option<LogCursor>) -> bool {
        let run = self.run;
        let k = &mut self.kinds[kind.index()];
        let mut keep = keep.max(1);
        while keep < k.rows.len() {
            let newest_dropped = &k.rows[keep].row;
            let safe =
                newest_dropped.run < run || committed.is_some_and(|c| newest_dropped.cursor() <= c);
            if safe {
                break;
            }
            keep += 1;
        }
        if keep >= k.rows.len() {
            return false;
        }
        k.rows.truncate(keep);
        if let Some(h) = k.rows.back() {
            k.floor = h.row.cursor();
            k.floor_id = h.id;
        }
        k.older = true;
        self.bump();
        true
    }

    /// How many of `kind`'s rows are at or above `c`.
    pub fn held_above(&self, kind: LogKind, c: LogCursor) -> usize {
        self.kinds[kind.index()]
            .rows
            .partition_point(|h| h.row.cursor() >= c)
    }
}
