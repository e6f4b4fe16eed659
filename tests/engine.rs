//! The always-online engine against a real InspIRCd: user actors, their IRC connections,
//! the store, and the events browsers get.

mod common;

use std::time::Duration;

use common::engine::{add, connected, send, Env, Events};
use common::ircd::{self, Client, Ircd};
use convos::store::{self, Page};
use convos::user;
use serde_json::Value;
use tokio::sync::broadcast;

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

/// A browser's `rtc` frame (without `method`), through the typed request.
async fn rtc(h: &user::Handle, req: Value) -> Result<(), user::Error> {
    let request = serde_json::from_value(req).expect("a valid rtc request");
    h.ask(|reply| user::Request::Rtc { request, reply }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtcz_interop_with_a_convos_peer() {
    use convos::rtc;
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let u = env.user("superman@example.com").await;
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "superman");
    let cid = add(&h, &ircd.url("superman", "")).await;
    connected(&mut ev, &cid).await;

    let port = ircd.port;
    let mut peer = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "superwoman");
        c.send("JOIN #convos");
        c.wait_for(|l| l.contains(" 366 "));
        c
    })
    .await
    .expect("peer");
    send(&h, &cid, "", "/join #convos").await.expect("join");
    ev.wait("peer is a participant", |v| {
        v["type"] == "participants"
            && v["participants"]
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p["nick"] == "superwoman"))
    })
    .await;

    // The exact lines of docs/rtcz.md §4.2, as a Convos 4.x peer sends them.
    peer.send("NOTICE #convos :\u{1}RTCZ CALL\u{1}");
    let call = ev
        .wait("call", |v| v["event"] == "rtc" && v["type"] == "call")
        .await;
    assert_eq!(
        (call["conversation_id"].as_str(), call["from"].as_str()),
        (Some("#convos"), Some("superwoman"))
    );
    // The call log, stored like other state lines (src/user/calllog.rs); superman never
    // joined, so the end is a missed call, as a highlight.
    let started = ev.message("#convos", "superwoman started a call.").await;
    assert_eq!(
        (&started["type"], &started["highlight"]),
        (&"call".into(), &false.into())
    );
    peer.send("NOTICE #convos :\u{1}RTCZ HANGUP\u{1}");
    let missed = ev
        .message(
            "#convos",
            "Missed call from superwoman — less than a minute, 1 participant.",
        )
        .await;
    assert_eq!(
        (&missed["type"], &missed["highlight"]),
        (&"call".into(), &true.into())
    );

    // private signals need a private conversation first
    peer.send("PRIVMSG superman :hi, calling you");
    ev.message("superwoman", "hi, calling you").await;
    peer.send("NOTICE superman :\u{1}RTCZ ICE 0/0 superman H4sIADvpyV4AA8tMTrU1UDVwUTVw1IVQo7xR3ihvlDfKG+WN8kZ5o7xR3vDiAQBX4L2X9AoAAA==\u{1}");
    let ice = ev
        .wait("ice", |v| {
            v["event"] == "rtc" && v["type"] == "signal" && v.get("ice").is_some()
        })
        .await;
    assert_eq!(ice["conversation_id"], "superwoman");
    assert_eq!(ice["ice"].as_str().expect("ice"), "0\r\n-\r\n".repeat(200));

    // a real offer, chunked as a peer would, arrives byte for byte
    // browsers write SDP with CRLF line ends
    let offer = &include_str!("../src/rtc/testdata/offer.sdp")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let lines = rtc::encode(
        &rtc::Signal::Offer {
            sdp: offer.to_string(),
        },
        "superman",
        "superman",
        rtc::DEFAULT_PREFIX_LEN,
    )
    .expect("encode");
    assert!(lines.len() > 1, "multi-chunk");
    for n in &lines {
        peer.send(&n.line());
    }
    let got = ev
        .wait("offer", |v| v["event"] == "rtc" && v.get("offer").is_some())
        .await;
    assert_eq!(got["offer"].as_str().expect("sdp"), offer);

    // the reverse: our answer reaches the peer as RTCZ it can decode
    let answer: String = include_str!("../src/rtc/testdata/answer.sdp")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let req = serde_json::json!({"event": "signal", "connection_id": cid, "conversation_id": "superwoman",
        "target": "superwoman", "answer": answer.clone()});
    rtc(&h, req).await.expect("signal sent");
    let mut peer = tokio::task::spawn_blocking(move || {
        let mut r = rtc::Reassembler::new(rtc::Limits::default());
        loop {
            let line = peer.wait_for(|l| l.contains("RTCZ ANS"));
            let m = irc_proto::Message::parse(&line).expect("line");
            assert!(line.len() + 2 <= 512);
            let Ok(Some(rtc::Body::Chunk(chunk))) = rtc::parse(m.param(1).expect("text")) else {
                panic!("not a chunk: {line}")
            };
            assert_eq!(
                chunk.conversation, "superwoman",
                "the sender's conversation name"
            );
            let key = rtc::Key {
                connection: "x",
                sender: "superman",
                conversation: "superwoman",
            };
            if let Some(sig) = r
                .push(key, chunk, std::time::Instant::now())
                .expect("valid chunk")
            {
                assert_eq!(
                    sig,
                    rtc::Signal::Answer {
                        sdp: answer.clone()
                    }
                );
                return peer;
            }
        }
    })
    .await
    .expect("peer got the answer");

    // refused: a target who is not in the conversation; RTCZ is not chat history
    let bad = serde_json::json!({"event": "signal", "connection_id": cid, "conversation_id": "#convos",
        "target": "nobody", "offer": offer});
    assert!(rtc(&h, bad).await.is_err());
    peer.send("NOTICE #convos :\u{1}RTCZ HANGUP\u{1}");
    ev.wait("hangup", |v| v["event"] == "rtc" && v["type"] == "hangup")
        .await;
    let hist = env
        .store
        .history(u.id, &cid, "#convos", Page::latest())
        .await
        .expect("history");
    assert!(
        hist.messages.iter().all(|m| !m.text.contains("RTCZ")),
        "no RTCZ in history"
    );
    drop(peer);
    env.stop().await;
}

