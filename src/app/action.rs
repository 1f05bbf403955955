//! What a key asks for.

use super::log_view::LogAction;
use omni_core::domain::OpportunityKind;

/// How a replay's (or the demo's) clock should change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Stop the market clock, or let it run again.
    TogglePause,
    /// Twice as fast.
    Faster,
    /// Half as fast.
    Slower,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Selection or scroll up.
    Up,
    /// Selection or scroll down.
    Down,
    /// Scroll a page up (trade log).
    PageUp,
    /// Scroll a page down (trade log).
    PageDown,
    NextTab,
    /// The previous opportunity tab (Shift-Tab).
    PrevTab,
    /// A given opportunity tab.
    Tab(OpportunityKind),
    /// Approve the selected opportunity.
    Approve,
    /// Reject the selected opportunity.
    Reject,
    /// Freeze the opportunity lists while reading them, or let them follow
    /// the market again (Space).
    Freeze,
    /// Pause, or resume from a pause.
    PauseResume,
    /// Engage the kill switch (`K`).
    Kill,
    /// Switch approval from MANUAL to AUTO, or from AUTO or ALL back to MANUAL (`A`).
    ToggleAuto,
    /// Focus (or leave) the trade log.
    FocusLog,
    /// Show the working orders in the Positions pane, focused; again, the
    /// positions (`o`).
    ShowOrders,
    /// The Positions pane's other tab (Tab, Shift-Tab while it has focus).
    SwitchBook,
    /// Ask to cancel the selected working order (`c`).
    CancelOrder,
    /// Ask to close the selected position at market (`x`).
    ClosePosition,
    /// Show or hide the key list.
    Help,
    /// Quit (asks first when positions are open).
    Quit,
    /// Answer to a yes/no question.
    Answer(bool),
    /// Start typing the re-arm word.
    RearmStart,
    /// A character of the re-arm word.
    RearmChar(char),
    /// Delete the last typed character.
    RearmBackspace,
    /// Submit the re-arm word.
    RearmSubmit,
    /// Close a popup or leave the log.
    Cancel,
    /// Focus the next pane (`f`), or the previous (`F`).
    FocusNext(bool),
    /// Zoom the focused pane to the whole screen, or back (`z`).
    Zoom,
    /// Something for the trade log's view.
    Log(LogAction),
    /// Pause, speed up or slow down the replay (or demo) clock.
    Pace(Pace),
    /// A left click at this column and row of the terminal.
    Click {
        x: u16,
        y: u16,
    },
    /// The mouse wheel at this column and row; `up` towards the top.
    Wheel {
        x: u16,
        y: u16,
        up: bool,
    },
}
