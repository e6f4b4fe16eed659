//! Operations endpoints through the real binary: `/readyz`, `/metrics` on the main
//! listener (metrics token or an admin only) and on its own `--metrics-listen` address.

mod common;

use std::sync::Arc;

use reqwest::cookie::Jar;
use serde_json::{json, Value};

use common::Daemon;

const PW: &str = "correct horse battery";
const TOKEN: &str = "metrics-token-for-tests";

/// A logged-in client (registers `email`; the first user is the admin).
async fn user(d: &Daemon, email: &str) -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .expect("client");
    let r = http
        .post(d.url("/api/user/register"))
        .json(&json!({"email": email, "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    (http, jar)
}

async fn status_of(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.expect("request");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// The value of an unlabelled sample in OpenMetrics text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn readyz_and_metrics() {
    let d = Daemon::start(&[
        "--metrics-listen",
        "http://127.0.0.1:0",
        "--metrics-token",
        TOKEN,
        "--open-to-public",
        "1",
    ])
    .await;
    let mlisten = d.metrics_url().await;
    let anon = reqwest::Client::new();

    let (st, body) = status_of(anon.get(d.url("/readyz"))).await;
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["checks"]["store"], true);
    assert_eq!(v["checks"]["users"], true);

    let (admin, _) = user(&d, "admin@example.com").await;
    let (bob, bob_jar) = user(&d, "bob@example.com").await;

    // Main listener: nobody without the token or an admin session.
    let url = d.url("/metrics");
    assert_eq!(status_of(anon.get(&url)).await.0, 401);
    assert_eq!(status_of(bob.get(&url)).await.0, 403);
    assert_eq!(
        status_of(anon.get(&url).bearer_auth("wrong-token")).await.0,
        401
    );
    assert_eq!(
        status_of(bob.get(&url).bearer_auth("wrong-token")).await.0,
        401
    );
    let (st, text) = status_of(anon.get(&url).bearer_auth(TOKEN)).await;
    assert_eq!(st, 200, "{text}");
    assert_eq!(sample(&text, "convos_users"), Some(2.0), "{text}");
    let (st, text) = status_of(admin.get(&url)).await;
    assert_eq!(st, 200);
    assert!(text.ends_with("# EOF\n"), "{text}");

    // Its own listener: open, and nothing else is served there.
    let murl = format!("{mlisten}/metrics");
    let socket = common::events_socket(&d.base, &bob_jar, "").await;
    let r = anon.get(&murl).send().await.expect("scrape");
    assert_eq!(r.status(), 200);
    let ctype = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let text = r.text().await.expect("text");
    assert_eq!(
        sample(&text, "convos_websocket_clients"),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(&text, "convos_messages_stored_total").is_some(),
        "{text}"
    );
    assert!(
        text.contains("convos_store_commit_seconds_bucket{le="),
        "{text}"
    );
    assert!(sample(&text, "process_resident_memory_bytes").unwrap_or(0.0) > 0.0);
    assert!(sample(&text, "process_open_fds").unwrap_or(0.0) > 0.0);
    drop(socket);
    let (st, _) = status_of(anon.get(format!("{mlisten}/readyz"))).await;
    assert_eq!(st, 200);
    let (st, _) = status_of(anon.get(format!("{mlisten}/api/user"))).await;
    assert_eq!(st, 404);
    d.stop().await;
}
