//! Exact protocol cases for one IRC connection task against a scripted fake server:
//! CAP/SASL sequences, nick collisions, ping timeout, reconnect, pacing, fatal errors,
//! malformed lines.

mod common;

use common::fake_irc::Peer;
use std::sync::Arc;
use std::time::Duration;

use convos::irc::{self, Backoff, Event, Options, Request, Spacer, Tagged};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

struct Conn {
    handle: irc::Handle,
    events: mpsc::Receiver<Tagged>,
    _stop: tokio_util::sync::DropGuard,
}

impl Conn {
    async fn event(&mut self, what: &str, mut pred: impl FnMut(&Event) -> bool) -> Event {
        let deadline = Instant::now() + WAIT;
        loop {
            let t = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no event: {what}"))
                .expect("task alive");
            if pred(&t.event) {
                return t.event;
            }
        }
    }
}

fn opts() -> Options {
    Options {
        burst: 4,
        line_interval: Duration::from_millis(200),
        ping_after: Duration::from_millis(400),
        ping_timeout: Duration::from_millis(400),
        connect_timeout: Duration::from_secs(5),
        regain_interval: Duration::from_millis(300),
        spacer: Spacer::new(Duration::ZERO),
        backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(300)),
        // The task against a fake server on 127.0.0.1, as an admin's connection would run.
        access: irc::Access::trusted(),
    }
}

/// A permanent failure: no new connection comes.
async fn assert_no_reconnect(l: &TcpListener) {
    assert!(
        timeout(Duration::from_millis(600), l.accept())
            .await
            .is_err(),
        "must not reconnect"
    );
}

async fn start(url_extra: &str, o: Options) -> (TcpListener, Conn) {
    start_url(
        |port| format!("irc://127.0.0.1:{port}?tls=0&nick=me{url_extra}"),
        o,
    )
    .await
}

/// A fake server on a free port and a connection task for the URL made from its port.
async fn start_url(url: impl FnOnce(u16) -> String, o: Options) -> (TcpListener, Conn) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = url(l.local_addr().expect("addr").port());
    let config = irc::Config::parse(&url, "me").expect("url");
    let (tx, rx) = mpsc::channel(64);
    let stop = CancellationToken::new();
    let handle = irc::spawn(Arc::from("fake"), config, o, true, tx, stop.clone());
    (
        l,
        Conn {
            handle,
            events: rx,
            _stop: stop.drop_guard(),
        },
    )
}

#[tokio::test]
async fn cap_and_sasl_plain_then_registered() {
    let (l, mut c) = start_url(
        |port| format!("irc://acct:pw@127.0.0.1:{port}?tls=0&nick=me&sasl=plain"),
        opts(),
    )
    .await;

    let mut p = Peer::accept(&l).await;
    assert_eq!(p.recv().await, "CAP LS 302");
    p.send(":irc.test CAP * LS * :multi-prefix sasl=PLAIN")
        .await;
    p.send(":irc.test CAP * LS :server-time echo-message").await;
    assert_eq!(
        p.expect("CAP REQ").await,
        "CAP REQ :server-time echo-message multi-prefix sasl"
    );
    p.send(":irc.test CAP me ACK :server-time echo-message multi-prefix sasl")
        .await;
    assert_eq!(p.expect("AUTHENTICATE").await, "AUTHENTICATE PLAIN");
    p.send("AUTHENTICATE +").await;
    assert_eq!(
        p.expect("AUTHENTICATE").await,
        "AUTHENTICATE YWNjdABhY2N0AHB3"
    );
    p.send(":irc.test 903 me :SASL authentication successful")
        .await;
    assert_eq!(p.expect("CAP END").await, "CAP END");
    p.send(":irc.test 001 me :Welcome").await;
    let ev = c
        .event("registered", |e| matches!(e, Event::Registered { .. }))
        .await;
    let Event::Registered { nick, caps } = ev else {
        unreachable!()
    };
    assert_eq!(nick, "me");
    assert!(caps.contains(&"echo-message".to_string()));
}

#[tokio::test]
async fn sasl_failure_stops_without_reconnecting() {
    let (l, mut c) = start_url(
        |port| format!("irc://acct:pw@127.0.0.1:{port}?tls=0&sasl=plain"),
        opts(),
    )
    .await;
    let mut p = Peer::accept(&l).await;
    p.expect("CAP LS").await;
    p.send(":irc.test CAP * LS :sasl").await;
    p.expect("CAP REQ").await;
    p.send(":irc.test CAP * ACK :sasl").await;
    p.expect("AUTHENTICATE PLAIN").await;
    p.send("AUTHENTICATE +").await;
    p.expect("AUTHENTICATE ").await;
    p.send(":irc.test 904 * :SASL authentication failed").await;
    let ev = c.event("failed", |e| matches!(e, Event::Failed(_))).await;
    assert!(matches!(ev, Event::Failed(m) if m.contains("SASL")));
    assert_no_reconnect(&l).await;
}

#[tokio::test]
async fn bad_server_password_is_permanent() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.expect("USER").await;
    p.send(":irc.test 464 me :Password incorrect").await;
    c.event(
        "failed",
        |e| matches!(e, Event::Failed(m) if m.contains("password")),
    )
    .await;
    assert_no_reconnect(&l).await;
}