/// A call cut off by the daemon stopping, or by the IRC connection dropping, still gets
/// its closing line in the conversation's call log (issue 25): nothing of it can be seen
/// any more, so it ends there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cut_off_still_ends_in_the_log() {
    if !ircd::available() {
        return;
    }
    let mut ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let join_with_peer = |port: u16| {
        tokio::task::spawn_blocking(move || {
            let mut c = Client::connect(port, "superwoman");
            c.send("JOIN #convos");
            c.wait_for(|l| l.contains(" 366 "));
            c
        })
    };
    let in_channel = |v: &Value| {
        v["type"] == "participants"
            && v["participants"]
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p["nick"] == "superwoman"))
    };

    // In a call with superwoman, then the daemon stops (a restart).
    let env = Env::open(home.path());
    let u = env.user("superman@example.com").await;
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "superman");
    let cid = add(&h, &ircd.url("superman", "")).await;
    connected(&mut ev, &cid).await;
    let mut peer = join_with_peer(ircd.port).await.expect("peer");
    send(&h, &cid, "", "/join #convos").await.expect("join");
    ev.wait("peer is a participant", in_channel).await;
    peer.send("NOTICE #convos :\u{1}RTCZ CALL\u{1}");
    ev.message("#convos", "superwoman started a call.").await;
    let call =
        serde_json::json!({"event": "call", "connection_id": cid, "conversation_id": "#convos"});
    rtc(&h, call).await.expect("joined the call");
    drop(peer); // gone too: either way the user is still in the call when it stops
    env.stop().await;
    let ended = |env: &Env| {
        let (store, cid) = (env.store.clone(), cid.clone());
        async move {
            store
                .history(u.id, &cid, "#convos", Page::latest())
                .await
                .expect("history")
                .messages
                .into_iter()
                .filter(|m| m.kind == convos::model::Kind::Call)
                .map(|m| (m.text, m.highlight))
                .collect::<Vec<_>>()
        }
    };
    let env = Env::open(home.path());
    assert_eq!(
        ended(&env).await,
        [
            ("superwoman started a call.".to_string(), false),
            (
                "Call ended — less than a minute, 2 participants.".to_string(),
                false
            )
        ]
    );

    // Back up: superwoman calls again and the IRC server dies before anyone hangs up;
    // the user never joined, so it is a missed call (a highlight).
    let h = env.users.start(u.clone());
    let mut ev = Events::of(&h, "superman again");
    connected(&mut ev, &cid).await;
    ev.wait("rejoined", |v| {
        v["type"] == "join" && v["nick"] == "superman" && v["conversation_id"] == "#convos"
    })
    .await;
    let mut peer = join_with_peer(ircd.port).await.expect("peer again");
    ev.wait("peer is back", |v| {
        v["type"] == "join" && v["nick"] == "superwoman"
    })
    .await;
    peer.send("NOTICE #convos :\u{1}RTCZ CALL\u{1}");
    ev.message("#convos", "superwoman started a call.").await;
    ircd.kill();
    let missed = ev
        .message(
            "#convos",
            "Missed call from superwoman — less than a minute, 1 participant.",
        )
        .await;
    assert_eq!(missed["highlight"], true);
    assert_eq!(ended(&env).await.len(), 4);
    drop(peer);
    env.stop().await;
}

