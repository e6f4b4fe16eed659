//! SDP compaction (docs/rtcz.md §3.1, §3.2): Convos's lossy `sdp_encode`, its `sdp_decode`,
//! and our lossless [`sdp_abbreviate`] (D11).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Convos 4.08's `sdp_encode`, byte for byte: drops `a=ssrc*`, `a=extmap:<digit>`,
/// `a=fmtp:<digit>` and `a=rtcp-fb:<digit>` lines, abbreviates fingerprints (`F!`), DTMF
/// (`T!`), `a=rtpmap:` (`R!`) and `a=ice-` (`I!`), and joins with `\n`.
///
/// Lossy (D11): kept for the test vectors and for reference; [`super::encode`] sends
/// [`sdp_abbreviate`] instead.
pub fn sdp_encode(sdp: &str) -> String {
    let lines: Vec<String> = split_lines(sdp)
        .into_iter()
        .filter(|line| !is_dropped(line))
        .map(|line| {
            let line = fingerprint_encode(line).unwrap_or_else(|| line.to_owned());
            if let Some(rest) = telephone_event(&line) {
                rest
            } else if let Some(rest) = line.strip_prefix("a=rtpmap:") {
                format!("R!{rest}")
            } else if let Some(rest) = line.strip_prefix("a=ice-") {
                format!("I!{rest}")
            } else {
                line
            }
        })
        .collect();
    lines.join("\n")
}

