//! Web Push end to end: a real InspIRCd, the daemon, and a local "push service" that checks
//! each push's VAPID `Authorization` against the server's public key and decrypts it with
//! the subscription's private key (RFC 8291/8292). A highlight is pushed while no browser
//! is active and not while one is, bursts collapse, a 410 removes the device, levels, mutes
//! and quiet hours hold, a call rings through; and the endpoints are the user's own.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::ircd::{self, Client, Ircd};
use common::Daemon;
use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::Jar;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use web_push_native::jwt_simple::prelude::{
    ECDSAP256PublicKeyLike, ES256PublicKey, HashSet, NoCustomClaims, VerificationOptions,
};
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::{decrypt, p256, Auth};

/// One push as the service got it.
#[derive(Debug)]
struct Got {
    device: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Service {
    /// The status each device's endpoint answers (201 when not set).
    status: Arc<Mutex<HashMap<String, u16>>>,
    tx: mpsc::UnboundedSender<Got>,
}

async fn receive(
    State(s): State<Service>,
    Path(device): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let status = s
        .status
        .lock()
        .ok()
        .and_then(|m| m.get(&device).copied())
        .unwrap_or(201);
    let _ = s.tx.send(Got {
        device,
        headers,
        body: body.to_vec(),
    });
    StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED)
}

/// Starts the push service on 127.0.0.1; its port, the statuses and what it received.
async fn push_service() -> (u16, Service, mpsc::UnboundedReceiver<Got>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let service = Service {
        status: Arc::default(),
        tx,
    };
    let app = axum::Router::new()
        .route("/push/{device}", axum::routing::post(receive))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, service, rx)
}

/// A browser's push subscription: its keys stay here, the server gets the public half.
struct Device {
    name: String,
    key: p256::SecretKey,
    auth: Auth,
}

impl Device {
    fn new(name: &str) -> Device {
        Device {
            name: name.into(),
            key: p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
            auth: Auth::clone_from_slice(&rand_auth()),
        }
    }

    fn subscription(&self, port: u16) -> Value {
        json!({
            "endpoint": format!("http://127.0.0.1:{port}/push/{}", self.name),
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(self.key.public_key().to_encoded_point(false).as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            },
            "name": format!("Test browser ({})", self.name),
        })
    }

    /// Checks the VAPID header for the service at `port` and the server's `public_key`,
    /// then decrypts the payload.
    fn open(&self, got: &Got, port: u16, public_key: &str) -> Value {
        let header = |n: &str| {
            got.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-encoding"), "aes128gcm");
        assert!(!header("ttl").is_empty(), "TTL header");
        let topic = header("topic");
        assert!(topic.len() <= 32 && !topic.is_empty(), "topic {topic:?}");
        let auth = header("authorization");
        let (token, k) = auth
            .strip_prefix("vapid t=")
            .and_then(|r| r.split_once(", k="))
            .expect("vapid t=…, k=…");
        assert_eq!(k, public_key, "k is the server's public key");
        let key = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(k).expect("b64"))
            .expect("P-256 key");
        let mut aud = HashSet::new();
        aud.insert(format!("http://127.0.0.1:{port}"));
        key.verify_token::<NoCustomClaims>(
            token,
            Some(VerificationOptions {
                allowed_audiences: Some(aud),
                ..Default::default()
            }),
        )
        .expect("VAPID token verifies for this origin");
        let plain = decrypt(got.body.clone(), &self.key, &self.auth).expect("decrypts");
        serde_json::from_slice(&plain).expect("JSON payload")
    }
}

fn rand_auth() -> [u8; 16] {
    let mut a = [0u8; 16];
    for (i, b) in a.iter_mut().enumerate() {
        *b = (std::process::id() as u8).wrapping_add((i as u8).wrapping_mul(37));
    }
    a
}

struct User {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl User {
    async fn new(d: &Daemon) -> User {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client");
        User {
            http,
            jar,
            base: d.url(""),
        }
    }

