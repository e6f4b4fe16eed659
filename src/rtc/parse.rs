//! Incoming RTCZ (docs/rtcz.md §2.1, §2.2, §2.4 step 1): finds the CTCP in a NOTICE text the way
//! Parse::IRC does and splits its body. Strict where Convos was lenient (D2).

use super::{Error, Kind, MAX_LINE};

/// An RTCZ message found in a NOTICE text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `CALL` (any case), meant for the conversation named by the NOTICE target.
    Call,
    /// `HANGUP` (any case).
    Hangup,
    /// One chunk of an `OFR`/`ANS`/`ICE` signal; feed it to [`super::Reassembler::push`].
    Chunk(Chunk),
}

/// One `<KIND> <i>/<n> <conv> <chunk>` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Which signal this is part of.
    pub kind: Kind,
    /// 0-based chunk number (saturates on absurd numbers).
    pub index: usize,
    /// Number of the last chunk (`chunk count - 1`).
    pub last: usize,
    /// The conversation name as the *sender* calls it (the channel, or our own nick in a
    /// private chat): map it before use (D6) and never create a conversation from it (D3).
    pub conversation: String,
    /// This chunk's slice of the base64 payload; only base64 characters.
    pub data: String,
}

/// Finds an RTCZ CTCP in the text of a `NOTICE` (a CTCP reply).
///
/// Returns `Ok(None)` when the text holds no CTCP or another CTCP than `RTCZ` (any case),
/// so the caller handles it as usual. A missing closing `\x01` is accepted. Fails with
/// [`Error::Malformed`], [`Error::UnknownCommand`] or [`Error::Base64`] for an RTCZ CTCP
/// that is not one of ours; such a NOTICE should be dropped, not shown.
pub fn parse(text: &str) -> Result<Option<Body>, Error> {
    if !text.contains('\x01') {
        return Ok(None);
    }
    let text = low_dequote(text);
    let Some((_, after)) = text.split_once('\x01') else {
        return Ok(None);
    };
    let ctcp = ctcp_dequote(after.split('\x01').next().unwrap_or_default());
    let word_end = ctcp.find(|c: char| !is_word(c)).unwrap_or(ctcp.len());
    let (word, rest) = ctcp.split_at(word_end);
    if !word.eq_ignore_ascii_case("RTCZ") {
        return Ok(None);
    }
    let body = rest.trim_start_matches(' ');
    if body.len() == rest.len() || body.is_empty() {
        return Err(Error::Malformed);
    }
    if let Some(chunk) = chunk(body)? {
        return Ok(Some(Body::Chunk(chunk)));
    }
    if !body.chars().all(is_word) {
        return Err(Error::Malformed);
    }
    if body.eq_ignore_ascii_case("CALL") {
        Ok(Some(Body::Call))
    } else if body.eq_ignore_ascii_case("HANGUP") {
        Ok(Some(Body::Hangup))
    } else {
        Err(Error::UnknownCommand(body.chars().take(32).collect()))
    }
}

/// `^(ANS|ICE|OFR)\s(\d+)/(\d+)\s(\S+)\s(.+)`; `Ok(None)` when it does not match.
fn chunk(body: &str) -> Result<Option<Chunk>, Error> {
    let kind = match body.get(..3) {
        Some("OFR") => Kind::Offer,
        Some("ANS") => Kind::Answer,
        Some("ICE") => Kind::Ice,
        _ => return Ok(None),
    };
    split_chunk(kind, &body[3..]).map(validate).transpose()
}

/// The fields after the kind: ` <i>/<n> <conv> <data>`.
fn split_chunk(kind: Kind, text: &str) -> Option<Chunk> {
    let text = text.strip_prefix(is_space)?;
    let (index, text) = digits(text)?;
    let (last, text) = digits(text.strip_prefix('/')?)?;
    let text = text.strip_prefix(is_space)?;
    let conversation_end = text.find(is_space).unwrap_or(text.len());
    let (conversation, text) = text.split_at(conversation_end);
    let data = text.strip_prefix(is_space)?;
    if conversation.is_empty() || conversation.contains(char::is_control) || data.is_empty() {
        return None;
    }
    Some(Chunk {
        kind,
        index,
        last,
        conversation: conversation.to_owned(),
        data: data.to_owned(),
    })
}

fn validate(chunk: Chunk) -> Result<Chunk, Error> {
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    if chunk.data.len() > MAX_LINE || !chunk.data.bytes().all(base64) {
        return Err(Error::Base64);
    }
    Ok(chunk)
}

