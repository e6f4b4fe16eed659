//! Formatting codes in message text (bold, colours, …) → styled [`Span`]s for the UI,
//! and [`strip_formatting`] for places that show plain text (notifications, search).
//!
//! Spec: <https://modern.ircdocs.horse/formatting>. Plain structs, no serde: the web
//! layer maps them to its own JSON.

use std::borrow::Cow;

/// Bold toggle (`\x02`).
pub const BOLD: char = '\x02';
/// Italics toggle (`\x1d`).
pub const ITALIC: char = '\x1d';
/// Underline toggle (`\x1f`).
pub const UNDERLINE: char = '\x1f';
/// Strikethrough toggle (`\x1e`).
pub const STRIKETHROUGH: char = '\x1e';
/// Monospace toggle (`\x11`).
pub const MONOSPACE: char = '\x11';
/// Reverse colour toggle (`\x16`).
pub const REVERSE: char = '\x16';
/// Reset of all formatting (`\x0f`).
pub const RESET: char = '\x0f';
/// Palette colour code (`\x03fg[,bg]`).
pub const COLOR: char = '\x03';
/// Hex colour code (`\x04RRGGBB[,RRGGBB]`).
pub const HEX_COLOR: char = '\x04';

/// RGB of palette colours 0–98: 0–15 as most clients show them, 16–98 the extended
/// palette of <https://modern.ircdocs.horse/formatting#colors-16-98>.
const PALETTE: [u32; 99] = [
    0xffffff, 0x000000, 0x00007f, 0x009300, 0xff0000, 0x7f0000, 0x9c009c, 0xfc7f00, // 0-7
    0xffff00, 0x00fc00, 0x009393, 0x00ffff, 0x0000fc, 0xff00ff, 0x7f7f7f, 0xd2d2d2, // 8-15
    0x470000, 0x472100, 0x474700, 0x324700, 0x004700, 0x00472c, 0x004747, 0x002747, // 16-23
    0x000047, 0x2e0047, 0x470047, 0x47002a, 0x740000, 0x743a00, 0x747400, 0x517400, // 24-31
    0x007400, 0x007449, 0x007474, 0x004074, 0x000074, 0x4b0074, 0x740074, 0x740045, // 32-39
    0xb50000, 0xb56300, 0xb5b500, 0x7db500, 0x00b500, 0x00b571, 0x00b5b5, 0x0063b5, // 40-47
    0x0000b5, 0x7500b5, 0xb500b5, 0xb5006b, 0xff0000, 0xff8c00, 0xffff00, 0xb2ff00, // 48-55
    0x00ff00, 0x00ffa0, 0x00ffff, 0x008cff, 0x0000ff, 0xa500ff, 0xff00ff, 0xff0098, // 56-63
    0xff5959, 0xffb459, 0xffff71, 0xcfff60, 0x6fff6f, 0x65ffc9, 0x6dffff, 0x59b4ff, // 64-71
    0x5959ff, 0xc459ff, 0xff66ff, 0xff59bc, 0xff9c9c, 0xffd39c, 0xffff9c, 0xe2ff9c, // 72-79
    0x9cff9c, 0x9cffdb, 0x9cffff, 0x9cd3ff, 0x9c9cff, 0xdc9cff, 0xff9cff, 0xff94d3, // 80-87
    0x000000, 0x131313, 0x282828, 0x363636, 0x4d4d4d, 0x656565, 0x818181, 0x9f9f9f, // 88-95
    0xbcbcbc, 0xe2e2e2, 0xffffff, // 96-98
];

/// A text or background colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color {
    /// A palette colour, 0–98 (99, "default", is represented as no colour).
    Palette(u8),
    /// A hex colour from `\x04RRGGBB`.
    Rgb(u8, u8, u8),
}

impl Color {
    /// The colour as RGB, using the standard palette for palette colours.
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Palette(n) => {
                let v = PALETTE.get(usize::from(n)).copied().unwrap_or(0);
                ((v >> 16) as u8, (v >> 8) as u8, v as u8)
            }
        }
    }

    /// The colour as CSS `#rrggbb`.
    pub fn to_hex(self) -> String {
        let (r, g, b) = self.rgb();
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// The formatting in force for a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    /// Bold (`\x02`).
    pub bold: bool,
    /// Italics (`\x1d`).
    pub italic: bool,
    /// Underline (`\x1f`).
    pub underline: bool,
    /// Strikethrough (`\x1e`).
    pub strikethrough: bool,
    /// Monospace (`\x11`).
    pub monospace: bool,
    /// Reverse (`\x16`): the UI swaps foreground and background.
    pub reverse: bool,
    /// Foreground colour; `None` is the UI's default.
    pub fg: Option<Color>,
    /// Background colour; `None` is the UI's default.
    pub bg: Option<Color>,
}

