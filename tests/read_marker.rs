//! Read markers shared with other clients (draft/read-marker, as soju and Ergo have it),
//! from a scripted server with the lines of the specification: a MARKREAD from the server
//! moves our marker forward (never back), and reading here sends MARKREAD.

mod common;

use common::engine::{add, Scripted};
use common::fake_irc::Peer;
use convos::user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_markers_go_both_ways() {
    let Scripted {
        env,
        user: u,
        h,
        mut ev,
        listener: l,
        port,
        home: _home,
    } = Scripted::start("r@example.com").await;
    let (to_server, mut from_test) = tokio::sync::mpsc::channel::<()>(1);
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "server-time draft/read-marker").await;
        p.expect("JOIN #r").await;
        p.send(":me!u@h JOIN #r").await;
        p.send("MARKREAD #r *").await;
        for (i, t) in ["10:00:00.000", "10:00:01.000", "10:00:02.000"]
            .iter()
            .enumerate()
        {
            p.send(&format!(
                "@time=2026-12-01T{t}Z :bob!b@h PRIVMSG #r :line {i}"
            ))
            .await;
        }
        // Another client of the account read up to the second line.
        p.send("MARKREAD #r timestamp=2026-12-01T10:00:01.500Z")
            .await;
        // An older marker does not move ours back.
        p.send("MARKREAD #r timestamp=2026-12-01T09:00:00.000Z")
            .await;
        p.roundtrip().await;
        from_test.recv().await;
        let sent = p.expect("MARKREAD").await;
        p.roundtrip().await;
        sent
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}/%23r?tls=0&nick=me")).await;
    let read = ev
        .wait("read marker from the server", |v| v["type"] == "read")
        .await;
    assert_eq!(read["unread"], 1, "{read}");
    let page = env
        .store
        .history(u.id, &cid, "#r", convos::store::Page::latest())
        .await
        .expect("history");
    let line1 = page
        .messages
        .iter()
        .find(|m| m.text == "line 1")
        .expect("line 1");
    assert_eq!(
        read["last_read"], line1.id.0,
        "read up to the line said by then"
    );
    // The user reads everything here: the server is told the time of the last line.
    // (A browser may name the conversation in any case: the network's mapping folds it.)
    to_server.send(()).await.expect("server alive");
    let conv = h
        .ask(|reply| user::Request::MarkRead {
            connection_id: cid.clone(),
            conversation_id: "#R".into(),
            last_read: None,
            reply,
        })
        .await
        .expect("mark read");
    assert_eq!(conv.unread, 0);
    let sent = server.await.expect("server");
    assert_eq!(sent, "MARKREAD #r timestamp=2026-12-01T10:00:02.000Z");
    // Nothing of it is a line of the record.
    let page = env
        .store
        .history(u.id, &cid, "", convos::store::Page::latest())
        .await
        .expect("history");
    assert!(page.messages.iter().all(|m| !m.text.contains("MARKREAD")));
    env.stop().await;
}

/// ISUPPORT is applied by the connection's session alone; the user's state takes the
/// result: `NETWORK=` renames the connection in every browser, and a `NICKLEN` shorter
/// than the wanted nick is explained once, whichever 005 line carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isupport_names_the_network_and_explains_a_short_nicklen() {
    let Scripted {
        env,
        user: u,
        h,
        mut ev,
        listener: l,
        port,
        home: _home,
    } = Scripted::start("i@example.com").await;
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("longnick", "").await;
        p.send(":srv 005 longnick CHANTYPES=# NETWORK=Fakenet :are supported")
            .await;
        p.send(":srv 005 longnick NICKLEN=4 CASEMAPPING=ascii :are supported")
            .await;
        p.send(":srv 005 longnick NICKLEN=4 :are supported").await;
        p.send(":longnick!u@h JOIN #Ärger").await;
        p.roundtrip().await;
        p
    });
    let cid = add(&h, &format!("irc://127.0.0.1:{port}?tls=0&nick=longnick")).await;
    let update = ev
        .wait("the network's name", |v| v["type"] == "connection_update")
        .await;
    assert_eq!(update["connection"]["name"], "Fakenet", "{update}");
    let _p = server.await.expect("server");
    ev.wait("the nick length explained", |v| {
        v["event"] == "message"
            && v["message"]
                .as_str()
                .is_some_and(|t| t.contains("at most 4 characters"))
    })
    .await;
    let page = env
        .store
        .history(u.id, &cid, "", convos::store::Page::latest())
        .await
        .expect("history");
    let explained = page
        .messages
        .iter()
        .filter(|m| m.text.contains("at most 4 characters"))
        .count();
    assert_eq!(explained, 1, "once");
    // CASEMAPPING=ascii folds A-Z only: the id keeps its Ä, and requests naming the
    // conversation in another case are folded the network's way, not Unicode's.
    ev.wait("the channel", |v| {
        v["type"] == "conversation" && v["conversation"]["conversation_id"] == "#Ärger"
    })
    .await;
    let has = |name: &'static str| {
        let cid = cid.clone();
        let h = h.clone();
        async move {
            h.ask(|reply| user::Request::HasConversation {
                connection_id: cid,
                conversation_id: name.into(),
                reply,
            })
            .await
            .expect("ask")
        }
    };
    assert!(has("#ÄRGER").await);
    assert!(!has("#ärger").await, "ascii does not fold Ä");
    env.stop().await;
}