    async fn register(d: &Daemon, email: &str) -> User {
        let u = User::new(d).await;
        let (st, v) = u
            .call(
                "POST",
                "/api/user/register",
                Some(json!({"email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(st, 200, "register {email}: {v}");
        u
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url),
        };
        let req = req.header("origin", &self.base);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let r = req.send().await.expect("request");
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }
}

/// Waits for the next push (at most 20 s).
async fn next(rx: &mut mpsc::UnboundedReceiver<Got>) -> Got {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a push in time")
        .expect("service running")
}

/// Waits until `device` gets a push, skipping pushes to others.
async fn next_for(rx: &mut mpsc::UnboundedReceiver<Got>, device: &str) -> Got {
    loop {
        let got = next(rx).await;
        if got.device == device {
            return got;
        }
    }
}

async fn wait_ws(ws: &mut common::Socket, mut pred: impl FnMut(&Value) -> bool) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).expect("json");
            if pred(&v) {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn devices_are_the_users_own() {
    let d = Daemon::start(&["--open-to-public", "1"]).await;
    let alice = User::register(&d, "alice@example.com").await;
    let bob = User::register(&d, "bob@example.com").await;
    let anon = User::new(&d).await;
    let dev = Device::new("a");
    let (st, added) = alice
        .call("POST", "/api/push/devices", Some(dev.subscription(9)))
        .await;
    assert_eq!(st, 200, "{added}");
    assert_eq!(added["name"], "Test browser (a)");
    let id = added["id"].as_i64().expect("id");
    let (st, mine) = alice.call("GET", "/api/push", None).await;
    assert_eq!(st, 200);
    assert_eq!(mine["devices"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(mine["public_key"].as_str().expect("key"))
            .map(|k| k.len()),
        Ok(65)
    );
    // Bob sees none of Alice's devices and cannot remove them; nobody anonymous gets in.
    let (_, his) = bob.call("GET", "/api/push", None).await;
    assert_eq!(his["devices"], json!([]));
    let gone = format!("/api/push/device/{id}");
    assert_eq!(bob.call("DELETE", &gone, None).await.0, 404);
    assert_eq!(anon.call("GET", "/api/push", None).await.0, 401);
    assert_eq!(anon.call("DELETE", &gone, None).await.0, 401);
    assert_eq!(
        anon.call("POST", "/api/push/devices", Some(dev.subscription(9)))
            .await
            .0,
        401
    );
    // Hostile subscriptions change nothing.
    for bad in [
        json!({"endpoint": "file:///etc/passwd", "keys": {"p256dh": "x", "auth": "y"}}),
        json!({"endpoint": "https://push.example/x", "keys": {"p256dh": URL_SAFE_NO_PAD.encode([4u8; 65]), "auth": URL_SAFE_NO_PAD.encode([1u8; 16])}}),
        json!({"endpoint": "https://push.example/x", "keys": {"p256dh": dev.subscription(9)["keys"]["p256dh"], "auth": "short"}}),
        json!({"endpoint": format!("https://push.example/{}", "x".repeat(3000)), "keys": dev.subscription(9)["keys"]}),
    ] {
        let (st, v) = alice.call("POST", "/api/push/devices", Some(bad)).await;
        assert_eq!(st, 400, "{v}");
    }
    let (_, mine) = alice.call("GET", "/api/push", None).await;
    assert_eq!(mine["devices"].as_array().map(Vec::len), Some(1));
    assert_eq!(alice.call("DELETE", &gone, None).await.0, 200);
    assert_eq!(alice.call("DELETE", &gone, None).await.0, 404);
    // A conversation's notification choices: only its owner's.
    let (st, conn) = alice
        .call(
            "POST",
            "/api/connections",
            Some(json!({"url": "irc://127.0.0.1:1/%23x?tls=0&nick=alice", "wanted_state": "disconnected"})),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    let path = format!(
        "/api/connection/{}/conversation/%23x/notify",
        conn["connection_id"].as_str().expect("cid")
    );
    let body = json!({"level": "none", "mute_until": null, "sound": true});
    assert_eq!(anon.call("POST", &path, Some(body.clone())).await.0, 401);
    assert_eq!(bob.call("POST", &path, Some(body.clone())).await.0, 404);
    d.stop().await;
}

#[tokio::test]
async fn highlights_reach_a_sleeping_phone() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let (port, service, mut pushes) = push_service().await;
    let allow = format!("127.0.0.1:{port}");
    let d = Daemon::start(&["--fetch-allow", &allow]).await;
    let alice = User::register(&d, "alice@example.com").await;
    let url = format!("irc://127.0.0.1:{}/%23push?tls=0&nick=alice", ircd.port);
    let (st, conn) = alice
        .call("POST", "/api/connections", Some(json!({"url": url})))
        .await;
    assert_eq!(st, 200, "{conn}");
    let cid = conn["connection_id"].as_str().expect("cid").to_owned();
    // A socket that never says it is active: the user counts as away from the keyboard.
    let mut ws = common::events_socket(&alice.base, &alice.jar, "").await;
    wait_ws(&mut ws, |v| v["type"] == "join" && v["nick"] == "alice").await;

    let phone = Device::new("phone");
    let (st, v) = alice
        .call("POST", "/api/push/devices", Some(phone.subscription(port)))
        .await;
    assert_eq!(st, 200, "{v}");
    let (_, settings) = alice.call("GET", "/api/push", None).await;
    let public_key = settings["public_key"].as_str().expect("key").to_owned();

    let irc_port = ircd.port;
    let (bot_tx, mut bot_rx) = mpsc::unbounded_channel::<String>();
    let bot = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(irc_port, "bot");
        c.send("JOIN #push");
        c.wait_for(|l| l.contains(" 366 "));
        while let Some(line) = bot_rx.blocking_recv() {
            c.send(&line);
            if line.starts_with("JOIN") {
                c.wait_for(|l| l.contains(" 366 "));
            }
        }
    });
    wait_ws(&mut ws, |v| v["type"] == "join" && v["nick"] == "bot").await;
    let say = |line: &str| bot_tx.send(line.to_owned()).expect("bot");

    // A highlight while no browser is active: pushed, with where to open the app.
    say("PRIVMSG #push :alice: the build is red");
    let got = next_for(&mut pushes, "phone").await;
    let p = phone.open(&got, port, &public_key);
    assert_eq!(p["kind"], "highlight");
    assert_eq!(p["title"], "bot in #push");
    assert_eq!(p["body"], "alice: the build is red");
    assert_eq!(p["connection_id"], cid);
    assert_eq!(p["conversation_id"], "#push");
    let id = p["message_id"].as_i64().expect("message id");
    assert_eq!(
        p["path"],
        format!("/chat/{cid}/%23push?around={id}"),
        "opens at the message"
    );
    let first_topic = got.headers.get("topic").cloned();

    // A burst in the same conversation is that one push; a private message is its own.
    say("PRIVMSG #push :alice: still red");
    say("PRIVMSG #push :alice: anyone?");
    say("PRIVMSG alice :psst");
    let got = next_for(&mut pushes, "phone").await;
    let p = phone.open(&got, port, &public_key);
    assert_eq!(
        (p["kind"].as_str(), p["title"].as_str(), p["body"].as_str()),
        (Some("private"), Some("bot"), Some("psst")),
        "the burst's other lines were not pushed"
    );
    assert_ne!(got.headers.get("topic").cloned(), first_topic);

    // While a browser is active nothing is pushed; once it is not, pushes resume.
    ws.send(Message::Text(
        json!({"id": 9, "method": "send", "connection_id": cid, "conversation_id": "#push", "message": "/join #two"})
            .to_string()
            .into(),
    ))
    .await
    .expect("join");
    wait_ws(&mut ws, |v| {
        v["type"] == "join" && v["nick"] == "alice" && v["conversation_id"] == "#two"
    })
    .await;
    say("JOIN #two");
    wait_ws(&mut ws, |v| {
        v["type"] == "join" && v["nick"] == "bot" && v["conversation_id"] == "#two"
    })
    .await;
    ws.send(Message::Text(
        json!({"id": 1, "method": "activity", "active": true})
            .to_string()
            .into(),
    ))
    .await
    .expect("activity");
    wait_ws(&mut ws, |v| v["id"] == 1).await;
    say("PRIVMSG #two :alice: seen while here");
    wait_ws(&mut ws, |v| {
        v["event"] == "message" && v["message"] == "alice: seen while here"
    })
    .await;
    ws.send(Message::Text(
        json!({"id": 2, "method": "activity", "active": false})
            .to_string()
            .into(),
    ))
    .await
    .expect("activity");
    wait_ws(&mut ws, |v| v["id"] == 2).await;

    // A second device whose subscription expired: it answers 410 and is removed.
    let old = Device::new("old");
    if let Ok(mut m) = service.status.lock() {
        m.insert("old".into(), 410);
    }
    let (st, v) = alice
        .call("POST", "/api/push/devices", Some(old.subscription(port)))
        .await;
    assert_eq!(st, 200, "{v}");
    say("PRIVMSG #two :alice: back?");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let got = next(&mut pushes).await;
        let dev = if got.device == "old" { &old } else { &phone };
        let p = dev.open(&got, port, &public_key);
        assert_eq!(
            p["body"], "alice: back?",
            "the line while active was never pushed"
        );
        seen.push(got.device);
    }
    seen.sort();
    assert_eq!(seen, ["old", "phone"]);
    let mut left = 0;
    for _ in 0..100 {
        let (_, s) = alice.call("GET", "/api/push", None).await;
        left = s["devices"].as_array().map_or(0, Vec::len);
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 1, "the expired subscription is gone");

