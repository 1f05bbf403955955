//! Applying an action: local UI changes, or a command for the engine.

use super::{Action, AppState, Focus, Overlay, REARM_WORD};
use omni_core::approval::ShownTerms;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::OpportunityKind;
use omni_core::engine::Command;
use omni_core::risk::TradingState;

const LOG_PAGE: usize = 10;

/// Applies an action; returns the command to send to the engine, if any.
pub fn update(app: &mut AppState, action: Action) -> Option<Command> {
    let snap = app.snapshot.clone();
    match action {
        Action::Up if app.focus == Focus::TradeLog => {
            app.log_scroll = app.log_scroll.saturating_sub(1);
            None
        }
        Action::Down if app.focus == Focus::TradeLog => {
            app.log_scroll = (app.log_scroll + 1).min(app.log.len().saturating_sub(1));
            None
        }
        Action::Up => {
            app.select(-1);
            None
        }
        Action::Down => {
            app.select(1);
            None
        }
        Action::PageUp => {
            app.log_scroll = app.log_scroll.saturating_sub(LOG_PAGE);
            None
        }
        Action::PageDown => {
            app.log_scroll = (app.log_scroll + LOG_PAGE).min(app.log.len().saturating_sub(1));
            None
        }
        Action::NextTab => {
            let i = OpportunityKind::ALL
                .iter()
                .position(|k| *k == app.tab)
                .unwrap_or(0);
            app.tab = OpportunityKind::ALL[(i + 1) % OpportunityKind::ALL.len()];
            app.arrive_on_tab();
            None
        }
        Action::Tab(kind) => {
            app.tab = kind;
            app.arrive_on_tab();
            None
        }
        Action::Approve => {
            // Exactly the row on screen: its id and the terms it showed.
            let row = app
                .selected_row()
                .map(|r| (r.id, r.instrument_name.clone(), ShownTerms::of(&r.detail)));
            match row {
                Some((id, name, shown)) => {
                    app.say(format!("approve {id} {name} sent"));
                    Some(Command::ApproveShown { id, shown })
                }
                None => {
                    app.say(gone_or_empty(app));
                    None
                }
            }
        }
        Action::Reject => match app.selected_row().map(|r| r.id) {
            Some(id) => {
                app.say(format!("reject {id} sent"));
                Some(Command::Reject(id))
            }
            None => {
                app.say(gone_or_empty(app));
                None
            }
        },
        Action::Freeze => {
            if app.frozen.take().is_some() {
                app.say("list live again");
            } else {
                app.frozen = Some(app.snapshot.clone());
                app.say("list frozen · Space follows the market again");
            }
            None
        }
        Action::PauseResume => match snap.trading_state {
            Some(TradingState::Active) => {
                app.say("pause sent");
                Some(Command::Pause)
            }
            _ if snap.kill_latched => {
                app.say("the kill switch is latched: press R to re-arm");
                None
            }
            _ => {
                app.say("resume sent");
                Some(Command::Resume)
            }
        },
        Action::Kill => {
            // From any popup or prompt: K acts, and the popup goes away so
            // the kill banner is seen.
            app.overlay = Overlay::None;
            app.say("KILL SWITCH sent");
            Some(Command::KillSwitch)
        }
        Action::RearmStart => {
            if snap.kill_latched {
                app.overlay = Overlay::Rearm(String::new());
            } else {
                app.say("nothing to re-arm: the kill switch is not latched");
            }
            None
        }
        Action::RearmChar(c) => {
            if let Overlay::Rearm(s) = &mut app.overlay
                && s.len() < 16
            {
                s.push(c);
            }
            None
        }
        Action::RearmBackspace => {
            if let Overlay::Rearm(s) = &mut app.overlay {
                s.pop();
            }
            None
        }
        Action::RearmSubmit => {
            let typed = match &app.overlay {
                Overlay::Rearm(s) => s.clone(),
                _ => return None,
            };
            app.overlay = Overlay::None;
            if typed == REARM_WORD {
                app.say("re-arm sent");
                Some(Command::Rearm)
            } else {
                app.say(format!("not re-armed: type {REARM_WORD} exactly"));
                None
            }
        }
        Action::ToggleAuto => match snap.approval_mode {
            // Switching the policy on trades without asking: ask first, with
            // its thresholds on screen. Switching it off needs no question.
            Some(ApprovalMode::Manual) | None => {
                app.overlay = Overlay::ConfirmAuto;
                None
            }
            Some(_) => {
                app.say("approval mode MANUAL sent");
                Some(Command::SetApprovalMode(ApprovalMode::Manual))
            }
        },
        Action::FocusLog => {
            app.focus = match app.focus {
                Focus::TradeLog => Focus::Opportunities,
                Focus::Opportunities => Focus::TradeLog,
            };
            None
        }
        Action::Help => {
            app.overlay = match app.overlay {
                Overlay::Help => Overlay::None,
                _ => Overlay::Help,
            };
            None
        }
        Action::Quit => {
            if snap.positions.is_empty() {
                app.quit = true;
            } else {
                app.overlay = Overlay::ConfirmQuit;
            }
            None
        }
        Action::Answer(yes) => {
            let asked = std::mem::replace(&mut app.overlay, Overlay::None);
            match asked {
                Overlay::ConfirmAuto if yes => {
                    app.say("approval mode AUTO sent");
                    Some(Command::SetApprovalMode(ApprovalMode::Auto))
                }
                Overlay::ConfirmAuto => {
                    app.say("approval stays MANUAL");
                    None
                }
                _ => {
                    app.quit = yes;
                    None
                }
            }
        }
        Action::Cancel => {
            app.overlay = Overlay::None;
            app.focus = Focus::Opportunities;
            None
        }
    }
}

/// Why there is nothing to act on: the selection is gone, or the tab is empty.
fn gone_or_empty(app: &AppState) -> String {
    match app.selected_id() {
        Some(id) => format!("{id} is no longer listed: pick another with j/k"),
        None => "nothing to act on in this tab".into(),
    }
}
