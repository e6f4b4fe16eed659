//! The shared vectors of docs/rtcz-vectors.txt (§4.4): each record run through the codec
//! and compared, and the document checked to show them verbatim.

use super::*;

/// The vectors of docs/rtcz.md §4.4, one record per line (the format is described at the top
/// of the file).
const VECTORS: &str = include_str!("../../../docs/rtcz-vectors.txt");
const DOC: &str = include_str!("../../../docs/rtcz.md");

#[test]
fn the_document_shows_the_vectors_verbatim() {
    assert!(
        DOC.contains(VECTORS),
        "docs/rtcz.md must quote docs/rtcz-vectors.txt exactly"
    );
}

#[test]
fn fixture_vectors() {
    let mut reassembler = Reassembler::default();
    let mut checked = 0;
    for (number, record) in VECTORS.lines().enumerate() {
        if record.is_empty() || record.starts_with('#') {
            continue;
        }
        let (op, rest) = record.split_once(' ').expect("an op and its input");
        let (input, want) = rest.split_once(" => ").expect("input => expected");
        let got = match op {
            "send" => vector_send(input, want),
            "recv" => vector_recv(&mut reassembler, &expand(input)),
            "sdp-encode" => single_line(sdp_encode(&expand(input))),
            "sdp-abbreviate" => single_line(sdp_abbreviate(&expand(input))),
            "sdp-decode" => {
                let decoded = sdp_decode(&expand(input));
                decoded.strip_suffix("\r\n").unwrap_or(&decoded).to_owned()
            }
            "ice" => vector_ice(input, want),
            "chunk-len" => vector_chunk_len(input),
            other => panic!("line {}: unknown op {other}", number + 1),
        };
        assert_eq!(got, expand(want), "line {}: {record}", number + 1);
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} vectors");
}

