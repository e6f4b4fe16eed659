//! The engine without the web layer, for tests against real IRC servers: a store, the
//! user registry, and helpers that follow a user's events.

use std::time::Duration;

use convos::model::{Secret, User};
use convos::store::{self, Store};
use convos::user::{self, Registry};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub struct Env {
    pub store: Store,
    pub users: Registry,
    pub shutdown: CancellationToken,
}

pub fn irc_options() -> convos::irc::Options {
    convos::irc::Options {
        spacer: convos::irc::Spacer::new(Duration::from_millis(0)),
        access: test_access(),
        ..Default::default()
    }
}

/// The daemon's policy for non-admins, plus the loopback address the test servers use
/// (as `CONVOS_IRC_ALLOW=127.0.0.1` would give).
pub fn test_access() -> convos::irc::Access {
    use convos::net::{Policy, Rule};
    let allow: Rule = "127.0.0.1".parse().expect("rule");
    convos::irc::Access {
        policy: std::sync::Arc::new(Policy::public().allow([allow])),
        detail: false,
    }
}

impl Env {
    pub fn open(home: &std::path::Path) -> Env {
        let store = Store::open(home, store::Options::default()).expect("store");
        let shutdown = CancellationToken::new();
        let users = Registry::new(store.clone(), irc_options(), shutdown.clone());
        Env {
            store,
            users,
            shutdown,
        }
    }

    pub async fn user(&self, email: &str) -> User {
        self.store
            .create_user(email, Secret::new("x"), false)
            .await
            .expect("create user")
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        // let the actors finish their QUITs and appends
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A user of a fresh [`Env`], started and followed, and a listener for the scripted IRC
/// server it will connect to (`irc://127.0.0.1:{port}`).
pub struct Scripted {
    pub env: Env,
    pub user: User,
    pub h: user::Handle,
    pub ev: Events,
    pub listener: tokio::net::TcpListener,
    pub port: u16,
    /// Kept for as long as the store lives.
    pub home: tempfile::TempDir,
}

impl Scripted {
    pub async fn start(email: &str) -> Scripted {
        let home = tempfile::tempdir().expect("tempdir");
        let env = Env::open(home.path());
        let user = env.user(email).await;
        let h = env.users.start(user.clone());
        let ev = Events::of(&h, "me");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        Scripted {
            env,
            user,
            h,
            ev,
            listener,
            port,
            home,
        }
    }
}

/// Follows a user's events.
pub struct Events {
    pub rx: broadcast::Receiver<std::sync::Arc<user::Frame>>,
    name: &'static str,
}

impl Events {
    pub fn of(h: &user::Handle, name: &'static str) -> Events {
        let (_, rx) = h.hub.subscribe(None).expect("subscribe");
        Events { rx, name }
    }

    /// Waits (≤ 20 s) for an event matching `pred`.
    pub async fn wait(&mut self, what: &str, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let frame = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("{}: no event: {what}", self.name))
                .expect("event stream");
            let v: Value = serde_json::from_str(frame.text()).expect("json");
            if std::env::var_os("TEST_EVENTS").is_some() {
                eprintln!("{} <- {v}", self.name);
            }
            if pred(&v) {
                return v;
            }
        }
    }

    pub async fn message(&mut self, conv: &str, text: &str) -> Value {
        let what = format!("message {text:?} in {conv:?}");
        self.wait(&what, |v| {
            v["event"] == "message" && v["conversation_id"] == conv && v["message"] == text
        })
        .await
    }
}

pub async fn send(
    h: &user::Handle,
    cid: &str,
    conv: &str,
    text: &str,
) -> Result<convos::wire::Sent, user::Error> {
    h.ask(|reply| user::Request::Send {
        connection_id: cid.into(),
        conversation_id: conv.into(),
        message: text.into(),
        reply_to: None,
        reply,
    })
    .await
}

pub async fn add(h: &user::Handle, url: &str) -> String {
    let v = h
        .ask(|reply| user::Request::AddConnection {
            changes: user::ConnectionChanges {
                url: Some(url.into()),
                ..Default::default()
            },
            reply,
        })
        .await
        .expect("add connection");
    v.connection_id
}

pub async fn connected(ev: &mut Events, cid: &str) {
    ev.wait("connected", |v| {
        v["type"] == "connection" && v["connection_id"] == cid && v["state"] == "connected"
    })
    .await;
}

/// A new user `name@example.com` of `env`, started and registered on the IRC server of
/// `url`: the user, its handle, its event follower and the connection id.
pub async fn online(
    env: &Env,
    name: &'static str,
    url: &str,
) -> (User, user::Handle, Events, String) {
    let u = env.user(&format!("{name}@example.com")).await;
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, name);
    let cid = add(&h, url).await;
    connected(&mut ev, &cid).await;
    (u, h, ev, cid)
}
