//! The HTTP listeners against slow and greedy clients, through the real binary: request
//! heads that never finish, idle keep-alive connections, and more connections than a
//! client may hold.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use common::Daemon;

/// Generous: the daemon under test closes after 1 s; this only stops a hung test.
const CLOSED_WITHIN: Duration = Duration::from_secs(20);

fn addr(d: &Daemon) -> SocketAddr {
    d.base
        .trim_start_matches("http://")
        .parse()
        .expect("daemon address")
}

/// Reads until the peer closes (EOF or reset); returns what came. Fails if it stays open.
async fn until_closed(s: &mut (impl AsyncRead + Unpin), what: &str) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(CLOSED_WITHIN, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{what}: the daemon kept the connection open");
    String::from_utf8_lossy(&out).into_owned()
}

async fn half_a_request_is_closed(mut s: impl AsyncRead + AsyncWrite + Unpin, what: &str) {
    s.write_all(b"GET /healthz HT").await.expect("write");
    until_closed(&mut s, what).await;
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sock = tmp.path().join("convos.sock");
    let unix = format!(
        "http+unix://{}",
        percent_encode(sock.to_str().expect("utf-8 path"))
    );
    let d = Daemon::start(&["--http-timeout", "1", "--listen", &unix]).await;
    let a = addr(&d);

    // half a request line, on TCP and on the unix socket
    half_a_request_is_closed(TcpStream::connect(a).await.expect("connect"), "tcp").await;
    common::wait_for(|| sock.exists()).await;
    let u = tokio::net::UnixStream::connect(&sock)
        .await
        .expect("connect unix");
    half_a_request_is_closed(u, "unix").await;

    // nothing at all
    let mut s = TcpStream::connect(a).await.expect("connect");
    until_closed(&mut s, "silent").await;

    // a whole request is answered, then the idle keep-alive connection is closed
    let mut s = TcpStream::connect(a).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let got = until_closed(&mut s, "idle keep-alive").await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.contains("{\"ok\":true}"), "{got}");
    d.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_per_client_cap_are_closed() {
    let d = Daemon::start(&["--max-connections-per-client", "3", "--http-timeout", "600"]).await;
    let a = addr(&d);
    let mut held = Vec::new();
    for _ in 0..3 {
        // Retried: the start-up check's connection may not be given back yet.
        held.push(answered(a).await);
    }
    let mut fourth = TcpStream::connect(a).await.expect("the kernel accepts");
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let got = until_closed(&mut fourth, "fourth").await;
    assert_eq!(got, "", "closed without an answer");

    // Another client address still gets in.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().ok())
        .build()
        .expect("client");
    let res = other.get(d.url("/healthz")).send().await.expect("other");
    assert_eq!(res.status(), 200);

    // A closed connection gives its slot back.
    drop(held.pop());
    answered(a).await;
    d.stop().await;
}

/// A kept-alive connection that had a request answered (so the daemon counts it),
/// retried while the daemon closes new ones (≤ 5 s).
async fn answered(a: SocketAddr) -> TcpStream {
    for _ in 0..200 {
        let mut s = TcpStream::connect(a).await.expect("connect");
        let _ = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await;
        let mut buf = [0u8; 512];
        if let Ok(n) = s.read(&mut buf).await {
            if buf[..n].starts_with(b"HTTP/1.1 200") {
                return s;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no connection slot");
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'/' => "%2F".to_string(),
            _ => (b as char).to_string(),
        })
        .collect()
}
