//! The Orders tab of the Positions pane: every working order on every
//! account (paper and live alike), oldest first, with its state: how much
//! has filled, PENDING (sent, no answer yet), OPEN (accepted) or PARTIAL,
//! why it was sent and how long ago. Narrow panes leave out whole columns;
//! the line under the table has every number of the selected order.

use crate::app::snapshot::{OrderRow, Snapshot};
use crate::ui::format;
use omni_core::domain::time::SECOND;
use ratatui::widgets::Cell;

/// One order as the table draws it: the row and its age in seconds of
/// market time.
pub struct Shown {
    pub order: OrderRow,
    pub age_secs: i64,
}

/// Every working order of a snapshot, with its age.
pub fn shown(snap: &Snapshot) -> Vec<Shown> {
    snap.orders
        .iter()
        .map(|o| Shown {
            order: o.clone(),
            age_secs: (snap.now.since(o.created) / SECOND).max(0),
        })
        .collect()
}

type Column = crate::ui::columns::Column<Shown>;

/// An age in three characters: `42s`, `12m`, `5h`, `3d`.
pub fn short_age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// The order type in four characters.
fn short_type(t: &str) -> &'static str {
    match t {
        "MARKET" => "MKT",
        "LIMIT" => "LMT",
        "STOP" => "STP",
        _ => "STPL",
    }
}

/// Why it was sent, in seven characters.
pub fn short_purpose(p: &str) -> &str {
    if p == "arbitrage_leg" { "arb leg" } else { p }
}

const ID: Column = Column {
    header: "#",
    width: 5,
    cell: |s, _| Cell::from(s.order.id.to_string()),
};
const ACCOUNT: Column = Column {
    header: "Account",
    width: 9,
    cell: |s, _| Cell::from(s.order.account.clone()),
};
const INSTRUMENT: Column = Column {
    header: "Instr.",
    width: 8,
    cell: |s, _| Cell::from(s.order.instrument.clone()),
};
const VENUE: Column = Column {
    header: "Venue",
    width: 7,
    cell: |s, _| Cell::from(s.order.venue.clone()),
};
const SIDE: Column = Column {
    header: "Side",
    width: 4,
    cell: |s, _| Cell::from(s.order.side.as_str()),
};
const TYPE: Column = Column {
    header: "Type",
    width: 4,
    cell: |s, _| Cell::from(short_type(s.order.order_type)),
};
const QTY: Column = Column {
    header: "Qty",
    width: 7,
    cell: |s, _| Cell::from(format::qty(s.order.qty)),
};
const FILLED: Column = Column {
    header: "Filled",
    width: 7,
    cell: |s, _| Cell::from(format::qty(s.order.filled_qty)),
};
const LIMIT: Column = Column {
    header: "Limit",
    width: 9,
    // A market order has no limit: said, so the column is never blank.
    cell: |s, _| {
        Cell::from(match s.order.limit_price {
            Some(l) => l.normalize().to_string(),
            None => "market".to_string(),
        })
    },
};
const STATUS: Column = Column {
    header: "Status",
    width: 7,
    cell: |s, _| Cell::from(s.order.status),
};
const PURPOSE: Column = Column {
    header: "Purpose",
    width: 7,
    cell: |s, _| Cell::from(short_purpose(s.order.purpose).to_string()),
};
const AGE: Column = Column {
    header: "Age",
    width: 3,
    cell: |s, _| Cell::from(short_age(s.age_secs)),
};

/// The columns that fit `width`: all of them on the wide layout's pane (88
/// inside); the compact one (78) leaves out the type (the limit column
/// says `market`) and the filled quantity; the medium one (38) keeps who,
/// what, which way and how much. The line under the table has the rest.
pub fn columns(width: u16) -> &'static [&'static Column] {
    crate::ui::columns::pick(
        &[
            &[
                &ID,
                &ACCOUNT,
                &INSTRUMENT,
                &VENUE,
                &SIDE,
                &TYPE,
                &QTY,
                &FILLED,
                &LIMIT,
                &STATUS,
                &PURPOSE,
                &AGE,
            ],
            &[
                &ID,
                &ACCOUNT,
                &INSTRUMENT,
                &VENUE,
                &SIDE,
                &QTY,
                &LIMIT,
                &STATUS,
                &PURPOSE,
                &AGE,
            ],
            &[&ID, &ACCOUNT, &INSTRUMENT, &SIDE, &QTY, &STATUS],
            &[&ID, &ACCOUNT, &INSTRUMENT, &SIDE, &QTY],
            &[&ID, &INSTRUMENT, &SIDE, &QTY],
        ],
        width,
    )
}

/// The selected order in one line of `width`, state first (what a narrow
/// table leaves out), whole parts only: `#12 PENDING filled 0/0.01499 ·
/// LIMIT 100200.07 · spot-a BUY BTC/USDT on binance · arb leg · 3s · c
/// cancels`.
pub fn detail(s: &Shown, width: usize) -> String {
    let o = &s.order;
    let price = match o.limit_price {
        Some(l) => format!("{} {}", o.order_type, l.normalize()),
        None => o.order_type.to_string(),
    };
    format::fit_parts(
        &[
            format!(
                "#{} {} filled {}/{}",
                o.id,
                o.status,
                format::qty(o.filled_qty),
                format::qty(o.qty)
            ),
            price,
            format!(
                "{} {} {} on {}",
                o.account,
                o.side.as_str(),
                o.instrument,
                o.venue
            ),
            short_purpose(o.purpose).to_string(),
            short_age(s.age_secs),
            "c cancels".to_string(),
        ],
        width,
    )
}
