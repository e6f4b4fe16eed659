//! Accounts through the real binary: registration rules, invites, login and its limits,
//! sessions and their cookie, the Origin check, admin routes, and the `convos user` and
//! `convos recover` commands.

mod common;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use common::{convos_cli, cookie_client, Daemon};

const PW: &str = "correct horse battery";

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn post(c: &Client, url: &str, body: Value) -> (StatusCode, Value) {
    send(c.post(url).json(&body)).await
}

fn error(message: &str, path: &str) -> Value {
    json!({"errors": [{"message": message, "path": path}]})
}

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("convos_session="))
        .expect("a convos_session cookie")
        .to_owned()
}

/// The `token` query parameter of an invite or reset link.
fn token_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("link is a URL");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token in link")
}

async fn register(d: &Daemon, email: &str) -> (Client, StatusCode, Value) {
    let c = cookie_client();
    let (st, body) = post(
        &c,
        &d.url("/api/user/register"),
        json!({"email": email, "password": PW}),
    )
    .await;
    (c, st, body)
}

#[tokio::test]
async fn registration_invites_and_admin_routes() {
    let d = Daemon::start(&[]).await;

    let anon = Client::new();
    let (st, body) = send(anon.get(d.url("/api/settings/public"))).await;
    assert_eq!(st, 200);
    assert_eq!(body["first_user"], true);
    assert_eq!(body["open_to_public"], false);
    assert_eq!(
        body["default_connection"],
        "irc://irc.libera.chat:6697/%23convos"
    );
    let (st, body) = send(anon.get(d.url("/api/user"))).await;
    assert_eq!(st, 401);
    assert_eq!(body, error("Need to log in first.", "/"));

    // bad input changes nothing
    for (email, password, want) in [
        (
            "a@example.com",
            "short",
            error("Password too short.", "/password"),
        ),
        ("not-an-email", PW, error("Invalid email.", "/email")),
        ("a b@example.com", PW, error("Invalid email.", "/email")),
    ] {
        let (st, body) = post(
            &anon,
            &d.url("/api/user/register"),
            json!({"email": email, "password": password}),
        )
        .await;
        assert_eq!((st, body), (StatusCode::BAD_REQUEST, want), "{email}");
    }
    let res = anon
        .post(d.url("/api/user/register"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 415, "JSON bodies need their content type");

    // the first user is admin; e-mails are normalised
    let admin = cookie_client();
    let res = admin
        .post(d.url("/api/user/register"))
        .json(&json!({"email": "  Admin@Example.COM ", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure over http: {cookie}");
    let me: Value = res.json().await.expect("json");
    assert_eq!(me["email"], "admin@example.com");
    assert_eq!(me["roles"], json!(["admin"]));
    assert!(me["uid"].is_i64());
    assert!(me["registered"].as_str().expect("time").ends_with('Z'));
    assert_eq!(me["rtc"], json!({"ice_servers": []}));
    let (st, body) = send(admin.get(d.url("/api/user"))).await;
    assert_eq!(st, 200);
    assert_eq!(body["email"], "admin@example.com");
    let (_, body) = send(anon.get(d.url("/api/settings/public"))).await;
    assert_eq!(body["first_user"], false);

    // registration is closed for the next one; a taken e-mail gets the same answer
    let (_, st, body) = register(&d, "bob@example.com").await;
    assert_eq!(
        (st, body),
        (StatusCode::FORBIDDEN, error("Registration is closed.", "/"))
    );
    let (_, st, body) = register(&d, "ADMIN@example.com").await;
    assert_eq!(
        (st, body),
        (StatusCode::FORBIDDEN, error("Registration is closed.", "/")),
        "closed registration does not tell who has an account"
    );

    // an invite: for its e-mail only, once
    let (st, invite) = post(
        &admin,
        &d.url("/api/user/Bob@Example.com/invite"),
        json!({}),
    )
    .await;
    assert_eq!(st, 200, "{invite}");
    let link = invite["url"].as_str().expect("url");
    assert!(
        link.starts_with(&format!(
            "{}/register?email=bob%40example.com&token=",
            d.base
        )),
        "{link}"
    );
    assert!(invite["expires"].as_str().expect("expires").ends_with('Z'));
    let token = token_of(link);
    let carol = cookie_client();
    let (st, _) = post(
        &carol,
        &d.url("/api/user/register"),
        json!({"email": "carol@example.com", "password": PW, "token": token}),
    )
    .await;
    assert_eq!(st, 400, "another e-mail cannot use bob's invite");
    let bob = cookie_client();
    let (st, me) = post(
        &bob,
        &d.url("/api/user/register"),
        json!({"email": "bob@example.com", "password": PW, "token": token}),
    )
    .await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["roles"], json!([]));

    // a non-admin gets 403 on admin routes
    let forbidden = error("Only admins can do that.", "/");
    for req in [
        bob.get(d.url("/api/users")),
        bob.get(d.url("/api/settings")),
        bob.post(d.url("/api/settings"))
            .json(&json!({"open_to_public": true})),
        bob.post(d.url("/api/user/carol@example.com/invite"))
            .json(&json!({})),
        bob.post(d.url("/api/user/admin@example.com"))
            .json(&json!({"admin": false})),
        bob.delete(d.url("/api/user/admin@example.com")),
    ] {
        let (st, body) = send(req).await;
        assert_eq!((st, body), (StatusCode::FORBIDDEN, forbidden.clone()));
    }
    // and 401 without a session
    for req in [
        anon.get(d.url("/api/users")),
        anon.post(d.url("/api/settings")).json(&json!({})),
        anon.post(d.url("/api/user")).json(&json!({})),
        anon.delete(d.url("/api/user")),
    ] {
        assert_eq!(send(req).await.0, 401);
    }

    // the invite was used up: deleting bob and registering again with it fails
    let (st, body) = send(admin.delete(d.url("/api/user/bob%40example.com"))).await;
    assert_eq!((st, body), (StatusCode::OK, json!({})));
    assert_eq!(
        send(bob.get(d.url("/api/user"))).await.0,
        401,
        "bob's session died with him"
    );
    let (st, _) = post(
        &cookie_client(),
        &d.url("/api/user/register"),
        json!({"email": "bob@example.com", "password": PW, "token": token}),
    )
    .await;
    assert_eq!(st, 400, "Invalid or expired link.");

    // the admin opens registration
    let (st, settings) = post(
        &admin,
        &d.url("/api/settings"),
        json!({"open_to_public": true, "organization_name": "Example"}),
    )
    .await;
    assert_eq!(st, 200, "{settings}");
    assert_eq!(settings["open_to_public"], true);
    assert_eq!(settings["organization_name"], "Example");
    let (st, body) = post(
        &admin,
        &d.url("/api/settings"),
        json!({"default_connection": "http://example.com"}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(body["errors"][0]["path"], "/default_connection");
    let (carol, st, me) = register(&d, "carol@example.com").await;
    assert_eq!(st, 200, "{me}");
    let (_, users) = send(admin.get(d.url("/api/users"))).await;
    let emails: Vec<&str> = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert_eq!(emails, ["admin@example.com", "carol@example.com"]);

    // roles: promote carol; the last admin cannot be demoted
    let (st, body) = post(
        &admin,
        &d.url("/api/user/carol@example.com"),
        json!({"roles": ["admin"]}),
    )
    .await;
    assert_eq!((st, &body["roles"]), (StatusCode::OK, &json!(["admin"])));
    let (st, _) = send(carol.get(d.url("/api/users"))).await;
    assert_eq!(st, 200, "carol is an admin now");
    let (st, _) = post(
        &carol,
        &d.url("/api/user/admin@example.com"),
        json!({"admin": false}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, body) = post(
        &carol,
        &d.url("/api/user/carol@example.com"),
        json!({"admin": false}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(
        send(admin.get(d.url("/api/users"))).await.0,
        403,
        "roles are read per request"
    );
    let (st, _) = send(carol.delete(d.url("/api/user/nobody@example.com"))).await;
    assert_eq!(st, 404);

    d.stop().await;
}

#[tokio::test]
async fn login_logout_password_change_and_delete() {
    let d = Daemon::start(&[]).await;
    let (first, st, _) = register(&d, "alice@example.com").await;
    assert_eq!(st, 200);

    // wrong password and unknown e-mail look the same
    let c = cookie_client();
    let login = d.url("/api/user/login");
    for (email, password) in [
        ("alice@example.com", "wrong password"),
        ("nobody@example.com", PW),
    ] {
        let (st, body) = post(&c, &login, json!({"email": email, "password": password})).await;
        assert_eq!(
            (st, body),
            (
                StatusCode::BAD_REQUEST,
                error("Invalid email or password.", "/")
            )
        );
    }
    let res = c
        .post(&login)
        .json(&json!({"email": " ALICE@example.com", "password": PW}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let token = set_cookie(&res)
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let (st, me) = send(c.get(d.url("/api/user?connections=true&conversations=true"))).await;
    assert_eq!(st, 200);
    assert_eq!(me["email"], "alice@example.com");
    assert!(
        me["connections"].is_array() && me["conversations"].is_array(),
        "{me}"
    );

    // highlight keywords
    let (st, me) = post(
        &c,
        &d.url("/api/user"),
        json!({"highlight_keywords": [" rust ", "", "rust", "irc"]}),
    )
    .await;
    assert_eq!(
        (st, &me["highlight_keywords"]),
        (StatusCode::OK, &json!(["rust", "irc"]))
    );

    // the Origin must be ours for writes
    let evil = "http://evil.example";
    for req in [
        c.post(d.url("/api/user"))
            .json(&json!({"highlight_keywords": []})),
        c.delete(d.url("/api/user")),
        c.post(d.url("/api/user/logout")),
        Client::new()
            .post(&login)
            .json(&json!({"email": "alice@example.com", "password": PW})),
    ] {
        let (st, body) = send(req.header("origin", evil)).await;
        assert_eq!(
            (st, body),
            (StatusCode::FORBIDDEN, error("Invalid origin.", "/"))
        );
    }
    let (st, _) = send(
        c.post(d.url("/api/user"))
            .header("origin", &d.base)
            .json(&json!({"highlight_keywords": ["rust"]})),
    )
    .await;
    assert_eq!(st, 200, "our own origin is fine");
    assert_eq!(
        send(c.get(d.url("/api/user")).header("origin", evil))
            .await
            .0,
        200,
        "reads are not writes"
    );

    // password change needs the old one and ends the other sessions
    let (st, body) = post(
        &c,
        &d.url("/api/user"),
        json!({"password": "a new password", "old_password": "not it at all"}),
    )
    .await;
    assert_eq!(
        (st, body),
        (
            StatusCode::BAD_REQUEST,
            error("Invalid old password.", "/old_password")
        )
    );
    let (st, body) = post(
        &c,
        &d.url("/api/user"),
        json!({"password": "short", "old_password": PW}),
    )
    .await;
    assert_eq!(
        (st, body),
        (
            StatusCode::BAD_REQUEST,
            error("Password too short.", "/password")
        )
    );
    let (st, _) = post(
        &c,
        &d.url("/api/user"),
        json!({"password": "a new password", "old_password": PW}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        send(c.get(d.url("/api/user"))).await.0,
        200,
        "this session was renewed"
    );
    assert_eq!(
        send(first.get(d.url("/api/user"))).await.0,
        401,
        "the other one ended"
    );
    let (st, _) = post(
        &Client::new(),
        &login,
        json!({"email": "alice@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 400);

    // logout: GET is refused, POST ends the session server-side and clears the cookie
    assert_eq!(send(c.get(d.url("/api/user/logout"))).await.0, 405);
    let res = c
        .post(&login)
        .json(&json!({"email": "alice@example.com", "password": "a new password"}))
        .send()
        .await
        .expect("login");
    let token2 = set_cookie(&res)
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    assert_ne!(token, token2);
    let res = c
        .post(d.url("/api/user/logout"))
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), 200);
    assert!(set_cookie(&res).contains("Max-Age=0"));
    assert_eq!(send(c.get(d.url("/api/user"))).await.0, 401);
    let replay = Client::new()
        .get(d.url("/api/user"))
        .header("cookie", &token2);
    assert_eq!(
        send(replay).await.0,
        401,
        "the old cookie is dead on the server"
    );

    // deleting the account
    let (st, _) = post(
        &c,
        &login,
        json!({"email": "alice@example.com", "password": "a new password"}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, body) = send(
        c.delete(d.url("/api/user"))
            .json(&json!({"password": "not my password"})),
    )
    .await;
    assert_eq!(
        (st, body),
        (
            StatusCode::BAD_REQUEST,
            error("Invalid password.", "/password")
        )
    );
    let res = c
        .delete(d.url("/api/user"))
        .json(&json!({"password": "a new password"}))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 200);
    assert!(set_cookie(&res).contains("Max-Age=0"));
    let (st, _) = post(
        &c,
        &login,
        json!({"email": "alice@example.com", "password": "a new password"}),
    )
    .await;
    assert_eq!(st, 400);
    let (_, body) = send(Client::new().get(d.url("/api/settings/public"))).await;
    assert_eq!(body["first_user"], true, "no users left");

    d.stop().await;
}

#[tokio::test]
async fn login_failures_are_limited() {
    let d = Daemon::start(&[]).await;
    let (_, st, _) = register(&d, "alice@example.com").await;
    assert_eq!(st, 200);
    let c = Client::new();
    let login = d.url("/api/user/login");
    for i in 0..10 {
        let (st, _) = post(
            &c,
            &login,
            json!({"email": "alice@example.com", "password": format!("guess number {i}")}),
        )
        .await;
        assert_eq!(st, 400, "failure {i}");
    }
    let (st, body) = post(
        &c,
        &login,
        json!({"email": "alice@example.com", "password": PW}),
    )
    .await;
    assert_eq!(
        (st, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error("Too many attempts, try again later.", "/")
        ),
        "even the right password waits"
    );
    let (st, _) = post(
        &c,
        &login,
        json!({"email": "other@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 429, "the IP is limited too");
    d.stop().await;
}

#[tokio::test]
async fn secure_cookie_under_https() {
    let port = common::free_port();
    let listen = format!("https://127.0.0.1:{port}");
    let d = Daemon::start_only(&["--listen", &listen]).await;
    let cert_path = d.home.path().join("data/self-signed.crt");
    common::wait_for(|| cert_path.exists()).await;
    let pem = std::fs::read(&cert_path).expect("generated cert");
    let c = Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .cookie_store(true)
        .build()
        .expect("client");
    let base = format!("https://localhost:{port}");
    common::wait_for_url(&c, &format!("{base}/healthz")).await;
    // HTTP/2 carries the host in :authority, not Host: the Origin check must still pass.
    let res = c
        .post(format!("{base}/api/user/register"))
        .header("origin", &base)
        .json(&json!({"email": "alice@example.com", "password": PW}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res);
    assert!(cookie.contains("; Secure"), "{cookie}");
    let (st, _) = send(c.get(format!("{base}/api/user"))).await;
    assert_eq!(st, 200);
    let (st, _) = send(
        c.post(format!("{base}/api/user/logout"))
            .header("origin", "https://localhost:1"),
    )
    .await;
    assert_eq!(st, 403);
    d.stop().await;
}

#[tokio::test]
async fn cli_users_and_recover() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();

    let (code, out, err) = convos_cli(
        h,
        &["user", "add", "Admin@Example.com", "--admin"],
        &format!("{PW}\n"),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("admin@example.com (admin)"), "{out}");
    let (code, _, err) = convos_cli(
        h,
        &["user", "add", "bob@example.com", "--password-stdin"],
        "bob's password\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = convos_cli(h, &["user", "add", "carol@example.com"], "short\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("too short"), "{err}");
    let (code, _, err) = convos_cli(h, &["user", "add", "bob@example.com"], &format!("{PW}\n"));
    assert_eq!(code, Some(1));
    assert!(err.contains("Email is taken"), "{err}");
    let (code, _, err) = convos_cli(
        h,
        &["user", "passwd", "BOB@example.com"],
        "bob's new password\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = convos_cli(
        h,
        &["user", "passwd", "nobody@example.com"],
        &format!("{PW}\n"),
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("no user nobody@example.com"), "{err}");

    let (code, out, _) = convos_cli(h, &["user", "list"], "");
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("admin@example.com\tadmin\t"), "{out}");
    assert!(lines[1].starts_with("bob@example.com\tuser\t"), "{out}");

    let (code, out, err) = convos_cli(
        h,
        &[
            "recover",
            "admin@example.com",
            "--base",
            "https://chat.example.com/",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let link = out.trim();
    assert!(
        link.starts_with("https://chat.example.com/register?email=admin%40example.com&token="),
        "{link}"
    );
    assert!(link.ends_with("&reset=1"), "{link}");
    let reset_token = token_of(link);

    // the daemon on the same home knows the CLI's users
    let d = Daemon::start_home(home, &[]).await;
    let login = d.url("/api/user/login");
    let c = cookie_client();
    let (st, me) = post(
        &c,
        &login,
        json!({"email": "bob@example.com", "password": "bob's new password"}),
    )
    .await;
    assert_eq!(st, 200, "{me}");
    let (st, me) = post(
        &c,
        &login,
        json!({"email": "admin@example.com", "password": PW}),
    )
    .await;
    assert_eq!((st, &me["roles"]), (StatusCode::OK, &json!(["admin"])));

    // the reset link sets a new password once, and ends the old sessions
    let register = d.url("/api/user/register");
    let new_pw = "a brand new password";
    let (st, body) = post(
        &Client::new(),
        &register,
        json!({"email": "bob@example.com", "password": new_pw, "token": reset_token}),
    )
    .await;
    assert_eq!(st, 400, "the admin's token is not bob's: {body}");
    let r = cookie_client();
    let (st, me) = post(
        &r,
        &register,
        json!({"email": "admin@example.com", "password": new_pw, "token": reset_token}),
    )
    .await;
    assert_eq!(
        (st, &me["email"]),
        (StatusCode::OK, &json!("admin@example.com")),
        "{me}"
    );
    assert_eq!(
        send(c.get(d.url("/api/user"))).await.0,
        401,
        "the admin's old session ended"
    );
    assert_eq!(
        send(r.get(d.url("/api/user"))).await.0,
        200,
        "the reset logged in"
    );
    let (st, _) = post(
        &Client::new(),
        &login,
        json!({"email": "admin@example.com", "password": PW}),
    )
    .await;
    assert_eq!(st, 400, "the old password is gone");
    let (st, _) = post(
        &Client::new(),
        &login,
        json!({"email": "admin@example.com", "password": new_pw}),
    )
    .await;
    assert_eq!(st, 200);
    let (st, body) = post(
        &Client::new(),
        &register,
        json!({"email": "admin@example.com", "password": "yet another password", "token": reset_token}),
    )
    .await;
    assert_eq!(
        (st, body),
        (
            StatusCode::BAD_REQUEST,
            error("Invalid or expired link.", "/token")
        )
    );
    let home = d.stop_keep_home().await;

    let (code, out, err) = convos_cli(home.path(), &["user", "delete", "bob@example.com"], "");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("deleted bob@example.com"), "{out}");
    let (_, out, _) = convos_cli(home.path(), &["user", "list"], "");
    assert_eq!(out.lines().count(), 1, "{out}");
}
