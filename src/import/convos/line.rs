//! One line of a Convos log: `TS [F] MESSAGE`, read exactly as Convos read it.

use crate::import::lines::parse_log_time;
use crate::model::Kind;

/// A parsed log line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Parsed<'a> {
    pub time: i64,
    pub highlight: bool,
    pub kind: Kind,
    pub from: &'a [u8],
    pub text: &'a [u8],
    /// The message as written (`<nick> text`): what notifications.log repeats.
    pub message: &'a [u8],
}

/// `TS [F] MESSAGE` as Convos's `messages_p` and `_message_type_from` read it.
pub(super) fn parse(b: &[u8]) -> Option<Parsed<'_>> {
    let time = parse_log_time(b)?;
    let mut rest = b.get(19..)?;
    if !rest.is_empty() {
        rest = rest.strip_prefix(b" ")?;
    }
    let mut flag = 0u8;
    if let [d @ b'0'..=b'9', b' ' | b'\t', ..] | [d @ b'0'..=b'9'] = rest {
        flag = d - b'0';
        rest = &rest[1..];
    }
    while let [b' ' | b'\t', tail @ ..] = rest {
        rest = tail;
    }
    let message = rest;
    let word_end = |s: &[u8], stop: u8| {
        s.iter()
            .position(|&c| c == stop || c == b' ' || c == b'\t')
            .filter(|&i| i > 0 && s.get(i) == Some(&stop))
    };
    let after_space = |s: &'_ [u8], i: usize| -> Option<usize> {
        matches!(s.get(i), Some(b' ' | b'\t')).then_some(i + 1)
    };
    let (kind, from, text) = if let Some(body) = rest.strip_prefix(b"<") {
        // <([^\s\>]+)>\s
        match word_end(body, b'>').and_then(|i| Some((i, after_space(body, i + 1)?))) {
            Some((i, t)) => (Kind::Privmsg, &body[..i], &body[t..]),
            None => server(rest),
        }
    } else if let Some(body) = rest.strip_prefix(b"-").filter(|b| !b.starts_with(b"!- ")) {
        // -([^\s\>]+)-\s
        let end = body
            .iter()
            .position(|&c| c == b' ' || c == b'\t' || c == b'>')
            .unwrap_or(body.len());
        let word = &body[..end];
        match word.iter().rposition(|&c| c == b'-') {
            Some(i) if i > 0 && i + 1 == word.len() && after_space(body, end).is_some() => {
                (Kind::Notice, &word[..i], &body[end + 1..])
            }
            _ => server(rest),
        }
    } else if let Some(body) = rest.strip_prefix(b"* ") {
        // \* (\S+)\s
        let end = body
            .iter()
            .position(|&c| c == b' ' || c == b'\t')
            .unwrap_or(body.len());
        match after_space(body, end) {
            Some(t) if end > 0 => (Kind::Action, &body[..end], &body[t..]),
            _ => server(rest),
        }
    } else {
        server(rest)
    };
    Some(Parsed {
        time,
        highlight: flag & 1 == 1,
        kind,
        from,
        text,
        message,
    })
}

/// A server line: `-!- ` dropped, no sender.
fn server(rest: &[u8]) -> (Kind, &[u8], &[u8]) {
    let text = rest
        .strip_prefix(b"-!- ")
        .or_else(|| rest.strip_prefix(b"-!-\t"))
        .unwrap_or(rest);
    (Kind::Server, &[], text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Option<(i64, bool, Kind, String, String)> {
        parse(line.as_bytes()).map(|p| {
            (
                p.time,
                p.highlight,
                p.kind,
                String::from_utf8_lossy(p.from).into_owned(),
                String::from_utf8_lossy(p.text).into_owned(),
            )
        })
    }

    #[test]
    fn lines_read_as_convos_read_them() {
        let t = 1_551_675_967_000; // 2019-03-04T05:06:07
        let cases = [
            (
                "2019-03-04T05:06:07 0 <batman> hello there",
                (false, Kind::Privmsg, "batman", "hello there"),
            ),
            (
                "2019-03-04T05:06:07 1 <batman> superman: look",
                (true, Kind::Privmsg, "batman", "superman: look"),
            ),
            (
                "2019-03-04T05:06:07 2 <batman> preformatted",
                (false, Kind::Privmsg, "batman", "preformatted"),
            ),
            (
                "2019-03-04T05:06:07 <batman> no flag (4.x and older)",
                (false, Kind::Privmsg, "batman", "no flag (4.x and older)"),
            ),
            (
                "2019-03-04T05:06:07 0 * batman waves",
                (false, Kind::Action, "batman", "waves"),
            ),
            (
                "2019-03-04T05:06:07 0 -NickServ- You are now identified",
                (false, Kind::Notice, "NickServ", "You are now identified"),
            ),
            (
                "2019-03-04T05:06:07 0 -irc-libera- Connected to irc.libera.chat.",
                (
                    false,
                    Kind::Notice,
                    "irc-libera",
                    "Connected to irc.libera.chat.",
                ),
            ),
            (
                "2019-03-04T05:06:07 0 -!- batman parted. Bye",
                (false, Kind::Server, "", "batman parted. Bye"),
            ),
            (
                "2019-03-04T05:06:07 0 <> a line without a nick",
                (false, Kind::Server, "", "<> a line without a nick"),
            ),
            ("2019-03-04T05:06:07 0 * ", (false, Kind::Server, "", "* ")),
            (
                "2019-03-04T05:06:07 0 <batman>no space",
                (false, Kind::Server, "", "<batman>no space"),
            ),
            ("2019-03-04T05:06:07 0 ", (false, Kind::Server, "", "")),
            (
                "2019-03-04T05:06:07 0 <batman> ",
                (false, Kind::Privmsg, "batman", ""),
            ),
            (
                "2019-03-04T05:06:07 Topic is x",
                (false, Kind::Server, "", "Topic is x"),
            ),
        ];
        for (line, (hl, kind, from, text)) in cases {
            assert_eq!(
                p(line),
                Some((t, hl, kind, from.to_owned(), text.to_owned())),
                "{line}"
            );
        }
        for bad in [
            "",
            "hello",
            "2019-03-04 05:06:07 0 <a> b",
            "2019-03-04T05:06:07x0 <a> b",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
