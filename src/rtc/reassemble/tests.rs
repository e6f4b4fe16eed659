//! Tests of RTCZ reassembly: chunk order, limits, expiry and hostile input.

use super::super::encode::pack;
use super::*;

const SDP: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const CONNECTION: &str = "irc-libera";

fn key<'a>(sender: &'a str, conversation: &'a str) -> Key<'a> {
    Key {
        connection: CONNECTION,
        sender,
        conversation,
    }
}

type Pushed = Result<Option<Signal>, Error>;

/// `payload` cut into `count` chunks of kind OFR.
fn chunks(payload: &str, count: usize) -> Vec<Chunk> {
    let size = payload.len().div_ceil(count);
    let pieces: Vec<&[u8]> = payload.as_bytes().chunks(size).collect();
    assert_eq!(pieces.len(), count, "payload too short to cut");
    pieces
        .iter()
        .enumerate()
        .map(|(index, data)| Chunk {
            kind: Kind::Offer,
            index,
            last: count - 1,
            conversation: "ignored".into(),
            data: String::from_utf8_lossy(data).into_owned(),
        })
        .collect()
}

fn offer(sdp: &str) -> Signal {
    Signal::Offer { sdp: sdp.into() }
}

/// Pushes `order` (chunk numbers) of `parts`, all at `now`; returns each result.
fn feed(
    r: &mut Reassembler,
    k: Key<'_>,
    parts: &[Chunk],
    order: &[usize],
    now: Instant,
) -> Vec<Pushed> {
    order
        .iter()
        .map(|&i| r.push(k, parts[i].clone(), now))
        .collect()
}

