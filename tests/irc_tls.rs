//! TLS to a real InspIRCd whose certificate is signed by a test CA: verified TLS works,
//! and a TLS connection is never downgraded to plaintext. One test per process because
//! the trusted roots (`SSL_CERT_FILE`) are read once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::ircd::{self, Ircd};
use convos::irc::{self, Event, Options, Spacer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn next(
    rx: &mut mpsc::Receiver<irc::Tagged>,
    what: &str,
    mut pred: impl FnMut(&Event) -> bool,
) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let t = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no event: {what}"))
            .expect("task alive");
        if pred(&t.event) {
            return t.event;
        }
    }
}

fn spawn(
    url: &str,
) -> (
    mpsc::Receiver<irc::Tagged>,
    (irc::Handle, tokio_util::sync::DropGuard),
) {
    let config = irc::Config::parse(url, "tlsuser").expect("url");
    let (tx, rx) = mpsc::channel(64);
    let stop = CancellationToken::new();
    let opts = Options {
        spacer: Spacer::new(Duration::ZERO),
        connect_timeout: Duration::from_secs(3),
        access: irc::Access::trusted(),
        ..Options::default()
    };
    let handle = irc::spawn(Arc::from("tls"), config, opts, true, tx, stop.clone());
    (rx, (handle, stop.drop_guard()))
}

#[tokio::test]
async fn verified_tls_and_no_plaintext_fallback() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    // Trust the test CA the way an admin would: SSL_CERT_FILE, read by rustls-native-certs.
    std::env::set_var("SSL_CERT_FILE", ircd.ca_file());

    let (mut rx, _g) = spawn(&format!("irc://localhost:{}?nick=tlsuser", ircd.tls_port));
    next(&mut rx, "registered over verified TLS", |e| {
        matches!(e, Event::Registered { .. })
    })
    .await;

    // TLS to the plaintext port fails as TLS; it never registers in the clear.
    let (mut rx, _g2) = spawn(&format!("irc://localhost:{}?nick=plainx&tls=1", ircd.port));
    let ev = next(&mut rx, "tls failure", |e| {
        matches!(e, Event::Disconnected { .. } | Event::Registered { .. })
    })
    .await;
    match ev {
        // InspIRCd waits silently, so this is the timeout; a server that greets in
        // plaintext is named "does not speak TLS". Both say what to do.
        Event::Disconnected { reason, .. } => assert!(
            reason.contains("TLS") && reason.contains("turn TLS off"),
            "{reason}"
        ),
        other => panic!("registered without TLS: {other:?}"),
    }

    // An address the certificate (for localhost) does not cover is refused, unless tls_verify=0 says otherwise.
    let (mut rx, _g3) = spawn(&format!("irc://127.0.0.1:{}?nick=wrongname", ircd.tls_port));
    let ev = next(&mut rx, "name mismatch", |e| {
        matches!(e, Event::Disconnected { .. } | Event::Registered { .. })
    })
    .await;
    match ev {
        Event::Disconnected { reason, .. } => assert!(reason.contains("TLS"), "{reason}"),
        other => panic!("accepted a certificate for another name: {other:?}"),
    }
    let (mut rx, _g4) = spawn(&format!(
        "irc://127.0.0.1:{}?nick=optout&tls_verify=0",
        ircd.tls_port
    ));
    next(&mut rx, "registered with tls_verify=0", |e| {
        matches!(e, Event::Registered { .. })
    })
    .await;

    // STS: a plaintext server that asks for TLS on a port is left for verified TLS there
    // (https://ircv3.net/specs/extensions/sts), before anything else is sent.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let plain = l.local_addr().expect("addr").port();
    let tls_port = ircd.tls_port;
    let fake = tokio::spawn(async move {
        let mut p = common::fake_irc::Peer::accept(&l).await;
        p.expect("CAP LS 302").await;
        p.send(&format!(":fake CAP * LS :sts=port={tls_port} server-time"))
            .await;
        // Nothing but the close follows: no CAP REQ, no credentials in the clear.
        let mut after = vec![];
        while let Some(line) = p.try_recv().await {
            after.push(line);
        }
        after
    });
    let (mut rx, _g5) = spawn(&format!("irc://localhost:{plain}?nick=stsuser&tls=0"));
    let ev = next(&mut rx, "sts upgrade", |e| matches!(e, Event::Sts { .. })).await;
    assert!(
        matches!(ev, Event::Sts { port, duration: None } if port == tls_port),
        "{ev:?}"
    );
    next(&mut rx, "registered over TLS after STS", |e| {
        matches!(e, Event::Registered { .. })
    })
    .await;
    let after = fake.await.expect("fake server");
    assert!(
        after
            .iter()
            .all(|l| l.starts_with("NICK") || l.starts_with("USER")),
        "sent in the clear after STS: {after:?}"
    );
}

/// The client certificate made for SASL EXTERNAL is presented in the TLS handshake: the
/// server reports the same SHA-512 fingerprint we show the user.
#[tokio::test]
async fn client_certificate_is_presented() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let cert = irc::url::generate_client_cert("certuser").expect("cert");
    let want = irc::url::fingerprint(&cert.cert).expect("fingerprint");
    assert_eq!(want.len(), 128);
    let url = format!(
        "irc://127.0.0.1:{}?nick=certuser&tls_verify=0",
        ircd.tls_port
    );
    let mut config = irc::Config::parse(&url, "certuser").expect("url");
    config.client_cert = Some(cert);
    let (tx, mut rx) = mpsc::channel(64);
    let stop = CancellationToken::new();
    let opts = Options {
        spacer: Spacer::new(Duration::ZERO),
        access: irc::Access::trusted(),
        ..Options::default()
    };
    let handle = irc::spawn(Arc::from("cert"), config, opts, true, tx, stop.clone());
    let _g = stop.drop_guard();
    next(&mut rx, "registered", |e| {
        matches!(e, Event::Registered { .. })
    })
    .await;
    handle
        .request(irc::Request::Send(
            irc_proto::Message::parse("WHOIS certuser").expect("line"),
        ))
        .await;
    let ev = next(
        &mut rx,
        "certfp",
        |e| matches!(e, Event::Message(m) if m.command() == "276"),
    )
    .await;
    let Event::Message(m) = ev else {
        unreachable!()
    };
    let text = m.last_param().unwrap_or("").to_ascii_lowercase();
    assert!(text.contains(&want), "{text} should hold {want}");
}
