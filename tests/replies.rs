//! IRCv3 standard replies (FAIL/WARN/NOTE) from a scripted server: the readable
//! description lands in the conversation it is about, FAIL as an error.

mod common;

use common::engine::{add, Env, Events};
use common::fake_irc::Peer;
use tokio::net::TcpListener;

/// An engine with one running user and its event follower.
async fn user(email: &str) -> (tempfile::TempDir, Env, convos::user::Handle, Events) {
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let u = env.user(email).await;
    let h = env.users.start(u);
    let ev = Events::of(&h, "me");
    (home, env, h, ev)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_replies_are_readable_and_in_place() {
    let (_home, env, h, mut ev) = user("r@example.com").await;
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "server-time").await;
        p.expect("JOIN #full").await;
        p.send(":srv FAIL JOIN CHANNEL_FULL #full :Cannot join #full (channel is full)")
            .await;
        p.send(":srv WARN REHASH CERTS_EXPIRED :The certificate expired")
            .await;
        p.send(":srv FAIL BOGUS").await;
        p.roundtrip().await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}/%23full?tls=0&nick=me")).await;
    let fail = ev
        .wait("FAIL in #full", |v| {
            v["event"] == "message" && v["conversation_id"] == "#full"
        })
        .await;
    assert_eq!(fail["type"], "error");
    assert_eq!(fail["message"], "Cannot join #full (channel is full)");
    let warn = ev
        .wait("WARN in the server conversation", |v| {
            v["event"] == "message" && v["message"] == "The certificate expired"
        })
        .await;
    assert_eq!(warn["conversation_id"], "");
    assert_eq!(warn["type"], "server");
    // A malformed one is kept as a plain server line, not lost.
    ev.wait("malformed FAIL", |v| {
        v["event"] == "message" && v["message"].as_str().is_some_and(|m| m.contains("BOGUS"))
    })
    .await;
    let _peer = server.await.expect("server");
    assert_eq!(cid, "irc-127-0-0-1");
    env.stop().await;
}

/// A nick longer than the network's NICKLEN is cut by the server: the user is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nick_over_nicklen_is_explained() {
    let (_home, env, h, mut ev) = user("n@example.com").await;
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        // The server cut "averyverylongnick" to its NICKLEN.
        p.register("averyvery", "").await;
        p.send(":srv 005 averyvery NICKLEN=9 CASEMAPPING=rfc1459 :are supported")
            .await;
        p.roundtrip().await;
        p
    });
    add(
        &h,
        &format!("irc://127.0.0.1:{port}?tls=0&nick=averyverylongnick"),
    )
    .await;
    let told = ev
        .wait("nick too long", |v| {
            v["event"] == "message"
                && v["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("at most 9 characters"))
        })
        .await;
    assert_eq!(told["type"], "error");
    assert!(
        told["message"]
            .as_str()
            .is_some_and(|m| m.contains("you are averyvery")),
        "{told}"
    );
    let _peer = server.await.expect("server");
    env.stop().await;
}

/// Typed commands go out as lines built by `irc_proto`: a parameter IRC cannot carry is a
/// clear error and nothing is sent; a good one arrives intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_commands_cannot_inject_lines() {
    let (_home, env, h, mut ev) = user("i@example.com").await;
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "").await;
        p.expect("JOIN #c").await;
        p.send(":me!u@h JOIN #c").await;
        let _ = rx.await;
        // The next line after the refused ones is the good one.
        p.expect("TOPIC #c :a new topic").await;
        p.expect("KICK #c bob :bye now").await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}/%23c?tls=0&nick=me")).await;
    common::engine::connected(&mut ev, &cid).await;
    ev.wait("joined", |v| v["type"] == "join").await;
    let send = |text: &'static str| common::engine::send(&h, "irc-127-0-0-1", "#c", text);
    for bad in ["/topic x\rQUIT :gone", "/kick bob\0x", "/mode +k a\0b"] {
        let err = send(bad).await.expect_err(bad);
        assert!(
            err.to_string().starts_with("Cannot send that"),
            "{bad}: {err}"
        );
    }
    tx.send(()).expect("server waits");
    send("/topic a new topic").await.expect("topic");
    send("/kick bob bye now").await.expect("kick");
    let _peer = server.await.expect("server");
    env.stop().await;
}

/// `/close` parts the channel and removes the conversation; the server's PART that follows
/// must not bring it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_channel_stays_closed() {
    let (_home, env, h, mut ev) = user("c@example.com").await;
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "").await;
        p.expect("JOIN #c").await;
        p.send(":me!u@h JOIN #c").await;
        p.expect("PART #c").await;
        p.send(":me!u@h PART #c").await;
        p.send(":bob!u@h PRIVMSG me :still here?").await;
        p.roundtrip().await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}/%23c?tls=0&nick=me")).await;
    common::engine::connected(&mut ev, &cid).await;
    ev.wait("joined", |v| v["type"] == "join").await;
    common::engine::send(&h, &cid, "", "/close #c")
        .await
        .expect("close");
    // The private message after the PART shows the PART was handled.
    ev.wait("pm", |v| {
        v["event"] == "message" && v["message"] == "still here?"
    })
    .await;
    let _peer = server.await.expect("server");
    let open = h
        .ask(|reply| convos::user::Request::Conversations { reply })
        .await
        .expect("conversations");
    assert!(!open.iter().any(|c| c.conversation_id == "#c"), "{open:?}");
    env.stop().await;
}
