//! The always-online engine against a real InspIRCd: user actors, their IRC connections,
//! the store, and the events browsers get.

mod common;

use std::time::Duration;

use common::ircd::{self, Client, Ircd};
use convos::model::{Secret, User, WantedState};
use convos::store::{self, Page, Store};
use convos::user::{self, Registry};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

struct Env {
    store: Store,
    users: Registry,
    shutdown: CancellationToken,
}

fn irc_options() -> convos::irc::Options {
    convos::irc::Options {
        spacer: convos::irc::Spacer::new(Duration::from_millis(0)),
        ..Default::default()
    }
}

impl Env {
    fn open(home: &std::path::Path) -> Env {
        let store = Store::open(home, store::Options::default()).expect("store");
        let shutdown = CancellationToken::new();
        let users = Registry::new(store.clone(), irc_options(), shutdown.clone());
        Env {
            store,
            users,
            shutdown,
        }
    }

    async fn user(&self, email: &str) -> User {
        self.store
            .create_user(email, Secret::new("x"), false)
            .await
            .expect("create user")
    }

    async fn stop(self) {
        self.shutdown.cancel();
        // let the actors finish their QUITs and appends
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Follows a user's events.
struct Events {
    rx: broadcast::Receiver<std::sync::Arc<user::Frame>>,
    name: &'static str,
}

impl Events {
    fn of(h: &user::Handle, name: &'static str) -> Events {
        let (_, rx) = h.hub.subscribe(None).expect("subscribe");
        Events { rx, name }
    }

    /// Waits (≤ 20 s) for an event matching `pred`.
    async fn wait(&mut self, what: &str, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let frame = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("{}: no event: {what}", self.name))
                .expect("event stream");
            let v: Value = serde_json::from_str(&frame.json).expect("json");
            if std::env::var_os("TEST_EVENTS").is_some() {
                eprintln!("{} <- {v}", self.name);
            }
            if pred(&v) {
                return v;
            }
        }
    }

    async fn message(&mut self, conv: &str, text: &str) -> Value {
        let what = format!("message {text:?} in {conv:?}");
        self.wait(&what, |v| {
            v["event"] == "message" && v["conversation_id"] == conv && v["message"] == text
        })
        .await
    }
}

async fn send(h: &user::Handle, cid: &str, conv: &str, text: &str) -> Result<Value, user::Error> {
    h.ask(|reply| user::Request::Send {
        connection_id: cid.into(),
        conversation_id: conv.into(),
        message: text.into(),
        reply,
    })
    .await
}

async fn add(h: &user::Handle, url: &str) -> String {
    let v = h
        .ask(|reply| user::Request::AddConnection {
            url: url.into(),
            on_connect_commands: vec![],
            wanted_state: WantedState::Connected,
            reply,
        })
        .await
        .expect("add connection");
    v["connection_id"].as_str().expect("id").to_string()
}

