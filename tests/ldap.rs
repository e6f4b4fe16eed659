//! LDAP sign-in through the real binary against a real `slapd`: bind as the user over
//! `ldaps://`, search-then-bind with a service account over StartTLS, the e-mail from the
//! entry, admin by group, wrong passwords refused, an untrusted certificate never
//! accepted, and local accounts still working beside the directory.

mod common;

use serde_json::{json, Value};

use common::slapd::{self, Slapd, BASE};
use common::Daemon;

async fn login(d: &Daemon, email: &str, password: &str) -> (u16, Value) {
    let r = common::cookie_client()
        .post(d.url("/api/user/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login");
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn users_sign_in_with_their_directory_password() {
    if !slapd::available() {
        return;
    }
    let ldap = Slapd::start();
    let ca = ldap.ca_file.display().to_string();
    let admins = format!("(memberOf=cn=admins,ou=groups,{BASE})");

    // Bind as the user over ldaps://, admin by group. A local account comes first.
    let d = Daemon::start(&[
        "--ldap-url",
        &format!("ldaps://127.0.0.1:{}", ldap.tls_port),
        "--ldap-ca",
        &ca,
        "--ldap-bind-dn",
        &format!("uid=%uid,ou=people,{BASE}"),
        "--ldap-admin-filter",
        &admins,
    ])
    .await;
    let r = common::cookie_client()
        .post(d.url("/api/user/register"))
        .json(&json!({"email": "local@example.com", "password": "local password 1"}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), 200);
    let (st, alice) = login(&d, "alice@example.test", "alicepass").await;
    assert_eq!(st, 200, "{alice}\n{}", ldap.log());
    assert_eq!(alice["email"], "alice@example.test");
    assert_eq!(alice["roles"], json!(["admin"]), "in cn=admins");
    let (st, bob) = login(&d, "bob@example.test", "bobpass").await;
    assert_eq!(st, 200, "{bob}");
    assert_eq!(bob["roles"], json!([]));
    for (email, pw) in [
        ("bob@example.test", "alicepass"),
        ("bob@example.test", ""),
        ("nobody@example.test", "x"),
        ("bob*@example.test", "bobpass"),
    ] {
        let (st, v) = login(&d, email, pw).await;
        assert_eq!(st, 400, "{email}: {v}");
    }
    let (st, _) = login(&d, "local@example.com", "local password 1").await;
    assert_eq!(st, 200, "local accounts keep working");
    d.stop().await;

    // Search-then-bind with a service account, over StartTLS; found by mail.
    let d = Daemon::start(&[
        "--ldap-url",
        &format!("ldap://127.0.0.1:{}", ldap.port),
        "--ldap-starttls",
        "1",
        "--ldap-ca",
        &ca,
        "--ldap-search-base",
        &format!("ou=people,{BASE}"),
        "--ldap-search-filter",
        "(mail=%email)",
        "--ldap-search-dn",
        &format!("cn=admin,{BASE}"),
        "--ldap-search-password",
        "adminpass",
    ])
    .await;
    let (st, bob) = login(&d, "Bob@Example.test", "bobpass").await;
    assert_eq!(st, 200, "{bob}\n{}", ldap.log());
    assert_eq!(bob["email"], "bob@example.test");
    let (st, _) = login(&d, "bob@example.test", "wrong").await;
    assert_eq!(st, 400);
    d.stop().await;

    // The server's certificate is not trusted without --ldap-ca: no sign-in.
    let d = Daemon::start(&[
        "--ldap-url",
        &format!("ldaps://127.0.0.1:{}", ldap.tls_port),
        "--ldap-bind-dn",
        &format!("uid=%uid,ou=people,{BASE}"),
    ])
    .await;
    let (st, _) = login(&d, "alice@example.test", "alicepass").await;
    assert_eq!(st, 400);
    d.stop().await;
}
