//! [`Message`]: one parsed IRC line, its accessors and its wire formatting.
//!
//! A message is one owned `String` plus fixed-size spans into it, so parsing a line costs
//! one allocation. The buffer starts with the tags in the unescaped form described in
//! [`tags`](crate::tags), followed by the rest of the line as received. Grammar:
//! <https://modern.ircdocs.horse/#messages>.

use std::fmt;

use crate::error::{LengthError, ParseError};
use crate::params::Params;
use crate::source::Source;
use crate::tags::{self, RegionWriter, Tags};

/// Most parameters a message may carry (<https://modern.ircdocs.horse/#parameters>).
pub const MAX_PARAMS: usize = 15;
/// Most bytes of source, command, parameters and CRLF in one line
/// (<https://modern.ircdocs.horse/#message-format>).
pub const MAX_LINE_LEN: usize = 512;
/// Most bytes of the tag section, from `@` to the space after it, that a server may send
/// (<https://ircv3.net/specs/extensions/message-tags#size-limit>).
pub const MAX_TAGS_LEN: usize = 8191;
/// Most bytes of tag data a client may send
/// (<https://ircv3.net/specs/extensions/message-tags#size-limit>).
pub const MAX_CLIENT_TAGS_LEN: usize = 4094;
/// Longest line [`Message::parse`] accepts, without its line ending. Lines beyond it are
/// refused so that a peer cannot make us allocate without bound; it leaves room for the
/// full tag budget plus servers that raise `LINELEN`.
pub const MAX_INPUT_LEN: usize = 16_384;

