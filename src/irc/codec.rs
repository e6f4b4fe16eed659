//! Framing of the IRC byte stream: lines end in LF (CR before it is dropped), are decoded
//! as UTF-8 with a CP1252 fallback, and are bounded so a hostile server cannot make us
//! buffer without limit: an over-long line is cut at the limit and the rest discarded.

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Most bytes of one incoming line we keep: 8191 bytes of tags plus 512 of message.
pub const MAX_LINE: usize = 8191 + 512;

/// A line codec for IRC. Counts lines it had to cut.
#[derive(Debug, Default)]
pub struct LineCodec {
    /// Bytes of the current over-long line still to discard.
    discarding: bool,
    /// How many lines were cut because they were too long.
    pub cut: u64,
    /// Where to continue looking for LF in the buffer.
    scanned: usize,
}

impl Decoder for LineCodec {
    type Item = String;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<String>, Self::Error> {
        loop {
            let newline = buf[self.scanned..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| i + self.scanned);
            match newline {
                Some(end) => {
                    self.scanned = 0;
                    let line = buf.split_to(end + 1);
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    let mut bytes = &line[..end];
                    if bytes.last() == Some(&b'\r') {
                        bytes = &bytes[..bytes.len() - 1];
                    }
                    if bytes.is_empty() {
                        continue;
                    }
                    if bytes.len() > MAX_LINE {
                        self.cut += 1;
                        return Ok(Some(cut_line(&bytes[..MAX_LINE])));
                    }
                    return Ok(Some(irc_proto::decode(bytes).into_owned()));
                }
                None if buf.len() > MAX_LINE => {
                    if self.discarding {
                        buf.clear();
                        self.scanned = 0;
                        return Ok(None);
                    }
                    // Keep the first MAX_LINE bytes as the line; drop the rest up to LF.
                    let line = buf.split_to(MAX_LINE);
                    self.discarding = true;
                    self.cut += 1;
                    self.scanned = 0;
                    return Ok(Some(cut_line(&line)));
                }
                None => {
                    self.scanned = buf.len();
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<String>, Self::Error> {
        match self.decode(buf)? {
            Some(line) => Ok(Some(line)),
            None => {
                // A last line without LF still counts.
                if buf.is_empty() || self.discarding {
                    buf.clear();
                    return Ok(None);
                }
                let rest = buf.split_to(buf.len());
                let text = irc_proto::decode(rest.chunk())
                    .trim_end_matches('\r')
                    .to_string();
                Ok((!text.is_empty()).then_some(text))
            }
        }
    }
}

/// Decodes a line cut at the limit, dropping a UTF-8 sequence the cut split.
fn cut_line(bytes: &[u8]) -> String {
    let mut keep = bytes;
    for _ in 0..3 {
        match std::str::from_utf8(keep) {
            Err(e) if e.error_len().is_none() => keep = &keep[..e.valid_up_to()],
            _ => break,
        }
    }
    irc_proto::decode(keep).into_owned()
}

impl<T: AsRef<str>> Encoder<T> for LineCodec {
    type Error = std::io::Error;

    fn encode(&mut self, line: T, buf: &mut BytesMut) -> Result<(), Self::Error> {
        let line = line.as_ref();
        // A line with CR or LF inside would let text inject commands; NUL ends a line for
        // some servers (and is never valid in IRC), so it is dropped too.
        let line = line.split(['\r', '\n']).next().unwrap_or("");
        buf.reserve(line.len() + 2);
        if line.contains('\0') {
            buf.extend(line.bytes().filter(|b| *b != 0));
        } else {
            buf.extend_from_slice(line.as_bytes());
        }
        buf.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> (Vec<String>, u64) {
        let mut c = LineCodec::default();
        let mut buf = BytesMut::from(input);
        let mut out = vec![];
        while let Some(l) = c.decode(&mut buf).expect("decode") {
            out.push(l);
        }
        if let Some(l) = c.decode_eof(&mut buf).expect("eof") {
            out.push(l);
        }
        (out, c.cut)
    }

    #[test]
    fn splits_lines() {
        let (l, cut) = lines(b"PING :a\r\n\r\n:s 001 me :hi\nlast");
        assert_eq!(l, vec!["PING :a", ":s 001 me :hi", "last"]);
        assert_eq!(cut, 0);
    }

    #[test]
    fn latin1_fallback() {
        let (l, _) = lines(b"PRIVMSG #c :caf\xe9\r\n");
        assert_eq!(l, vec!["PRIVMSG #c :café"]);
    }

    #[test]
    fn cuts_overlong_lines() {
        let mut input = b"PRIVMSG #c :".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE * 3));
        input.extend_from_slice(b"\r\nPING :ok\r\n");
        let (l, cut) = lines(&input);
        assert_eq!(cut, 1);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].len(), MAX_LINE);
        assert_eq!(l[1], "PING :ok");
    }

    #[test]
    fn encoder_drops_injected_lines() {
        let mut c = LineCodec::default();
        let mut buf = BytesMut::new();
        c.encode("PRIVMSG #c :hi\r\nQUIT", &mut buf)
            .expect("encode");
        assert_eq!(&buf[..], b"PRIVMSG #c :hi\r\n");
        buf.clear();
        c.encode("PRIVMSG #c :a\0b", &mut buf).expect("encode");
        assert_eq!(&buf[..], b"PRIVMSG #c :ab\r\n");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Bytes a hostile server could send: IRC-ish lines, long runs, CR/LF/NUL, invalid UTF-8.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                "[ -~]{0,40}\r?\n".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..64),
                (1usize..3 * MAX_LINE).prop_map(|n| vec![b'x'; n]),
                Just(b"\r\n\0\n".to_vec()),
            ],
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    fn decode_in(input: &[u8], cuts: &[usize]) -> Vec<String> {
        let mut c = LineCodec::default();
        let mut buf = BytesMut::new();
        let mut out = vec![];
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            let end = cut.clamp(at, input.len());
            buf.extend_from_slice(&input[at..end]);
            at = end;
            while let Some(l) = c.decode(&mut buf).expect("decode never fails") {
                out.push(l);
            }
        }
        if let Some(l) = c.decode_eof(&mut buf).expect("eof never fails") {
            out.push(l);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Lines are bounded, never hold a line break, and do not depend on how the bytes
        /// were split into reads.
        #[test]
        fn decoding_is_bounded_and_split_independent(
            input in stream(),
            mut cuts in prop::collection::vec(any::<usize>(), 0..8),
        ) {
            let whole = decode_in(&input, &[]);
            for l in &whole {
                prop_assert!(!l.contains('\n'));
                // CP1252 fallback can widen bytes into multi-byte chars: bound by chars.
                prop_assert!(l.chars().count() <= MAX_LINE);
            }
            let len = input.len().max(1);
            cuts.iter_mut().for_each(|c| *c %= len);
            cuts.sort_unstable();
            prop_assert_eq!(decode_in(&input, &cuts), whole);
        }

        /// Whatever text goes out, it is one line without CR, LF or NUL.
        #[test]
        fn encoding_makes_one_clean_line(text in any::<String>()) {
            let mut c = LineCodec::default();
            let mut buf = BytesMut::new();
            c.encode(&text, &mut buf).expect("encode");
            let body = &buf[..buf.len() - 2];
            prop_assert!(buf.ends_with(b"\r\n"));
            prop_assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
        }
    }
}
