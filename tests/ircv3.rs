//! IRCv3 against a real InspIRCd: presence (away-notify, WHOX, MONITOR: who is away in a
//! channel, whether the other side of a private conversation is online), typing
//! notifications, replies and reactions between two users.

mod common;

use common::engine::{add, online, send, Env, Events};
use common::ircd::{self, Client, Ircd};
use convos::{user, wire};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn away_members_and_watched_nicks() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (alice, a, mut ev, cid) = online(&env, "alice", &ircd.url("alice", "")).await;

    // Someone already away when we join: the WHO after joining says so.
    let port = ircd.port;
    let mut carol = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "carol");
        c.send("AWAY :out for lunch");
        c.send("JOIN #p");
        c.wait_for(|l| l.contains(" 366 "));
        c
    })
    .await
    .expect("carol");
    send(&a, &cid, "", "/join #p").await.expect("join");
    let p = ev
        .wait("carol away from WHO", |v| {
            v["type"] == "presence" && v["presence"]["nick"] == "carol"
        })
        .await;
    assert_eq!(p["presence"]["away"], "", "WHOX says gone, not why");

    // away-notify: someone going away and coming back while we watch.
    let mut bob = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "bob");
        c.send("JOIN #p");
        c.wait_for(|l| l.contains(" 366 "));
        c.send("AWAY :brb");
        c
    })
    .await
    .expect("bob");
    let p = ev
        .wait("bob away", |v| {
            v["type"] == "presence" && v["presence"]["nick"] == "bob"
        })
        .await;
    assert_eq!(p["presence"]["away"], "brb");
    let members = a
        .ask(|reply| user::Request::Participants {
            connection_id: cid.clone(),
            conversation_id: "#p".into(),
            reply,
        })
        .await
        .expect("participants");
    let bob_member = members.iter().find(|m| m.nick == "bob").expect("bob");
    assert_eq!(bob_member.away.as_deref(), Some("brb"));
    let alice_member = members.iter().find(|m| m.nick == "alice").expect("me");
    assert_eq!(alice_member.away, None);
    bob.send("AWAY");
    let p = ev
        .wait("bob back", |v| {
            v["type"] == "presence" && v["presence"]["nick"] == "bob"
        })
        .await;
    assert!(p["presence"].get("away").is_none(), "{p}");

    // MONITOR: a private conversation with someone not on the network, who then comes.
    send(&a, &cid, "", "/query dave").await.expect("query");
    let p = ev
        .wait("dave offline", |v| {
            v["type"] == "presence" && v["presence"]["nick"] == "dave"
        })
        .await;
    assert_eq!(p["presence"]["online"], false);
    let dave = tokio::task::spawn_blocking(move || Client::connect(port, "dave"))
        .await
        .expect("dave");
    let p = ev
        .wait("dave online", |v| {
            v["type"] == "presence"
                && v["presence"]["nick"] == "dave"
                && v["presence"]["online"] == true
        })
        .await;
    assert_eq!(p["connection_id"], cid.as_str());
    let convs = a
        .ask(|reply| user::Request::Conversations { reply })
        .await
        .expect("conversations");
    let dave_conv = convs
        .iter()
        .find(|c| c.conversation_id == "dave")
        .expect("dave's conversation");
    assert_eq!(
        dave_conv.presence.as_ref().and_then(|p| p.online),
        Some(true)
    );
    drop(dave);
    ev.wait("dave offline again", |v| {
        v["type"] == "presence"
            && v["presence"]["nick"] == "dave"
            && v["presence"]["online"] == false
    })
    .await;

    // None of our WHO/MONITOR answers is in the record.
    let page = env
        .store
        .history(alice.id, &cid, "", convos::store::Page::latest())
        .await
        .expect("history");
    for m in &page.messages {
        for bad in [" 354 ", " 315 ", " 730 ", " 731 ", "End of /WHO", "carol"] {
            assert!(!m.text.contains(bad), "stored: {}", m.text);
        }
    }
    carol.send("QUIT");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_goes_both_ways_and_is_never_stored() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (ua, a, mut ea, ca) = online(&env, "alice", &ircd.url("alice", "")).await;
    let (ub, b, mut eb, cb) = online(&env, "bob", &ircd.url("bob", "")).await;
    for (h, ev, cid) in [(&a, &mut ea, &ca), (&b, &mut eb, &cb)] {
        send(h, cid, "", "/join #t").await.expect("join");
        ev.wait("joined", |v| {
            v["type"] == "participants" && v["conversation_id"] == "#t"
        })
        .await;
    }
    let typing = |state: wire::Typing| user::Request::Typing {
        connection_id: ca.clone(),
        conversation_id: "#t".into(),
        state,
    };
    a.tell(typing(wire::Typing::Active)).await;
    let t = eb.wait("alice typing", |v| v["type"] == "typing").await;
    assert_eq!(
        (&t["conversation_id"], &t["nick"], &t["state"]),
        (&"#t".into(), &"alice".into(), &"active".into())
    );
    // Within 3 s a second `active` is not sent; `done` is.
    a.tell(typing(wire::Typing::Active)).await;
    a.tell(typing(wire::Typing::Done)).await;
    let t = eb.wait("alice done", |v| v["type"] == "typing").await;
    assert_eq!(t["state"], "done");
    // Private: bob types to alice, who has the conversation open.
    send(&a, &ca, "", "/query bob").await.expect("query");
    send(&b, &cb, "", "/query alice").await.expect("query");
    b.tell(user::Request::Typing {
        connection_id: cb.clone(),
        conversation_id: "alice".into(),
        state: wire::Typing::Active,
    })
    .await;
    let t = ea.wait("bob typing", |v| v["type"] == "typing").await;
    assert_eq!(
        (&t["conversation_id"], &t["nick"]),
        (&"bob".into(), &"bob".into())
    );

    for (u, cid, conv) in [
        (&ub, &cb, "#t"),
        (&ub, &cb, ""),
        (&ua, &ca, "bob"),
        (&ua, &ca, ""),
    ] {
        let page = env
            .store
            .history(u.id, cid, conv, convos::store::Page::latest())
            .await
            .expect("history");
        for m in &page.messages {
            assert!(!m.text.contains("typing"), "stored: {}", m.text);
        }
    }
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_senders_are_dropped_before_storage() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (alice, a, mut ev, cid) = online(&env, "alice", &ircd.url("alice", "")).await;
    send(&a, &cid, "", "/join #i").await.expect("join");
    ev.wait("joined", |v| {
        v["type"] == "participants" && v["conversation_id"] == "#i"
    })
    .await;
    send(&a, &cid, "#i", "/ignore Troll").await.expect("ignore");
    let up = ev
        .wait("connection updated", |v| v["type"] == "connection_update")
        .await;
    assert_eq!(up["connection"]["ignore"], serde_json::json!(["Troll!*@*"]));
    ev.message(
        "#i",
        "Ignoring Troll!*@*: their messages, notices, invites and calls are dropped.",
    )
    .await;
    send(&a, &cid, "#i", "/ignore bad mask")
        .await
        .expect("a second word is ignored");

    let port = ircd.port;
    let mut troll = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "troll");
        c.send("JOIN #i");
        c.wait_for(|l| l.contains(" 366 "));
        for line in [
            "PRIVMSG #i :spam in the channel",
            "PRIVMSG alice :spam in private",
            "NOTICE alice :spam notice",
            "PRIVMSG alice :\u{1}VERSION\u{1}",
            "INVITE alice #elsewhere",
        ] {
            c.send(line);
        }
        c
    })
    .await
    .expect("troll");
    let mut friend = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "friend");
        c.send("JOIN #i");
        c.wait_for(|l| l.contains(" 366 "));
        c.send("PRIVMSG #i :a friendly line");
        c
    })
    .await
    .expect("friend");
    ev.message("#i", "a friendly line").await;
    send(&a, &cid, "#i", "/unignore troll")
        .await
        .expect("unignore");
    ev.message("#i", "No longer ignoring troll!*@*.").await;
    troll.send("PRIVMSG #i :heard again");
    ev.message("#i", "heard again").await;

    for conv in ["#i", "", "troll"] {
        let Ok(page) = env
            .store
            .history(alice.id, &cid, conv, convos::store::Page::latest())
            .await
        else {
            continue; // no private conversation was made: good
        };
        for m in &page.messages {
            assert!(
                !m.text.contains("spam")
                    && !m.text.contains("VERSION")
                    && !m.text.contains("invited"),
                "stored: {}",
                m.text
            );
        }
    }
    let convs = a
        .ask(|reply| user::Request::Conversations { reply })
        .await
        .expect("conversations");
    assert!(convs.iter().all(|c| c.conversation_id != "troll"));
    troll.send("QUIT");
    friend.send("QUIT");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_away_follows_the_browsers() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    // A "minute" of the auto-away delay lasts 300 ms here.
    let env = Env {
        users: env
            .users
            .with_away_minute(std::time::Duration::from_millis(300)),
        ..env
    };
    let mut alice = env.user("alice@example.com").await;
    let choice = convos::model::AutoAway {
        message: "not at the keyboard".into(),
        minutes: 1,
    };
    alice.settings = alice.settings_with_auto_away(&choice);
    env.store
        .set_user_settings(alice.id, alice.settings.clone())
        .await
        .expect("settings");
    let a = env.users.start(alice.clone());
    let mut ev = Events::of(&a, "alice");
    let cid = add(&a, &ircd.url("alice", "")).await;
    // No browser is active: away soon after connecting.
    let away = |v: &serde_json::Value| {
        v["event"] == "message"
            && v["message"]
                .as_str()
                .is_some_and(|m| m.contains("marked as being away"))
    };
    let back = |v: &serde_json::Value| {
        v["event"] == "message"
            && v["message"]
                .as_str()
                .is_some_and(|m| m.contains("no longer marked as being away"))
    };
    ev.wait("auto-away", away).await;
    // A browser says the user is here: back at once.
    let mut browser = a.hub.activity();
    browser.set(true);
    ev.wait("back", back).await;
    // It goes idle: away again after the delay.
    browser.set(false);
    ev.wait("away again", away).await;
    // An /away of the user's own is left alone by auto-away.
    send(&a, &cid, "", "/away lunch").await.expect("away");
    browser.set(true);
    let lines = tokio::time::timeout(
        std::time::Duration::from_millis(900),
        ev.wait("no auto back", back),
    )
    .await;
    assert!(
        lines.is_err(),
        "auto-away came back over the user's own /away"
    );
    env.stop().await;
}

