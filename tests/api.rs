//! The chat API and the /events WebSocket through real sockets: the OpenAPI document,
//! per-user isolation on every route and WS method, Origin checks, and resume after a
//! disconnect while messages keep arriving from a real InspIRCd.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::ircd::{self, Client, Ircd};
use common::Daemon;
use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, Message};

struct User {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl User {
    async fn register(d: &Daemon, email: &str) -> User {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client");
        let u = User {
            http,
            jar,
            base: d.url(""),
        };
        let res = u
            .post(
                "/api/user/register",
                json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(res.0, 200, "register {email}: {}", res.1);
        u
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

    async fn delete(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .expect("DELETE");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Opens /events (optionally resuming), with our own Origin.
    async fn ws(&self, since: Option<u64>) -> Ws {
        let q = since.map(|s| format!("?since={s}")).unwrap_or_default();
        let s = common::events_socket(&self.base, &self.jar, &q).await;
        Ws { s, next_id: 1 }
    }
}

struct Ws {
    s: common::Socket,
    next_id: u64,
}

impl Ws {
    async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.s.next())
                .await
                .expect("frame in time")
                .expect("open")
                .expect("frame");
            if let Message::Text(t) = m {
                return serde_json::from_str(&t).expect("json");
            }
        }
    }

    async fn wait(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        loop {
            let v = self.next().await;
            if pred(&v) {
                return v;
            }
        }
    }

    /// Sends a request and returns the reply with its id.
    async fn ask(&mut self, mut req: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        req["id"] = id.into();
        self.s
            .send(Message::Text(req.to_string().into()))
            .await
            .expect("send");
        self.wait(|v| v["id"] == id).await
    }
}

#[tokio::test]
async fn openapi_lists_every_route_and_each_one_answers() {
    let d = Daemon::start(&[]).await;
    let c = reqwest::Client::new();
    let doc: Value = c
        .get(d.url("/api"))
        .send()
        .await
        .expect("GET /api")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20);
    for (path, ops) in paths {
        let url = d.url(
            &path
                .replace("{cid}", "irc-x")
                .replace("{conversation}", "%23x")
                .replace("{email}", "a%40b.c"),
        );
        for (method, op) in ops.as_object().expect("ops") {
            let req = match method.as_str() {
                "get" => c.get(&url),
                "post" => c.post(&url).json(&json!({})),
                "delete" => c.delete(&url),
                other => panic!("method {other}"),
            };
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            if path.starts_with("/file/") || path.starts_with("/paste/") {
                // Public links: an unknown file is "Not found." with the files' sandbox CSP.
                let csp = res.headers().get("content-security-policy").cloned();
                assert_eq!(status, 404, "{method} {path}");
                assert!(csp.is_some_and(|c| c.as_bytes().starts_with(b"sandbox")));
                continue;
            }
            // A documented route exists: never the router's "no such route" 404.
            assert_ne!(status, 404, "{method} {path}");
            if op.get("security").is_some() && path != "/api/user/logout" {
                assert_eq!(status, 401, "{method} {path} needs a session");
            }
        }
    }
    d.stop().await;
}

#[tokio::test]
async fn commands_are_listed_for_a_logged_in_user() {
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "alice@example.com").await;
    let (st, list) = a.get("/api/commands").await;
    assert_eq!(st, 200, "{list}");
    let join = list["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .find(|c| c["name"] == "join")
        .expect("join listed")
        .clone();
    assert_eq!(join["aliases"], json!(["j"]));
    assert_eq!(join["usage"], "/join <#channel> [key]");
    d.stop().await;
}

