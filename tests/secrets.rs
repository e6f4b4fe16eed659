//! Secrets of a connection through the running daemon: API answers mask the URL password
//! and NickServ/PASS commands; an edit that sends the masks back keeps the stored secrets,
//! but a masked password never follows the URL to another server.

mod common;

use common::browser::Browser;
use common::Daemon;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_secrets_stay_with_their_server() {
    let d = Daemon::start(&[]).await;
    let u = Browser::register(&d, "admin@example.com").await;
    let (st, conn) = u
        .post(
            "/api/connections",
            json!({
                "url": "irc://bob:s3cret@irc.example.com:6697?nick=bob",
                "on_connect_commands": ["/msg NickServ IDENTIFY hunter2", "/join #a"],
                "wanted_state": "disconnected",
            }),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    let shown = conn.to_string();
    assert!(
        !shown.contains("s3cret") && !shown.contains("hunter2"),
        "{shown}"
    );
    assert_eq!(
        conn["on_connect_commands"],
        json!(["/msg NickServ IDENTIFY ********", "/join #a"])
    );
    let path = format!(
        "/api/connection/{}",
        conn["connection_id"].as_str().expect("id")
    );

    // Sent back as shown: nothing changes, the secrets stay.
    let (st, same) = u
        .post(
            &path,
            json!({"url": conn["url"], "on_connect_commands": conn["on_connect_commands"]}),
        )
        .await;
    assert_eq!(st, 200, "{same}");
    assert_eq!(same["url"], conn["url"]);
    assert_eq!(same["on_connect_commands"], conn["on_connect_commands"]);

    // The masked password does not go to another host.
    let (st, moved) = u
        .post(
            &path,
            json!({"url": "irc://bob:********@evil.example.com:6697?nick=bob"}),
        )
        .await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["url"], "irc://bob@evil.example.com:6697?nick=bob");
    d.stop().await;
}