/// Replies and reactions between two of our users through InspIRCd (message-tags,
/// ircv3_ctctags, msgid): a reply carries what it answers, a reaction is stored as a
/// `reaction` line of its conversation (never searched), and a bad one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_and_reactions_go_both_ways() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (ua, a, mut ea, ca) = online(&env, "alice", &ircd.url("alice", "")).await;
    let (ub, b, mut eb, cb) = online(&env, "bob", &ircd.url("bob", "")).await;
    for (h, ev, cid) in [(&a, &mut ea, &ca), (&b, &mut eb, &cb)] {
        send(h, cid, "", "/join #r").await.expect("join");
        ev.wait("joined", |v| {
            v["type"] == "participants" && v["conversation_id"] == "#r"
        })
        .await;
    }
    send(&b, &cb, "#r", "shall we ship it?").await.expect("say");
    let asked = ea.message("#r", "shall we ship it?").await;
    let msgid = asked["msgid"].as_str().expect("a msgid").to_string();

    // alice reacts: bob sees a reaction to that message; alice's own comes back (echo)
    a.ask(|reply| user::Request::React {
        connection_id: ca.clone(),
        conversation_id: "#r".into(),
        msgid: msgid.clone(),
        reaction: "👍".into(),
        reply,
    })
    .await
    .expect("react");
    let r = eb
        .wait("alice's reaction", |v| {
            v["event"] == "message" && v["type"] == "reaction"
        })
        .await;
    assert_eq!(
        (
            &r["from"],
            &r["message"],
            &r["reply_to"],
            &r["conversation_id"]
        ),
        (
            &"alice".into(),
            &"👍".into(),
            &msgid.clone().into(),
            &"#r".into()
        )
    );
    ea.wait("own reaction", |v| v["type"] == "reaction").await;

    // ... and answers: bob's copy says what it answers
    a.ask(|reply| user::Request::Send {
        connection_id: ca.clone(),
        conversation_id: "#r".into(),
        message: "yes, today".into(),
        reply_to: Some(msgid.clone()),
        reply,
    })
    .await
    .expect("reply");
    let answer = eb.message("#r", "yes, today").await;
    assert_eq!(answer["reply_to"], msgid.as_str());

    // refused, nothing sent or stored: too long, control characters, a bad msgid
    for (reaction, id) in [
        ("x".repeat(65), msgid.clone()),
        ("\u{7}".into(), msgid.clone()),
        ("👍".into(), "has space".into()),
        ("👍".into(), String::new()),
    ] {
        let res = a
            .ask(|reply| user::Request::React {
                connection_id: ca.clone(),
                conversation_id: "#r".into(),
                msgid: id,
                reaction,
                reply,
            })
            .await;
        assert!(matches!(res, Err(user::Error::Invalid(_))), "{res:?}");
    }

    // stored: one reaction row each side, the reply's reference; search never finds it
    for (u, cid) in [(&ua, &ca), (&ub, &cb)] {
        let page = env
            .store
            .history(u.id, cid, "#r", convos::store::Page::latest())
            .await
            .expect("history");
        let reactions: Vec<_> = page
            .messages
            .iter()
            .filter(|m| m.kind == convos::model::Kind::Reaction)
            .collect();
        assert_eq!(reactions.len(), 1, "{:?}", page.messages);
        assert_eq!(reactions[0].reply_to.as_deref(), Some(msgid.as_str()));
        let reply = page
            .messages
            .iter()
            .find(|m| m.text == "yes, today")
            .expect("reply stored");
        assert_eq!(reply.reply_to.as_deref(), Some(msgid.as_str()));
        env.store.index_pending().await.expect("index");
        let hits = env
            .store
            .search(u.id, convos::store::SearchQuery::parse("👍"))
            .await
            .expect("search");
        assert!(hits.messages.is_empty(), "{:?}", hits.messages);
    }
    env.stop().await;
}