#[tokio::test]
async fn the_server_reads_and_builds_irc_urls_for_the_browser() {
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "alice@example.com").await;
    let server = json!({"host": "127.0.0.1", "port": 1, "tls": false, "nick": "alice",
        "channels": ["#a", "b s3cret"], "account": "", "password": ""});
    let (st, conn) = a
        .post(
            "/api/connections",
            json!({"server": server, "wanted_state": "disconnected"}),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    assert_eq!(
        conn["server"],
        json!({"host": "127.0.0.1", "port": 1, "tls": false, "nick": "alice",
            "channels": ["#a", "#b"], "account": "", "sasl": null})
    );
    // An edit through the fields keeps what the form does not show (realname, the password).
    let (st, conn) = a
        .post(
            "/api/connections",
            json!({"url": "irc://acct:pw@127.0.0.2:1/%23x?tls=0&nick=old&realname=Jane&sasl=plain", "wanted_state": "disconnected"}),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    let cid2 = conn["connection_id"].as_str().expect("cid").to_string();
    let (st, conn) = a
        .post(
            &format!("/api/connection/{cid2}"),
            json!({"server": {"host": "127.0.0.2", "port": 2, "tls": false, "nick": "new",
                "channels": ["#y"], "account": "acct", "password": ""}}),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    assert_eq!(conn["server"]["nick"], "new");
    assert_eq!(conn["server"]["channels"], json!(["#y"]));
    assert_eq!(conn["server"]["sasl"], "plain");
    let url = conn["url"].as_str().expect("url");
    assert!(
        url.contains("realname=Jane") && url.contains("********") && url.contains(":2/"),
        "{url}"
    );
    let (st, e) = a
        .post(
            "/api/connections",
            json!({"server": {"host": "h", "nick": "n", "channels": ["#a b c"]}}),
        )
        .await;
    assert_eq!(
        (st, e["errors"][0]["path"].as_str()),
        (400, Some("/server/channels"))
    );
    let (st, _) = a
        .post(
            "/api/connections",
            json!({"url": "irc://h", "server": {"host": "h", "nick": "n"}}),
        )
        .await;
    assert_eq!(st, 400);

    // Without tls=0 the server uses TLS, whatever the port: the form shows what it will do.
    let (st, s) = a
        .get("/api/irc-url?url=irc%3A%2F%2Firc.example.org%3A6667%2F%2523x")
        .await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(
        (&s["port"], &s["tls"], &s["nick"], &s["channels"]),
        (&json!(6667), &json!(true), &json!("alice"), &json!(["#x"]))
    );
    let (st, e) = a.get("/api/irc-url?url=http%3A%2F%2Fx").await;
    assert_eq!(st, 400, "{e}");

    // The connect form starts from the admin's default server.
    a.post(
        "/api/settings",
        json!({"default_connection": "irc://irc.example.org:7000?tls=0"}),
    )
    .await;
    let (_, me) = a.get("/api/user").await;
    assert_eq!(
        (
            &me["default_server"]["host"],
            &me["default_server"]["port"],
            &me["default_server"]["nick"]
        ),
        (&json!("irc.example.org"), &json!(7000), &json!("alice"))
    );
    d.stop().await;
}

#[tokio::test]
async fn users_never_see_each_others_data() {
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "alice@example.com").await;
    assert_eq!(
        a.post("/api/settings", json!({"open_to_public": true}))
            .await
            .0,
        200
    );
    let b = User::register(&d, "bob@example.com").await;

    // alice's connection (not connected: no IRC server needed) with a channel
    let (st, conn) = a
        .post("/api/connections", json!({"url": "irc://127.0.0.1:1/%23secret?tls=0&nick=alice", "wanted_state": "disconnected"}))
        .await;
    assert_eq!(st, 200, "{conn}");
    let cid = conn["connection_id"].as_str().expect("cid").to_string();
    let (_, convs) = a.get("/api/conversations").await;
    assert!(convs["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .any(|c| c["conversation_id"] == "#secret"));

    // bob: nothing of alice's, and 404 on every object route
    let (_, list) = b.get("/api/connections").await;
    assert_eq!(list["connections"], json!([]));
    let (_, list) = b.get("/api/conversations").await;
    assert_eq!(list["conversations"], json!([]));
    let base = format!("/api/connection/{cid}");
    for (method, path) in [
        ("get", format!("{base}/messages")),
        ("get", format!("{base}/conversation/%23secret/messages")),
        ("get", format!("{base}/conversation/%23secret/participants")),
        ("post", format!("{base}/conversation/%23secret/read")),
        ("post", format!("{base}/read")),
        ("get", format!("{base}/channels")),
        ("post", base.clone()),
        ("delete", base.clone()),
    ] {
        let (status, body) = match method {
            "get" => b.get(&path).await,
            "post" => b.post(&path, json!({})).await,
            _ => b.delete(&path).await,
        };
        assert_eq!(status, 404, "bob {method} {path}: {body}");
    }
    let (_, found) = b.get("/api/search?match=secret").await;
    assert_eq!(found["messages"], json!([]));
    let (_, n) = b.get("/api/notifications").await;
    assert_eq!(n["messages"], json!([]));
    // alice still has hers
    assert_eq!(
        a.get(&format!("{base}/conversation/%23secret/messages"))
            .await
            .0,
        200
    );

    // History retention: a setting of the connection, bounded.
    assert_eq!(conn["retention_days"], 0, "keeps everything by default");
    let (st, c) = a.post(&base, json!({"retention_days": 30})).await;
    assert_eq!((st, &c["retention_days"]), (200, &json!(30)), "{c}");
    let (st, e) = a.post(&base, json!({"retention_days": 99999})).await;
    assert_eq!(st, 400, "{e}");
    assert_eq!(e["errors"][0]["path"], "/retention_days", "{e}");
    let (_, list) = a.get("/api/connections").await;
    assert_eq!(list["connections"][0]["retention_days"], 30);

    // A name of the user's; "" goes back to the network's; bob cannot rename it.
    let (st, c) = a.post(&base, json!({"name": "  Work  "})).await;
    assert_eq!((st, &c["name"]), (200, &json!("Work")), "{c}");
    let (st, e) = a.post(&base, json!({"name": "x".repeat(65)})).await;
    assert_eq!(st, 400, "{e}");
    let (st, _) = b.post(&base, json!({"name": "mine"})).await;
    assert_eq!(st, 404);
    let (_, list) = a.get("/api/connections").await;
    assert_eq!(list["connections"][0]["name"], "Work");
    let (st, c) = a.post(&base, json!({"name": ""})).await;
    assert_eq!(st, 200);
    assert_ne!(c["name"], "Work", "{c}");

    // WebSocket: bob cannot act on alice's connection, and sees none of her events
    let mut wb = b.ws(None).await;
    let r = wb.ask(json!({"method": "send", "connection_id": cid, "conversation_id": "#secret", "message": "hi"})).await;
    assert!(r["errors"].is_array(), "{r}");
    let r = wb.ask(json!({"method": "rtc", "event": "call", "connection_id": cid, "conversation_id": "#secret"})).await;
    assert!(r["errors"].is_array(), "{r}");
    let r = wb.ask(json!({"method": "load"})).await;
    assert_eq!(r["user"]["email"], "bob@example.com");
    assert_eq!(r["user"]["connections"], json!([]));
    let mut wa = a.ws(None).await;
    assert_eq!(
        a.post(&base, json!({"on_connect_commands": ["/msg x y"]}))
            .await
            .0,
        200
    );
    wa.wait(|v| v["type"] == "connection_update").await;
    let r = wb.ask(json!({"method": "ping"})).await;
    assert_eq!(
        r["event"], "pong",
        "bob's next frame is his own reply, not alice's event: {r}"
    );

    // a foreign Origin is refused on the WebSocket and on writes
    let url = format!("{}/events", d.url("").replacen("http", "ws", 1));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "cookie",
        a.jar
            .cookies(&d.url("").parse().expect("url"))
            .expect("cookie"),
    );
    req.headers_mut()
        .insert("origin", "http://evil.example".parse().expect("origin"));
    match tokio_tungstenite::connect_async(req).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!("foreign origin accepted: {:?}", other.map(|_| ())),
    }
    let res = a
        .http
        .post(d.url("/api/connections"))
        .header("origin", "http://evil.example")
        .json(&json!({"url": "irc://x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    d.stop().await;
}

#[tokio::test]
async fn resume_after_disconnect_loses_and_duplicates_nothing() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "carol@example.com").await;
    let url = format!("irc://127.0.0.1:{}/%23busy?tls=0&nick=carol", ircd.port);
    let (st, conn) = a.post("/api/connections", json!({"url": url})).await;
    assert_eq!(st, 200, "{conn}");
    let mut ws = a.ws(None).await;
    ws.wait(|v| v["type"] == "join" && v["nick"] == "carol")
        .await;

    // a bot talks without pause while the browser drops and comes back
    let port = ircd.port;
    let bot = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "chatty");
        c.send("JOIN #busy");
        c.wait_for(|l| l.contains(" 366 "));
        for i in 0..300 {
            c.send(&format!("PRIVMSG #busy :msg {i}"));
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        c
    });
    let mut seen: Vec<u64> = vec![];
    let mut last_seq = 0;
    let mut texts = vec![];
    let record = |v: &Value, texts: &mut Vec<String>, seen: &mut Vec<u64>, last: &mut u64| {
        if let Some(seq) = v["seq"].as_u64() {
            seen.push(seq);
            *last = seq;
        }
        if v["event"] == "message" && v["conversation_id"] == "#busy" {
            texts.push(v["message"].as_str().unwrap_or("").to_string());
        }
    };
    while !texts.iter().any(|t| t == "msg 50") {
        let v = ws.next().await;
        record(&v, &mut texts, &mut seen, &mut last_seq);
    }
    drop(ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ws = a.ws(Some(last_seq)).await;
    while !texts.iter().any(|t| t == "msg 299") {
        let v = ws.next().await;
        record(&v, &mut texts, &mut seen, &mut last_seq);
    }
    let _bot = bot.await.expect("bot");
    let msgs: Vec<&String> = texts.iter().filter(|t| t.starts_with("msg ")).collect();
    let want: Vec<String> = (0..300).map(|i| format!("msg {i}")).collect();
    assert_eq!(msgs.len(), 300, "every message once");
    assert!(msgs.iter().zip(&want).all(|(a, b)| *a == b), "in order");
    assert!(
        seen.windows(2).all(|w| w[1] == w[0] + 1),
        "seqs without gaps or repeats"
    );

    // too old a seq: the browser is told to reload
    let mut ws = a.ws(Some(1)).await;
    assert_eq!(ws.next().await["event"], "reload");
    d.stop().await;
}

/// A page load while lines keep arriving: the state `GET /api/user` answers with, then
/// `/events?since=` its `seq`, together count every line exactly once (the unread and
/// mention counts of the conversation and the notification badge), whenever it is taken.
#[tokio::test]
async fn a_page_loaded_mid_flood_misses_and_counts_nothing_twice() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "erin@example.com").await;
    let url = format!("irc://127.0.0.1:{}/%23loud?tls=0&nick=erin", ircd.port);
    let (st, conn) = a.post("/api/connections", json!({"url": url})).await;
    assert_eq!(st, 200, "{conn}");
    let mut watch = a.ws(None).await;
    watch
        .wait(|v| v["type"] == "join" && v["nick"] == "erin")
        .await;

    const LINES: usize = 300;
    let port = ircd.port;
    let bot = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "loudbot");
        c.send("JOIN #loud");
        c.wait_for(|l| l.contains(" 366 "));
        for i in 0..LINES {
            c.send(&format!("PRIVMSG #loud :erin: line {i}"));
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        c
    });
    let last = format!("erin: line {}", LINES - 1);
    let mut loads = vec![];
    for at in [20, 120, 220] {
        let mark = format!("erin: line {at}");
        watch
            .wait(|v| v["event"] == "message" && v["message"] == mark.as_str())
            .await;
        let (st, me) = a.get("/api/user?connections=true&conversations=true").await;
        assert_eq!(st, 200, "{me}");
        let seq = me["seq"].as_u64().expect("a seq with conversations");
        let conv = me["conversations"]
            .as_array()
            .expect("conversations")
            .iter()
            .find(|c| c["conversation_id"] == "#loud")
            .cloned()
            .expect("#loud");
        loads.push((
            me["unread"].as_u64().unwrap_or(0),
            conv,
            a.ws(Some(seq)).await,
        ));
    }
    for (badge, conv, mut ws) in loads {
        let (mut messages, mut mentions) = (0, 0);
        loop {
            let v = ws.next().await;
            if v["conversation_id"] != "#loud" {
                continue;
            }
            match v["event"].as_str() {
                Some("message") if v["type"] == "private" => messages += 1,
                Some("notification") => mentions += 1,
                _ => {}
            }
            if v["event"] == "notification" && v["message"] == last.as_str() {
                break;
            }
        }
        let unread = conv["unread"].as_u64().unwrap_or(0);
        let highlights = conv["notifications"].as_u64().unwrap_or(0);
        assert_eq!(unread + messages, LINES as u64, "unread: {conv}");
        assert_eq!(highlights + mentions, LINES as u64, "mentions: {conv}");
        assert_eq!(badge + mentions, LINES as u64, "the notification badge");
    }
    let _bot = bot.await.expect("bot");
    // A page of it, also under a typed URL in another case; none of a channel not joined.
    let cid = conn["connection_id"].as_str().expect("connection id");
    let page = |c: &str| format!("/api/connection/{cid}/conversation/{c}/messages?limit=100");
    let (st, lower) = a.get(&page("%23loud")).await;
    assert_eq!(st, 200, "{lower}");
    assert_eq!(lower["messages"].as_array().map(Vec::len), Some(100));
    let (st, upper) = a.get(&page("%23LOUD")).await;
    assert_eq!((st, &upper), (200, &lower));
    assert_eq!(a.get(&page("%23quiet")).await.0, 404);
    d.stop().await;
}

