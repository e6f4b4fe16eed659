//! A scripted IRC server for exact protocol cases that real servers cannot produce on
//! demand: accept one client, answer its registration, then send and expect lines.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpListener;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// One accepted client.
pub struct Peer {
    lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
    w: OwnedWriteHalf,
}

impl Peer {
    pub async fn accept(l: &TcpListener) -> Peer {
        let (s, _) = timeout(WAIT, l.accept())
            .await
            .expect("client connects")
            .expect("accept");
        let (r, w) = s.into_split();
        Peer {
            lines: BufReader::new(r).lines(),
            w,
        }
    }

    pub async fn recv(&mut self) -> String {
        timeout(WAIT, self.lines.next_line())
            .await
            .expect("line in time")
            .expect("read")
            .expect("client closed")
    }

    /// The next line, or `None` when the client closed (or said nothing in time).
    #[allow(dead_code)]
    pub async fn try_recv(&mut self) -> Option<String> {
        timeout(WAIT, self.lines.next_line()).await.ok()?.ok()?
    }

    /// Reads until a line starting with `prefix`; returns it.
    pub async fn expect(&mut self, prefix: &str) -> String {
        loop {
            let l = self.recv().await;
            if l.starts_with(prefix) {
                return l;
            }
        }
    }

    pub async fn send(&mut self, line: &str) {
        self.w
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("write");
    }

    /// Raw bytes (e.g. not UTF-8).
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).await.expect("write");
    }

    /// Offers `caps`, acknowledges what is asked, welcomes `nick` after `CAP END`.
    pub async fn register(&mut self, nick: &str, caps: &str) {
        self.expect("CAP LS").await;
        self.send(&format!(":srv CAP * LS :{caps}")).await;
        loop {
            let l = self.recv().await;
            if let Some(req) = l.strip_prefix("CAP REQ :") {
                self.send(&format!(":srv CAP {nick} ACK :{req}")).await;
            } else if l == "CAP END" {
                break;
            }
        }
        self.send(&format!(":srv 001 {nick} :Welcome")).await;
    }

    /// Plain registration of a client that asked `CAP LS 302`: the server knows no CAP.
    pub async fn register_without_cap(&mut self, nick: &str) {
        self.expect("CAP LS 302").await;
        self.send(":irc.test 421 * CAP :Unknown command").await;
        self.expect("USER").await;
        self.send(&format!(":irc.test 001 {nick} :Welcome")).await;
    }

    /// A PING/PONG round trip: the client has read everything sent before it.
    pub async fn roundtrip(&mut self) {
        self.send("PING :barrier").await;
        self.expect("PONG").await;
    }
}