/// The lossless subset of [`sdp_encode`]: no line is dropped, and a line is abbreviated
/// only when [`sdp_decode`] restores it exactly. Convos peers decode the result correctly.
///
/// `sdp_decode(sdp_abbreviate(x))` equals the lines of `x` joined with CRLF plus a final
/// CRLF, provided no line of `x` starts with `F!`, `I!`, `R!` or `T!` (no SDP line does).
pub fn sdp_abbreviate(sdp: &str) -> String {
    let lines: Vec<String> = split_lines(sdp)
        .into_iter()
        .map(|line| {
            if let Some(short) = fingerprint_abbreviate(line) {
                return short;
            }
            // `T!126` + `5...` would decode as payload type 1265.
            if let Some(short) = telephone_event(line) {
                let digit_follows = line
                    .split_once(" telephone-event")
                    .is_some_and(|(_, rest)| rest.starts_with(|c: char| c.is_ascii_digit()));
                if !digit_follows {
                    return short;
                }
            }
            if let Some(rest) = line.strip_prefix("a=rtpmap:") {
                format!("R!{rest}")
            } else if let Some(rest) = line.strip_prefix("a=ice-") {
                format!("I!{rest}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    lines.join("\n")
}

/// Convos's `sdp_decode`: expands `F!`, `I!`, `R!` and `T!` and joins the lines with CRLF,
/// with a final CRLF. A plain SDP comes back unchanged apart from its line ends.
pub fn sdp_decode(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 8);
    for line in split_lines(compact) {
        if let Some(expanded) = fingerprint_decode(line) {
            out.push_str(&expanded);
        } else if let Some(rest) = line.strip_prefix("I!") {
            out.push_str("a=ice-");
            out.push_str(rest);
        } else if let Some(rest) = line.strip_prefix("R!") {
            out.push_str("a=rtpmap:");
            out.push_str(rest);
        } else if let Some((digits, rest)) = line.strip_prefix("T!").and_then(split_digits) {
            out.push_str("a=rtpmap:");
            out.push_str(digits);
            out.push_str(" telephone-event");
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

/// Perl's `split /\r?\n/`: trailing empty fields disappear.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for line in lines.iter_mut().take(last) {
        if let Some(stripped) = line.strip_suffix('\r') {
            *line = stripped;
        }
    }
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines
}

fn is_dropped(line: &str) -> bool {
    let digit_after = |prefix: &str| {
        line.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    line.starts_with("a=ssrc")
        || digit_after("a=extmap:")
        || digit_after("a=fmtp:")
        || digit_after("a=rtcp-fb:")
}

/// `(.+)\s(.+)` on a line remainder: the last whitespace with text on both sides.
fn split_last_space(text: &str) -> Option<(&str, char, &str)> {
    text.char_indices().rev().find_map(|(at, c)| {
        let after = at + c.len_utf8();
        (c.is_whitespace() && at > 0 && after < text.len())
            .then(|| (&text[..at], c, &text[after..]))
    })
}

fn split_digits(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

/// `s/^a=rtpmap:(\d+) telephone-event/T!$1/`
fn telephone_event(line: &str) -> Option<String> {
    let (digits, rest) = split_digits(line.strip_prefix("a=rtpmap:")?)?;
    let rest = rest.strip_prefix(" telephone-event")?;
    Some(format!("T!{digits}{rest}"))
}

/// `s/a=fingerprint:(.+)\s(.+)/.../` — unanchored, as in Convos.
fn fingerprint_encode(line: &str) -> Option<String> {
    const TAG: &str = "a=fingerprint:";
    line.match_indices(TAG).find_map(|(start, _)| {
        let (algorithm, _, hex) = split_last_space(&line[start + TAG.len()..])?;
        let bytes = hex_parts(hex)
            .map(|part| {
                u8::from_str_radix(part, 16)
                    .ok()
                    .filter(|_| part.len() <= 2)
            })
            .map(|byte| byte.unwrap_or(0))
            .collect::<Vec<u8>>();
        Some(format!(
            "{}F!{algorithm} {}",
            &line[..start],
            STANDARD.encode(bytes)
        ))
    })
}

/// Like [`fingerprint_encode`] but only where decoding restores the line exactly:
/// anchored, a single space, and upper-case two-digit hex pairs.
fn fingerprint_abbreviate(line: &str) -> Option<String> {
    let (algorithm, space, hex) = split_last_space(line.strip_prefix("a=fingerprint:")?)?;
    let upper_pair = |p: &str| {
        p.len() == 2
            && p.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    };
    if space != ' ' || !hex.split(':').all(upper_pair) {
        return None;
    }
    let bytes = hex
        .split(':')
        .filter_map(|part| u8::from_str_radix(part, 16).ok())
        .collect::<Vec<u8>>();
    Some(format!("F!{algorithm} {}", STANDARD.encode(bytes)))
}

/// `s/^F!(.+)\s(.+)/.../`
fn fingerprint_decode(line: &str) -> Option<String> {
    let (algorithm, _, b64) = split_last_space(line.strip_prefix("F!")?)?;
    let hex = lenient_base64(b64)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Some(format!("a=fingerprint:{algorithm} {hex}"))
}

/// Perl's `split ':'`: trailing empty fields disappear.
fn hex_parts(hex: &str) -> impl Iterator<Item = &str> {
    let trimmed = hex.trim_end_matches(':');
    trimmed.split(':').filter(move |_| !trimmed.is_empty())
}

/// MIME::Base64's `decode_base64`: skips bytes outside the alphabet, stops at `=`.
fn lenient_base64(text: &str) -> Vec<u8> {
    let sextet = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let values: Vec<u8> = text
        .bytes()
        .take_while(|&b| b != b'=')
        .filter_map(sextet)
        .collect();
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for group in values.chunks(4) {
        let v = |i: usize| group.get(i).copied().unwrap_or(0);
        if group.len() >= 2 {
            out.push((v(0) << 2) | (v(1) >> 4));
        }
        if group.len() >= 3 {
            out.push((v(1) << 4) | (v(2) >> 2));
        }
        if group.len() == 4 {
            out.push((v(2) << 6) | v(3));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_is_perl_split() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a\r\nb\nc", &["a", "b", "c"]),
            ("a\r\n\r\n\n", &["a"]),
            ("\na\n\nb\r", &["", "a", "", "b\r"]),
            ("a\r\r\nb", &["a\r", "b"]),
        ];
        for (input, want) in cases {
            assert_eq!(split_lines(input), *want, "{input:?}");
        }
    }

    #[test]
    fn encode_rules() {
        let cases = [
            ("a=rtpmap:126 telephone-event/8000/1", "T!126/8000/1"),
            ("a=rtpmap:111 opus/48000/2", "R!111 opus/48000/2"),
            ("a=ice-ufrag:50VQ", "I!ufrag:50VQ"),
            ("a=ice-options:trickle", "I!options:trickle"),
            ("a=extmap-allow-mixed", "a=extmap-allow-mixed"),
            ("a=rtcp-fb:* nack", "a=rtcp-fb:* nack"),
            ("a=fingerprint:sha-256 AB:zz:1", "F!sha-256 qwAB"),
            ("a=fingerprint:sha-256 AB:CD:", "F!sha-256 q80="),
            ("x a=fingerprint:a b c 0A", "x F!a b c Cg=="),
            ("a=fingerprint:nospace", "a=fingerprint:nospace"),
            ("a=fingerprint:sha-256 ", "a=fingerprint:sha-256 "),
            ("a=rtpmap:x telephone-event", "R!x telephone-event"),
        ];
        for (input, want) in cases {
            assert_eq!(sdp_encode(input), want, "{input:?}");
        }
        for dropped in [
            "a=ssrc:1 x",
            "a=ssrc-group:FID 1 2",
            "a=extmap:1 x",
            "a=fmtp:9 y",
        ] {
            assert_eq!(sdp_encode(dropped), "", "{dropped:?}");
        }
    }

    #[test]
    fn decode_rules() {
        let cases = [
            ("F!sha-256 qwAB", "a=fingerprint:sha-256 AB:00:01\r\n"),
            ("F!sha-256 q!8=", "a=fingerprint:sha-256 AB\r\n"),
            ("T!126/8000/1", "a=rtpmap:126 telephone-event/8000/1\r\n"),
            ("T!x", "T!x\r\n"),
            ("R!9 G722/8000", "a=rtpmap:9 G722/8000\r\n"),
            ("I!pwd:x", "a=ice-pwd:x\r\n"),
            ("v=0\r\n\r\ns=-\n\n", "v=0\r\n\r\ns=-\r\n"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(sdp_decode(input), want, "{input:?}");
        }
    }

    #[test]
    fn abbreviate_is_lossless_where_encode_is_not() {
        let lossy = [
            "a=fingerprint:sha-256 ab:cd",
            "a=fingerprint:sha-256\tAB:CD",
            "a=fingerprint:sha-256 AB:CD:",
            "a=rtpmap:126 telephone-event5",
            "a=fmtp:111 minptime=10;useinbandfec=1",
            "a=ssrc:1 cname:x",
        ];
        for line in lossy {
            let sdp = format!("v=0\r\n{line}\r\n");
            assert_eq!(sdp_decode(&sdp_abbreviate(&sdp)), sdp, "{line:?}");
        }
        assert_eq!(
            sdp_abbreviate("a=fingerprint:sha-256 AB:CD\r\na=rtpmap:126 telephone-event/8000"),
            "F!sha-256 q80=\nT!126/8000"
        );
    }
}
