//! The test vectors of docs/rtcz.md §4.1–4.3 across the whole codec; the properties and
//! the shared vector file (§4.4) are in `properties` and `fixture`.

use std::time::Instant;

use proptest::prelude::*;

use super::encode::pack;
use super::reassemble::unpack;
use super::*;

mod fixture;
mod properties;

const ANSWER_SDP: &str = include_str!("testdata/answer.sdp");
const OFFER_SDP: &str = include_str!("testdata/offer.sdp");

/// Own nick and peer of the Convos tests.
const OWN: &str = "superman";
const PEER: &str = "superwoman";

/// Splits a relayed line `:prefix NOTICE target :text\r\n`.
fn relayed(line: &str) -> (&str, &str, &str) {
    let line = line.strip_suffix("\r\n").unwrap_or(line);
    let (prefix, rest) = line.split_once(' ').unwrap_or_default();
    let rest = rest.strip_prefix("NOTICE ").unwrap_or_default();
    let (target, text) = rest.split_once(" :").unwrap_or_default();
    let nick = prefix
        .trim_start_matches(':')
        .split('!')
        .next()
        .unwrap_or_default();
    (nick, target, text)
}

/// The base64 payload of an outgoing single-chunk line `NOTICE <to> :\x01RTCZ <head> <b64>\x01`.
fn single_chunk_payload<'a>(line: &'a str, to: &str, head: &str) -> &'a str {
    let start = format!("NOTICE {to} :\x01RTCZ {head} ");
    let payload = line
        .strip_prefix(&start)
        .and_then(|rest| rest.strip_suffix('\x01'))
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert!(!payload.is_empty() && !payload.contains(char::is_whitespace));
    payload
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("test payloads are UTF-8")
}

#[test]
fn outgoing_vectors_of_section_4_1() {
    let call = broadcast(Broadcast::Call, "#convos", DEFAULT_PREFIX_LEN).map(|n| n.line());
    assert_eq!(call.as_deref(), Ok("NOTICE #convos :\x01RTCZ CALL\x01"));
    let hangup = broadcast(Broadcast::Hangup, PEER, DEFAULT_PREFIX_LEN).map(|n| n.line());
    assert_eq!(
        hangup.as_deref(),
        Ok("NOTICE superwoman :\x01RTCZ HANGUP\x01")
    );

    let crlf = "0\r\n-\r\n".repeat(200);
    let ice = Signal::Ice(Candidate {
        candidate: crlf.clone(),
        ..Candidate::default()
    });
    let lines = encode(&ice, "#convos", PEER, DEFAULT_PREFIX_LEN).expect("ice encodes");
    assert_eq!(lines.len(), 1);
    let line = lines[0].line();
    let payload = single_chunk_payload(&line, PEER, "ICE 0/0 #convos");
    let data = text(unpack(payload, MAX_PAYLOAD).expect("valid payload"));
    assert_eq!(data, format!("ice={}", "0%0D%0A-%0D%0A".repeat(200)));
    assert_eq!(data.len(), 2804);

    let answer = Signal::Answer { sdp: crlf };
    let lines = encode(&answer, PEER, PEER, DEFAULT_PREFIX_LEN).expect("answer encodes");
    assert_eq!(lines.len(), 1);
    let line = lines[0].line();
    let payload = single_chunk_payload(&line, PEER, "ANS 0/0 superwoman");
    let data = text(unpack(payload, MAX_PAYLOAD).expect("valid payload"));
    assert_eq!(data, vec!["0\n-"; 200].join("\n"));
    assert_eq!(data.len(), 799);
}

#[test]
fn incoming_vectors_of_section_4_2() {
    let ice_line = ":superwoman!sg@example.com NOTICE superman :\x01RTCZ ICE 0/0 superman H4sIADvpyV4AA8tMTrU1UDVwUTVw1IVQo7xR3ihvlDfKG+WN8kZ5o7xR3vDiAQBX4L2X9AoAAA==\x01\r\n";
    let cases = [
        (
            ":superwoman!sg@example.com NOTICE #convos :\x01RTCZ CALL\x01\r\n",
            "#convos",
            Some(Body::Call),
        ),
        (ice_line, OWN, None),
        (
            ":superwoman!sg@example.com NOTICE superman :\x01RTCZ HANGUP\x01\r\n",
            OWN,
            Some(Body::Hangup),
        ),
    ];
    let mut reassembler = Reassembler::default();
    for (line, want_target, want_body) in cases {
        let (sender, target, text) = relayed(line);
        assert_eq!((sender, target), (PEER, want_target));
        let body = parse(text).expect("valid RTCZ").expect("an RTCZ CTCP");
        let Body::Chunk(chunk) = body else {
            assert_eq!(Some(body), want_body);
            continue;
        };
        assert_eq!((chunk.kind, chunk.index, chunk.last), (Kind::Ice, 0, 0));
        assert_eq!(chunk.conversation, OWN);
        // Derived: Perl's gzip header with mtime 1590290747, 2804 bytes inflated.
        let raw = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            chunk.data.as_bytes(),
        )
        .expect("strict base64");
        assert_eq!(raw.len(), 55);
        assert!(raw.starts_with(&[0x1f, 0x8b, 0x08, 0x00, 0x3b, 0xe9, 0xc9, 0x5e, 0x00, 0x03]));
        assert_eq!(unpack(&chunk.data, MAX_PAYLOAD).map(|d| d.len()), Ok(2804));
        // Our own nick as the payload conversation means the private chat with the sender.
        let key = Key {
            connection: "irc-libera",
            sender: PEER,
            conversation: PEER,
        };
        let signal = reassembler.push(key, chunk, Instant::now());
        let want = Signal::Ice(Candidate {
            candidate: "0\r\n-\r\n".repeat(200),
            ..Candidate::default()
        });
        assert_eq!(signal, Ok(Some(want)));
    }
}

