//! Applying an action: local UI changes, or a command for the engine.

use super::log_view::LogAction;
use super::{Action, AppState, Overlay, Pane, REARM_WORD, layout, update_book};
use omni_core::approval::ShownTerms;
use omni_core::approval::config::ApprovalMode;
use omni_core::domain::OpportunityKind;
use omni_core::engine::Command;
use omni_core::risk::TradingState;

/// Applies an action; returns the command to send to the engine, if any.
pub fn update(app: &mut AppState, action: Action) -> Option<Command> {
    let snap = app.snapshot.clone();
    match action {
        Action::Up if app.focus == Pane::Market => {
            app.market_row = app.market_row.saturating_sub(1);
            None
        }
        Action::Down if app.focus == Pane::Market => {
            app.market_row = (app.market_row + 1).min(snap.quotes.len().saturating_sub(1));
            None
        }
        Action::Up if app.focus == Pane::Positions => {
            app.book.select(&snap, -1);
            None
        }
        Action::Down if app.focus == Pane::Positions => {
            app.book.select(&snap, 1);
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
            app.log_view.apply(LogAction::PageNewer, &app.log);
            None
        }
        Action::PageDown => {
            app.log_view.apply(LogAction::PageOlder, &app.log);
            None
        }
        Action::Log(a) => {
            app.log_view.apply(a, &app.log);
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
        Action::Approve | Action::Reject if hidden_by_zoom(app) => {
            app.say("the opportunities are hidden by the zoom: z shows them, then approve");
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
        Action::ShowOrders => {
            update_book::show_orders(app);
            None
        }
        Action::SwitchBook => {
            app.book.show(&snap, app.book.tab.other());
            None
        }
        Action::CancelOrder => {
            update_book::ask_cancel(app);
            None
        }
        Action::ClosePosition => {
            update_book::ask_close(app);
            None
        }
        Action::FocusLog => {
            app.focus_on(match app.focus {
                Pane::TradeLog => Pane::Opportunities,
                _ => Pane::TradeLog,
            });
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
                Overlay::ConfirmCancel(row) if yes => {
                    Some(update_book::cancel_confirmed(app, &row))
                }
                Overlay::ConfirmClose(row) if yes => Some(update_book::close_confirmed(app, &row)),
                Overlay::ConfirmCancel(_) | Overlay::ConfirmClose(_) => {
                    app.say("nothing sent");
                    None
                }
                _ => {
                    app.quit = yes;
                    None
                }
            }
        }
        Action::Cancel => {
            if app.overlay != Overlay::None {
                app.overlay = Overlay::None;
            } else if app.zoomed {
                app.zoomed = false;
                app.say("every pane shown");
            } else {
                app.focus_on(Pane::Opportunities);
            }
            None
        }
        Action::PrevTab => {
            let n = OpportunityKind::ALL.len();
            let i = OpportunityKind::ALL
                .iter()
                .position(|k| *k == app.tab)
                .unwrap_or(0);
            app.tab = OpportunityKind::ALL[(i + n - 1) % n];
            app.arrive_on_tab();
            None
        }
        Action::FocusNext(forward) => {
            let n = Pane::ALL.len();
            let i = Pane::ALL.iter().position(|p| *p == app.focus).unwrap_or(0);
            app.focus_on(
                Pane::ALL[if forward {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }],
            );
            None
        }
        Action::Zoom => {
            app.zoomed = !app.zoomed;
            if app.zoomed {
                app.say(format!(
                    "{} zoomed · z or Esc shows every pane",
                    app.focus.title()
                ));
            } else {
                app.say("every pane shown");
            }
            None
        }
        Action::Click { x, y } => {
            click(app, x, y);
            None
        }
        Action::Wheel { x, y, up } => {
            wheel(app, x, y, up);
            None
        }
        Action::Pace(p) => {
            match &snap.replay {
                None => app.say("P < > pace a replay or the demo; live time runs on its own"),
                Some(r) if r.ended => {
                    app.say("the replay has ended: its clock stays at the last event")
                }
                Some(_) => app.pace.push(p),
            }
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

/// Approving or rejecting acts on the row on screen: not while another
/// pane is zoomed over the list.
fn hidden_by_zoom(app: &AppState) -> bool {
    app.zoomed && app.focus != Pane::Opportunities
}

/// A left click: a stack's hidden pane named on its border comes to the
/// front; a pane takes the focus; on the Opportunities pane a tab title
/// switches the tab and a row is selected (never approved); on the Market
/// pane a row picks the charted instrument.
fn click(app: &mut AppState, x: u16, y: u16) {
    let Some(screen) = app.screen() else {
        return;
    };
    let Some(slot) = screen.slot_at(x, y) else {
        return;
    };
    if y == slot.area.y
        && let Some((_, names)) = layout::stack_hint(slot)
        && let Some((pane, ..)) = names.iter().find(|(_, x0, x1)| (*x0..*x1).contains(&x))
    {
        app.focus_on(*pane);
        return;
    }
    let pane = slot.shown;
    let area = slot.area;
    app.focus_on(pane);
    match pane {
        Pane::Opportunities => {
            let [tabs, table, _] = layout::opportunities_parts(area);
            if y == tabs.y {
                let titles = layout::tab_titles(app, tabs.width);
                if let Some(i) = layout::tab_at(&titles, tabs, x)
                    && let Some(&kind) = OpportunityKind::ALL.get(i)
                {
                    app.tab = kind;
                    app.arrive_on_tab();
                }
            } else if layout::contains(table, x, y) && y > table.y {
                let visible = usize::from(table.height.saturating_sub(1));
                let first = layout::table_offset(app.selected_index(), visible);
                let i = first + usize::from(y - table.y - 1);
                let id = app.rows().get(i).map(|r| r.id);
                if let Some(id) = id {
                    app.selected.insert(app.tab, id);
                }
            }
        }
        Pane::Positions => update_book::click(app, area, x, y),
        Pane::Market => {
            let inner = layout::inner(area);
            if y > inner.y {
                let visible = usize::from(inner.height.saturating_sub(1));
                let first = layout::table_offset(Some(app.market_row), visible);
                let i = first + usize::from(y - inner.y - 1);
                if i < app.snapshot.quotes.len() {
                    app.market_row = i;
                }
            }
        }
        _ => {}
    }
}

/// The wheel scrolls what is under the pointer: the opportunity selection,
/// the Market rows, or the trade log (three rows a notch).
fn wheel(app: &mut AppState, x: u16, y: u16, up: bool) {
    let Some(pane) = app.screen().and_then(|s| s.slot_at(x, y).map(|s| s.shown)) else {
        return;
    };
    match pane {
        Pane::Opportunities => app.select(if up { -1 } else { 1 }),
        Pane::Positions => {
            let snap = app.snapshot.clone();
            app.book.select(&snap, if up { -1 } else { 1 });
        }
        Pane::Market => {
            app.market_row = if up {
                app.market_row.saturating_sub(1)
            } else {
                (app.market_row + 1).min(app.snapshot.quotes.len().saturating_sub(1))
            }
        }
        Pane::TradeLog => {
            let a = if up {
                LogAction::Newer(3)
            } else {
                LogAction::Older(3)
            };
            app.log_view.apply(a, &app.log);
        }
        _ => {}
    }
}