/// A half-open byte range into the message buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u16,
    pub(crate) end: u16,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Callers only pass offsets inside a buffer of at most MAX_INPUT_LEN bytes.
        Span {
            start: start as u16,
            end: end as u16,
        }
    }

    pub(crate) fn get(self, buf: &str) -> &str {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// One IRC message: optional tags and source, a command, up to 15 parameters.
///
/// Made by [`Message::parse`] or by the [`Builder`](crate::Builder) that
/// [`Message::new`] returns; shown on the wire by its [`Display`](fmt::Display)
/// implementation (without CRLF). Two messages are equal when their tags, source, command
/// and parameters are, however they were spelled on the wire.
#[derive(Clone)]
pub struct Message {
    buf: String,
    tags_end: u16,
    source: Option<Span>,
    command: Span,
    params: [Span; MAX_PARAMS],
    nparams: u8,
    trailing: bool,
    /// The buffer after the tags is exactly what `Display` would write (single spaces,
    /// no trailing space), so it can be written in one piece.
    canonical: bool,
}

fn strip_line_ending(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Whether `cmd` is a valid command: ASCII letters, or exactly three ASCII digits
/// (<https://modern.ircdocs.horse/#command>).
pub fn is_valid_command(cmd: &str) -> bool {
    let b = cmd.as_bytes();
    !b.is_empty()
        && (b.iter().all(u8::is_ascii_alphabetic)
            || (b.len() == 3 && b.iter().all(u8::is_ascii_digit)))
}

fn find_space(s: &str, from: usize) -> usize {
    let b = s.as_bytes();
    b.get(from..)
        .and_then(|rest| rest.iter().position(|&c| c == b' '))
        .map_or(b.len(), |p| from + p)
}

/// Offset of the first NUL, CR or LF in `line`. The common case (none) is checked eight
/// bytes at a time; only a hit pays for a second, exact scan.
fn find_forbidden(line: &str) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Non-zero when some byte of `x` is zero (the classic "has zero byte" test).
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let b = line.as_bytes();
    let mut chunks = b.chunks_exact(8);
    let mut hit = false;
    for c in &mut chunks {
        let Ok(arr) = <[u8; 8]>::try_from(c) else {
            continue;
        };
        let w = u64::from_le_bytes(arr);
        if zero(w) | zero(w ^ (LO * u64::from(b'\r'))) | zero(w ^ (LO * u64::from(b'\n'))) != 0 {
            hit = true;
            break;
        }
    }
    if !hit
        && !chunks
            .remainder()
            .iter()
            .any(|&c| matches!(c, 0 | b'\r' | b'\n'))
    {
        return None;
    }
    b.iter().position(|&c| matches!(c, 0 | b'\r' | b'\n'))
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

impl Message {
    /// Parses one IRC line. A trailing `"\r\n"` or `"\n"` is ignored.
    ///
    /// Accepts runs of spaces between parts and an empty trailing parameter; tag values
    /// are unescaped. Fails with a [`ParseError`] saying what is wrong when the line is
    /// empty, only tags, has a malformed tag, an empty source, no or an invalid command,
    /// more than 15 parameters, a NUL/CR/LF inside, or more than
    /// [`MAX_INPUT_LEN`] bytes. Never panics. Grammar:
    /// <https://modern.ircdocs.horse/#messages> and
    /// <https://ircv3.net/specs/extensions/message-tags>.
    pub fn parse(line: &str) -> Result<Message, ParseError> {
        let line = strip_line_ending(line);
        if line.len() > MAX_INPUT_LEN {
            return Err(ParseError::TooLong {
                len: line.len(),
                max: MAX_INPUT_LEN,
            });
        }
        if let Some(offset) = find_forbidden(line) {
            return Err(ParseError::ForbiddenByte {
                byte: line.as_bytes()[offset],
                offset,
            });
        }
        let mut buf = String::with_capacity(line.len());
        let rest = match line.strip_prefix('@') {
            Some(after) => {
                let (raw, rest) = after.split_once(' ').ok_or(ParseError::OnlyTags)?;
                parse_tags(raw, &mut buf)?;
                rest
            }
            None => line,
        };
        let tags_end = buf.len();
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return Err(if tags_end > 0 {
                ParseError::OnlyTags
            } else {
                ParseError::Empty
            });
        }
        buf.push_str(rest);
        let mut msg = Message {
            buf,
            tags_end: tags_end as u16,
            source: None,
            command: Span::default(),
            params: [Span::default(); MAX_PARAMS],
            nparams: 0,
            trailing: false,
            canonical: false,
        };
        msg.parse_rest(tags_end)?;
        Ok(msg)
    }

    /// Parses raw line bytes: [`decode`](crate::decode()) (UTF-8, else CP1252 per byte)
    /// then [`Message::parse`]. Fails only as `parse` does.
    pub fn parse_bytes(line: &[u8]) -> Result<Message, ParseError> {
        Message::parse(&crate::decode(line))
    }

    fn parse_rest(&mut self, base: usize) -> Result<(), ParseError> {
        let s = self.buf.as_str();
        let b = s.as_bytes();
        let mut i = base;
        if b.get(i) == Some(&b':') {
            let end = find_space(s, i + 1);
            if end == i + 1 {
                return Err(ParseError::EmptySource);
            }
            self.source = Some(Span::new(i + 1, end));
            i = skip_spaces(b, end);
        }
        if i >= b.len() {
            return Err(ParseError::NoCommand);
        }
        let end = find_space(s, i);
        if !is_valid_command(s.get(i..end).unwrap_or_default()) {
            return Err(ParseError::InvalidCommand);
        }
        self.command = Span::new(i, end);
        i = end;
        let mut n = 0;
        loop {
            i = skip_spaces(b, i);
            if i >= b.len() {
                break;
            }
            if n == MAX_PARAMS {
                return Err(ParseError::TooManyParams);
            }
            if b[i] == b':' {
                self.params[n] = Span::new(i + 1, b.len());
                self.trailing = true;
                n += 1;
                break;
            }
            let end = find_space(s, i);
            self.params[n] = Span::new(i, end);
            n += 1;
            i = end;
        }
        self.nparams = n as u8;
        let len = |s: Span| usize::from(s.end - s.start);
        let formatted = self.source.map_or(0, |s| len(s) + 2)
            + len(self.command)
            + self.params[..n].iter().map(|&p| 1 + len(p)).sum::<usize>()
            + usize::from(self.trailing);
        self.canonical = formatted == b.len() - base;
        Ok(())
    }

    /// Tags as `(key, value)` in wire order, values unescaped; `None` for a tag sent
    /// without `=`, `Some("")` for one sent as `key=`. A key sent twice appears once,
    /// with its last value (<https://ircv3.net/specs/extensions/message-tags>).
    pub fn tags(&self) -> Tags<'_> {
        Tags::new(self.buf.get(..self.tags_end as usize).unwrap_or_default())
    }

    /// The tag `key`: `None` when absent, `Some(None)` when present without a value,
    /// `Some(Some(v))` with its unescaped value.
    pub fn tag(&self, key: &str) -> Option<Option<&str>> {
        self.tags().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The value of tag `key`, `None` when it is absent or has no value; an empty value
    /// counts as no value, as the spec asks
    /// (<https://ircv3.net/specs/extensions/message-tags#format>).
    pub fn tag_value(&self, key: &str) -> Option<&str> {
        self.tag(key).flatten().filter(|v| !v.is_empty())
    }

    /// Whether the message carries any tag.
    pub fn has_tags(&self) -> bool {
        self.tags_end > 0
    }

    /// The source (prefix) without its leading `:`, e.g. `nick!user@host` or a server
    /// name (<https://modern.ircdocs.horse/#source>).
    pub fn source(&self) -> Option<&str> {
        self.source.map(|s| s.get(&self.buf))
    }

    /// The source split into nick, user and host, see [`Source::parse`].
    pub fn source_parts(&self) -> Option<Source<'_>> {
        self.source().map(Source::parse)
    }

    /// The nick (or server name) part of the source.
    pub fn source_nick(&self) -> Option<&str> {
        self.source_parts().map(|s| s.nick())
    }

    /// The command as sent: letters in the case received, numerics as three digits
    /// (<https://modern.ircdocs.horse/#command>).
    pub fn command(&self) -> &str {
        self.command.get(&self.buf)
    }

    /// The parameters, the trailing one without its `:`. The returned [`Params`] is an
    /// iterator and can also be indexed (`params()[0]`) and measured (`len()`).
    pub fn params(&self) -> Params<'_> {
        let n = (self.nparams as usize).min(MAX_PARAMS);
        Params::new(&self.buf, &self.params[..n])
    }

    /// Parameter `i` (zero-based), if there is one.
    pub fn param(&self, i: usize) -> Option<&str> {
        self.params().get(i)
    }

    /// The last parameter, usually the text of a PRIVMSG or a numeric's message.
    pub fn last_param(&self) -> Option<&str> {
        self.params().last()
    }

    /// The CTCP message carried by a PRIVMSG (query) or NOTICE (reply), if its text is
    /// one (<https://modern.ircdocs.horse/ctcp>).
    pub fn ctcp(&self) -> Option<crate::Ctcp<'_>> {
        let cmd = self.command();
        if !(cmd.eq_ignore_ascii_case("PRIVMSG") || cmd.eq_ignore_ascii_case("NOTICE")) {
            return None;
        }
        self.param(1).and_then(crate::Ctcp::parse)
    }

    /// Whether the last parameter was sent (or built) in the `:trailing` form.
    pub fn has_trailing(&self) -> bool {
        self.trailing
    }

    /// Bytes this message takes on the wire as `(tag section, rest)`: the tag section
    /// counts `@` and the space after it (0 when there are no tags); the rest counts
    /// source, command and parameters but not CRLF.
    pub fn wire_len(&self) -> (usize, usize) {
        let mut tags_len = 0;
        for (k, v) in self.tags() {
            tags_len += 1 + k.len() + v.map_or(0, |v| 1 + tags::escaped_len(v));
        }
        if tags_len > 0 {
            tags_len += 1; // '@' replaces the first ';', plus the space after
        }
        let mut rest = self.source().map_or(0, |s| s.len() + 2) + self.command().len();
        let params = self.params();
        let n = params.len();
        for (i, p) in params.enumerate() {
            rest += 1 + p.len() + usize::from(i + 1 == n && self.needs_colon(p));
        }
        (tags_len, rest)
    }

    /// Checks that the message fits the line limits when sent: at most `max_line` bytes
    /// for source, command, parameters and CRLF (512 by default, see [`MAX_LINE_LEN`]),
    /// and at most [`MAX_TAGS_LEN`] bytes of tags
    /// (<https://modern.ircdocs.horse/#message-format>,
    /// <https://ircv3.net/specs/extensions/message-tags#size-limit>).
    pub fn check_length(&self, max_line: usize) -> Result<(), LengthError> {
        let (tags_len, rest) = self.wire_len();
        if tags_len > MAX_TAGS_LEN {
            return Err(LengthError::Tags {
                len: tags_len,
                max: MAX_TAGS_LEN,
            });
        }
        if rest + 2 > max_line {
            return Err(LengthError::Line {
                len: rest + 2,
                max: max_line,
            });
        }
        Ok(())
    }

    /// The wire line without CRLF, as [`Display`](fmt::Display) writes it, into a string
    /// allocated once at its final size.
    #[allow(clippy::inherent_to_string_shadow_display)] // same output, pre-sized
    pub fn to_string(&self) -> String {
        use fmt::Write;
        let (tags_len, rest_len) = self.wire_len();
        let mut s = String::with_capacity(tags_len + rest_len);
        // Writing into a String cannot fail.
        let _ = write!(s, "{self}");
        s
    }

    fn needs_colon(&self, last: &str) -> bool {
        self.trailing || needs_colon(last)
    }
}

