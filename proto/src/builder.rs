//! [`Builder`]: makes a [`Message`] from parts, escaping tag values and placing the
//! trailing `:` only where needed.
//!
//! ```
//! use irc_proto::Message;
//! let line = Message::new("PRIVMSG").tag("+draft/reply", "abc").param("#c").trailing("hi there");
//! assert_eq!(line.to_string(), "@+draft/reply=abc PRIVMSG #c :hi there");
//! let m = line.build().unwrap();
//! assert_eq!(m.params(), ["#c", "hi there"]);
//! ```

use std::fmt;

use crate::error::BuildError;
use crate::message::{is_valid_command, needs_colon, Message, MAX_INPUT_LEN, MAX_PARAMS};
use crate::tags;

/// Parts of a message being assembled; made by [`Message::new`].
///
/// Setting methods never fail; [`Builder::build`] checks everything at once. The
/// [`Display`](fmt::Display) form writes the wire line (without CRLF) as given, without
/// those checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    tags: Vec<(String, Option<String>)>,
    source: Option<String>,
    command: String,
    params: Vec<String>,
    trailing: bool,
}

impl Message {
    /// Starts building a message with `command` (e.g. `"PRIVMSG"` or a numeric such as
    /// `"001"`). See [`Builder`].
    #[allow(clippy::new_ret_no_self)]
    pub fn new(command: &str) -> Builder {
        Builder {
            tags: Vec::new(),
            source: None,
            command: command.to_owned(),
            params: Vec::new(),
            trailing: false,
        }
    }
}

impl Builder {
    /// Adds tag `key` with `value`; the value is escaped when written
    /// (<https://ircv3.net/specs/extensions/message-tags#escaping-values>). An empty value
    /// is written as `key=`.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.to_owned(), Some(value.to_owned())));
        self
    }

    /// Adds tag `key` without a value (written as `key`), or with one when `Some`.
    pub fn tag_opt(mut self, key: &str, value: Option<&str>) -> Self {
        self.tags.push((key.to_owned(), value.map(str::to_owned)));
        self
    }

    /// Sets the source, without a leading `:` (e.g. `nick!user@host`).
    pub fn source(mut self, source: &str) -> Self {
        self.source = Some(source.to_owned());
        self
    }

    /// Appends a parameter. The last parameter gets a `:` only when it needs one (empty,
    /// holds a space or starts with `:`).
    pub fn param(mut self, param: &str) -> Self {
        self.params.push(param.to_owned());
        self.trailing = false;
        self
    }

    /// Appends parameters in order, see [`Builder::param`].
    pub fn params<I, S>(mut self, params: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for p in params {
            self = self.param(p.as_ref());
        }
        self
    }

    /// Appends the last parameter, always written in the `:trailing` form, as clients
    /// usually send message text.
    pub fn trailing(mut self, param: &str) -> Self {
        self.params.push(param.to_owned());
        self.trailing = true;
        self
    }

    /// Checks the parts and makes the [`Message`].
    ///
    /// Fails when the command is not letters or three digits, the source is empty or
    /// holds a space, a tag key is invalid or a value holds NUL, a parameter holds NUL, CR
    /// or LF, a parameter before the last is empty, holds a space or starts with `:`,
    /// there are more than 15 parameters, or the line exceeds
    /// [`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN). Rules:
    /// <https://modern.ircdocs.horse/#messages>.
    pub fn build(&self) -> Result<Message, BuildError> {
        self.check()?;
        let line = self.to_string();
        if line.len() > MAX_INPUT_LEN {
            return Err(BuildError::TooLong);
        }
        // check() guarantees the line parses back to these very parts.
        Message::parse(&line).map_err(|_| BuildError::TooLong)
    }

    fn check(&self) -> Result<(), BuildError> {
        if !is_valid_command(&self.command) {
            return Err(BuildError::InvalidCommand);
        }
        if let Some(s) = &self.source {
            if s.is_empty() || s.bytes().any(|b| matches!(b, b' ' | 0 | b'\r' | b'\n')) {
                return Err(BuildError::InvalidSource);
            }
        }
        for (k, v) in &self.tags {
            if !tags::is_valid_key(k) {
                return Err(BuildError::InvalidTagKey(k.clone()));
            }
            if v.as_deref().is_some_and(|v| v.contains('\0')) {
                return Err(BuildError::InvalidTagValue(k.clone()));
            }
        }
        if self.params.len() > MAX_PARAMS {
            return Err(BuildError::TooManyParams);
        }
        let last = self.params.len().saturating_sub(1);
        for (index, p) in self.params.iter().enumerate() {
            let reason = if p.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
                "holds NUL, CR or LF"
            } else if index < last && needs_colon(p) {
                "only the last parameter may be empty, hold a space or start with ':'"
            } else {
                continue;
            };
            return Err(BuildError::InvalidParam { index, reason });
        }
        Ok(())
    }
}

