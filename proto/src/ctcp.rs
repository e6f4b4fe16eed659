//! CTCP: `\x01CMD args\x01` framing inside PRIVMSG (queries) and NOTICE (replies).
//!
//! Spec: <https://modern.ircdocs.horse/ctcp>. Any command name is carried (ACTION,
//! VERSION, PING, TIME, and the RTCZ signalling this product uses). Low-level quoting
//! (`\x10`) is not applied: no current client uses it.

use std::fmt;

/// The CTCP delimiter byte.
pub const DELIM: char = '\x01';

/// A CTCP message parsed from a PRIVMSG or NOTICE text, borrowing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ctcp<'a> {
    /// The command as sent, e.g. `ACTION` or `VERSION`.
    pub command: &'a str,
    /// Everything after the command and one space, up to the closing `\x01`; empty when
    /// there are no parameters.
    pub params: &'a str,
}

impl<'a> Ctcp<'a> {
    /// Parses `text` if it is a CTCP message: it starts with `\x01`, has a non-empty
    /// command, and ends with `\x01` or, as many clients send, without it
    /// (<https://modern.ircdocs.horse/ctcp#message-syntax>). `None` for plain text.
    pub fn parse(text: &'a str) -> Option<Ctcp<'a>> {
        let body = text.strip_prefix(DELIM)?;
        let body = body.strip_suffix(DELIM).unwrap_or(body);
        let (command, params) = match body.split_once(' ') {
            Some((c, p)) => (c, p),
            None => (body, ""),
        };
        if command.is_empty() || command.contains(DELIM) {
            return None;
        }
        Some(Ctcp { command, params })
    }

    /// Whether the command is `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.command.eq_ignore_ascii_case(name)
    }

    /// Whether this is an `ACTION` (`/me`).
    pub fn is_action(&self) -> bool {
        self.is("ACTION")
    }
}

impl fmt::Display for Ctcp<'_> {
    /// Writes the framed form, see [`format()`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format(self.command, self.params))
    }
}

/// Frames `command` and `args` as `\x01COMMAND args\x01` (no space when `args` is empty).
/// `\x01`, NUL, CR and LF in either are dropped: the frame cannot carry them.
/// <https://modern.ircdocs.horse/ctcp#message-syntax>
pub fn format(command: &str, args: &str) -> String {
    let clean = |c: &char| !matches!(*c, DELIM | '\0' | '\r' | '\n');
    let mut out = String::with_capacity(command.len() + args.len() + 3);
    out.push(DELIM);
    out.extend(command.chars().filter(clean));
    if !args.is_empty() {
        out.push(' ');
        out.extend(args.chars().filter(clean));
    }
    out.push(DELIM);
    out
}

/// Frames `text` as a CTCP ACTION (`/me text`).
pub fn action(text: &str) -> String {
    format("ACTION", text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("\x01ACTION waves\x01", Some(("ACTION", "waves"))),
            (
                "\x01ACTION waves hello\x01",
                Some(("ACTION", "waves hello")),
            ),
            ("\x01ACTION waves", Some(("ACTION", "waves"))),
            ("\x01VERSION\x01", Some(("VERSION", ""))),
            ("\x01VERSION", Some(("VERSION", ""))),
            (
                "\x01PING 1700000000 123\x01",
                Some(("PING", "1700000000 123")),
            ),
            ("\x01TIME\x01", Some(("TIME", ""))),
            (
                "\x01RTCZ OFFER #chan 1/2 abcd\x01",
                Some(("RTCZ", "OFFER #chan 1/2 abcd")),
            ),
            ("\x01ACTION \x01", Some(("ACTION", ""))),
            ("\x01\x01", None),
            ("\x01", None),
            ("\x01 x\x01", None),
            ("hello", None),
            ("", None),
            ("hi \x01ACTION\x01", None),
        ];
        for &(text, want) in cases {
            let got = Ctcp::parse(text).map(|c| (c.command, c.params));
            assert_eq!(got, want, "{text:?}");
        }
        assert!(Ctcp::parse("\x01action x\x01").is_some_and(|c| c.is_action()));
    }

    #[test]
    fn format_table() {
        assert_eq!(format("ACTION", "waves"), "\x01ACTION waves\x01");
        assert_eq!(format("VERSION", ""), "\x01VERSION\x01");
        assert_eq!(format("PING", "1\x01\r\n2"), "\x01PING 12\x01");
        assert_eq!(action("dances"), "\x01ACTION dances\x01");
        let c = Ctcp::parse("\x01PING 42").expect("ctcp");
        assert_eq!(c.to_string(), "\x01PING 42\x01");
    }
}
