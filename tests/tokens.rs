//! API tokens through the real binary: created, listed and revoked from a browser session
//! only; a read token reads and cannot write; a send token sends to IRC and can do nothing
//! else; no token manages tokens, the password, the account or the server; another user and
//! anonymous clients cannot touch someone's tokens; revoking closes the token's WebSocket.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::Jar;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use common::fake_irc::Peer;
use common::Daemon;

const PW: &str = "correct horse battery";

struct Client {
    http: reqwest::Client,
    base: String,
    bearer: Option<String>,
}

impl Client {
    async fn register(d: &Daemon, email: &str) -> Client {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar)
            .build()
            .expect("client");
        let c = Client {
            http,
            base: d.url(""),
            bearer: None,
        };
        let (st, v) = c
            .call(
                "POST",
                "/api/user/register",
                Some(json!({"email": email, "password": PW})),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        c
    }

    fn anonymous(d: &Daemon) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: d.url(""),
            bearer: None,
        }
    }

    fn with_token(d: &Daemon, token: &str) -> Client {
        Client {
            bearer: Some(token.to_owned()),
            ..Client::anonymous(d)
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(url),
            "POST" => self.http.post(url),
            "DELETE" => self.http.delete(url),
            other => panic!("{other}"),
        };
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }

    async fn create_token(&self, name: &str, scope: &str) -> (i64, String) {
        let (st, v) = self
            .call(
                "POST",
                "/api/user/tokens",
                Some(json!({"name": name, "scope": scope})),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["name"], name);
        assert_eq!(v["scope"], scope);
        (
            v["id"].as_i64().expect("id"),
            v["secret"].as_str().expect("secret").to_owned(),
        )
    }
}

