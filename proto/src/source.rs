//! [`Source`]: the `nick!user@host` prefix of a message split into its parts.
//!
//! Spec: <https://modern.ircdocs.horse/#source>.

use std::fmt;

/// A message source split into nick, user and host, borrowing the text it was parsed
/// from. A server name (`irc.example.com`) parses as a nick with no user or host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source<'a> {
    nick: &'a str,
    user: Option<&'a str>,
    host: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// Splits `source` (without its leading `:`) at the first `!` and the first `@`
    /// after it: `nick!user@host`, `nick@host`, `nick!user` and `nick` are all accepted,
    /// so this never fails (<https://modern.ircdocs.horse/#source>).
    pub fn parse(source: &'a str) -> Source<'a> {
        let (nick_user, host) = match source.find('!') {
            Some(bang) => match source[bang..].find('@') {
                Some(at) => (&source[..bang + at], Some(&source[bang + at + 1..])),
                None => (source, None),
            },
            None => match source.split_once('@') {
                Some((n, h)) => (n, Some(h)),
                None => (source, None),
            },
        };
        let (nick, user) = match nick_user.split_once('!') {
            Some((n, u)) => (n, Some(u)),
            None => (nick_user, None),
        };
        Source { nick, user, host }
    }

    /// The nick, or the whole source when it is a server name.
    pub fn nick(&self) -> &'a str {
        self.nick
    }

    /// The user (ident) part, e.g. `~ag`, if present.
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The host part, if present.
    pub fn host(&self) -> Option<&'a str> {
        self.host
    }

    /// Whether this looks like a server name rather than a user: no user or host, and a
    /// `.` in the name (nicks cannot hold `.`).
    pub fn is_server(&self) -> bool {
        self.user.is_none() && self.host.is_none() && self.nick.contains('.')
    }
}

impl fmt::Display for Source<'_> {
    /// Writes the source back as `nick[!user][@host]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.nick)?;
        if let Some(u) = self.user {
            write!(f, "!{u}")?;
        }
        if let Some(h) = self.host {
            write!(f, "@{h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from ircdocs/parser-tests `userhost-split.yaml`, plus real sources.
    #[test]
    fn split_table() {
        let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
            (
                "coolguy!ag@127.0.0.1",
                "coolguy",
                Some("ag"),
                Some("127.0.0.1"),
            ),
            (
                "coolguy!~ag@localhost",
                "coolguy",
                Some("~ag"),
                Some("localhost"),
            ),
            ("coolguy@127.0.0.1", "coolguy", None, Some("127.0.0.1")),
            ("coolguy!ag", "coolguy", Some("ag"), None),
            (
                "coolguy!ag@net\x035w\x03ork.admin",
                "coolguy",
                Some("ag"),
                Some("net\x035w\x03ork.admin"),
            ),
            (
                "coolguy!~ag@n\x02et\x0305w\x0fork.admin",
                "coolguy",
                Some("~ag"),
                Some("n\x02et\x0305w\x0fork.admin"),
            ),
            ("irc.libera.chat", "irc.libera.chat", None, None),
            (
                "NickServ!NickServ@services.libera.chat",
                "NickServ",
                Some("NickServ"),
                Some("services.libera.chat"),
            ),
            (
                "jess!~jess@user/jess",
                "jess",
                Some("~jess"),
                Some("user/jess"),
            ),
            ("a!b!c@d@e", "a", Some("b!c"), Some("d@e")),
            ("", "", None, None),
            ("!@", "", Some(""), Some("")),
        ];
        for &(input, nick, user, host) in cases {
            let s = Source::parse(input);
            assert_eq!(
                (s.nick(), s.user(), s.host()),
                (nick, user, host),
                "{input:?}"
            );
            if !input.is_empty() {
                assert_eq!(s.to_string(), input);
            }
        }
    }

    #[test]
    fn server_detection() {
        assert!(Source::parse("irc.example.com").is_server());
        assert!(!Source::parse("nick").is_server());
        assert!(!Source::parse("nick!u@h.example").is_server());
    }
}
