//! The built-in STUN/TURN server: `convos daemon --turn-listen` hands each user short-lived
//! credentials in `GET /api/user`, and a TURN client can allocate a relay with them (and
//! not with anything else).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::browser::Browser;
use common::{free_port, Daemon};
use serde_json::{json, Value};
use tokio::net::UdpSocket;
use turn::client::{Client, ClientConfig};
use webrtc_util::Conn;

/// A TURN client with one relay allocation.
struct Relayed {
    client: Client,
    relay: Box<dyn Conn + Send + Sync>,
}

impl Relayed {
    async fn new(server: &str, username: &str, password: &str) -> Result<Relayed, String> {
        let conn = UdpSocket::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let client = Client::new(ClientConfig {
            stun_serv_addr: server.to_string(),
            turn_serv_addr: server.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            realm: String::new(),
            software: String::new(),
            rto_in_ms: 0,
            conn: Arc::new(conn),
            vnet: None,
        })
        .await
        .map_err(|e| e.to_string())?;
        client.listen().await.map_err(|e| e.to_string())?;
        match tokio::time::timeout(Duration::from_secs(10), client.allocate()).await {
            Ok(Ok(relay)) => Ok(Relayed {
                client,
                relay: Box::new(relay),
            }),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.relay.local_addr().expect("relayed address")
    }

    async fn send(&self, data: &[u8], to: std::net::SocketAddr) {
        self.relay
            .send_to(data, to)
            .await
            .expect("send through the relay");
    }

    /// The next datagram relayed to us (≤ 10 s).
    async fn recv(&self) -> (Vec<u8>, std::net::SocketAddr) {
        let mut buf = vec![0u8; 1500];
        let (n, from) =
            tokio::time::timeout(Duration::from_secs(10), self.relay.recv_from(&mut buf))
                .await
                .expect("datagram in time")
                .expect("recv");
        buf.truncate(n);
        (buf, from)
    }
}

/// The built-in TURN server's credentials handed to `b`: (username, credential).
async fn credentials(b: &Browser, port: u16) -> (String, String) {
    let (_, user) = b.get("/api/user").await;
    let turn = user["rtc"]["ice_servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["urls"] == format!("turn:127.0.0.1:{port}?transport=udp"))
        .expect("built-in TURN listed")
        .clone();
    (
        turn["username"].as_str().expect("username").to_string(),
        turn["credential"].as_str().expect("credential").to_string(),
    )
}

async fn allocate(server: &str, username: &str, password: &str) -> Result<(), String> {
    let conn = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let client = Client::new(ClientConfig {
        stun_serv_addr: server.to_string(),
        turn_serv_addr: server.to_string(),
        username: username.to_string(),
        password: password.to_string(),
        realm: String::new(),
        software: String::new(),
        rto_in_ms: 0,
        conn: Arc::new(conn),
        vnet: None,
    })
    .await
    .map_err(|e| e.to_string())?;
    client.listen().await.map_err(|e| e.to_string())?;
    let res = tokio::time::timeout(Duration::from_secs(10), client.allocate()).await;
    let _ = client.close().await;
    match res {
        Ok(Ok(_relay)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_turn_relays_with_ephemeral_credentials() {
    let port = free_port();
    let listen = format!("udp://127.0.0.1:{port}");
    let d = Daemon::start(&[
        "--turn-listen",
        &listen,
        "--turn-relay-ports",
        "41000-41100",
        "--rtc-relay-only",
        "1",
    ])
    .await;
    let c = common::cookie_client();
    let res = c
        .post(d.url("/api/user/register"))
        .json(&json!({"email": "a@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let user: Value = c
        .get(d.url("/api/user"))
        .send()
        .await
        .expect("user")
        .json()
        .await
        .expect("json");
    let rtc = &user["rtc"];
    assert_eq!(rtc["ice_transport_policy"], "relay");
    let servers = rtc["ice_servers"].as_array().expect("servers");
    assert!(servers
        .iter()
        .any(|s| s["urls"] == format!("stun:127.0.0.1:{port}")));
    let turn = servers
        .iter()
        .find(|s| s["urls"] == format!("turn:127.0.0.1:{port}?transport=udp"))
        .expect("built-in TURN listed");
    let username = turn["username"].as_str().expect("username");
    let credential = turn["credential"].as_str().expect("credential");
    assert!(username.ends_with(":1"), "expiry:user-id, got {username}");

    let addr = format!("127.0.0.1:{port}");
    allocate(&addr, username, credential)
        .await
        .expect("relay allocated with the handed-out credentials");
    assert!(
        allocate(&addr, username, "wrong").await.is_err(),
        "wrong password refused"
    );
    assert!(
        allocate(&addr, "1:old", credential).await.is_err(),
        "expired username refused"
    );
    d.stop().await;
}

#[tokio::test]
async fn turn_listen_on_every_address_needs_a_public_ip() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .args([
            "daemon",
            "--listen",
            "http://127.0.0.1:0",
            "--turn-listen",
            "udp://0.0.0.0:3478",
        ])
        .env("CONVOS_HOME", tempfile::tempdir().expect("tmp").path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CONVOS_TURN_PUBLIC_IP"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_reach_each_other_but_not_the_servers_network() {
    let port = free_port();
    let listen = format!("udp://127.0.0.1:{port}");
    let d = Daemon::start(&[
        "--turn-listen",
        &listen,
        "--turn-relay-ports",
        "41200-41300",
        "--open-to-public",
        "1",
    ])
    .await;
    let alice = Browser::register(&d, "alice@example.com").await;
    let bob = Browser::register(&d, "bob@example.com").await;
    let server = format!("127.0.0.1:{port}");
    let (au, ac) = credentials(&alice, port).await;
    let (bu, bc) = credentials(&bob, port).await;
    assert!(
        au.split(':')
            .next()
            .and_then(|t| t.parse::<i64>().ok())
            .expect("expiry")
            <= std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("now")
                .as_secs() as i64
                + 2 * 3600,
        "credentials live at most 2 hours: {au}"
    );
    let a = Relayed::new(&server, &au, &ac)
        .await
        .expect("alice's relay");
    let b = Relayed::new(&server, &bu, &bc).await.expect("bob's relay");
    let target = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    target.set_nonblocking(true).expect("nonblocking");
    let target_addr = target.local_addr().expect("addr");

    // Each lets the other's relay in; Alice tries the loopback socket, then Bob's relay. The
    // server handles her requests in order, so once Bob has the second datagram the
    // first one has been sent, or dropped.
    a.send(b"knock", b.addr()).await; // Alice's permission for Bob (Bob may drop it)
    b.send(b"hello alice", a.addr()).await;
    assert_eq!(a.recv().await.0, b"hello alice");
    a.send(b"to loopback", target_addr).await;
    a.send(b"hello bob", b.addr()).await;
    let (data, from) = loop {
        let (data, from) = b.recv().await;
        if data != b"knock" {
            break (data, from);
        }
    };
    assert_eq!((data.as_slice(), from), (&b"hello bob"[..], a.addr()));
    let mut buf = [0u8; 64];
    assert_eq!(
        target.recv_from(&mut buf).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "a relay reached 127.0.0.1"
    );

    // At most 10 allocations per user: Alice has one.
    let mut more = vec![];
    for _ in 0..9 {
        more.push(
            Relayed::new(&server, &au, &ac)
                .await
                .expect("within the limit"),
        );
    }
    assert!(
        Relayed::new(&server, &au, &ac).await.is_err(),
        "the 11th allocation is refused"
    );
    assert!(
        Relayed::new(&server, &bu, &bc).await.is_ok(),
        "others are not held back"
    );

    // A deleted user's credentials stop working.
    let (st, body) = bob
        .delete_with(
            "/api/user",
            Some(json!({"password": "correct horse battery"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        Relayed::new(&server, &bu, &bc).await.is_err(),
        "a deleted user's credentials still allocate"
    );
    for r in more.into_iter().chain([a, b]) {
        let _ = r.client.close().await;
    }
    d.stop().await;
}