impl fmt::Display for Builder {
    /// Writes the wire line without CRLF, tags escaped, without validating the parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.tags.iter().enumerate() {
            f.write_str(if i == 0 { "@" } else { ";" })?;
            f.write_str(k)?;
            if let Some(v) = v {
                f.write_str("=")?;
                tags::write_escaped(f, v)?;
            }
        }
        if !self.tags.is_empty() {
            f.write_str(" ")?;
        }
        if let Some(s) = &self.source {
            write!(f, ":{s} ")?;
        }
        f.write_str(&self.command)?;
        let n = self.params.len();
        for (i, p) in self.params.iter().enumerate() {
            let colon = i + 1 == n && (self.trailing || needs_colon(p));
            f.write_str(if colon { " :" } else { " " })?;
            f.write_str(p)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_table() {
        let cases = [
            (
                Message::new("PRIVMSG").param("#c").trailing("hi"),
                "PRIVMSG #c :hi",
            ),
            (
                Message::new("PRIVMSG").param("#c").param("hi"),
                "PRIVMSG #c hi",
            ),
            (
                Message::new("PRIVMSG").param("#c").param("hi there"),
                "PRIVMSG #c :hi there",
            ),
            (
                Message::new("PRIVMSG").param("#c").param(":)"),
                "PRIVMSG #c ::)",
            ),
            (Message::new("AWAY").param(""), "AWAY :"),
            (Message::new("AWAY"), "AWAY"),
            (
                Message::new("TAGMSG")
                    .tag("+typing", "active")
                    .tag_opt("+x", None)
                    .param("#c"),
                "@+typing=active;+x TAGMSG #c",
            ),
            (
                Message::new("foo").tag("a", "b\\and\nk").tag("d", "gh;764"),
                "@a=b\\\\and\\nk;d=gh\\:764 foo",
            ),
            (
                Message::new("foo").tag("foo", "\\\\;\\s \r\n"),
                "@foo=\\\\\\\\\\:\\\\s\\s\\r\\n foo",
            ),
            (
                Message::new("001")
                    .source("irc.example.com")
                    .params(["me", "Welcome home"]),
                ":irc.example.com 001 me :Welcome home",
            ),
        ];
        for (b, want) in cases {
            assert_eq!(b.to_string(), want);
            let m = b.build().expect("valid");
            assert_eq!(Message::parse(want).expect("parses"), m, "{want}");
        }
    }

    #[test]
    fn rejects_table() {
        let cases = [
            (Message::new("PRIV MSG"), BuildError::InvalidCommand),
            (Message::new("01"), BuildError::InvalidCommand),
            (Message::new("X").source("a b"), BuildError::InvalidSource),
            (Message::new("X").source(""), BuildError::InvalidSource),
            (
                Message::new("X").tag("a=b", "c"),
                BuildError::InvalidTagKey("a=b".into()),
            ),
            (
                Message::new("X").tag("a", "c\0"),
                BuildError::InvalidTagValue("a".into()),
            ),
            (
                Message::new("X").params(["a b", "c"]),
                BuildError::InvalidParam {
                    index: 0,
                    reason: "only the last parameter may be empty, hold a space or start with ':'",
                },
            ),
            (
                Message::new("X").param("a\r\nQUIT"),
                BuildError::InvalidParam {
                    index: 0,
                    reason: "holds NUL, CR or LF",
                },
            ),
            (
                Message::new("X").params(["a"; 16]),
                BuildError::TooManyParams,
            ),
        ];
        for (b, want) in cases {
            assert_eq!(b.build(), Err(want), "{b}");
        }
    }
}
