//! Keys to actions. What a key means depends on the popup and the focus.

use super::{Action, AppState, Overlay, Pace, Pane};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use omni_core::domain::OpportunityKind;

/// The key table shown by `?` (and in the README).
pub const KEYS: &[(&str, &str)] = &[
    (
        "↑/↓ k/j",
        "move: opportunity, Market row (chart), positions, log",
    ),
    (
        "Tab Shift-Tab 1 2 3",
        "opportunity tab (log: its filter; Positions: orders)",
    ),
    ("a or Enter", "approve the selected opportunity as shown"),
    ("r", "reject the selected opportunity"),
    ("Space", "freeze the lists while you read (again: follow)"),
    ("p", "pause trading (REDUCING) / resume"),
    ("K", "kill switch: halt, cancel all, flatten all (anywhere)"),
    ("R", "re-arm after a kill switch: type REARM, Enter"),
    ("A", "auto approval on (asks, shows thresholds) / off"),
    ("f / F", "focus the next / previous pane (or click it)"),
    ("z", "zoom the focused pane (again or Esc: back)"),
    ("l", "trade log: PgUp/PgDn Home/End, / search, Tab filter"),
    ("o", "working orders in the Positions pane (Tab: positions)"),
    ("c", "cancel the selected working order (asks first)"),
    ("x", "close the selected position at market (asks first)"),
    ("P < >", "replay or demo clock: pause, slower, faster"),
    ("?", "this help"),
    ("q", "quit (asks first when positions are open)"),
];

/// The action of a key press in the current state, if any.
pub fn action_for(app: &AppState, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    // The kill switch works from every popup, prompt and focus, and on a
    // terminal too small to draw (the re-arm word has no K in it).
    if key.code == KeyCode::Char('K') {
        return Some(Action::Kill);
    }
    // Nothing else acts on what cannot be seen.
    if app.too_small {
        return match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('y') | KeyCode::Char('Y') if app.overlay == Overlay::ConfirmQuit => {
                Some(Action::Answer(true))
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc
                if app.overlay == Overlay::ConfirmQuit =>
            {
                Some(Action::Answer(false))
            }
            _ => None,
        };
    }
    match &app.overlay {
        Overlay::Rearm(_) => {
            return match key.code {
                KeyCode::Enter => Some(Action::RearmSubmit),
                KeyCode::Esc => Some(Action::Cancel),
                KeyCode::Backspace => Some(Action::RearmBackspace),
                KeyCode::Char(c) => Some(Action::RearmChar(c)),
                _ => None,
            };
        }
        o if o.is_question() => {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Answer(true)),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    Some(Action::Answer(false))
                }
                _ => None,
            };
        }
        Overlay::Help => return Some(Action::Help),
        _ => {}
    }
    // The log's search prompt takes every other key while it is open; with
    // focus, the log's own keys (scroll, filter, search) come first.
    if app.log_view.typing || app.focus == Pane::TradeLog {
        if let Some(a) = app.log_view.key_action(&key) {
            return Some(Action::Log(a));
        }
        if app.log_view.typing {
            return None;
        }
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        // With the Positions pane focused, Tab switches its own tabs (as
        // the trade log's Tab switches its filter).
        KeyCode::Tab | KeyCode::BackTab if app.focus == Pane::Positions => Action::SwitchBook,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        // Digit n shows the n-th kind's tab.
        KeyCode::Char(c @ '1'..='9')
            if OpportunityKind::ALL.len() > (c as usize - '1' as usize) =>
        {
            Action::Tab(OpportunityKind::ALL[c as usize - '1' as usize])
        }
        KeyCode::Char('a') | KeyCode::Enter if app.focus != Pane::TradeLog => Action::Approve,
        KeyCode::Char('r') if app.focus != Pane::TradeLog => Action::Reject,
        KeyCode::Char('f') => Action::FocusNext(true),
        KeyCode::Char('F') => Action::FocusNext(false),
        KeyCode::Char('z') => Action::Zoom,
        KeyCode::Char('P') => Action::Pace(Pace::TogglePause),
        KeyCode::Char('>') | KeyCode::Char('+') => Action::Pace(Pace::Faster),
        KeyCode::Char('<') | KeyCode::Char('-') => Action::Pace(Pace::Slower),
        KeyCode::Char(' ') => Action::Freeze,
        KeyCode::Char('p') => Action::PauseResume,
        KeyCode::Char('R') => Action::RearmStart,
        KeyCode::Char('A') => Action::ToggleAuto,
        KeyCode::Char('l') => Action::FocusLog,
        KeyCode::Char('o') => Action::ShowOrders,
        KeyCode::Char('c') => Action::CancelOrder,
        KeyCode::Char('x') => Action::ClosePosition,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Cancel,
        _ => return None,
    })
}

/// The action of a mouse event: a left click or the wheel, on the panes
/// only (not through a popup, and not on a terminal too small to draw).
pub fn mouse_action(app: &AppState, m: MouseEvent) -> Option<Action> {
    if app.too_small || app.overlay != Overlay::None || app.log_view.typing {
        return None;
    }
    let (x, y) = (m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { x, y }),
        MouseEventKind::ScrollUp => Some(Action::Wheel { x, y, up: true }),
        MouseEventKind::ScrollDown => Some(Action::Wheel { x, y, up: false }),
        _ => None,
    }
}
