//! Browser-facing protections through the real binary: the CSP, no caching of API answers,
//! HSTS and `Secure` cookies over https (also behind a trusted proxy), the `Host` check of
//! a loopback-only server (DNS rebinding), and reset links that a password change
//! invalidates.

mod common;

use reqwest::Client;
use serde_json::{json, Value};

use common::{cookie_client, Daemon};

const PW: &str = "correct horse battery";

#[tokio::test]
async fn csp_and_a_loopback_server_refuses_foreign_hosts() {
    let d = Daemon::start(&[]).await;
    let c = Client::new();
    let res = c.get(d.url("/")).send().await.expect("index");
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("csp")
        .to_owned();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(!csp.contains("https:"), "{csp}");
    assert!(
        res.headers().get("strict-transport-security").is_none(),
        "no HSTS over http"
    );
    // API answers are never cached (a back button must not show stale or others' data)
    let res = c
        .get(d.url("/api/settings/public"))
        .send()
        .await
        .expect("api");
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let port = d.base.rsplit(':').next().expect("port");
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "localhost".into(),
    ] {
        let res = c
            .get(d.url("/api/settings/public"))
            .header("host", &host)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{host}");
    }
    for host in [format!("evil.example:{port}"), "rebind.evil.example".into()] {
        let res = c
            .get(d.url("/api/settings/public"))
            .header("host", &host)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 421, "{host}");
    }
    d.stop().await;
}

#[tokio::test]
async fn https_behind_a_trusted_proxy_gets_hsts_and_secure_cookies() {
    let d = Daemon::start(&["--reverse-proxy", "1"]).await;
    let c = Client::new();
    let res = c
        .post(d.url("/api/user/register"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "a@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let hsts = res.headers().get("strict-transport-security");
    assert!(hsts.is_some_and(|v| v.as_bytes().starts_with(b"max-age=")));
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    // A proxy is trusted, so a name that is not loopback is fine; plain http is not https.
    let res = c
        .post(d.url("/api/user/login"))
        .header("host", "chat.example.com")
        .json(&json!({"email": "a@example.com", "password": PW}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("strict-transport-security").is_none());
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
    d.stop().await;

    // Without --reverse-proxy the header is the client's word.
    let d = Daemon::start(&[]).await;
    let res = Client::new()
        .get(d.url("/"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("get");
    assert!(res.headers().get("strict-transport-security").is_none());
    d.stop().await;
}

#[tokio::test]
async fn a_password_change_invalidates_reset_links() {
    let d = Daemon::start(&[]).await;
    let c = cookie_client();
    let res = c
        .post(d.url("/api/user/register"))
        .json(&json!({"email": "a@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let token = common::recover_token(d.home.path(), "a@example.com", &d.base);
    let res = c
        .post(d.url("/api/user"))
        .json(&json!({"password": "a new password", "old_password": PW}))
        .send()
        .await
        .expect("change");
    assert_eq!(res.status(), 200);
    let res = Client::new()
        .post(d.url("/api/user/register"))
        .json(&json!({"email": "a@example.com", "password": "the attacker's", "token": token}))
        .send()
        .await
        .expect("reset");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["message"], "Invalid or expired link.");
    d.stop().await;
}