/// A browser's frame larger than one socket read (the daemon reads 4 KiB at a time) comes
/// through whole, as an SDP offer does.
#[tokio::test]
async fn a_frame_bigger_than_one_read_arrives_whole() {
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "dave@example.com").await;
    let mut ws = a.ws(None).await;
    for size in [3_000, 30_000, 60_000] {
        let r = ws
            .ask(json!({"method": "ping", "pad": "x".repeat(size)}))
            .await;
        assert!(r["ts"].is_string(), "{size}: {r}");
    }
    d.stop().await;
}

/// Display preferences belong to the account: saved once, every open browser of the user
/// is told, another device reads them, nobody else sees or changes them, and a refused
/// value changes nothing.
#[tokio::test]
async fn preferences_follow_the_user_to_every_browser() {
    let d = Daemon::start(&[]).await;
    let a = User::register(&d, "alice@example.com").await;
    a.post("/api/settings", json!({"open_to_public": true}))
        .await;
    let b = User::register(&d, "bob@example.com").await;
    let (_, me) = a.get("/api/user").await;
    assert_eq!(me["prefs"]["membership"], "condensed");
    assert_eq!(me["prefs"]["font_size"], 15);

    // a second device of alice's, listening
    let jar = Arc::new(Jar::default());
    let phone = User {
        http: reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .expect("client"),
        jar,
        base: d.url(""),
    };
    let (st, _) = phone
        .post(
            "/api/user/login",
            json!({"email": "alice@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(st, 200);
    let mut ws = phone.ws(None).await;

    let mut prefs = me["prefs"].clone();
    prefs["membership"] = "hidden".into();
    prefs["clock"] = "12h".into();
    prefs["font_size"] = 18.into();
    prefs["previews_hidden"] = json!(["irc-x/#a"]);
    let (st, after) = a.post("/api/user", json!({"prefs": prefs})).await;
    assert_eq!(st, 200, "{after}");
    assert_eq!(after["prefs"], prefs);
    let ev = ws
        .wait(|v| v["event"] == "state" && v["type"] == "prefs")
        .await;
    assert_eq!(ev["prefs"], prefs);
    assert_eq!(phone.get("/api/user").await.1["prefs"], prefs);

    // out of range (400) or not a known value (422): nothing changed
    for bad in [
        json!({"font_size": 99}),
        json!({"paste_lines": 5000}),
        json!({"membership": "sometimes"}),
        json!({"previews_hidden": vec!["x"; 501]}),
    ] {
        let mut p = prefs.clone();
        for (k, v) in bad.as_object().expect("object") {
            p[k] = v.clone();
        }
        let (st, _) = a.post("/api/user", json!({"prefs": p})).await;
        assert!(st == 400 || st == 422, "{bad}: {st}");
    }
    assert_eq!(a.get("/api/user").await.1["prefs"], prefs);

    // bob keeps his own; an anonymous client changes nothing
    assert_eq!(
        b.get("/api/user").await.1["prefs"]["membership"],
        "condensed"
    );
    let anon = reqwest::Client::new()
        .post(d.url("/api/user"))
        .json(&json!({"prefs": {"font_size": 12}}))
        .send()
        .await
        .expect("POST");
    assert_eq!(anon.status().as_u16(), 401);
    assert_eq!(a.get("/api/user").await.1["prefs"], prefs);
    d.stop().await;
}
