//! `TERM=dumb`: a terminal that may show nothing but ASCII. After a frame
//! is drawn, every cell's symbol is replaced by its nearest ASCII look-alike
//! (lines by `-` `|` `+`, arrows by `>` `^` `v`, bars by `#`), so one
//! drawing path serves both.

use ratatui::buffer::Buffer;

/// The ASCII stand-in for one drawn symbol; `None` when it is ASCII already.
pub fn of(symbol: &str) -> Option<&'static str> {
    if symbol.is_ascii() {
        return None;
    }
    let mut chars = symbol.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        // Multi-character graphemes (combining marks, emoji) have no stand-in.
        return Some("?");
    };
    Some(match c {
        '─' | '━' | '═' | '—' | '–' | '╌' | '┄' => "-",
        '│' | '┃' | '║' | '╎' | '┆' => "|",
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╯' | '╰' => {
            "+"
        }
        '▲' | '↑' => "^",
        '▼' | '↓' => "v",
        '→' | '▶' | '▸' | '↳' | '≥' => ">",
        '←' | '◀' | '◂' | '≤' => "<",
        '·' | '…' | '•' => ".",
        '✗' | '×' => "x",
        '✓' => "+",
        'α' => "a",
        'β' => "b",
        'Δ' => "d",
        '█' | '▓' | '▇' | '▆' | '▅' => "#",
        '▒' | '▄' | '▃' | '▀' => "=",
        '░' | '▂' | '▁' => ".",
        '\u{2800}' => " ",
        '\u{2801}'..='\u{28FF}' => ".",
        _ => "?",
    })
}

/// Replaces every cell's symbol with its ASCII stand-in.
pub fn flatten(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        if let Some(s) = of(cell.symbol()) {
            cell.set_symbol(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_arrows_and_letters_have_ascii_stand_ins() {
        assert_eq!(of("┌"), Some("+"));
        assert_eq!(of("─"), Some("-"));
        assert_eq!(of("▲"), Some("^"));
        assert_eq!(of("→"), Some(">"));
        assert_eq!(of("α"), Some("a"));
        assert_eq!(of("\u{28ff}"), Some("."));
        assert_eq!(of("漢"), Some("?"));
        for c in ' '..='~' {
            assert_eq!(of(&c.to_string()), None);
        }
    }
}
