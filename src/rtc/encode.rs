//! Outgoing RTCZ (docs/rtcz.md §2.1–§2.3): CALL/HANGUP lines, and signals as chunked
//! `base64(gzip(data))` whose every line fits 512 bytes once relayed (D4).

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::{
    sdp_abbreviate, Broadcast, Error, Notice, Signal, MAX_CHUNK, MAX_CHUNKS, MAX_LINE, MAX_PAYLOAD,
    MIN_CHUNK,
};

/// Bytes of a relayed RTCZ chunk line besides prefix, target, conversation, `i/n` and
/// chunk: `":" P " NOTICE " T " :\x01RTCZ KIND " i/n " " C " " chunk "\x01\r\n"`.
const CHUNK_LINE_OVERHEAD: usize = MAX_LINE - 486;
/// Longest `i/n` (`20/20`).
const MAX_INDEX_LEN: usize = 5;
/// Safety margin of docs/rtcz.md D4.
const MARGIN: usize = 8;

/// The relayed prefix length (`nick!user@host`, no `:`) to assume for our own `nick` when the
/// server has not shown us our user and host: a 10-byte user and a 63-byte host.
pub fn fallback_prefix_len(nick: &str) -> usize {
    nick.len() + 1 + 10 + 1 + 63
}

/// How many base64 characters fit in one chunk line to `target` about `conversation`
/// when the server relays it with a `prefix_len`-byte prefix:
/// `min(400, 486 - P - T - C - 5 - 8)`, zero when nothing fits (docs/rtcz.md D4).
pub fn chunk_len(prefix_len: usize, target: &str, conversation: &str) -> usize {
    let used = CHUNK_LINE_OVERHEAD
        .saturating_add(prefix_len)
        .saturating_add(target.len())
        .saturating_add(conversation.len())
        .saturating_add(MAX_INDEX_LEN + MARGIN);
    MAX_LINE.saturating_sub(used).min(MAX_CHUNK)
}

/// The `CALL`/`HANGUP` notice to everyone in `conversation` (a channel, or the peer's nick
/// in a private chat): `NOTICE <conversation> :\x01RTCZ CALL\x01`.
///
/// Fails with [`Error::InvalidName`] for a name that would break the line, and
/// [`Error::NoRoom`] when the relayed line would not fit with a `prefix_len`-byte prefix.
pub fn broadcast(
    command: Broadcast,
    conversation: &str,
    prefix_len: usize,
) -> Result<Notice, Error> {
    check_name(conversation, "conversation")?;
    let notice = Notice {
        target: conversation.to_owned(),
        text: format!("\x01RTCZ {}\x01", command.command()),
    };
    // ":" prefix " " line CRLF
    if prefix_len.saturating_add(notice.line().len() + 4) > MAX_LINE {
        return Err(Error::NoRoom(0));
    }
    Ok(notice)
}

/// The notices carrying `signal` to the nick `peer`, tagged with `conversation` (the name
/// our side uses: the channel, or `peer` itself in a private chat), in sending order.
///
/// SDPs are sent whole with only the lossless abbreviations ([`sdp_abbreviate`], D11).
/// Each line fits [`MAX_LINE`] bytes once the server prefixes it with a `prefix_len`-byte
/// `nick!user@host` (see [`fallback_prefix_len`], [`super::DEFAULT_PREFIX_LEN`]).
///
/// Fails with [`Error::InvalidName`], [`Error::InputTooLarge`] (SDP over 64 KiB, candidate
/// over 2 KiB), [`Error::NoRoom`] (chunks under 64 characters) or [`Error::TooManyChunks`].
pub fn encode(
    signal: &Signal,
    conversation: &str,
    peer: &str,
    prefix_len: usize,
) -> Result<Vec<Notice>, Error> {
    check_name(peer, "target")?;
    check_name(conversation, "conversation")?;
    let data = match signal {
        Signal::Offer { sdp } | Signal::Answer { sdp } => {
            if sdp.len() > MAX_PAYLOAD {
                return Err(Error::InputTooLarge(sdp.len()));
            }
            sdp_abbreviate(sdp)
        }
        Signal::Ice(candidate) => candidate.to_form()?,
    };
    // Receivers undo CTCP backslash quoting (docs/rtcz.md §2.1), so a `\` in a nick must be sent
    // doubled or it would vanish; Convos itself never quoted it.
    let conversation = conversation.replace('\\', "\\\\");
    let size = chunk_len(prefix_len, peer, &conversation);
    if size < MIN_CHUNK {
        return Err(Error::NoRoom(size));
    }
    let payload = pack(data.as_bytes());
    let chunks: Vec<&[u8]> = payload.as_bytes().chunks(size).collect();
    if chunks.len() > MAX_CHUNKS {
        return Err(Error::TooManyChunks(chunks.len()));
    }
    let last = chunks.len().saturating_sub(1);
    let command = signal.kind().command();
    Ok(chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| Notice {
            target: peer.to_owned(),
            text: format!(
                "\x01RTCZ {command} {index}/{last} {conversation} {}\x01",
                String::from_utf8_lossy(chunk)
            ),
        })
        .collect())
}