/// A run of text with one style, borrowing the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span<'a> {
    /// The text, formatting codes removed.
    pub text: &'a str,
    /// Its style.
    pub style: Style,
}

/// Reads up to two decimal digits at `b[i..]`: (value, digits read).
fn digits(b: &[u8], i: usize) -> (u8, usize) {
    let mut v = 0u8;
    let mut n = 0;
    while n < 2 {
        match b.get(i + n) {
            Some(d) if d.is_ascii_digit() => v = v * 10 + (d - b'0'),
            _ => break,
        }
        n += 1;
    }
    (v, n)
}

fn palette(n: u8) -> Option<Color> {
    (n < 99).then_some(Color::Palette(n))
}

/// Reads six hex digits at `b[i..]`.
fn hex(b: &[u8], i: usize) -> Option<Color> {
    let h = b.get(i..i + 6)?;
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let s = std::str::from_utf8(h).ok()?;
    let v = u32::from_str_radix(s, 16).ok()?;
    Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8))
}

/// Applies the code at `b[i]` to `style`; returns the bytes it spans, 0 when `b[i]` is
/// not a formatting code.
fn apply_code(b: &[u8], i: usize, style: &mut Style) -> usize {
    match b[i] {
        0x02 => style.bold ^= true,
        0x1d => style.italic ^= true,
        0x1f => style.underline ^= true,
        0x1e => style.strikethrough ^= true,
        0x11 => style.monospace ^= true,
        0x16 => style.reverse ^= true,
        0x0f => *style = Style::default(),
        0x03 => {
            let (fg, n) = digits(b, i + 1);
            if n == 0 {
                style.fg = None;
                style.bg = None;
                return 1;
            }
            style.fg = palette(fg);
            let j = i + 1 + n;
            if b.get(j) == Some(&b',') {
                let (bg, m) = digits(b, j + 1);
                if m > 0 {
                    style.bg = palette(bg);
                    return 1 + n + 1 + m;
                }
            }
            return 1 + n;
        }
        0x04 => {
            let Some(fg) = hex(b, i + 1) else {
                style.fg = None;
                style.bg = None;
                return 1;
            };
            style.fg = Some(fg);
            if b.get(i + 7) == Some(&b',') {
                if let Some(bg) = hex(b, i + 8) {
                    style.bg = Some(bg);
                    return 14;
                }
            }
            return 7;
        }
        _ => return 0,
    }
    1
}

fn is_code(b: u8) -> bool {
    matches!(
        b,
        0x02 | 0x03 | 0x04 | 0x0f | 0x11 | 0x16 | 0x1d | 0x1e | 0x1f
    )
}

/// Calls `emit` for each non-empty run of text with the style in force.
fn scan<'a>(text: &'a str, mut emit: impl FnMut(&'a str, Style)) {
    let b = text.as_bytes();
    let mut style = Style::default();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if !is_code(b[i]) {
            i += 1;
            continue;
        }
        // Codes are ASCII, so `start..i` lies on char boundaries.
        if start < i {
            emit(&text[start..i], style);
        }
        i += apply_code(b, i, &mut style);
        start = i;
    }
    if start < b.len() {
        emit(&text[start..], style);
    }
}

/// Splits `text` into styled spans, codes removed; empty runs are left out.
///
/// `\x03` alone, or `\x04` without six hex digits, resets both colours; colour 99 means
/// the default colour; `\x0f` resets everything.
/// <https://modern.ircdocs.horse/formatting>
pub fn parse(text: &str) -> Vec<Span<'_>> {
    let mut spans = Vec::new();
    scan(text, |text, style| spans.push(Span { text, style }));
    spans
}

/// `text` with every formatting code (and its colour numbers) removed; borrowed when it
/// has none. <https://modern.ircdocs.horse/formatting>
pub fn strip_formatting(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(is_code) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    scan(text, |t, _| out.push_str(t));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The parse and strip tables live in tests/data/formatting.json, shared with the
    // frontend (tests/formatting_fixture.rs reads them).

    #[test]
    fn stripping_plain_text_borrows() {
        assert!(matches!(strip_formatting("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn palette_colours() {
        assert_eq!(Color::Palette(0).to_hex(), "#ffffff");
        assert_eq!(Color::Palette(4).to_hex(), "#ff0000");
        assert_eq!(Color::Palette(16).to_hex(), "#470000");
        assert_eq!(Color::Palette(52).to_hex(), "#ff0000");
        assert_eq!(Color::Palette(98).to_hex(), "#ffffff");
        assert_eq!(Color::Rgb(1, 2, 3).to_hex(), "#010203");
    }
}
