//! What a key asks for.

use omni_core::domain::OpportunityKind;

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
}