/// `base64(gzip(data))`: one gzip member, deflate level 6 as Perl writes it.
pub(crate) fn pack(data: &[u8]) -> String {
    let mut gzip = GzEncoder::new(Vec::with_capacity(data.len() / 2 + 32), Compression::new(6));
    gzip.write_all(data).expect("writing to a Vec cannot fail");
    STANDARD.encode(gzip.finish().expect("writing to a Vec cannot fail"))
}

/// A target or conversation name must not end the word or the line early, add a second
/// target, or look like a trailing parameter (D8).
fn check_name(name: &str, what: &'static str) -> Result<(), Error> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == ',';
    if name.is_empty() || name.starts_with(':') || name.contains(bad) {
        return Err(Error::InvalidName(what));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_len_matches_the_table_of_d4() {
        // (P, T, C) from docs/rtcz.md D4; ours subtracts the worst-case i/n and the margin.
        let cases = [
            (
                "superwoman!sg@example.com".len(),
                "superman",
                "#convos",
                400,
            ),
            (91, &"n".repeat(16)[..], &"#".repeat(50)[..], 324 - 8),
            (105, &"n".repeat(30)[..], &"#".repeat(64)[..], 282 - 8),
            (470, "t", "c", 1),
            (480, "t", "c", 0),
            (usize::MAX, "t", "c", 0),
        ];
        for (prefix, target, conversation, want) in cases {
            assert_eq!(chunk_len(prefix, target, conversation), want, "{prefix}");
        }
        assert_eq!(
            fallback_prefix_len(&"n".repeat(30)),
            super::super::DEFAULT_PREFIX_LEN
        );
    }

    #[test]
    fn names_that_would_break_the_line_are_refused() {
        let signal = Signal::Answer { sdp: "v=0".into() };
        for bad in ["", "a b", "a\r\nQUIT", "a,b", ":a", "a\x01", "a\0", "a\tb"] {
            assert_eq!(
                encode(&signal, "#c", bad, 30),
                Err(Error::InvalidName("target")),
                "{bad:?}"
            );
            assert_eq!(
                encode(&signal, bad, "bob", 30),
                Err(Error::InvalidName("conversation")),
                "{bad:?}"
            );
            assert_eq!(
                broadcast(Broadcast::Call, bad, 30),
                Err(Error::InvalidName("conversation"))
            );
        }
    }

    #[test]
    fn too_little_room_or_too_many_chunks_is_refused() {
        let signal = Signal::Offer { sdp: "v=0".into() };
        let long = "#".repeat(330);
        assert_eq!(encode(&signal, &long, "bob", 105), Err(Error::NoRoom(35)));
        assert_eq!(
            broadcast(Broadcast::Hangup, &long, 200),
            Err(Error::NoRoom(0))
        );
        // Incompressible: hex of a simple PRNG, ~16 kB of base64 after gzip.
        let mut x: u64 = 1;
        let noise: String = (0..12_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b"0123456789abcdef"[(x % 16) as usize])
            })
            .collect();
        let signal = Signal::Offer {
            sdp: format!("v=0\r\na={noise}\r\n"),
        };
        assert!(matches!(
            encode(&signal, "#c", "bob", 30),
            Err(Error::TooManyChunks(n)) if n > MAX_CHUNKS
        ));
        let huge = Signal::Offer {
            sdp: "v".repeat(MAX_PAYLOAD + 1),
        };
        assert_eq!(
            encode(&huge, "#c", "bob", 30),
            Err(Error::InputTooLarge(MAX_PAYLOAD + 1))
        );
    }
}
