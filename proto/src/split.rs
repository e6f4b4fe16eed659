//! Splitting long PRIVMSG/NOTICE text into lines that fit the 512-byte limit once a
//! server relays them with the sender's full `:nick!user@host ` prefix.
//!
//! The server adds that prefix before passing a line on, and the relayed line must still
//! fit (<https://modern.ircdocs.horse/#message-format>), so the budget for text is
//! `512 − CRLF − prefix − "COMMAND target :"`. Cuts fall on UTF-8 boundaries, after a
//! space where the piece has one; line breaks in the text start new lines; a CTCP ACTION
//! keeps its `\x01ACTION …\x01` frame on every piece.

use crate::ctcp::{self, Ctcp};
use crate::message::MAX_LINE_LEN;

/// Nick length assumed for the worst-case relayed prefix (InspIRCd's and UnrealIRCd's
/// default `NICKLEN`; Libera's is 16).
pub const WORST_NICK_LEN: usize = 30;
/// User (ident) length assumed for the worst-case prefix, `~` included (`USERLEN`).
pub const WORST_USER_LEN: usize = 10;
/// Host length assumed for the worst-case prefix (`HOSTLEN` of most servers).
pub const WORST_HOST_LEN: usize = 63;

/// Bytes of a relayed prefix `:nick!user@host ` with parts of the given lengths.
pub const fn source_len(nick: usize, user: usize, host: usize) -> usize {
    1 + nick + 1 + user + 1 + host + 1
}

/// Bytes of the worst-case relayed prefix, from [`WORST_NICK_LEN`], [`WORST_USER_LEN`]
/// and [`WORST_HOST_LEN`]: 107.
pub const WORST_SOURCE_LEN: usize = source_len(WORST_NICK_LEN, WORST_USER_LEN, WORST_HOST_LEN);

/// Most text bytes that fit in `COMMAND target :text` plus CRLF after a relayed prefix
/// of `source_len` bytes (see [`source_len`]), within 512 bytes. Zero if nothing fits.
pub fn max_text_len(command: &str, target: &str, source_len: usize) -> usize {
    MAX_LINE_LEN.saturating_sub(source_len + command.len() + 1 + target.len() + 2 + 2)
}

/// Largest index `<= max` that is a char boundary of `s`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cuts `text` into pieces of at most `max_len` bytes.
///
/// Each CR or LF ends a piece and is dropped, empty lines are dropped, and every other
/// character is kept in order: the pieces concatenated equal `text` without its CR and LF.
/// A piece ends after the last space that fits, or at the last UTF-8 boundary that fits
/// when it has none. `max_len` below 4 is raised to 4 so that any character fits.
pub fn split_text(text: &str, max_len: usize) -> Vec<&str> {
    let max = max_len.max(4);
    let mut out = Vec::with_capacity(text.len() / max + 1);
    for line in text.split(['\r', '\n']) {
        let mut rest = line;
        while rest.len() > max {
            let window = floor_boundary(rest, max);
            let cut = match rest[..window].rfind(' ') {
                Some(i) if i > 0 => i + 1,
                _ => window,
            };
            out.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Splits `text` into wire lines `COMMAND target :piece` (without CRLF) that each fit in
/// 512 bytes, CRLF included, once relayed with a prefix of `source_len` bytes (use
/// [`WORST_SOURCE_LEN`] when the real one is unknown). `command` is `PRIVMSG` or
/// `NOTICE`; `target` must be a valid single parameter.
///
/// A CTCP ACTION keeps its frame on each piece. Any other CTCP is returned as one line,
/// uncut, since its framing cannot be split. When the target is so long that fewer than
/// four bytes of text fit, lines may exceed the limit rather than lose text.
pub fn split_message(command: &str, target: &str, text: &str, source_len: usize) -> Vec<String> {
    let budget = max_text_len(command, target, source_len);
    let line = |body: &str| {
        let mut s = String::with_capacity(command.len() + target.len() + body.len() + 3);
        s.push_str(command);
        s.push(' ');
        s.push_str(target);
        s.push_str(" :");
        s.push_str(body);
        s
    };
    match Ctcp::parse(text) {
        Some(c) if c.is_action() => {
            let frame = ctcp::format(c.command, "").len() + 1;
            let pieces = split_text(c.params, budget.saturating_sub(frame));
            if pieces.is_empty() {
                return vec![line(&ctcp::format(c.command, ""))];
            }
            pieces
                .into_iter()
                .map(|p| line(&ctcp::format(c.command, p)))
                .collect()
        }
        Some(_) => vec![line(text)],
        None => split_text(text, budget).into_iter().map(line).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_case_prefix() {
        assert_eq!(WORST_SOURCE_LEN, 107);
        assert_eq!(max_text_len("PRIVMSG", "#c", WORST_SOURCE_LEN), 391);
        assert_eq!(max_text_len("PRIVMSG", &"#".repeat(600), 0), 0);
    }

    #[test]
    fn split_text_table() {
        let cases: &[(&str, usize, &[&str])] = &[
            ("hello world", 100, &["hello world"]),
            ("hello world", 8, &["hello ", "world"]),
            ("hello world foo", 11, &["hello ", "world foo"]),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("æøå", 4, &["æø", "å"]),
            ("a\nb\r\nc\n\n", 10, &["a", "b", "c"]),
            ("😀😀", 5, &["😀", "😀"]),
            ("x", 0, &["x"]),
            ("", 10, &[]),
            ("   ", 2, &["   "]),
        ];
        for &(text, max, want) in cases {
            assert_eq!(split_text(text, max), want, "{text:?} at {max}");
        }
        assert_eq!(split_text("      ", 4), ["    ", "  "]);
    }

    #[test]
    fn long_message_fits() {
        let text = "word ".repeat(300);
        let lines = split_message("PRIVMSG", "#rust", &text, WORST_SOURCE_LEN);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(l.len() + 2 + WORST_SOURCE_LEN <= 512, "{} bytes", l.len());
            assert!(l.starts_with("PRIVMSG #rust :word"));
        }
    }

    #[test]
    fn action_keeps_frame() {
        let text = ctcp::action(&"dances ".repeat(120));
        let lines = split_message("PRIVMSG", "#c", &text, WORST_SOURCE_LEN);
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(l.starts_with("PRIVMSG #c :\x01ACTION dances"), "{l:?}");
            assert!(l.ends_with('\x01'));
            assert!(l.len() + 2 + WORST_SOURCE_LEN <= 512);
        }
        assert_eq!(
            split_message("PRIVMSG", "#c", "\x01ACTION\x01", 0),
            ["PRIVMSG #c :\x01ACTION\x01"]
        );
        assert_eq!(
            split_message("NOTICE", "bob", "\x01VERSION x\x01", 0),
            ["NOTICE bob :\x01VERSION x\x01"]
        );
    }
}
