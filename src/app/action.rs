//! What a key asks for.

use crate::domain::OpportunityKind;

/// A UI intent.
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
    /// Next opportunity tab.
    NextTab,
    /// A given opportunity tab.
    Tab(OpportunityKind),
    /// Approve the selected opportunity.
    Approve,
    /// Reject the selected opportunity.
    Reject,
    /// Pause, or resume from a pause.
    PauseResume,
    /// Kill switch.
    Kill,
    /// Toggle auto approval.
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