    // Levels and mutes, set through the API and sent to every browser.
    let send = |id: u64, message: &str| {
        Message::Text(
            json!({"id": id, "method": "send", "connection_id": cid, "conversation_id": "#push", "message": message})
                .to_string()
                .into(),
        )
    };
    ws.send(send(10, "/join #lvl,#mute,#none,#q"))
        .await
        .expect("join");
    for ch in ["#lvl", "#mute", "#none", "#q"] {
        wait_ws(&mut ws, |v| {
            v["type"] == "join" && v["nick"] == "alice" && v["conversation_id"] == ch
        })
        .await;
    }
    say("JOIN #lvl,#mute,#none,#q");
    for ch in ["#lvl", "#mute", "#none", "#q"] {
        wait_ws(&mut ws, |v| {
            v["type"] == "join" && v["nick"] == "bot" && v["conversation_id"] == ch
        })
        .await;
    }
    let notify = |ch: &str| {
        format!(
            "/api/connection/{cid}/conversation/{}/notify",
            ch.replace('#', "%23")
        )
    };
    let forever = 253_402_300_799_000_i64;
    for (ch, body) in [
        (
            "#lvl",
            json!({"level": "all", "mute_until": null, "sound": false}),
        ),
        (
            "#mute",
            json!({"level": "mentions", "mute_until": forever, "sound": true}),
        ),
        (
            "#none",
            json!({"level": "none", "mute_until": null, "sound": true}),
        ),
    ] {
        let (st, conv) = alice.call("POST", &notify(ch), Some(body.clone())).await;
        assert_eq!(st, 200, "{conv}");
        assert_eq!(conv["notify"], body);
        let ev = wait_ws(&mut ws, |v| {
            v["type"] == "conversation" && v["conversation"]["conversation_id"] == ch
        })
        .await;
        assert_eq!(ev["conversation"]["notify"], body, "other browsers follow");
    }
    let (st, v) = alice
        .call(
            "POST",
            &notify("#lvl"),
            Some(json!({"level": "loud", "mute_until": null, "sound": true})),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    let (st, v) = alice
        .call(
            "POST",
            &notify("#lvl"),
            Some(json!({"level": "all", "mute_until": -5, "sound": true})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        alice
            .call(
                "POST",
                &notify("#nowhere"),
                Some(json!({"level": "all", "mute_until": null, "sound": true}))
            )
            .await
            .0,
        404
    );
    say("PRIVMSG #mute :alice: you are muted");
    say("PRIVMSG #none :alice: you chose none");
    say("PRIVMSG #lvl :plain words, no mention");
    let got = next_for(&mut pushes, "phone").await;
    let p = phone.open(&got, port, &public_key);
    assert_eq!(
        (p["kind"].as_str(), p["body"].as_str(), p["sound"].as_bool()),
        (
            Some("message"),
            Some("plain words, no mention"),
            Some(false)
        ),
        "level all pushes every line; muted and none push nothing"
    );

    // Quiet hours around now (UTC): nothing; once over, pushes come again.
    let hm = |ms: i64| {
        let m = ms.rem_euclid(86_400_000) / 60_000;
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let quiet = json!({"enabled": true, "start": hm(now - 3_600_000), "end": hm(now + 3_600_000),
        "time_zone": "UTC", "calls": true});
    let (st, v) = alice
        .call("POST", "/api/user", Some(json!({"quiet_hours": quiet})))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["quiet_hours"], quiet);
    let (st, v) = alice
        .call("POST", "/api/user", Some(json!({"quiet_hours": {"enabled": true, "start": "23:00", "end": "07:00", "time_zone": "Nowhere/Land", "calls": true}})))
        .await;
    assert_eq!(st, 400, "{v}");
    say("PRIVMSG #q :alice: shh, quiet hours");
    say("PRIVMSG #q :alice: still quiet");
    let mut loud = quiet.clone();
    loud["enabled"] = json!(false);
    // The quiet lines are stored (and seen by the socket) before quiet hours end.
    wait_ws(&mut ws, |v| {
        v["event"] == "message" && v["message"] == "alice: still quiet"
    })
    .await;
    let (st, _) = alice
        .call("POST", "/api/user", Some(json!({"quiet_hours": loud})))
        .await;
    assert_eq!(st, 200);
    say("PRIVMSG #q :alice: good morning");
    let got = next_for(&mut pushes, "phone").await;
    let p = phone.open(&got, port, &public_key);
    assert_eq!(
        p["body"], "alice: good morning",
        "nothing was pushed in quiet hours"
    );

    drop(bot_tx);
    let _ = bot.await;
    d.stop().await;
}