#[tokio::test]
async fn nick_in_use_takes_an_alternate_and_regains() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.expect("CAP LS").await;
    p.send(":irc.test 421 * CAP :Unknown command").await;
    assert_eq!(p.expect("NICK").await, "NICK me");
    p.send(":irc.test 433 * me :Nickname is already in use")
        .await;
    assert_eq!(p.expect("NICK").await, "NICK me_");
    p.send(":irc.test 001 me_ :Welcome").await;
    let Event::Registered { nick, .. } = c
        .event("registered", |e| matches!(e, Event::Registered { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(nick, "me_");
    // the wanted nick is tried again periodically
    assert_eq!(p.expect("NICK").await, "NICK me");
    p.send(":me_!u@h NICK :me").await;
    c.event(
        "nick changed",
        |e| matches!(e, Event::NickChanged { new, .. } if new == "me"),
    )
    .await;
}

#[tokio::test]
async fn ping_timeout_closes_and_reconnects() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    c.event("registered", |e| matches!(e, Event::Registered { .. }))
        .await;
    // the server goes silent: we ping, nobody answers, we give up and come back
    assert!(p.expect("PING").await.starts_with("PING :"));
    let ev = c
        .event("disconnected", |e| matches!(e, Event::Disconnected { .. }))
        .await;
    let Event::Disconnected { reason, retry_in } = ev else {
        unreachable!()
    };
    assert!(reason.contains("Ping timeout"), "{reason}");
    assert!(retry_in.is_some());
    let mut p2 = Peer::accept(&l).await;
    p2.register_without_cap("me").await;
    c.event("registered again", |e| {
        matches!(e, Event::Registered { .. })
    })
    .await;
    // a live server's PING is answered
    p2.send("PING :abc").await;
    assert_eq!(p2.expect("PONG").await, "PONG :abc");
}

#[tokio::test]
async fn server_close_reconnects_with_backoff() {
    let (l, mut c) = start("", opts()).await;
    for round in 0..3 {
        let mut p = Peer::accept(&l).await;
        p.register_without_cap("me").await;
        c.event("registered", |e| matches!(e, Event::Registered { .. }))
            .await;
        p.send("ERROR :Closing link (round)").await;
        drop(p);
        let ev = c
            .event("disconnected", |e| matches!(e, Event::Disconnected { .. }))
            .await;
        let Event::Disconnected { retry_in, .. } = ev else {
            unreachable!()
        };
        // registration resets the backoff: every round starts from the minimum (±20 %)
        assert!(
            retry_in.expect("retry") <= Duration::from_millis(120),
            "round {round}"
        );
    }
}

#[tokio::test]
async fn output_is_paced_after_a_burst() {
    let o = Options {
        burst: 3,
        line_interval: Duration::from_millis(250),
        ping_after: Duration::from_secs(30),
        ..opts()
    };
    let (l, mut c) = start("", o).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    c.event("registered", |e| matches!(e, Event::Registered { .. }))
        .await;
    // let the bucket refill after registration's lines
    tokio::time::sleep(Duration::from_millis(800)).await;
    for i in 0..6 {
        c.handle
            .request(Request::Send(
                irc_proto::Message::parse(&format!("PRIVMSG #c :line {i}")).expect("line"),
            ))
            .await;
    }
    let t0 = Instant::now();
    for i in 0..3 {
        assert_eq!(p.expect("PRIVMSG").await, format!("PRIVMSG #c :line {i}"));
    }
    for i in 3..6 {
        assert_eq!(p.expect("PRIVMSG").await, format!("PRIVMSG #c :line {i}"));
    }
    // three lines beyond the burst need at least ~two intervals (a lower bound only)
    assert!(
        t0.elapsed() >= Duration::from_millis(450),
        "paced: {:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn malformed_lines_are_skipped() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    c.event("registered", |e| matches!(e, Event::Registered { .. }))
        .await;
    for bad in [
        "@",
        ":",
        ":only.prefix",
        "@a=b",
        "   ",
        &"x".repeat(20_000),
        "PRIVMSG",
        ":a!b@c PRIVMSG #c :\u{1}ACTION",
    ] {
        p.send(bad).await;
    }
    p.send_bytes(b":a!b@c PRIVMSG #c :caf\xe9\r\n").await;
    p.send(":a!b@c PRIVMSG #c :still alive").await;
    let ev = c
        .event(
            "valid line after garbage",
            |e| matches!(e, Event::Message(m) if m.param(1) == Some("still alive")),
        )
        .await;
    assert!(matches!(ev, Event::Message(_)));
}

#[tokio::test]
async fn latin1_is_decoded() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    p.send_bytes(b":a!b@c PRIVMSG #c :caf\xe9\r\n").await;
    c.event(
        "decoded",
        |e| matches!(e, Event::Message(m) if m.param(1) == Some("café")),
    )
    .await;
}

#[tokio::test]
async fn disconnect_and_connect_on_request() {
    let (l, mut c) = start("", opts()).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    c.event("registered", |e| matches!(e, Event::Registered { .. }))
        .await;
    c.handle.request(Request::Disconnect("brb".into())).await;
    assert_eq!(p.expect("QUIT").await, "QUIT :brb");
    c.event("disconnected for good", |e| {
        matches!(e, Event::Disconnected { retry_in: None, .. })
    })
    .await;
    assert!(
        timeout(Duration::from_millis(500), l.accept())
            .await
            .is_err(),
        "stays down"
    );
    c.handle.request(Request::Connect { restart: false }).await;
    let mut p = Peer::accept(&l).await;
    p.register_without_cap("me").await;
    c.event("back", |e| matches!(e, Event::Registered { .. }))
        .await;
}