/// The escapes of the vector file: `\x01`, `\r`, `\n`, `\\`, and `{text}*N`.
fn expand(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => {
                let (unescaped, skip) = match rest.as_bytes().first() {
                    Some(b'r') => ("\r", 1),
                    Some(b'n') => ("\n", 1),
                    Some(b'\\') => ("\\", 1),
                    Some(b'x') if rest.starts_with("x01") => ("\x01", 3),
                    _ => panic!("bad escape in {text:?}"),
                };
                out.push_str(unescaped);
                rest = &rest[skip..];
            }
            '{' => {
                let repeat = rest.split_once("}*").and_then(|(body, after)| {
                    let digits =
                        after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                    let times: usize = after[..digits].parse().ok()?;
                    Some((expand(body).repeat(times), &after[digits..]))
                });
                match repeat {
                    Some((repeated, after)) => {
                        out.push_str(&repeated);
                        rest = after;
                    }
                    None => out.push('{'),
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Our name for each error, as the vector file writes it.
fn error_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidName(_) => "invalid name",
        Error::InputTooLarge(_) => "input too large",
        Error::NoRoom(_) => "no room",
        Error::TooManyChunks(_) => "too many chunks",
        Error::Malformed => "malformed",
        Error::UnknownCommand(_) => "unknown command",
        Error::ChunkRange { .. } => "chunk range",
        Error::OutOfOrder { .. } => "out of order",
        Error::CountChanged { .. } => "count changed",
        Error::Base64 => "base64",
        Error::NotGzip => "not gzip",
        Error::Gzip(_) => "corrupt gzip",
        Error::TooLarge(_) => "too large",
        Error::Utf8 => "utf-8",
        Error::NotSdp => "not sdp",
        Error::Ice(_) => "ice",
    }
}

fn single_line(text: String) -> String {
    assert!(!text.contains('\n'));
    if text.is_empty() {
        "(dropped)".into()
    } else {
        text
    }
}

/// `send CALL|HANGUP <conversation>` or `send OFR|ANS|ICE <peer> <conversation> <data>`.
/// The payload of the line we write is put back as `*` with what it inflates to.
fn vector_send(input: &str, want: &str) -> String {
    let mut fields = input.splitn(4, ' ');
    let (command, to) = (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
    );
    let sent = match command {
        "CALL" => broadcast(Broadcast::Call, to, DEFAULT_PREFIX_LEN).map(|n| vec![n]),
        "HANGUP" => broadcast(Broadcast::Hangup, to, DEFAULT_PREFIX_LEN).map(|n| vec![n]),
        _ => {
            let conversation = fields.next().expect("a conversation");
            let data = expand(fields.next().expect("data"));
            let signal = match command {
                "OFR" => Signal::Offer { sdp: data },
                "ANS" => Signal::Answer { sdp: data },
                _ => Signal::Ice(Candidate::from_form(&data).expect("a valid ICE form")),
            };
            encode(&signal, conversation, to, DEFAULT_PREFIX_LEN)
        }
    };
    let notices = match sent {
        Ok(notices) => notices,
        Err(err) => return format!("refused: {}", error_name(&err)),
    };
    assert_eq!(notices.len(), 1, "the send vectors are single lines");
    let line = notices[0].line();
    let Some((template, _)) = want.split_once(" ; * inflates to ") else {
        return line;
    };
    let (head, tail) = expand(template)
        .split_once('*')
        .map(|(h, t)| (h.to_owned(), t.to_owned()))
        .expect("a payload placeholder");
    let payload = line
        .strip_prefix(&head)
        .and_then(|rest| rest.strip_suffix(&tail))
        .unwrap_or_else(|| panic!("{line:?} is not {template:?}"));
    let data = text(unpack(payload, MAX_PAYLOAD).expect("our own payload"));
    format!("{} ; * inflates to {data}", expand(template))
}

/// A relayed line through `parse` and the reassembler, described as the vector file does.
fn vector_recv(reassembler: &mut Reassembler, line: &str) -> String {
    let (sender, target, text) = relayed(line);
    // Our own nick as conversation name means the private chat with the sender (D6).
    let conversation = |name: &str| {
        if name.eq_ignore_ascii_case(OWN) {
            sender.to_owned()
        } else {
            name.to_owned()
        }
    };
    let body = match parse(text) {
        Ok(Some(body)) => body,
        Ok(None) => return "not rtcz".into(),
        Err(err) => return format!("dropped: {}", error_name(&err)),
    };
    let chunk = match body {
        Body::Call => return format!("call in {} from {sender}", conversation(target)),
        Body::Hangup => return format!("hangup in {} from {sender}", conversation(target)),
        Body::Chunk(chunk) => chunk,
    };
    let name = conversation(&chunk.conversation);
    let key = Key {
        connection: "irc-libera",
        sender,
        conversation: &name,
    };
    match reassembler.push(key, chunk, Instant::now()) {
        Ok(None) => "pending".into(),
        Err(err) => format!("dropped: {}", error_name(&err)),
        Ok(Some(Signal::Offer { sdp })) => format!("offer in {name} from {sender}: {sdp}"),
        Ok(Some(Signal::Answer { sdp })) => format!("answer in {name} from {sender}: {sdp}"),
        Ok(Some(Signal::Ice(candidate))) => {
            let form = candidate.to_form().expect("a received candidate fits");
            format!("ice in {name} from {sender}: {form}")
        }
    }
}

/// `ice <candidate> ; sdpMid=<mid> ; sdpMLineIndex=<index>` gives the form, which must also
/// decode back to the candidate.
fn vector_ice(input: &str, want: &str) -> String {
    let parts: Vec<String> = input.split(" ; ").map(expand).collect();
    let [candidate, mid, index] = parts.as_slice() else {
        panic!("three fields in {input:?}");
    };
    let candidate = Candidate {
        candidate: candidate.clone(),
        sdp_mid: Some(mid.strip_prefix("sdpMid=").expect("sdpMid"))
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        sdp_mline_index: index
            .strip_prefix("sdpMLineIndex=")
            .expect("sdpMLineIndex")
            .parse()
            .ok(),
    };
    assert_eq!(Candidate::from_form(&expand(want)).as_ref(), Ok(&candidate));
    candidate.to_form().expect("fits")
}

/// `chunk-len P=<n> T=<n> C=<n>`, with names of those lengths.
fn vector_chunk_len(input: &str) -> String {
    let number = |field: &str| -> usize {
        input
            .split(' ')
            .find_map(|f| f.strip_prefix(field))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{field} in {input:?}"))
    };
    let target = "n".repeat(number("T="));
    let conversation = format!("#{}", "c".repeat(number("C=").saturating_sub(1)));
    chunk_len(number("P="), &target, &conversation).to_string()
}
