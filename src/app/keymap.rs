//! Keys to actions. What a key means depends on the popup and the focus.

use super::{Action, AppState, Focus, Overlay};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use omni_core::domain::OpportunityKind;

/// The key table shown by `?` (and in the README).
pub const KEYS: &[(&str, &str)] = &[
    (
        "↑/↓ or k/j",
        "select an opportunity (scroll the log when it has focus)",
    ),
    (
        "Tab, 1 2 3 …",
        "switch the opportunity tab (the digit is the tab's number)",
    ),
    (
        "a or Enter",
        "approve the selected opportunity, as shown (refused if it moved)",
    ),
    ("Space", "freeze the lists while you read (again to follow)"),
    ("r", "reject the selected opportunity"),
    ("p", "pause (REDUCING) / resume"),
    (
        "K",
        "kill switch: HALTED, cancel every order, flatten every position (works everywhere)",
    ),
    ("R", "re-arm after a kill switch: type REARM, then Enter"),
    ("A", "auto approval on (asks, shows the thresholds) / off"),
    ("l", "focus the trade log (PgUp/PgDn scroll, Esc back)"),
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
        Overlay::ConfirmQuit | Overlay::ConfirmAuto => {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Answer(true)),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    Some(Action::Answer(false))
                }
                _ => None,
            };
        }
        Overlay::Help => return Some(Action::Help),
        Overlay::None => {}
    }
    Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Tab => Action::NextTab,
        // Digit n shows the n-th kind's tab.
        KeyCode::Char(c @ '1'..='9')
            if OpportunityKind::ALL.len() > (c as usize - '1' as usize) =>
        {
            Action::Tab(OpportunityKind::ALL[c as usize - '1' as usize])
        }
        KeyCode::Char('a') | KeyCode::Enter if app.focus == Focus::Opportunities => Action::Approve,
        KeyCode::Char('r') if app.focus == Focus::Opportunities => Action::Reject,
        KeyCode::Char(' ') => Action::Freeze,
        KeyCode::Char('p') => Action::PauseResume,
        KeyCode::Char('R') => Action::RearmStart,
        KeyCode::Char('A') => Action::ToggleAuto,
        KeyCode::Char('l') => Action::FocusLog,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Cancel,
        _ => return None,
    })
}