struct SdpVector {
    input: &'static str,
    input_lines: usize,
    encoded_lines: usize,
    encoded_len: usize,
    encoded_sha256: &'static str,
    decoded_sha256: &'static str,
    convos_chunks: usize,
    expected_lines: &'static [&'static str],
}

const SDP_VECTORS: &[SdpVector] = &[
    SdpVector {
        input: ANSWER_SDP,
        input_lines: 39,
        encoded_lines: 33,
        encoded_len: 787,
        encoded_sha256: "c9c38f2f8c26a3cb1e36ab42773bd77ffc3b95f18a3099506aa5ceae639ae260",
        decoded_sha256: "e446222cf7a44134c4c5687d97cf3df6527bd1e6b1e58eb00782c1fb3b992c91",
        convos_chunks: 2,
        expected_lines: &[
            "F!sha-256 GZdtKdz7riTbnAS5z6rn1KOMd4kveQx6WMSDnsioKho=",
            "I!options:trickle",
            "I!pwd:83fbffaf4093d3b10cefca58312faff8",
            "I!ufrag:a38d67c4",
            "R!111 opus/48000/2",
            "R!9 G722/8000/1",
            "T!126/8000/1",
            "R!98 VP9/90000",
        ],
    },
    SdpVector {
        input: OFFER_SDP,
        input_lines: 78,
        encoded_lines: 65,
        encoded_len: 1423,
        encoded_sha256: "932b509abd4bfc2fb7a19f36238ca2a894c42c46fd67cb9585a2f53242130f2b",
        decoded_sha256: "bdf34ec4bfa9d59a54de9c1ce8a6e590a5f09ab08f4bb0bb79f93cb98ae78f78",
        convos_chunks: 3,
        expected_lines: &[
            "F!sha-256 0cCBY+KFg5WIkhv/uCsOZY4KD0HWd7YcD2HpVzG6ulc=",
            "I!ufrag:50VQ",
            "I!pwd:b6/176+swvZtv+ag5TuQ34mO",
            "T!110/48000",
            "T!112/32000",
            "T!113/16000",
            "T!126/8000",
            "R!116 ulpfec/90000",
            "a=msid-semantic: WMS Y4J0aef1P4IP81lfHtL3LZ6fPDcIHm8qFl4k",
            "a=rtcp:9 IN IP4 0.0.0.0",
            "a=rtcp-rsize",
        ],
    },
];

#[test]
fn sdp_vectors_of_section_4_3() {
    for v in SDP_VECTORS {
        let lines: Vec<&str> = v.input.lines().collect();
        assert_eq!(lines.len(), v.input_lines);
        let input = lines.join("\r\n");

        let encoded = sdp_encode(&input);
        assert!(!encoded.contains('\r'));
        assert_eq!(encoded.lines().count(), v.encoded_lines);
        assert_eq!(encoded.len(), v.encoded_len);
        assert_eq!(sha256_hex(encoded.as_bytes()), v.encoded_sha256);
        for line in v.expected_lines {
            assert!(encoded.lines().any(|l| l == *line), "missing {line:?}");
        }
        assert!(!encoded.contains("a=ssrc") && !encoded.contains("a=fmtp:"));

        let decoded = sdp_decode(&encoded);
        assert_eq!(sha256_hex(decoded.as_bytes()), v.decoded_sha256);
        let kept: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| !l.starts_with("a=ssrc") && !l.starts_with("a=fmtp:"))
            .collect();
        assert_eq!(decoded, format!("{}\r\n", kept.join("\r\n")));

        let payload = pack(encoded.as_bytes());
        assert!(payload.len() < input.len());
        assert_eq!(payload.len().div_ceil(MAX_CHUNK), v.convos_chunks);

        // What we send instead (D11) restores every line.
        assert_eq!(sdp_decode(&sdp_abbreviate(&input)), format!("{input}\r\n"));
        // A plain SDP passes sdp_decode unchanged.
        assert_eq!(sdp_decode(&input), format!("{input}\r\n"));
    }
}

#[test]
fn sdp_vectors_survive_the_wire() {
    let t0 = Instant::now();
    let mut reassembler = Reassembler::default();
    for (v, kind) in SDP_VECTORS.iter().zip([Kind::Answer, Kind::Offer]) {
        let sdp = format!("{}\r\n", v.input.lines().collect::<Vec<_>>().join("\r\n"));
        let signal = match kind {
            Kind::Offer => Signal::Offer { sdp },
            _ => Signal::Answer { sdp },
        };
        let notices = encode(&signal, "#convos", OWN, DEFAULT_PREFIX_LEN).expect("fits");
        assert!(notices.len() >= 2);
        let mut got = None;
        for notice in &notices {
            assert_eq!(notice.target, OWN);
            let Ok(Some(Body::Chunk(chunk))) = parse(&notice.text) else {
                panic!("not a chunk: {notice:?}");
            };
            let key = Key {
                connection: "c",
                sender: PEER,
                conversation: "#convos",
            };
            got = reassembler.push(key, chunk, t0).expect("valid chunk");
        }
        assert_eq!(got, Some(signal));
    }
    assert_eq!(reassembler.pending(), 0);
}

/// SHA-256, to check the digests docs/rtcz.md gives without another dependency.
fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend((data.len() as u64 * 8).to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 64];
        for (word, bytes) in w.iter_mut().zip(block.chunks(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for (k, w) in K.iter().zip(w) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(w);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha256_is_right() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
