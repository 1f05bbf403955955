//! What the Positions pane's keys do: `c` asks to cancel the selected
//! working order, `x` to close the selected position; the popup holds the
//! row as shown, and only `y` turns it into an engine command. Both act
//! only on a row on screen (the pane drawn, on the right tab), as
//! approving does.

use super::book_view::BookTab;
use super::snapshot::{OrderRow, PositionRow};
use super::{AppState, Overlay, Pane};
use omni_core::engine::Command;

/// Whether the Positions pane is drawn now (not hidden in a stack or by
/// another pane's zoom).
fn on_screen(app: &AppState) -> bool {
    app.screen()
        .is_some_and(|s| s.area_of(Pane::Positions).is_some())
}

/// Why there is no row to act on: the pane or tab is not shown, the
/// selected row is gone, or the list is empty.
fn nothing_to_act_on(app: &AppState, tab: BookTab) -> Option<String> {
    let what = match tab {
        BookTab::Positions => "position",
        BookTab::Orders => "order",
    };
    if !on_screen(app) || app.book.tab != tab {
        let key = match tab {
            BookTab::Positions => "o, Tab",
            BookTab::Orders => "o",
        };
        return Some(format!(
            "the {}s are not on screen: {key} shows them, then select the {what}",
            what
        ));
    }
    let snap = &app.snapshot;
    let gone = match tab {
        BookTab::Positions => app.book.selected_position(snap).is_none(),
        BookTab::Orders => app.book.selected_order(snap).is_none(),
    };
    if !gone {
        return None;
    }
    let selected = match tab {
        BookTab::Positions => app.book.position.is_some(),
        BookTab::Orders => app.book.order.is_some(),
    };
    Some(if selected {
        format!("the selected {what} is no longer listed: pick another with j/k")
    } else {
        format!("no {what} to act on")
    })
}

/// `c`: the confirmation popup for the selected working order.
pub(super) fn ask_cancel(app: &mut AppState) {
    if let Some(why) = nothing_to_act_on(app, BookTab::Orders) {
        app.say(why);
        return;
    }
    let Some(row) = app.book.selected_order(&app.snapshot).cloned() else {
        return;
    };
    if row.purpose == "flatten" {
        app.say(format!(
            "#{} is a kill-switch flatten: it stays working until the position is flat",
            row.id
        ));
        return;
    }
    app.overlay = Overlay::ConfirmCancel(row);
}

/// `x`: the confirmation popup for the selected position.
pub(super) fn ask_close(app: &mut AppState) {
    if let Some(why) = nothing_to_act_on(app, BookTab::Positions) {
        app.say(why);
        return;
    }
    let Some(row) = app.book.selected_position(&app.snapshot).cloned() else {
        return;
    };
    if app.snapshot.kill_latched {
        app.say("the kill switch is already flattening every position");
        return;
    }
    if row.binary.is_some() {
        app.say(format!(
            "{} {} is a binary contract: it settles at expiry (only the kill switch sells one back)",
            row.account, row.instrument
        ));
        return;
    }
    app.overlay = Overlay::ConfirmClose(row);
}

/// The command a confirmed cancel sends: exactly the order shown.
pub(super) fn cancel_confirmed(app: &mut AppState, row: &OrderRow) -> Command {
    app.say(format!("cancel #{} sent", row.id));
    Command::CancelOrder(row.order_id())
}

/// The command a confirmed close sends: the position and the quantity
/// shown, which the engine compares with the position as it is now.
pub(super) fn close_confirmed(app: &mut AppState, row: &PositionRow) -> Command {
    app.say(format!("close {} {} sent", row.account, row.instrument));
    Command::ClosePosition {
        account: row.account_id,
        instrument: row.instrument_id,
        qty: row.signed_qty(),
    }
}

/// `o`: the working orders, in the Positions pane with the focus; again
/// (orders already shown there with focus), the positions.
pub(super) fn show_orders(app: &mut AppState) {
    let tab = if app.focus == Pane::Positions && app.book.tab == BookTab::Orders {
        BookTab::Positions
    } else {
        BookTab::Orders
    };
    app.focus_on(Pane::Positions);
    let snap = app.snapshot.clone();
    app.book.show(&snap, tab);
}

/// A click inside the Positions pane: a tab title switches the tab, a
/// row selects it (never acts on it).
pub(super) fn click(app: &mut AppState, area: ratatui::layout::Rect, x: u16, y: u16) {
    let [tabs, table, _] = super::layout::book_parts(area);
    let snap = app.snapshot.clone();
    if y == tabs.y {
        let titles = super::layout::book_titles(app);
        if let Some(i) = super::layout::tab_at(&titles, tabs, x)
            && let Some(&tab) = BookTab::ALL.get(i)
        {
            app.book.show(&snap, tab);
        }
    } else if super::layout::contains(table, x, y) && y > table.y {
        let visible = usize::from(table.height.saturating_sub(1));
        let first = super::layout::table_offset(app.book.selected_index(&snap), visible);
        app.book
            .select_at(&snap, first + usize::from(y - table.y - 1));
    }
}