/// Lines per flooding bot: thousands, bounded.
const FLOOD: usize = 2500;

/// Fails with the first place where `got` leaves `want` (not both lists in full).
fn assert_same_order(got: &[String], want: &[String], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        let window = |v: &[String]| v[i.saturating_sub(3)..(i + 4).min(v.len())].join(", ");
        panic!(
            "{what}: line {i} differs ({} stored, {} sent): got [{}], want [{}]",
            got.len(),
            want.len(),
            window(got),
            window(want)
        );
    }
}

/// Two bots flood two channels of one user at once, as fast as their sockets take it: the
/// record (history paged both ways) and the live events both hold each channel's lines in
/// exactly the order they were sent (issue 14: bursts used to be stored shuffled).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_two_channels_is_stored_and_shown_in_order() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let ua = env.user("erin@example.com").await;
    let a = env.users.start(ua.clone());
    let mut ea = Events::of(&a, "erin");
    let ca = add(&a, &ircd.url("erin", "")).await;
    connected(&mut ea, &ca).await;
    for chan in ["#one", "#two"] {
        send(&a, &ca, "", &format!("/join {chan}"))
            .await
            .expect("join");
        ea.wait("joined", |v| {
            v["type"] == "join" && v["nick"] == "erin" && v["conversation_id"] == chan
        })
        .await;
    }
    // Collect the live messages of both channels in the order they are published; a lag
    // resumes from the last seen seq, as a browser's `/events?since=` does.
    let hub = a.hub.clone();
    let (_, mut rx) = hub.subscribe(None).expect("subscribe");
    let collector = tokio::spawn(async move {
        // Frames are kept unparsed until the end, so this task keeps up with the flood.
        let mut frames = Vec::new();
        let mut last_seq = 0;
        let mut replay = std::collections::VecDeque::new();
        let (last1, last2) = (
            format!("#one {:05}", FLOOD - 1),
            format!("#two {:05}", FLOOD - 1),
        );
        let mut ends = 0;
        while ends < 2 {
            let frame = match replay.pop_front() {
                Some(frame) => frame,
                None => match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
                    Ok(Ok(frame)) => frame,
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                        let (missed, again) = hub.subscribe(Some(last_seq)).expect("resume");
                        (replay, rx) = (missed.into(), again);
                        continue;
                    }
                    Ok(Err(e)) => panic!("event stream: {e}"),
                    Err(_) => panic!("flood not seen live: {} frames", frames.len()),
                },
            };
            if frame.seq <= last_seq {
                continue;
            }
            last_seq = frame.seq;
            if frame.text().contains(&last1) || frame.text().contains(&last2) {
                ends += 1;
            }
            frames.push(frame);
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for frame in frames {
            let v: Value = serde_json::from_str(frame.text()).expect("json");
            let from_bot = v["from"].as_str().is_some_and(|f| f.starts_with("bot"));
            if v["event"] == "message" && v["type"] == "private" && from_bot {
                let conv = v["conversation_id"].as_str().unwrap_or("").to_string();
                seen.push((conv, v["message"].as_str().unwrap_or("").to_string()));
            }
        }
        seen
    });
    let bots: Vec<_> = ["#one", "#two"]
        .into_iter()
        .enumerate()
        .map(|(i, chan)| {
            let port = ircd.port;
            std::thread::spawn(move || {
                let mut bot = Client::connect(port, &format!("bot{i}"));
                bot.send(&format!("JOIN {chan}"));
                bot.wait_for(|l| l.contains(" 366 "));
                // Chunks of 500 lines, each written at once: as fast as the socket takes
                // them, without overflowing the server's receive queue.
                for chunk in (0..FLOOD).collect::<Vec<_>>().chunks(500) {
                    let burst: String = chunk
                        .iter()
                        .map(|n| format!("PRIVMSG {chan} :{chan} {n:05}\r\n"))
                        .collect();
                    bot.send(burst.trim_end());
                }
                bot
            })
        })
        .collect();
    let live = tokio::time::timeout(Duration::from_secs(120), collector)
        .await
        .expect("flood seen live in time")
        .expect("collector");
    let _bots: Vec<Client> = bots.into_iter().map(|b| b.join().expect("bot")).collect();

    for chan in ["#one", "#two"] {
        let sent: Vec<String> = (0..FLOOD).map(|n| format!("{chan} {n:05}")).collect();
        let shown: Vec<String> = live
            .iter()
            .filter(|(c, _)| c == chan)
            .map(|(_, t)| t.clone())
            .collect();
        assert_same_order(&shown, &sent, &format!("{chan}: live events"));
        // From the newest, page by page.
        let mut stored: Vec<String> = Vec::new();
        let mut page = env
            .store
            .history(ua.id, &ca, chan, Page::latest().limit(200))
            .await
            .expect("history");
        loop {
            let mut texts: Vec<String> = page
                .messages
                .iter()
                .filter(|m| m.kind == convos::model::Kind::Privmsg)
                .map(|m| m.text.clone())
                .collect();
            texts.extend(stored);
            stored = texts;
            match page.messages.first() {
                Some(first) if !page.oldest => {
                    page = env
                        .store
                        .history(
                            ua.id,
                            &ca,
                            chan,
                            Page::before(store::Cursor::Id(first.id)).limit(200),
                        )
                        .await
                        .expect("history");
                }
                _ => break,
            }
        }
        assert_same_order(&stored, &sent, &format!("{chan}: history from the newest"));
        // From the oldest, page by page.
        let mut forward: Vec<String> = Vec::new();
        let mut after = convos::model::MessageId(0);
        loop {
            let page = env
                .store
                .history(
                    ua.id,
                    &ca,
                    chan,
                    Page::after(store::Cursor::Id(after)).limit(200),
                )
                .await
                .expect("history");
            forward.extend(
                page.messages
                    .iter()
                    .filter(|m| m.kind == convos::model::Kind::Privmsg)
                    .map(|m| m.text.clone()),
            );
            match page.messages.last() {
                Some(last) if !page.newest => after = last.id,
                _ => break,
            }
        }
        assert_same_order(&forward, &sent, &format!("{chan}: history from the oldest"));
    }
    env.stop().await;
}

