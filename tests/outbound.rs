//! Safe on the public internet: what the running daemon lets users connect to. A non-admin
//! cannot reach the daemon's own network (loopback by address or by name), learns nothing
//! about its ports, is held to the admin's forced server and to a connection limit; the
//! admin and `CONVOS_IRC_ALLOW` open what they choose.

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;

use common::browser::Browser;
use common::{free_port, wait_for, Daemon};
use serde_json::json;

/// A listener that counts what it accepts, without blocking.
struct Listener(TcpListener);

impl Listener {
    fn new() -> Listener {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        Listener(l)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().expect("addr").port()
    }

    /// Whether a connection is waiting. A connect that succeeded completed the handshake
    /// before the daemon reported anything, so it is in the backlog by now.
    fn accepted(&self) -> bool {
        match self.0.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

async fn add(b: &Browser, url: &str) -> String {
    let (st, conn) = b.post("/api/connections", json!({"url": url})).await;
    assert_eq!(st, 200, "{url}: {conn}");
    conn["connection_id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_cannot_reach_the_daemons_network_and_learn_nothing_of_its_ports() {
    let d = Daemon::start(&["--open-to-public", "1"]).await;
    let admin = Browser::register(&d, "admin@example.com").await;
    let user = Browser::register(&d, "user@example.com").await;
    let open = Listener::new();
    let closed = free_port();
    let mut events = user.events().await;

    let cid = add(
        &user,
        &format!("irc://127.0.0.1:{}?tls=0&nick=u1", open.port()),
    )
    .await;
    let to_open = events.disconnected(&cid).await;
    assert!(
        !open.accepted(),
        "the non-admin's connection reached 127.0.0.1"
    );
    let cid = add(
        &user,
        &format!("irc://localhost:{}?tls=0&nick=u2", open.port()),
    )
    .await;
    let by_name = events.disconnected(&cid).await;
    assert!(
        !open.accepted(),
        "the non-admin's connection reached localhost"
    );
    let cid = add(&user, &format!("irc://127.0.0.1:{closed}?tls=0&nick=u3")).await;
    let to_closed = events.disconnected(&cid).await;

    // One generic message: an open and a closed port cannot be told apart.
    let generic = |port: u16| format!("Cannot connect to 127.0.0.1:{port}.");
    assert!(to_open.starts_with(&generic(open.port())), "{to_open}");
    assert!(to_closed.starts_with(&generic(closed)), "{to_closed}");
    let reason = |m: &str, port: u16| {
        let m = m.replace(&port.to_string(), "P");
        m.split(" Reconnecting")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(reason(&to_open, open.port()), reason(&to_closed, closed));
    assert!(
        by_name.starts_with(&format!("Cannot connect to localhost:{}.", open.port())),
        "{by_name}"
    );

    // The admin reaches it, and sees why a connect failed.
    let mut admin_events = admin.events().await;
    add(
        &admin,
        &format!("irc://127.0.0.1:{}?tls=0&nick=a1", open.port()),
    )
    .await;
    wait_for(|| open.accepted()).await;
    let cid = add(&admin, &format!("irc://127.0.0.1:{closed}?tls=0&nick=a2")).await;
    let detail = admin_events.disconnected(&cid).await;
    assert!(
        detail.starts_with(&format!("Cannot connect to 127.0.0.1:{closed}: ")),
        "{detail}"
    );

    // local_address= picks the daemon's interface: admins only.
    let (st, body) = user
        .post(
            "/api/connections",
            json!({"url": "irc://irc.example.com?local_address=127.0.0.1", "wanted_state": "disconnected"}),
        )
        .await;
    assert_eq!(st, 403, "{body}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irc_allow_opens_one_loopback_port() {
    let allowed = Listener::new();
    let other = Listener::new();
    let rule = format!("127.0.0.1:{}", allowed.port());
    let d = Daemon::start(&["--open-to-public", "1", "--irc-allow", &rule]).await;
    let _admin = Browser::register(&d, "admin@example.com").await;
    let user = Browser::register(&d, "user@example.com").await;
    let mut events = user.events().await;
    let cid = add(
        &user,
        &format!("irc://127.0.0.1:{}?tls=0&nick=u1", other.port()),
    )
    .await;
    let msg = events.disconnected(&cid).await;
    assert!(msg.starts_with("Cannot connect to"), "{msg}");
    assert!(!other.accepted(), "only the allowed port opens");
    add(
        &user,
        &format!("irc://127.0.0.1:{}?tls=0&nick=u2", allowed.port()),
    )
    .await;
    wait_for(|| allowed.accepted()).await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_address_rules_stop_the_daemon_with_a_clear_message() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .args(["daemon", "--listen", "http://127.0.0.1:0"])
        .env("CONVOS_IRC_DENY", "10.0.0.0/8,localhost")
        .env("CONVOS_HOME", tempfile::tempdir().expect("tmp").path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CONVOS_IRC_DENY") && err.contains("\"localhost\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_has_at_most_the_configured_number_of_connections() {
    let d = Daemon::start(&["--max-connections-per-user", "2"]).await;
    let user = Browser::register(&d, "admin@example.com").await;
    for n in 0..2 {
        let (st, body) = user
            .post(
                "/api/connections",
                json!({"url": format!("irc://irc{n}.example.com"), "wanted_state": "disconnected"}),
            )
            .await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, body) = user
        .post(
            "/api/connections",
            json!({"url": "irc://irc9.example.com", "wanted_state": "disconnected"}),
        )
        .await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "You can have at most 2 connections."
    );
    let (_, list) = user.get("/api/connections").await;
    assert_eq!(list["connections"].as_array().map(Vec::len), Some(2));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_server_holds_for_adds_and_edits_of_non_admins() {
    let d = Daemon::start(&["--open-to-public", "1"]).await;
    let admin = Browser::register(&d, "admin@example.com").await;
    let user = Browser::register(&d, "user@example.com").await;
    let (st, body) = admin
        .post(
            "/api/settings",
            json!({"default_connection": "irc://irc.example.com:6697/%23convos", "forced_connection": true}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let refused = |(st, body): (u16, serde_json::Value)| {
        assert_eq!(st, 403, "{body}");
        assert_eq!(
            body["errors"][0]["message"],
            "You can only connect to the default server."
        );
    };
    for url in [
        "irc://evil.example.com:6697",
        "irc://irc.example.com:6667",
        "irc://irc.example.com:6697?tls=0",
        "irc://127.0.0.1:6697",
    ] {
        refused(post(&user, "/api/connections", url).await);
    }
    let (st, conn) = post(
        &user,
        "/api/connections",
        "ircs://IRC.example.com:6697?nick=u",
    )
    .await;
    assert_eq!(st, 200, "{conn}");
    let path = format!(
        "/api/connection/{}",
        conn["connection_id"].as_str().expect("id")
    );
    refused(post(&user, &path, "irc://evil.example.com:6697?nick=u").await);
    refused(post(&user, &path, "irc://irc.example.com:7000?nick=u").await);
    let (st, body) = post(&user, &path, "irc://irc.example.com:6697?nick=u2").await;
    assert_eq!(st, 200, "same server, other nick: {body}");

    // The admin may go anywhere.
    let (st, body) = post(&admin, "/api/connections", "irc://evil.example.com:6697").await;
    assert_eq!(st, 200, "{body}");
    let path = format!(
        "/api/connection/{}",
        body["connection_id"].as_str().expect("id")
    );
    let (st, body) = post(&admin, &path, "irc://other.example.com:6667").await;
    assert_eq!(st, 200, "{body}");
    d.stop().await;
}

async fn post(b: &Browser, path: &str, url: &str) -> (u16, serde_json::Value) {
    b.post(path, json!({"url": url, "wanted_state": "disconnected"}))
        .await
}