/// Whether a last parameter must be sent in the `:trailing` form: it is empty, holds a
/// space or starts with `:` (<https://modern.ircdocs.horse/#parameters>).
pub fn needs_colon(param: &str) -> bool {
    param.is_empty() || param.starts_with(':') || param.contains(' ')
}

fn parse_tags(raw: &str, buf: &mut String) -> Result<(), ParseError> {
    if raw.is_empty() {
        return Err(ParseError::BadTag("empty tag section"));
    }
    let mut w = RegionWriter::new();
    for item in raw.split(';') {
        if item.is_empty() {
            // `@a;;b` and a trailing `;` are tolerated, as most servers' parsers do.
            continue;
        }
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        if !tags::is_valid_key(key) {
            return Err(ParseError::BadTag(if key.is_empty() {
                "empty key"
            } else {
                "invalid character in key"
            }));
        }
        w.push(buf, key, value, true);
    }
    if buf.is_empty() {
        return Err(ParseError::BadTag("empty tag section"));
    }
    let end = buf.len();
    w.finish(buf, end);
    Ok(())
}

impl fmt::Display for Message {
    /// Writes the message as a wire line without CRLF: tags escaped, the last parameter
    /// with `:` when it was received that way or needs it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v) in self.tags() {
            f.write_str(if first { "@" } else { ";" })?;
            first = false;
            f.write_str(k)?;
            if let Some(v) = v {
                f.write_str("=")?;
                tags::write_escaped(f, v)?;
            }
        }
        if !first {
            f.write_str(" ")?;
        }
        if self.canonical {
            return f.write_str(self.buf.get(self.tags_end as usize..).unwrap_or_default());
        }
        if let Some(s) = self.source() {
            f.write_str(":")?;
            f.write_str(s)?;
            f.write_str(" ")?;
        }
        f.write_str(self.command())?;
        let params = self.params();
        let n = params.len();
        for (i, p) in params.enumerate() {
            f.write_str(if i + 1 == n && self.needs_colon(p) {
                " :"
            } else {
                " "
            })?;
            f.write_str(p)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("tags", &self.tags().collect::<Vec<_>>())
            .field("source", &self.source())
            .field("command", &self.command())
            .field("params", &self.params().collect::<Vec<_>>())
            .finish()
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.command() == other.command()
            && self.source() == other.source()
            && self.params().eq(other.params())
            && self.tags().eq(other.tags())
    }
}

impl Eq for Message {}

impl std::str::FromStr for Message {
    type Err = ParseError;

    /// Same as [`Message::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Message::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_bytes_found_at_every_offset() {
        for len in 0..40 {
            let clean = "a".repeat(len);
            assert_eq!(find_forbidden(&clean), None);
            for at in 0..len {
                for bad in ['\0', '\r', '\n'] {
                    let mut s = clean.clone();
                    s.replace_range(at..at + 1, &bad.to_string());
                    assert_eq!(find_forbidden(&s), Some(at), "{s:?}");
                }
            }
        }
        // Bytes near the forbidden ones must not trip the word test.
        assert_eq!(
            find_forbidden("\x01\x0b\x0c\x0e\x09\u{ff}\u{10ffff}é€"),
            None
        );
    }
}
