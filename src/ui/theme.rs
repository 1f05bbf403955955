//! Colours, or none: with `NO_COLOR` set everything is drawn with bold,
//! reverse and plain text only.

use omni_core::domain::AccountMode;
use omni_core::risk::{RiskLevel, TradingState};
use ratatui::style::{Color, Modifier, Style};

/// Styles for the panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// No colours at all.
    pub no_color: bool,
}

impl Theme {
    /// A theme honouring `NO_COLOR`.
    pub fn new(no_color: bool) -> Self {
        Self { no_color }
    }

    /// Foreground colour (plain without colours).
    pub fn fg(&self, c: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// Muted text (labels, stale values).
    pub fn dim(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }

    /// The selected row, in reversed video.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// A pane's border: bold when it has focus.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }

    /// Gains green, losses red.
    pub fn signed(&self, positive: bool, negative: bool) -> Style {
        if positive {
            self.fg(Color::Green)
        } else if negative {
            self.fg(Color::Red)
        } else {
            Style::default()
        }
    }

    /// Account mode badge: DEMO yellow, PAPER blue, TEST magenta, LIVE red.
    pub fn mode(&self, m: AccountMode) -> Style {
        let c = match m {
            AccountMode::Demo => Color::Yellow,
            AccountMode::Paper => Color::Blue,
            AccountMode::Test => Color::Magenta,
            AccountMode::Live => Color::Red,
        };
        self.fg(c).add_modifier(Modifier::BOLD)
    }

    pub fn state(&self, s: TradingState) -> Style {
        let c = match s {
            TradingState::Active => Color::Green,
            TradingState::Reducing => Color::Yellow,
            TradingState::Halted => Color::Red,
        };
        let st = self.fg(c).add_modifier(Modifier::BOLD);
        if s == TradingState::Halted && self.no_color {
            st.add_modifier(Modifier::REVERSED)
        } else {
            st
        }
    }

    pub fn level(&self, l: RiskLevel) -> Style {
        let c = match l {
            RiskLevel::Low => Color::Green,
            RiskLevel::Medium => Color::Yellow,
            RiskLevel::High => Color::LightRed,
            RiskLevel::Blocked => Color::Red,
        };
        self.fg(c)
    }

    /// The HALTED banner.
    pub fn banner(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        }
    }
}