/// Lines that are not part of the record: TAGMSG (typing, reactions) is never stored, and
/// an invitation of someone else (invite-notify) is a plain line in the channel, not a
/// highlight "invited you".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagmsg_is_not_stored_and_invites_of_others_are_not_highlights() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let ua = env.user("fay@example.com").await;
    let a = env.users.start(ua.clone());
    let mut ea = Events::of(&a, "fay");
    let ca = add(&a, &ircd.url("fay", "")).await;
    connected(&mut ea, &ca).await;
    send(&a, &ca, "", "/join #inv").await.expect("join");
    ea.wait("joined", |v| v["type"] == "join" && v["nick"] == "fay")
        .await;
    let port = ircd.port;
    let (mut bob, carol) = tokio::task::spawn_blocking(move || {
        let carol = Client::connect(port, "carol");
        let mut bob = Client::connect(port, "bob");
        bob.send("CAP REQ :message-tags");
        bob.wait_for(|l| l.contains("CAP") && l.contains("ACK"));
        bob.send("JOIN #inv");
        bob.wait_for(|l| l.contains(" 366 "));
        (bob, carol)
    })
    .await
    .expect("bob joins");
    // Only channel operators may invite on InspIRCd.
    send(&a, &ca, "#inv", "/mode +o bob").await.expect("op bob");
    let (bob, carol) = tokio::task::spawn_blocking(move || {
        bob.wait_for(|l| l.contains("MODE #inv +o"));
        bob.send("@+typing=active TAGMSG #inv");
        bob.send("@+draft/react=:) TAGMSG #inv");
        bob.send("INVITE carol #inv");
        bob.wait_for(|l| l.contains(" 341 "));
        bob.send("PRIVMSG #inv :barrier");
        (bob, carol)
    })
    .await
    .expect("bob");
    ea.message("#inv", "barrier").await;
    let h = env
        .store
        .history(ua.id, &ca, "#inv", Page::latest())
        .await
        .expect("history");
    let invite = h
        .messages
        .iter()
        .find(|m| m.text.contains("invited"))
        .expect("the invitation is shown in the channel");
    assert_eq!(invite.text, "bob invited carol to #inv.");
    assert!(!invite.highlight);
    let server = env
        .store
        .history(ua.id, &ca, "", Page::latest().limit(200))
        .await
        .expect("server conversation");
    let from_bob: Vec<&str> = server
        .messages
        .iter()
        .chain(&h.messages)
        .filter(|m| m.from == "bob")
        .map(|m| m.text.as_str())
        .collect();
    // His join, the invitation and his message; nothing of his TAGMSGs.
    assert_eq!(
        from_bob,
        ["bob joined.", "bob invited carol to #inv.", "barrier"],
        "nothing else from bob is stored"
    );
    let notes = env
        .store
        .notifications(ua.id, None, 10)
        .await
        .expect("notifications");
    assert!(notes.is_empty(), "{notes:?}");
    drop((bob, carol));
    env.stop().await;
}

