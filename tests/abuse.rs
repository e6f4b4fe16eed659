//! Login, register and reset under attack, through the real binary: parallel password
//! guesses, IPv6 clients rotating addresses, huge e-mails, registration floods.

mod common;

use futures_util::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use common::{cookie_client, Daemon};

const PW: &str = "correct horse battery";
/// Failed logins allowed per client address and per account in a window.
const LIMIT: usize = 10;

async fn post(c: &Client, url: &str, body: Value) -> StatusCode {
    c.post(url)
        .json(&body)
        .send()
        .await
        .expect("request")
        .status()
}

async fn register_alice(d: &Daemon) {
    let st = post(
        &cookie_client(),
        &d.url("/api/user/register"),
        json!({"email": "alice@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 200);
}

fn from(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().ok())
        .build()
        .expect("client")
}

#[tokio::test]
async fn parallel_guesses_count_one_by_one() {
    let d = Daemon::start(&[]).await;
    register_alice(&d).await;
    let c = Client::new();
    let login = d.url("/api/user/login");
    let guesses = (0..40).map(|i| {
        post(
            &c,
            &login,
            json!({"email": "alice@example.com", "password": format!("guess number {i}")}),
        )
    });
    let statuses = join_all(guesses).await;
    let answered = statuses.iter().filter(|s| **s != 429).count();
    assert!(
        statuses.iter().all(|s| *s == 400 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        answered <= LIMIT,
        "{answered} guesses checked: {statuses:?}"
    );
    // The account is blocked from any address, even with the right password...
    let st = post(
        &from("127.0.0.2"),
        &login,
        json!({"email": "alice@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 429);
    // ...and this address for any account.
    let st = post(
        &c,
        &login,
        json!({"email": "bob@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 429);
    d.stop().await;
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let d = Daemon::start(&["--reverse-proxy", "1"]).await;
    let c = Client::new();
    let login = d.url("/api/user/login");
    let guess = |ip: String, n: usize| {
        let req = c
            .post(&login)
            .header("x-forwarded-for", ip)
            .json(&json!({"email": format!("user{n}@example.com"), "password": PW}));
        async move { req.send().await.expect("request").status() }
    };
    for n in 0..LIMIT {
        // A new address of the same /64 for each guess.
        assert_eq!(guess(format!("2001:db8:0:1::{:x}", n + 1), n).await, 400);
    }
    assert_eq!(guess("2001:db8:0:1:ffff::9".into(), 99).await, 429);
    assert_eq!(
        guess("2001:db8:0:2::1".into(), 99).await,
        400,
        "another /64"
    );
    d.stop().await;
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn huge_emails_are_refused_without_a_trace() {
    let d = Daemon::start(&[]).await;
    register_alice(&d).await;
    let c = Client::new();
    let big = format!("{}@example.com", "a".repeat(512 * 1024));
    let (login, register) = (d.url("/api/user/login"), d.url("/api/user/register"));
    let attempt = |i: usize| {
        let (url, body) = if i % 2 == 0 {
            (
                &login,
                json!({"email": format!("{i}{big}"), "password": PW}),
            )
        } else {
            (
                &register,
                json!({"email": format!("{i}{big}"), "password": PW}),
            )
        };
        post(&c, url, body)
    };
    for i in 0..10 {
        assert_eq!(attempt(i).await, 400, "warm-up {i}");
    }
    let before = rss_kib(d.child.id());
    for chunk in (10..210).collect::<Vec<_>>().chunks(8) {
        let statuses = join_all(chunk.iter().map(|i| attempt(*i))).await;
        assert!(statuses.iter().all(|s| *s == 400), "{statuses:?}");
    }
    let after = rss_kib(d.child.id());
    // 200 × 512 KiB kept anywhere would be 100 MiB.
    assert!(
        after < before + 48 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    // None of them counted as a failed login.
    let st = post(
        &cookie_client(),
        &login,
        json!({"email": "alice@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 200);
    d.stop().await;
}

#[tokio::test]
async fn registrations_are_limited_and_do_not_tell_who_has_an_account() {
    let d = Daemon::start(&[]).await;
    register_alice(&d).await;
    let c = Client::new();
    let register = d.url("/api/user/register");
    for email in ["alice@example.com", "nobody@example.com"] {
        let res = c
            .post(&register)
            .json(&json!({"email": email, "password": PW}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), 403, "{email}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["errors"][0]["message"], "Registration is closed.");
    }
    let mut last = StatusCode::OK;
    for i in 0..30 {
        last = post(
            &c,
            &register,
            json!({"email": format!("user{i}@example.com"), "password": PW, "token": "guessed"}),
        )
        .await;
        if last == 429 {
            break;
        }
        assert_eq!(last, 400, "attempt {i}: a wrong invite token");
    }
    assert_eq!(last, 429, "registration attempts are limited");
    d.stop().await;
}
