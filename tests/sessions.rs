//! Ending a session closes its WebSockets at once, through the real binary: logout, a
//! password change from another session, a password reset, account deletion and ending it
//! from Settings → Sessions. Other sessions and other users' sockets stay open.

mod common;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::Jar;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use common::Daemon;

const PW: &str = "correct horse battery";
/// Far below the 25 s session re-check: a socket closed within this was closed by the
/// session's end, not found later. Generous for a loaded machine.
const CLOSED_WITHIN: Duration = Duration::from_secs(5);

use common::Socket;

/// One browser: a cookie jar and its client.
struct Browser {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Browser {
    fn new(d: &Daemon) -> Browser {
        Browser::with_agent(d, "")
    }

    /// A browser that sends `User-Agent: agent` (none when empty).
    fn with_agent(d: &Daemon, agent: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        let mut http = reqwest::Client::builder().cookie_provider(jar.clone());
        if !agent.is_empty() {
            http = http.user_agent(agent);
        }
        let http = http.build().expect("client");
        Browser {
            http,
            jar,
            base: d.url(""),
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn login(d: &Daemon, email: &str, password: &str) -> Browser {
        Browser::login_with_agent(d, email, password, "").await
    }

    async fn login_with_agent(d: &Daemon, email: &str, password: &str, agent: &str) -> Browser {
        let b = Browser::with_agent(d, agent);
        let (st, body) = b
            .post(
                "/api/user/login",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(st, 200, "login {email}: {body}");
        b
    }

    async fn register(d: &Daemon, email: &str) -> Browser {
        let b = Browser::new(d);
        let (st, body) = b
            .post(
                "/api/user/register",
                json!({"email": email, "password": PW}),
            )
            .await;
        assert_eq!(st, 200, "register {email}: {body}");
        b
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn delete(&self, path: &str) -> (u16, Value, Option<String>) {
        let r = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .expect("DELETE");
        let status = r.status().as_u16();
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, r.json().await.unwrap_or(Value::Null), cookie)
    }

    async fn ws(&self) -> Socket {
        common::events_socket(&self.base, &self.jar, "").await
    }
}

/// The close code the daemon sends, waiting at most [`CLOSED_WITHIN`].
async fn closed(s: &mut Socket, what: &str) -> u16 {
    let code = tokio::time::timeout(CLOSED_WITHIN, async {
        while let Some(m) = s.next().await {
            match m {
                Ok(Message::Close(f)) => return f.map(|f| u16::from(f.code)).unwrap_or(0),
                Ok(_) => continue,
                Err(_) => return 0,
            }
        }
        0
    })
    .await;
    code.unwrap_or_else(|_| panic!("{what}: the socket stayed open"))
}

/// The socket still answers a ping.
async fn open(s: &mut Socket, what: &str) {
    s.send(Message::Text(
        json!({"id": 1, "method": "ping"}).to_string().into(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    let reply = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(m)) = s.next().await {
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).expect("json");
                if v["id"] == 1 {
                    return v;
                }
            }
        }
        Value::Null
    })
    .await
    .unwrap_or(Value::Null);
    assert_eq!(reply["event"], "pong", "{what}: {reply}");
}

#[tokio::test]
async fn ending_a_session_closes_its_sockets() {
    let d = Daemon::start(&[]).await;
    let alice = Browser::register(&d, "alice@example.com").await;
    let laptop = Browser::login(&d, "alice@example.com", PW).await;
    // bob, invited by alice (the admin)
    let (st, invite) = alice
        .post("/api/user/bob@example.com/invite", json!({}))
        .await;
    assert_eq!(st, 200, "{invite}");
    let token = url::Url::parse(invite["url"].as_str().expect("url"))
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let bob = Browser::new(&d);
    let (st, body) = bob
        .post(
            "/api/user/register",
            json!({"email": "bob@example.com", "password": PW, "token": token}),
        )
        .await;
    assert_eq!(st, 200, "{body}");

    // A password change from the laptop closes the other session's socket, not its own,
    // and not bob's.
    let mut alice_ws = alice.ws().await;
    let mut laptop_ws = laptop.ws().await;
    let mut bob_ws = bob.ws().await;
    open(&mut alice_ws, "alice before").await;
    let (st, body) = laptop
        .post(
            "/api/user",
            json!({"password": "a new password", "old_password": PW}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(closed(&mut alice_ws, "other session").await, 4003);
    open(&mut laptop_ws, "the session that changed it").await;
    open(&mut bob_ws, "another user").await;

    // Logout closes that session's socket.
    let (st, _) = laptop.post("/api/user/logout", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(closed(&mut laptop_ws, "after logout").await, 4003);
    open(&mut bob_ws, "another user").await;

    // A reset link (from `convos recover`, beside the daemon) closes every session's.
    let phone = Browser::login(&d, "alice@example.com", "a new password").await;
    let mut phone_ws = phone.ws().await;
    let token = common::recover_token(d.home.path(), "alice@example.com", &d.base);
    let (st, body) = Browser::new(&d)
        .post(
            "/api/user/register",
            json!({"email": "alice@example.com", "password": "reset password!", "token": token}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(closed(&mut phone_ws, "after reset").await, 4003);

    // Deleting the account closes its sockets.
    let mut bob_ws2 = bob.ws().await;
    let r = bob
        .http
        .delete(format!("{}/api/user", bob.base))
        .json(&json!({"password": PW}))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    assert_eq!(closed(&mut bob_ws, "deleted").await, 4003);
    assert_eq!(closed(&mut bob_ws2, "deleted").await, 4003);
    d.stop().await;
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// Settings → Sessions: every device of the user with what it is and where it logged in
/// from; ending one logs that device out at once; nobody else can see or end them.
#[tokio::test]
async fn the_user_sees_their_devices_and_ends_any_one() {
    let d = Daemon::start(&[]).await;
    let laptop = Browser::register(&d, "alice@example.com").await;
    laptop
        .post("/api/settings", json!({"open_to_public": true}))
        .await;
    let firefox = Browser::login_with_agent(&d, "alice@example.com", PW, FIREFOX).await;
    let phone = Browser::login_with_agent(&d, "alice@example.com", PW, IPHONE).await;
    let bob = Browser::register(&d, "bob@example.com").await;

    let (st, list) = firefox.get("/api/user/sessions").await;
    assert_eq!(st, 200, "{list}");
    let sessions = list["sessions"].as_array().expect("list").clone();
    assert_eq!(sessions.len(), 3, "{list}");
    let find = |device: &str| {
        sessions
            .iter()
            .find(|s| s["device"] == device)
            .unwrap_or_else(|| panic!("{device} in {list}"))
            .clone()
    };
    let (ff, iphone) = (find("Firefox on Linux"), find("Safari on iPhone"));
    assert_eq!(ff["current"], true);
    assert_eq!(iphone["current"], false);
    assert_eq!(iphone["address"], "127.0.0.1");
    assert_eq!(iphone["user_agent"], IPHONE);
    let id = iphone["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 16);

    // bob sees only his own and cannot end alice's; nobody anonymous gets anything
    let (_, his) = bob.get("/api/user/sessions").await;
    assert_eq!(his["sessions"].as_array().map(Vec::len), Some(1), "{his}");
    assert_eq!(bob.delete(&format!("/api/user/sessions/{id}")).await.0, 404);
    let anon = Browser::new(&d);
    assert_eq!(anon.get("/api/user/sessions").await.0, 401);
    assert_eq!(
        anon.delete(&format!("/api/user/sessions/{id}")).await.0,
        401
    );
    for bad in ["x", "zzzzzzzzzzzzzzzz", &id[..8], &"f".repeat(200)] {
        assert_eq!(
            firefox.delete(&format!("/api/user/sessions/{bad}")).await.0,
            404
        );
    }
    assert_eq!(phone.get("/api/user").await.0, 200, "the phone is still in");

    // an API token may not list or end sessions
    let (st, tok) = laptop
        .post("/api/user/tokens", json!({"name": "bot", "scope": "send"}))
        .await;
    assert_eq!(st, 200, "{tok}");
    let secret = tok["secret"].as_str().expect("secret");
    let r = reqwest::Client::new()
        .get(d.url("/api/user/sessions"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 403);

    // ending the phone from the Firefox: the phone is out, its socket closes at once
    let mut phone_ws = phone.ws().await;
    open(&mut phone_ws, "phone before").await;
    let (st, _, cookie) = firefox.delete(&format!("/api/user/sessions/{id}")).await;
    assert_eq!(st, 200);
    assert!(
        cookie.is_none(),
        "another device's end leaves this cookie alone"
    );
    assert_eq!(closed(&mut phone_ws, "ended from the settings").await, 4003);
    assert_eq!(phone.get("/api/user").await.0, 401);
    assert_eq!(firefox.get("/api/user").await.0, 200);
    assert_eq!(
        firefox.get("/api/user/sessions").await.1["sessions"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // ending its own session is logging out
    let own = ff["id"].as_str().expect("id");
    let (st, _, cookie) = firefox.delete(&format!("/api/user/sessions/{own}")).await;
    assert_eq!(st, 200);
    assert!(
        cookie.is_some_and(|c| c.contains("Max-Age=0")),
        "cookie cleared"
    );
    assert_eq!(firefox.get("/api/user").await.0, 401);
    assert_eq!(laptop.get("/api/user").await.0, 200);
    d.stop().await;
}