/// Replies land where the command was typed: WHOIS in the channel it was asked in, and
/// an error about a channel (not an operator: 482) in that channel, not in the server
/// conversation the UI does not show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_land_where_the_command_was_typed() {
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let home = tempfile::tempdir().expect("tempdir");
    let env = Env::open(home.path());
    let ua = env.user("gus@example.com").await;
    let a = env.users.start(ua.clone());
    let mut ea = Events::of(&a, "gus");
    let ca = add(&a, &ircd.url("gus", "")).await;
    connected(&mut ea, &ca).await;
    let port = ircd.port;
    // Hal opens the channel first, so Gus is no operator there.
    let hal = tokio::task::spawn_blocking(move || {
        let mut hal = Client::connect(port, "hal");
        hal.send("JOIN #rep");
        hal.wait_for(|l| l.contains(" 366 "));
        hal
    })
    .await
    .expect("hal");
    send(&a, &ca, "", "/join #rep").await.expect("join");
    ea.wait("joined", |v| v["type"] == "join" && v["nick"] == "gus")
        .await;

    send(&a, &ca, "#rep", "/whois hal").await.expect("whois");
    // One line for the record, then the card.
    let line = ea
        .wait("WHOIS line", |v| {
            v["event"] == "message"
                && v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("hal is "))
        })
        .await;
    assert_eq!(line["conversation_id"], "#rep", "{line}");
    let card = ea.wait("WHOIS card", |v| v["type"] == "whois").await;
    assert_eq!(card["conversation_id"], "#rep", "{card}");
    assert_eq!(card["whois"]["nick"], "hal");
    assert_eq!(card["whois"]["found"], true);
    assert!(card["whois"]["server"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    send(&a, &ca, "#rep", "/whois nobody-here")
        .await
        .expect("whois");
    let card = ea.wait("no such nick", |v| v["type"] == "whois").await;
    assert_eq!(card["whois"]["found"], false, "{card}");
    send(&a, &ca, "#rep", "/topic gus was here")
        .await
        .expect("topic");
    let refused = ea
        .wait("not an operator", |v| {
            v["event"] == "message" && v["type"] == "error"
        })
        .await;
    assert_eq!(refused["conversation_id"], "#rep", "{refused}");
    let whois_lines = env
        .store
        .history(ua.id, &ca, "#rep", Page::latest())
        .await
        .expect("history")
        .messages
        .into_iter()
        .filter(|m| m.text.contains("hal"))
        .count();
    assert_eq!(
        whois_lines, 1,
        "the WHOIS answer is one line in #rep: {whois_lines}"
    );

    // A parted channel stays, marked as left, until joined again.
    send(&a, &ca, "#rep", "/part").await.expect("part");
    ea.wait("marked as left", |v| {
        v["type"] == "frozen" && v["conversation_id"] == "#rep" && v["frozen"] == "You left #rep."
    })
    .await;
    send(&a, &ca, "#rep", "/join #rep")
        .await
        .expect("join again");
    ea.wait("joined again", |v| {
        v["type"] == "join" && v["nick"] == "gus"
    })
    .await;
    let convs = env.store.conversations(ua.id).await.expect("conversations");
    let rep = convs.iter().find(|c| c.id == "#rep").expect("#rep");
    assert_eq!(rep.frozen, None, "joined again: no longer marked as left");
    drop(hal);
    env.stop().await;
}
