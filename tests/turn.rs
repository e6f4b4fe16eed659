//! The built-in STUN/TURN server: `convos daemon --turn-listen` hands each user short-lived
//! credentials in `GET /api/user`, and a TURN client can allocate a relay with them (and
//! not with anything else).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{free_port, Daemon};
use serde_json::{json, Value};
use tokio::net::UdpSocket;
use turn::client::{Client, ClientConfig};

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
