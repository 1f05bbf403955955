//! Drawing the cockpit on ratatui's TestBackend and reading it back as a
//! person would: one string per row.
#![allow(dead_code)]

use omni_tui::app::AppState;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// The cockpit drawn at `w`×`h`: its rows as text, and the buffer (for
/// styles).
pub fn render(app: &AppState, w: u16, h: u16) -> (Vec<String>, Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| omni_tui::ui::draw(f, app)).expect("draw");
    let buf = t.backend().buffer().clone();
    let lines = (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect();
    (lines, buf)
}

/// The rows as one text.
pub fn screen(lines: &[String]) -> String {
    lines.join("\n")
}

/// The cockpit's state for `engine`'s current snapshot, drawn at `w`×`h`.
pub fn app_at(engine: &omni_core::engine::Engine, w: u16, h: u16) -> AppState {
    let mut app = AppState::new(false, "test.db".into());
    app.area = ratatui::layout::Rect::new(0, 0, w, h);
    app.set_snapshot(std::sync::Arc::new(
        omni_tui::engine_thread::snapshot::build(engine, 1, "DEMO"),
    ));
    app
}

/// A key pressed in the cockpit: the command it sends, if any.
pub fn press(
    app: &mut AppState,
    c: crossterm::event::KeyCode,
) -> Option<omni_core::engine::Command> {
    let key = crossterm::event::KeyEvent::new(c, crossterm::event::KeyModifiers::NONE);
    omni_tui::app::keymap::action_for(app, key).and_then(|a| omni_tui::app::update(app, a))
}