#[test]
fn chunk_orders() {
    let payload = pack(SDP.as_bytes());
    let parts = chunks(&payload, 3);
    let ooo = |expected, got| Err(Error::OutOfOrder { expected, got });
    let done = Ok(Some(offer(SDP)));
    let cases: Vec<(&str, &[usize], Vec<Pushed>)> = vec![
        (
            "in order",
            &[0, 1, 2],
            vec![Ok(None), Ok(None), done.clone()],
        ),
        ("gap", &[0, 2, 1], vec![Ok(None), ooo(1, 2), ooo(0, 1)]),
        ("no start", &[1, 2], vec![ooo(0, 1), ooo(0, 2)]),
        (
            "repeat",
            &[0, 1, 1, 2],
            vec![Ok(None), Ok(None), ooo(2, 1), ooo(0, 2)],
        ),
        (
            "restart",
            &[0, 1, 0, 1, 2],
            vec![Ok(None), Ok(None), Ok(None), Ok(None), done],
        ),
        ("reversed", &[2, 1, 0], vec![ooo(0, 2), ooo(0, 1), Ok(None)]),
    ];
    for (name, order, want) in cases {
        let mut r = Reassembler::default();
        let got = feed(&mut r, key("bob", "#c"), &parts, order, Instant::now());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn counts_and_ranges() {
    let t0 = Instant::now();
    let mut r = Reassembler::default();
    let part = |index, last| Chunk {
        kind: Kind::Ice,
        index,
        last,
        conversation: String::new(),
        data: "QUJD".into(),
    };
    let k = key("bob", "#c");
    assert_eq!(r.push(k, part(0, 2), t0), Ok(None));
    assert_eq!(
        r.push(k, part(1, 3), t0),
        Err(Error::CountChanged { was: 2, now: 3 })
    );
    assert_eq!(r.pending(), 0);
    assert_eq!(r.push(k, part(0, 20), t0), Ok(None));
    for (index, last) in [(0, 21), (3, 2), (usize::MAX, 0), (0, usize::MAX)] {
        assert_eq!(
            r.push(k, part(index, last), t0),
            Err(Error::ChunkRange { index, last })
        );
    }
    // A bad chunk also drops the message it claimed to belong to.
    assert_eq!(r.pending(), 0);
    assert_eq!(r.push(k, part(0, 1), t0), Ok(None));
    let huge = Chunk {
        data: "A".repeat(MAX_LINE + 1),
        ..part(1, 1)
    };
    assert_eq!(r.push(k, huge, t0), Err(Error::Base64));
    assert_eq!(r.pending(), 0);
}

#[test]
fn senders_conversations_kinds_and_connections_are_apart() {
    let t0 = Instant::now();
    let mut r = Reassembler::default();
    let (a, b) = ("v=0\r\na=a\r\n", "v=0\r\na=b\r\n");
    let (pa, pb) = (pack(a.as_bytes()), pack(b.as_bytes()));
    let (ca, cb) = (chunks(&pa, 2), chunks(&pb, 2));
    let others = [
        key("carol", "#c"),
        key("bob", "#d"),
        Key {
            connection: "other",
            ..key("bob", "#c")
        },
    ];
    for other in others {
        let bob = key("bob", "#c");
        // Interleaved, as when everyone in a call answers a newcomer at once (D1).
        assert_eq!(r.push(bob, ca[0].clone(), t0), Ok(None));
        assert_eq!(r.push(other, cb[0].clone(), t0), Ok(None));
        assert_eq!(r.push(bob, ca[1].clone(), t0), Ok(Some(offer(a))));
        assert_eq!(r.push(other, cb[1].clone(), t0), Ok(Some(offer(b))));
    }
    let mut answer = cb.clone();
    for chunk in &mut answer {
        chunk.kind = Kind::Answer;
    }
    let bob = key("bob", "#c");
    assert_eq!(r.push(bob, ca[0].clone(), t0), Ok(None));
    assert_eq!(r.push(bob, answer[0].clone(), t0), Ok(None));
    assert_eq!(
        r.push(bob, answer[1].clone(), t0),
        Ok(Some(Signal::Answer { sdp: b.into() }))
    );
    assert_eq!(r.push(bob, ca[1].clone(), t0), Ok(Some(offer(a))));
    assert_eq!(r.pending(), 0);
}

#[test]
fn partials_time_out() {
    let t0 = Instant::now();
    let payload = pack(SDP.as_bytes());
    let parts = chunks(&payload, 2);
    let timeout = Limits::default().timeout;
    let k = key("bob", "#c");

    let mut r = Reassembler::default();
    assert_eq!(r.push(k, parts[0].clone(), t0), Ok(None));
    let just_in_time = t0 + timeout - Duration::from_millis(1);
    assert_eq!(
        r.push(k, parts[1].clone(), just_in_time),
        Ok(Some(offer(SDP)))
    );

    assert_eq!(r.push(k, parts[0].clone(), t0), Ok(None));
    assert_eq!(
        r.push(k, parts[1].clone(), t0 + timeout),
        Err(Error::OutOfOrder {
            expected: 0,
            got: 1
        })
    );

    assert_eq!(r.push(k, parts[0].clone(), t0), Ok(None));
    assert_eq!(
        r.push(key("carol", "#c"), parts[0].clone(), t0 + timeout / 2),
        Ok(None)
    );
    r.expire(t0 + timeout);
    assert_eq!(r.pending(), 1);
    r.expire(t0 + timeout * 2);
    assert_eq!(r.pending(), 0);
    assert!(r.connections.is_empty());
}

#[test]
fn open_partials_are_capped() {
    let t0 = Instant::now();
    let payload = pack(SDP.as_bytes());
    let parts = chunks(&payload, 2);
    let limits = Limits::default();
    let mut r = Reassembler::default();
    let senders: Vec<String> = (0..=limits.max_partials_per_connection)
        .map(|i| format!("n{i}"))
        .collect();
    for (i, sender) in senders.iter().enumerate() {
        let later = t0 + Duration::from_millis(i as u64);
        assert_eq!(r.push(key(sender, "#c"), parts[0].clone(), later), Ok(None));
    }
    assert_eq!(r.pending(), limits.max_partials_per_connection);
    let evicted = r.push(key(&senders[0], "#c"), parts[1].clone(), t0);
    assert!(matches!(
        evicted,
        Err(Error::OutOfOrder { expected: 0, .. })
    ));
    let kept = r.push(key(&senders[1], "#c"), parts[1].clone(), t0);
    assert_eq!(kept, Ok(Some(offer(SDP))));

    let mut r = Reassembler::default();
    let conversations: Vec<String> = (0..=limits.max_partials_per_sender)
        .map(|i| format!("#c{i}"))
        .collect();
    for conversation in &conversations {
        assert_eq!(
            r.push(key("bob", conversation), parts[0].clone(), t0),
            Ok(None)
        );
    }
    assert_eq!(r.push(key("carol", "#c"), parts[0].clone(), t0), Ok(None));
    assert_eq!(r.pending(), limits.max_partials_per_sender + 1);
    let evicted = r.push(key("bob", &conversations[0]), parts[1].clone(), t0);
    assert!(evicted.is_err());
    let kept = r.push(key("carol", "#c"), parts[1].clone(), t0);
    assert_eq!(kept, Ok(Some(offer(SDP))));

    r.remove_connection(CONNECTION);
    assert_eq!(r.pending(), 0);
}

#[test]
fn payloads() {
    let b64 = |bytes: &[u8]| STANDARD.encode(bytes);
    let gzip = pack(SDP.as_bytes());
    let raw = STANDARD.decode(&gzip).expect("own base64");
    let mut bad_crc = raw.clone();
    let crc_at = bad_crc.len() - 8;
    bad_crc[crc_at] ^= 1;
    let mut bad_deflate = raw.clone();
    bad_deflate[10] = 0xff;
    let truncated = &raw[..raw.len() - 4];
    let max = Limits::default().max_inflated;
    let exactly_max = format!("v=0\r\na={}", "x".repeat(max - 7));
    let bomb = vec![b'v'; 1024 * 1024];
    let cases: Vec<(&str, Kind, String, Result<Signal, Error>)> = vec![
        ("sdp", Kind::Offer, gzip.clone(), Ok(offer(SDP))),
        (
            "answer",
            Kind::Answer,
            gzip.clone(),
            Ok(Signal::Answer { sdp: SDP.into() }),
        ),
        (
            "no padding",
            Kind::Offer,
            "QUJDRA".into(),
            Err(Error::Base64),
        ),
        (
            "bad char",
            Kind::Offer,
            format!("{gzip}!"),
            Err(Error::Base64),
        ),
        (
            "inner padding",
            Kind::Offer,
            "QQ==QUJD".into(),
            Err(Error::Base64),
        ),
        (
            "trailing bits",
            Kind::Offer,
            "QR==".into(),
            Err(Error::Base64),
        ),
        (
            "not gzip",
            Kind::Offer,
            b64(SDP.as_bytes()),
            Err(Error::NotGzip),
        ),
        (
            "empty gzip",
            Kind::Offer,
            b64(&[0x1f, 0x8b]),
            Err(Error::Gzip(String::new())),
        ),
        (
            "bad crc",
            Kind::Offer,
            b64(&bad_crc),
            Err(Error::Gzip(String::new())),
        ),
        (
            "bad deflate",
            Kind::Offer,
            b64(&bad_deflate),
            Err(Error::Gzip(String::new())),
        ),
        (
            "truncated",
            Kind::Offer,
            b64(truncated),
            Err(Error::Gzip(String::new())),
        ),
        ("bomb", Kind::Offer, pack(&bomb), Err(Error::TooLarge(max))),
        (
            "max",
            Kind::Offer,
            pack(exactly_max.as_bytes()),
            Ok(offer(&format!("{exactly_max}\r\n"))),
        ),
        (
            "one over",
            Kind::Offer,
            pack(format!("{exactly_max}x").as_bytes()),
            Err(Error::TooLarge(max)),
        ),
        (
            "latin-1",
            Kind::Offer,
            pack(b"v=0\r\ns=\xe9\r\n"),
            Err(Error::Utf8),
        ),
        ("no v=0", Kind::Offer, pack(b"0\n-"), Err(Error::NotSdp)),
        (
            "bad ice",
            Kind::Ice,
            pack(b"sdpMid=0"),
            Err(Error::Ice("no candidate")),
        ),
    ];
    for (name, kind, data, want) in cases {
        let got = decode(kind, &data, max);
        match (&got, &want) {
            // The message comes from flate2; only the variant matters.
            (Err(Error::Gzip(_)), Err(Error::Gzip(_))) => {}
            _ => assert_eq!(got, want, "{name}"),
        }
    }
    // The bomb is small enough on the wire to arrive in a few chunks.
    assert!(pack(&bomb).len() < MAX_CHUNKS * super::super::MAX_CHUNK);
}
