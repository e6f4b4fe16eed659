//! OpenID Connect sign-in through the real binary against a real provider (npm
//! `oidc-provider`, PKCE required): the whole redirect dance, accounts matched or created
//! by the registration rules, the admin's view of how users sign in, RP-initiated logout,
//! and hostile callbacks (bad state, replay, another browser, another provider, wrong
//! issuer, an unverified e-mail), each refused with a clear code and nothing changed.

mod common;

use serde_json::Value;

use common::oidc::{self, Provider};
use common::{free_port, Daemon};

struct Setup {
    d: Daemon,
    p: Provider,
}

async fn setup(open: bool) -> Setup {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let p = Provider::start(
        &[
            format!("{base}/api/oidc/test/callback"),
            format!("{base}/api/oidc/other/callback"),
        ],
        &[format!("{base}/login")],
    )
    .await;
    let wrong = p.issuer.replace("127.0.0.1", "localhost");
    let env = [
        ("CONVOS_OIDC_PROVIDERS", "test,other,wrong"),
        ("CONVOS_OIDC_TEST_ISSUER", p.issuer.as_str()),
        ("CONVOS_OIDC_TEST_CLIENT_ID", "app"),
        ("CONVOS_OIDC_TEST_CLIENT_SECRET", "appsecret"),
        ("CONVOS_OIDC_TEST_LABEL", "Test ID"),
        ("CONVOS_OIDC_OTHER_ISSUER", p.issuer.as_str()),
        ("CONVOS_OIDC_OTHER_CLIENT_ID", "spa"),
        // Its discovery document names 127.0.0.1: an issuer mismatch.
        ("CONVOS_OIDC_WRONG_ISSUER", wrong.as_str()),
        ("CONVOS_OIDC_WRONG_CLIENT_ID", "app"),
        ("CONVOS_OIDC_ALLOW", "127.0.0.1,::1"),
        ("CONVOS_OPEN_TO_PUBLIC", if open { "1" } else { "0" }),
    ];
    let mut d = Daemon::start_env(
        tempfile::tempdir().expect("tempdir"),
        &["--listen", &base],
        &env,
    );
    d.base = base;
    common::wait_for_url(&reqwest::Client::new(), &d.url("/healthz")).await;
    Setup { d, p }
}

/// The redirect the daemon answers `url` with (path and query when on the daemon).
async fn location(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.expect("get");
    assert_eq!(r.status(), 303, "{url}");
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string()
}

/// Starts a sign-in with `provider` and signs in at the provider: the callback URL.
async fn to_callback(
    s: &Setup,
    c: &reqwest::Client,
    provider: &str,
    query: &str,
    user: &str,
) -> String {
    let start = location(c, &s.d.url(&format!("/api/oidc/{provider}/start{query}"))).await;
    assert!(start.starts_with(&s.p.issuer), "{start}");
    assert!(start.contains("code_challenge_method=S256"), "{start}");
    let pw = format!("{user}pass");
    oidc::login(c, &start, &s.p.issuer, user, &pw).await
}