fn digits(text: &str) -> Option<(usize, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at(end);
    if digits.is_empty() {
        return None;
    }
    Some((digits.parse().unwrap_or(usize::MAX), rest))
}

/// Perl's `\s`.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Perl's `\w`, near enough.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// CTCP low-level dequoting: `\x10` + `n`/`r`/`0`/`\x10`.
fn low_dequote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x10' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// CTCP-level dequoting: `\a` is `\x01`, `\` + any other character is that character.
fn ctcp_dequote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a') => out.push('\x01'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: Kind, index: usize, last: usize, conversation: &str, data: &str) -> Body {
        Body::Chunk(Chunk {
            kind,
            index,
            last,
            conversation: conversation.into(),
            data: data.into(),
        })
    }

    #[test]
    fn texts() {
        let cases: Vec<(&str, Result<Option<Body>, Error>)> = vec![
            ("hello", Ok(None)),
            ("\x01VERSION\x01", Ok(None)),
            ("\x01RTCZX CALL\x01", Ok(None)),
            ("\x01\x01", Ok(None)),
            ("\x01RTCZ CALL\x01", Ok(Some(Body::Call))),
            ("\x01rtcz call\x01", Ok(Some(Body::Call))),
            ("\x01RTCZ   HANGUP\x01", Ok(Some(Body::Hangup))),
            ("\x01RTCZ CALL", Ok(Some(Body::Call))),
            ("hi \x01RTCZ HANGUP\x01 there", Ok(Some(Body::Hangup))),
            ("\x01RTCZ CALL\x01\x01RTCZ HANGUP\x01", Ok(Some(Body::Call))),
            ("\x01RTCZ CA\\LL\x01", Ok(Some(Body::Call))),
            ("\x01RTCZ\x01", Err(Error::Malformed)),
            ("\x01RTCZ \x01", Err(Error::Malformed)),
            ("\x01RTCZ:CALL\x01", Err(Error::Malformed)),
            ("\x01RTCZ CALL \x01", Err(Error::Malformed)),
            ("\x01RTCZ FOO\x01", Err(Error::UnknownCommand("FOO".into()))),
            ("\x01RTCZ OFR\x01", Err(Error::UnknownCommand("OFR".into()))),
            ("\x01RTCZ ofr 0/0 #c QUJD\x01", Err(Error::Malformed)),
            ("\x01RTCZ OFR 0/0 #c\x01", Err(Error::Malformed)),
            ("\x01RTCZ OFR 0-0 #c QUJD\x01", Err(Error::Malformed)),
            ("\x01RTCZ OFR 0/0 #c QU JD\x01", Err(Error::Base64)),
            ("\x01RTCZ OFR 0/0 #c QUJD!\x01", Err(Error::Base64)),
            (
                "\x01RTCZ OFR 0/2 #convos QUJD\x01",
                Ok(Some(chunk(Kind::Offer, 0, 2, "#convos", "QUJD"))),
            ),
            (
                "\x01RTCZ ANS 12/20 bob Q=\x01",
                Ok(Some(chunk(Kind::Answer, 12, 20, "bob", "Q="))),
            ),
            (
                "\x01RTCZ ICE\t1/1\tbob\tQUJD",
                Ok(Some(chunk(Kind::Ice, 1, 1, "bob", "QUJD"))),
            ),
            (
                "\x01RTCZ ICE 0/0 a\\\\b QUJD\x01",
                Ok(Some(chunk(Kind::Ice, 0, 0, "a\\b", "QUJD"))),
            ),
            ("\x01RTCZ ICE 0/0 \\a QUJD\x01", Err(Error::Malformed)),
            ("\x01RTCZ ICE 0/0 #c QU\x10nJD\x01", Err(Error::Base64)),
            (
                "\x01RTCZ ICE 99999999999999999999999/0 #c QUJD\x01",
                Ok(Some(chunk(Kind::Ice, usize::MAX, 0, "#c", "QUJD"))),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text:?}");
        }
        let long = format!("\x01RTCZ ICE 0/0 #c {}\x01", "A".repeat(MAX_LINE + 1));
        assert_eq!(parse(&long), Err(Error::Base64));
    }

    #[test]
    fn dequoting() {
        assert_eq!(
            low_dequote("a\x10n\x10r\x100\x10\x10\x10x\x10"),
            "a\n\r\0\x10x"
        );
        assert_eq!(ctcp_dequote("\\a\\\\\\x\\"), "\x01\\x\\");
    }
}