/// chghost and setname (real InspIRCd: an oper's SETHOST, SETNAME): someone's new host and
/// real name reach the WHOIS card, and neither change is ever a line of the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_name_changes_are_never_lines() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let (ua, a, mut ea, ca) = online(&env, "alice", &ircd.url("alice", "")).await;
    send(&a, &ca, "", "/join #h").await.expect("join");
    ea.wait("joined", |v| {
        v["type"] == "participants" && v["conversation_id"] == "#h"
    })
    .await;
    let port = ircd.port;
    let carol = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "carol");
        c.send("JOIN #h");
        c.wait_for(|l| l.contains(" 366 "));
        c.send("OPER oper operpass");
        c.wait_for(|l| l.contains(" 381 "));
        c.send("SETHOST moved.example");
        c.send("SETNAME :Carol Newname");
        c.send("PING :done");
        c.wait_for(|l| l.contains("PONG") && l.contains("done"));
        c
    })
    .await
    .expect("carol");
    send(&a, &ca, "#h", "/whois carol").await.expect("whois");
    let card = ea.wait("card", |v| v["type"] == "whois").await;
    assert_eq!(card["whois"]["host"], "moved.example");
    assert_eq!(card["whois"]["realname"], "Carol Newname");
    for conv in ["#h", ""] {
        let page = env
            .store
            .history(ua.id, &ca, conv, convos::store::Page::latest())
            .await
            .expect("history");
        for m in &page.messages {
            let t = m.text.to_lowercase();
            assert!(
                !t.contains("chghost") && !t.contains("setname") && !t.contains("moved.example")
                    || t.starts_with("carol is"),
                "stored: {}",
                m.text
            );
        }
    }
    drop(carol);
    env.stop().await;
}