async fn me(s: &Setup, c: &reqwest::Client) -> (u16, Value) {
    let r = c.get(s.d.url("/api/user")).send().await.expect("user");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn user_count(s: &Setup, admin: &reqwest::Client) -> usize {
    let r = admin
        .get(s.d.url("/api/users"))
        .send()
        .await
        .expect("users");
    let v: Value = r.json().await.expect("json");
    v["users"].as_array().expect("users").len()
}

#[tokio::test]
async fn users_sign_in_through_their_provider() {
    if !oidc::available() {
        return;
    }
    let s = setup(false).await;
    let public: Value = reqwest::get(s.d.url("/api/settings/public"))
        .await
        .expect("settings")
        .json()
        .await
        .expect("json");
    assert_eq!(public["oidc"][0]["label"], "Test ID");
    assert_eq!(public["password_login"], true);

    // The first user becomes admin.
    let alice = oidc::browser();
    let cb = to_callback(&s, &alice, "test", "", "alice").await;
    assert!(cb.starts_with(&s.d.url("/api/oidc/test/callback?")), "{cb}");
    assert!(cb.contains("iss="), "RFC 9207 iss is sent: {cb}");
    assert_eq!(location(&alice, &cb).await, "/");
    let (st, u) = me(&s, &alice).await;
    assert_eq!(st, 200, "{u}\n{}", s.p.log());
    assert_eq!(u["email"], "alice@example.test");
    assert_eq!(u["roles"], serde_json::json!(["admin"]));

    // Registration is closed: bob gets no account, until invited.
    let bob = oidc::browser();
    let cb = to_callback(&s, &bob, "test", "", "bob").await;
    assert_eq!(location(&bob, &cb).await, "/login?oidc_error=closed");
    assert_eq!(me(&s, &bob).await.0, 401);
    assert_eq!(user_count(&s, &alice).await, 1);
    let inv: Value = alice
        .post(s.d.url("/api/user/bob@example.test/invite"))
        .header("origin", &s.d.base)
        .send()
        .await
        .expect("invite")
        .json()
        .await
        .expect("json");
    let link = reqwest::Url::parse(inv["url"].as_str().expect("url")).expect("link");
    let token = link
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let cb = to_callback(&s, &bob, "other", "?invite=wrong-token", "bob").await;
    assert_eq!(location(&bob, &cb).await, "/login?oidc_error=invite");
    let cb = to_callback(&s, &bob, "other", &format!("?invite={token}"), "bob").await;
    assert_eq!(location(&bob, &cb).await, "/");
    let (st, u) = me(&s, &bob).await;
    assert_eq!((st, u["roles"].clone()), (200, serde_json::json!([])));

    // An unverified e-mail signs nobody in and creates nothing.
    let carol = oidc::browser();
    let cb = to_callback(&s, &carol, "test", "", "carol").await;
    assert_eq!(location(&carol, &cb).await, "/login?oidc_error=email");
    assert_eq!(me(&s, &carol).await.0, 401);
    assert_eq!(user_count(&s, &alice).await, 2);

    // The admin sees how each user signs in; others may not look.
    let list: Value = alice
        .get(s.d.url("/api/users"))
        .send()
        .await
        .expect("users")
        .json()
        .await
        .expect("json");
    let ways = |email: &str| {
        list["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["sign_ins"].clone())
            .expect("user")
    };
    assert_eq!(ways("alice@example.test")[0]["method"], "oidc");
    assert_eq!(ways("alice@example.test")[0]["label"], "Test ID");
    assert_eq!(ways("bob@example.test")[0]["provider"], "other");
    assert_eq!(
        bob.get(s.d.url("/api/users"))
            .send()
            .await
            .expect("users")
            .status(),
        403
    );
    assert_eq!(
        reqwest::get(s.d.url("/api/users"))
            .await
            .expect("users")
            .status(),
        401
    );

    // Logout ends our session and points at the provider's end_session_endpoint.
    let out: Value = alice
        .post(s.d.url("/api/user/logout"))
        .header("origin", &s.d.base)
        .send()
        .await
        .expect("logout")
        .json()
        .await
        .expect("json");
    let end =
        reqwest::Url::parse(out["end_session_url"].as_str().expect("end session")).expect("url");
    assert!(
        end.as_str()
            .starts_with(&format!("{}/session/end?", s.p.issuer)),
        "{end}"
    );
    let q: std::collections::HashMap<_, _> = end.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "app");
    assert_eq!(q["post_logout_redirect_uri"], s.d.url("/login"));
    assert!(q["id_token_hint"].split('.').count() == 3, "an ID token");
    assert_eq!(me(&s, &alice).await.0, 401);
    // The provider accepts it: its confirmation page, no error.
    let r = alice.get(end.as_str()).send().await.expect("end session");
    assert_eq!(r.status(), 200, "{}", s.p.log());
    s.d.stop().await;
}

#[tokio::test]
async fn hostile_callbacks_change_nothing() {
    if !oidc::available() {
        return;
    }
    let s = setup(true).await;
    let c = oidc::browser();
    let cb = to_callback(&s, &c, "test", "", "alice").await;
    let url = reqwest::Url::parse(&cb).expect("callback");
    let with = |key: &str, value: &str| {
        let mut u = url.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .into_owned()
            .map(|(k, v)| {
                if k == key {
                    (k, value.to_string())
                } else {
                    (k, v)
                }
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        u.to_string()
    };

    // A made-up state, another browser (no binding cookie), another provider's callback:
    // refused, and the real flow is still there for its browser.
    assert_eq!(
        location(&c, &with("state", "forged")).await,
        "/login?oidc_error=state"
    );
    let other = oidc::browser();
    assert_eq!(location(&other, &cb).await, "/login?oidc_error=state");
    assert_eq!(me(&s, &other).await.0, 401);
    let elsewhere = cb.replace("/api/oidc/test/", "/api/oidc/other/");
    assert_eq!(location(&c, &elsewhere).await, "/login?oidc_error=state");
    assert_eq!(me(&s, &c).await.0, 401);
    // The binding cookie was cleared by those failures: a browser that starts again.
    let cb = to_callback(&s, &c, "test", "", "alice").await;
    assert_eq!(location(&c, &cb).await, "/");
    assert_eq!(me(&s, &c).await.0, 200);
    // Replay: the flow is used up.
    let replay = oidc::browser();
    let cb2 = to_callback(&s, &replay, "test", "", "bob").await;
    assert_eq!(location(&replay, &cb2).await, "/");
    replay
        .post(s.d.url("/api/user/logout"))
        .header("origin", &s.d.base)
        .send()
        .await
        .expect("logout");
    let cookie_again = location(&replay, &cb2).await;
    assert_eq!(cookie_again, "/login?oidc_error=state");
    assert_eq!(me(&s, &replay).await.0, 401);

    // A callback naming another issuer (RFC 9207 mix-up defence).
    let mixed = oidc::browser();
    let cb = to_callback(&s, &mixed, "test", "", "bob").await;
    let u = reqwest::Url::parse(&cb).expect("url");
    let mut evil = u.clone();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "iss" {
                (k, "https://evil.example".into())
            } else {
                (k, v)
            }
        })
        .collect();
    evil.query_pairs_mut().clear().extend_pairs(pairs);
    assert_eq!(
        location(&mixed, evil.as_str()).await,
        "/login?oidc_error=issuer"
    );
    assert_eq!(me(&s, &mixed).await.0, 401);

    // The provider's refusal.
    let denied = oidc::browser();
    let start = location(&denied, &s.d.url("/api/oidc/test/start")).await;
    let st = reqwest::Url::parse(&start)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let refusal = s.d.url(&format!(
        "/api/oidc/test/callback?error=access_denied&state={st}"
    ));
    assert_eq!(
        location(&denied, &refusal).await,
        "/login?oidc_error=denied"
    );

    // Unknown providers, and one whose discovery names another issuer.
    let anon = oidc::browser();
    assert_eq!(
        location(&anon, &s.d.url("/api/oidc/nope/start")).await,
        "/login?oidc_error=provider"
    );
    assert_eq!(
        location(&anon, &s.d.url("/api/oidc/nope/callback?state=x")).await,
        "/login?oidc_error=state"
    );
    assert_eq!(
        location(&anon, &s.d.url("/api/oidc/wrong/start")).await,
        "/login?oidc_error=unavailable"
    );
    assert_eq!(
        location(&anon, &s.d.url("/api/oidc/test/callback")).await,
        "/login?oidc_error=state"
    );
    assert_eq!(me(&s, &anon).await.0, 401);
    s.d.stop().await;
}

#[tokio::test]
async fn oidc_only_refuses_passwords_and_loopback_needs_an_allowance() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [
        ("CONVOS_OIDC_PROVIDERS", "corp"),
        ("CONVOS_OIDC_CORP_ISSUER", "http://127.0.0.1:9/"),
        ("CONVOS_OIDC_CORP_CLIENT_ID", "convos"),
        ("CONVOS_OIDC_ONLY", "1"),
    ];
    let mut d = Daemon::start_env(
        tempfile::tempdir().expect("tempdir"),
        &["--listen", &base],
        &env,
    );
    d.base = base;
    common::wait_for_url(&reqwest::Client::new(), &d.url("/healthz")).await;
    let public: Value = reqwest::get(d.url("/api/settings/public"))
        .await
        .expect("settings")
        .json()
        .await
        .expect("json");
    assert_eq!(public["password_login"], false);
    assert_eq!(public["oidc"][0]["name"], "corp");
    let c = oidc::browser();
    for path in ["/api/user/register", "/api/user/login"] {
        let r = c
            .post(d.url(path))
            .header("origin", &d.base)
            .json(&serde_json::json!({"email": "a@example.com", "password": "long enough pw"}))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 403, "{path}");
    }
    // A provider on loopback without CONVOS_OIDC_ALLOW: the outbound policy refuses it.
    let r = c
        .get(d.url("/api/oidc/corp/start"))
        .send()
        .await
        .expect("start");
    assert_eq!(r.headers()["location"], "/login?oidc_error=unavailable");
    d.stop().await;
}