fn message(v: &Value) -> &str {
    v["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn tokens_are_scoped_private_and_revocable() {
    let d = Daemon::start(&["--open-to-public", "1"]).await;
    let alice = Client::register(&d, "alice@example.com").await; // the admin
    let bob = Client::register(&d, "bob@example.com").await;
    let anon = Client::anonymous(&d);

    for (m, p) in [
        ("GET", "/api/user/tokens"),
        ("POST", "/api/user/tokens"),
        ("DELETE", "/api/user/token/1"),
    ] {
        let (st, _) = anon
            .call(m, p, Some(json!({"name": "x", "scope": "read"})))
            .await;
        assert_eq!(st, 401, "anonymous {m} {p}");
    }
    // A cross-site form cannot make a token with the cookie.
    let r = alice
        .http
        .post(d.url("/api/user/tokens"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "x", "scope": "send"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    for bad in [
        json!({"name": "", "scope": "read"}),
        json!({"name": "x".repeat(65), "scope": "read"}),
        json!({"name": "x", "scope": "admin"}),
        json!({"name": "x"}),
    ] {
        let (st, _) = alice
            .call("POST", "/api/user/tokens", Some(bad.clone()))
            .await;
        assert!(st == 400 || st == 422, "{bad}: {st}");
    }

    let (read_id, read) = alice.create_token("reader", "read").await;
    let (send_id, send) = alice.create_token("bot", "send").await;
    let (st, list) = alice.call("GET", "/api/user/tokens", None).await;
    assert_eq!(st, 200);
    let tokens = list["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().all(|t| t.get("secret").is_none()), "{list}");
    assert!(
        !list.to_string().contains(&read),
        "the value is shown once only"
    );

    // Bob sees none of them and cannot revoke them.
    let (_, bobs) = bob.call("GET", "/api/user/tokens", None).await;
    assert_eq!(bobs["tokens"], json!([]));
    let (st, _) = bob
        .call("DELETE", &format!("/api/user/token/{read_id}"), None)
        .await;
    assert_eq!(st, 404);

    // A read token reads as Alice...
    let reader = Client::with_token(&d, &read);
    let (st, me) = reader.call("GET", "/api/user", None).await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(reader.call("GET", "/api/connections", None).await.0, 200);
    // ...and cannot write, send, manage tokens, the account or the server.
    let (st, v) = reader
        .call(
            "POST",
            "/api/connection/irc-x/conversation/%23x/send",
            Some(json!({"message": "hi"})),
        )
        .await;
    assert_eq!((st, message(&v)), (403, "This API token may only read."));
    let sender = Client::with_token(&d, &send);
    for c in [&reader, &sender] {
        for (m, p, body) in [
            ("GET", "/api/user/tokens", None),
            (
                "POST",
                "/api/user/tokens",
                Some(json!({"name": "more", "scope": "send"})),
            ),
            ("DELETE", &*format!("/api/user/token/{read_id}"), None),
            (
                "POST",
                "/api/user",
                Some(json!({"password": "new password 123", "old_password": PW})),
            ),
            ("DELETE", "/api/user", Some(json!({"password": PW}))),
            (
                "POST",
                "/api/connections",
                Some(json!({"url": "irc://127.0.0.1:1?tls=0"})),
            ),
            ("GET", "/api/users", None),
            ("GET", "/api/settings", None),
            ("GET", "/metrics", None),
            ("POST", "/api/user/logout", None),
        ] {
            let (st, v) = c.call(m, p, body).await;
            assert!(
                st == 403 || (p == "/api/user/logout" && st == 200),
                "{m} {p}: {st} {v}"
            );
        }
    }
    // Nothing changed: Alice still logs in with her password and has both tokens.
    let (_, list) = alice.call("GET", "/api/user/tokens", None).await;
    assert_eq!(list["tokens"].as_array().map(Vec::len), Some(2));

    // A bad token is refused even beside a valid cookie: the narrower identity wins.
    let r = alice
        .http
        .get(d.url("/api/user"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);

    // A read token follows the events but cannot send through the socket; revoking it
    // closes the socket at once.
    let url = format!("{}/events", d.url("").replacen("http", "ws", 1));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {read}").parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("ws");
    ws.send(Message::Text(
        json!({"id": 1, "method": "send", "connection_id": "irc-x", "conversation_id": "#x", "message": "hi"})
            .to_string()
            .into(),
    ))
    .await
    .expect("send frame");
    let reply = next_json(&mut ws).await;
    assert_eq!(
        reply["errors"][0]["message"], "This API token may only read.",
        "{reply}"
    );
    let (st, _) = alice
        .call("DELETE", &format!("/api/user/token/{read_id}"), None)
        .await;
    assert_eq!(st, 200);
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(4003));
    assert_eq!(reader.call("GET", "/api/user", None).await.0, 401);
    assert_eq!(sender.call("GET", "/api/user", None).await.0, 200);
    let _ = send_id;
    d.stop().await;
}

async fn next_json(ws: &mut common::Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v.get("id").is_some() {
                return v;
            }
        }
    }
}

/// A send token sends a message to IRC over plain HTTP, without any Origin.
#[tokio::test]
async fn a_send_token_sends_to_irc() {
    let d = Daemon::start(&[]).await;
    let alice = Client::register(&d, "alice@example.com").await;
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("alice", "").await;
        p.expect("JOIN #bots").await;
        p.send(":alice!a@h JOIN #bots").await;
        p.expect("PRIVMSG #bots :hello from a bot").await;
        p
    });
    let (st, v) = alice
        .call(
            "POST",
            "/api/connections",
            Some(json!({"url": format!("irc://127.0.0.1:{port}/%23bots?tls=0&nick=alice")})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let cid = v["connection_id"].as_str().expect("cid").to_owned();
    let (_, token) = alice.create_token("bot", "send").await;
    let bot = Client::with_token(&d, &token);
    let path = format!("/api/connection/{cid}/conversation/%23bots/send");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (st, v) = bot
            .call("POST", &path, Some(json!({"message": "hello from a bot"})))
            .await;
        if st == 200 {
            assert_eq!(v["conversation_id"], "#bots");
            break;
        }
        // Until the connection is up and #bots joined.
        assert!(matches!(st, 400 | 404), "{st} {v}");
        assert!(tokio::time::Instant::now() < deadline, "never sent: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _peer = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server in time")
        .expect("server");
    d.stop().await;
}
