//! Properties of the codec: what we send always reassembles to what was sent within the
//! line limit, and hostile chunk streams never panic or grow without bound.

use super::*;

fn sdp_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]=[ -~]{0,60}",
        "a=fingerprint:sha-(1|256) ([0-9A-F]{2}:){0,31}[0-9a-fA-F]{1,2}",
        "a=rtpmap:[0-9]{1,3} (opus|VP8|telephone-event)/[0-9]{4,5}(/[0-9])?",
        "a=ice-(ufrag|pwd|options):[A-Za-z0-9+/]{4,24}",
        "a=(ssrc|fmtp|extmap|rtcp-fb):[0-9]{1,4} [ -~]{0,40}",
        "a=candidate:[0-9]{1,10} 1 udp [0-9]{1,10} [0-9.]{7,15} [0-9]{1,5} typ host",
    ]
}

fn nick() -> impl Strategy<Value = String> {
    "[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]{0,29}"
}

fn conversation() -> impl Strategy<Value = String> {
    prop_oneof![nick(), "[#&][!-+\\--~]{1,63}"]
}

proptest! {
    #[test]
    fn every_line_fits_and_reassembles(
        lines in prop::collection::vec(sdp_line(), 0..60),
        crlf in any::<bool>(),
        offer in any::<bool>(),
        sender in nick(),
        peer in nick(),
        conv in conversation(),
        prefix_extra in 0usize..=75,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut sdp = String::from("v=0");
        for line in &lines {
            sdp.push_str(eol);
            sdp.push_str(line);
        }
        let signal = if offer { Signal::Offer { sdp } } else { Signal::Answer { sdp } };
        let prefix_len = sender.len() + 1 + prefix_extra;
        let notices = match encode(&signal, &conv, &peer, prefix_len) {
            Err(Error::TooManyChunks(n)) => {
                prop_assert!(n > MAX_CHUNKS);
                return Ok(());
            }
            other => other.expect("valid names always encode"),
        };
        prop_assert!(!notices.is_empty() && notices.len() <= MAX_CHUNKS);

        let mut reassembler = Reassembler::default();
        let key = Key { connection: "c", sender: &sender, conversation: &conv };
        let mut got = None;
        for (i, notice) in notices.iter().enumerate() {
            let line = notice.line();
            // ":" prefix " " line CRLF
            prop_assert!(1 + prefix_len + 1 + line.len() + 2 <= MAX_LINE, "{} bytes", line.len());
            prop_assert!(!line.contains(['\r', '\n', '\0']));
            prop_assert_eq!(&notice.target, &peer);
            let Ok(Some(Body::Chunk(chunk))) = parse(&notice.text) else {
                panic!("not a chunk: {notice:?}");
            };
            prop_assert!(chunk.data.len() <= MAX_CHUNK);
            prop_assert_eq!((chunk.index, chunk.last), (i, notices.len() - 1));
            prop_assert_eq!(&chunk.conversation, &conv);
            prop_assert_eq!(chunk.kind, signal.kind());
            got = reassembler.push(key, chunk, Instant::now()).expect("our own chunks decode");
        }
        let (Signal::Offer { sdp } | Signal::Answer { sdp }) = &signal else { unreachable!() };
        let normalized: String = sdp.lines().map(|l| format!("{l}\r\n")).collect();
        let decoded = match got {
            Some(Signal::Offer { sdp } | Signal::Answer { sdp }) => sdp,
            other => panic!("no SDP: {other:?}"),
        };
        prop_assert_eq!(decoded, normalized);
    }

    #[test]
    fn broadcasts_fit(conv in conversation(), sender in nick(), call in any::<bool>()) {
        let command = if call { Broadcast::Call } else { Broadcast::Hangup };
        let prefix_len = sender.len() + 1 + 10 + 1 + 63;
        let notice = broadcast(command, &conv, prefix_len).expect("valid names fit");
        prop_assert!(1 + prefix_len + 1 + notice.line().len() + 2 <= MAX_LINE);
        prop_assert_eq!(parse(&notice.text), Ok(Some(if call { Body::Call } else { Body::Hangup })));
    }

    #[test]
    fn candidates_round_trip(
        candidate in "\\PC{0,300}",
        sdp_mid in proptest::option::of("\\PC{1,20}"),
        sdp_mline_index in proptest::option::of(any::<u16>()),
        peer in nick(),
        conv in conversation(),
    ) {
        let want = Candidate { candidate, sdp_mid, sdp_mline_index };
        let signal = Signal::Ice(want.clone());
        let notices = encode(&signal, &conv, &peer, DEFAULT_PREFIX_LEN).expect("fits");
        let mut reassembler = Reassembler::default();
        let key = Key { connection: "c", sender: "s", conversation: &conv };
        let mut got = None;
        for notice in notices {
            prop_assert!(DEFAULT_PREFIX_LEN + 4 + notice.line().len() <= MAX_LINE);
            let Ok(Some(Body::Chunk(chunk))) = parse(&notice.text) else {
                panic!("not a chunk: {notice:?}");
            };
            got = reassembler.push(key, chunk, Instant::now()).expect("decodes");
        }
        prop_assert_eq!(got, Some(Signal::Ice(want)));
    }

    #[test]
    fn parse_and_push_never_panic(text in "\\PC{0,600}", bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut reassembler = Reassembler::default();
        let key = Key { connection: "c", sender: "s", conversation: "#c" };
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for text in [format!("\x01RTCZ {text}"), text, lossy] {
            if let Ok(Some(Body::Chunk(chunk))) = parse(&text) {
                let _ = reassembler.push(key, chunk, Instant::now());
            }
        }
        let _ = sdp_decode(&String::from_utf8_lossy(&bytes));
        let _ = sdp_encode(&String::from_utf8_lossy(&bytes));
    }
}

/// An RTCZ NOTICE text a hostile peer could send: mostly well-formed chunk headers with
/// random numbers, senders, conversations and payloads (valid base64 or not).
fn hostile_text() -> impl Strategy<Value = String> {
    (
        prop_oneof!["OFR", "ANS", "ICE", "ofr", "XYZ"],
        0usize..40,
        0usize..40,
        prop_oneof!["#a", "#b", "me"],
        prop_oneof![
            "[A-Za-z0-9+/=]{0,80}",
            "\\PC{0,40}",
            "H4sI[A-Za-z0-9+/]{0,60}={0,2}"
        ],
    )
        .prop_map(|(kind, i, n, conv, data)| format!("\x01RTCZ {kind} {i}/{n} {conv} {data}\x01"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever peers send, in whatever order and from however many senders, the
    /// reassembler never panics and never keeps more than its caps allow.
    #[test]
    fn hostile_chunks_stay_bounded(
        pushes in prop::collection::vec((0usize..3, 0usize..12, hostile_text(), 0u64..40), 0..200),
    ) {
        let limits = Limits::default();
        let mut reassembler = Reassembler::new(limits.clone());
        let start = Instant::now();
        let senders: Vec<String> = (0..12).map(|i| format!("n{i}")).collect();
        for (conn, sender, text, secs) in pushes {
            let now = start + std::time::Duration::from_secs(secs);
            let connection = ["c0", "c1", "c2"][conn];
            if let Ok(Some(Body::Chunk(chunk))) = parse(&text) {
                let conversation = chunk.conversation.clone();
                let key = Key { connection, sender: &senders[sender], conversation: &conversation };
                let _ = reassembler.push(key, chunk, now);
            }
            reassembler.expire(now);
            prop_assert!(reassembler.pending() <= 3 * limits.max_partials_per_connection);
        }
    }
}