async fn connected(ev: &mut Events, cid: &str) {
    ev.wait("connected", |v| {
        v["type"] == "connection" && v["connection_id"] == cid && v["state"] == "connected"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_in_a_channel_and_privately() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (ua, ub) = (
        env.user("alice@example.com").await,
        env.user("bob@example.com").await,
    );
    let (a, b) = (env.users.start(ua.clone()), env.users.start(ub.clone()));
    let (mut ea, mut eb) = (Events::of(&a, "alice"), Events::of(&b, "bob"));
    let ca = add(&a, &ircd.url("alice", "")).await;
    let cb = add(&b, &ircd.url("bob", "")).await;
    assert_eq!(ca, "irc-127-0-0-1");
    connected(&mut ea, &ca).await;
    connected(&mut eb, &cb).await;

    send(&a, &ca, "", "/join #test").await.expect("join");
    ea.wait("alice joined", |v| {
        v["type"] == "join" && v["nick"] == "alice"
    })
    .await;
    send(&b, &cb, "", "/join #test").await.expect("join");
    ea.wait("bob joined", |v| v["type"] == "join" && v["nick"] == "bob")
        .await;
    eb.wait("bob in", |v| {
        v["type"] == "participants" && v["conversation_id"] == "#test"
    })
    .await;

    send(&a, &ca, "#test", "hello bob").await.expect("say");
    let m = eb.message("#test", "hello bob").await;
    assert_eq!(m["from"], "alice");
    assert_eq!(m["highlight"], true, "bob's nick is a highlight");
    let own = ea.message("#test", "hello bob").await;
    assert_eq!(own["self"], true);
    assert!(own["id"].as_i64().expect("stored id") > 0);

    send(&b, &cb, "#test", "/me waves").await.expect("action");
    let m = ea
        .wait("action", |v| {
            v["event"] == "message" && v["type"] == "action"
        })
        .await;
    assert_eq!(
        (m["from"].as_str(), m["message"].as_str()),
        (Some("bob"), Some("waves"))
    );

    send(&a, "irc-nope", "#test", "x")
        .await
        .expect_err("no such connection");
    send(&a, &ca, "#test", "/frobnicate")
        .await
        .expect_err("unknown command");

    send(&a, &ca, "#test", "/topic Rust all the way")
        .await
        .expect("topic");
    eb.wait("topic", |v| {
        v["type"] == "topic" && v["topic"] == "Rust all the way"
    })
    .await;

    // private
    send(&a, &ca, "", "/msg bob psst").await.expect("msg");
    eb.wait("private conversation", |v| {
        v["type"] == "conversation" && v["conversation"]["conversation_id"] == "alice"
    })
    .await;
    let m = eb.message("alice", "psst").await;
    assert_eq!(m["highlight"], true);

    // nick change seen in the channel by the other side
    send(&b, &cb, "#test", "/nick bobby").await.expect("nick");
    ea.wait("nick change", |v| {
        v["type"] == "nick_change" && v["old_nick"] == "bob" && v["new_nick"] == "bobby"
    })
    .await;
    eb.wait("own nick", |v| v["type"] == "me" && v["nick"] == "bobby")
        .await;

    // kick: alice is op (first in the channel)
    send(&a, &ca, "#test", "/kick bobby behave")
        .await
        .expect("kick");
    eb.wait("kicked", |v| {
        v["type"] == "frozen" && v["conversation_id"] == "#test"
    })
    .await;
    ea.wait("kick seen", |v| v["type"] == "kick" && v["nick"] == "bobby")
        .await;

    // history is in the store, in order, once
    let h = env
        .store
        .history(ua.id, &ca, "#test", Page::latest())
        .await
        .expect("history");
    let texts: Vec<&str> = h.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts.iter().filter(|t| **t == "hello bob").count(),
        1,
        "{texts:?}"
    );
    assert!(texts.contains(&"waves"));
    assert!(texts.iter().any(|t| t.contains("kicked")));

    // the highlight is in bob's notifications
    let n = env
        .store
        .notifications(ub.id, None, 10)
        .await
        .expect("notifications");
    assert!(n.iter().any(|n| n.entry.text == "hello bob"));

    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_rejoins_and_survives_restarts() {
    if !ircd::available() {
        return;
    }
    let mut ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let ua = env.user("carol@example.com").await;
    let a = env.users.start(ua.clone());
    let mut ea = Events::of(&a, "carol");
    let ca = add(&a, &ircd.url("carol", "")).await;
    connected(&mut ea, &ca).await;
    send(&a, &ca, "", "/join #keyed sekrit")
        .await
        .expect("join");
    ea.wait("joined", |v| v["type"] == "join" && v["nick"] == "carol")
        .await;
    send(&a, &ca, "#keyed", "/mode +k sekrit")
        .await
        .expect("mode");
    ea.wait("mode", |v| v["event"] == "message" && v["type"] == "mode")
        .await;

    // someone else talks; we store it once
    let mut dave = tokio::task::spawn_blocking({
        let port = ircd.port;
        move || {
            let mut d = Client::connect(port, "dave");
            d.send("JOIN #keyed sekrit");
            d.wait_for(|l| l.contains(" 366 "));
            d.send("PRIVMSG #keyed :before the crash");
            d
        }
    })
    .await
    .expect("dave");
    ea.message("#keyed", "before the crash").await;

    // the IRC server dies and comes back: we reconnect and rejoin with the key
    ircd.restart();
    ea.wait("disconnected", |v| {
        v["type"] == "connection" && v["state"] == "disconnected"
    })
    .await;
    connected(&mut ea, &ca).await;
    ea.wait("rejoined", |v| {
        v["type"] == "join" && v["nick"] == "carol" && v["conversation_id"] == "#keyed"
    })
    .await;
    dave = tokio::task::spawn_blocking({
        let port = ircd.port;
        move || {
            drop(dave);
            let mut d = Client::connect(port, "dave");
            d.send("JOIN #keyed sekrit");
            d.wait_for(|l| l.contains(" 366 "));
            d.send("PRIVMSG #keyed :after the crash");
            d
        }
    })
    .await
    .expect("dave again");
    ea.message("#keyed", "after the crash").await;

    // our daemon restarts: the connection comes back by itself
    env.stop().await;
    let env = Env::open(home.path());
    let a = env.users.start(ua.clone());
    let mut ea = Events::of(&a, "carol again");
    connected(&mut ea, &ca).await;
    ea.wait("rejoined after restart", |v| {
        v["type"] == "join" && v["nick"] == "carol"
    })
    .await;
    let mut d = dave;
    let d = tokio::task::spawn_blocking(move || {
        d.send("PRIVMSG #keyed :after our restart");
        d
    })
    .await
    .expect("dave speaks");
    ea.message("#keyed", "after our restart").await;

    let h = env
        .store
        .history(ua.id, &ca, "#keyed", Page::latest())
        .await
        .expect("history");
    for text in ["before the crash", "after the crash", "after our restart"] {
        assert_eq!(
            h.messages.iter().filter(|m| m.text == text).count(),
            1,
            "{text} stored once"
        );
    }
    drop(d);
    env.stop().await;
}
