//! After a reconnect, missed lines are fetched with IRCv3 chathistory (from a scripted
//! server, since InspIRCd 3 has none), stored once (deduplicated by msgid) and placed by
//! their time: before live lines that arrived earlier but were said later.

mod common;

use std::time::Duration;

use convos::model::Secret;
use convos::store::{self, Page, Store};
use convos::user::{self, Registry};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

async fn send(w: &mut tokio::net::tcp::OwnedWriteHalf, line: &str) {
    w.write_all(format!("{line}\r\n").as_bytes())
        .await
        .expect("write");
}

/// Serves one connection: registers it, echoes JOINs followed by the `live` lines, and
/// answers `requests` CHATHISTORY requests: for `#c` with a batch of `replay`, for other
/// targets with an empty batch. Returns the lines it read.
async fn serve_once(
    l: &TcpListener,
    replay: &[String],
    live: &[String],
    requests: usize,
) -> Vec<String> {
    let (s, _) = tokio::time::timeout(Duration::from_secs(10), l.accept())
        .await
        .expect("connect")
        .expect("accept");
    let (r, mut w) = s.into_split();
    let mut lines = BufReader::new(r).lines();
    let mut got = vec![];
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("line")
            .expect("read")
            .expect("open");
        got.push(line.clone());
        if line == "CAP LS 302" {
            send(
                &mut w,
                ":srv CAP * LS :draft/chathistory batch server-time message-tags",
            )
            .await;
        } else if line.starts_with("CAP REQ") {
            send(
                &mut w,
                &format!(":srv CAP me ACK :{}", line.split(" :").nth(1).unwrap_or("")),
            )
            .await;
        } else if line == "CAP END" {
            send(&mut w, ":srv 001 me :Welcome").await;
        } else if let Some(chan) = line.strip_prefix("JOIN ") {
            send(&mut w, &format!(":me!u@h JOIN {chan}")).await;
            for line in live {
                send(&mut w, line).await;
            }
        } else if line.starts_with("CHATHISTORY TARGETS ") {
            // carol wrote to us while we were gone (a channel in the list is not new).
            let at = convos::time::format_ms(convos::time::now_ms() - 60_000);
            send(&mut w, ":srv BATCH +t draft/chathistory-targets").await;
            send(
                &mut w,
                &format!("@batch=t :srv CHATHISTORY TARGETS carol {at}"),
            )
            .await;
            send(
                &mut w,
                &format!("@batch=t :srv CHATHISTORY TARGETS #c {at}"),
            )
            .await;
            send(&mut w, ":srv BATCH -t").await;
        } else if line.starts_with("CHATHISTORY") {
            let n = got
                .iter()
                .filter(|l| l.starts_with("CHATHISTORY") && !l.starts_with("CHATHISTORY TARGETS"))
                .count();
            let target = line.split(' ').nth(2).unwrap_or("");
            send(&mut w, &format!(":srv BATCH +b{n} chathistory {target}")).await;
            if target == "#c" {
                for r in replay {
                    send(&mut w, &format!("@batch=b{n};{r}")).await;
                }
            }
            if target == "carol" {
                let at = convos::time::format_ms(convos::time::now_ms() - 60_000);
                send(
                    &mut w,
                    &format!(
                        "@batch=b{n};msgid=c1;time={at} :carol!c@h PRIVMSG me :while you were out"
                    ),
                )
                .await;
            }
            send(&mut w, &format!(":srv BATCH -b{n}")).await;
            if n == requests {
                return got;
            }
        }
    }
}

/// Waits until a `message` event was published for each `(conversation, text)`.
async fn all_seen(ev: &mut common::engine::Events, want: &[(&str, &str)]) {
    let mut missing: Vec<(&str, &str)> = want.to_vec();
    ev.wait("messages stored", |v| {
        missing.retain(|(conv, text)| {
            !(v["event"] == "message" && v["conversation_id"] == *conv && v["message"] == *text)
        });
        missing.is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_lines_come_back_once() {
    let home = tempfile::tempdir().expect("tempdir");
    let store = Store::open(home.path(), store::Options::default()).expect("store");
    let stop = CancellationToken::new();
    let opts = convos::irc::Options {
        spacer: convos::irc::Spacer::new(Duration::ZERO),
        access: common::engine::test_access(),
        ..Default::default()
    };
    let users = Registry::new(store.clone(), opts, stop.clone());
    let u = store
        .create_user("x@example.com", Secret::new("x"), false)
        .await
        .expect("user");
    let h = users.start(u.clone());
    let mut ev = common::engine::Events::of(&h, "me");
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let url = format!("irc://127.0.0.1:{port}/%23c?tls=0&nick=me");
    let server = tokio::spawn(async move {
        // Said while we were away, minutes ago; lines carry the server's time.
        let at = |ago_ms: i64| convos::time::format_ms(convos::time::now_ms() - ago_ms);
        let line = |id: &str, time: &str, text: &str| {
            format!("msgid={id};time={time} :bob!b@h PRIVMSG #c :{text}")
        };
        let (t1, t2) = (at(180_000), at(120_000));
        // Bob also writes to us privately: a conversation whose gap is fetched next time.
        let psst = format!("@msgid=p1;time={} :bob!b@h PRIVMSG me :psst", at(150_000));
        let first = serve_once(
            &l,
            &[line("m1", &t1, "one"), line("m2", &t2, "two")],
            &[psst],
            1,
        )
        .await;
        // The second time the replay overlaps what we have, and a line said just now
        // arrives live before the replay of one said a moment earlier.
        let t3 = at(500);
        let second = serve_once(
            &l,
            &[line("m2", &t2, "two"), line("m3", &t3, "three")],
            &["@msgid=m4 :bob!b@h PRIVMSG #c :live now".to_string()],
            3,
        )
        .await;
        (first, second)
    });
    h.ask(|reply| user::Request::AddConnection {
        changes: user::ConnectionChanges {
            url: Some(url),
            ..Default::default()
        },
        reply,
    })
    .await
    .expect("add");
    // Once the first replay and the private line are stored (events follow commits),
    // force a reconnect.
    let cid = "irc-127-0-0-1";
    all_seen(&mut ev, &[("#c", "two"), ("bob", "psst")]).await;
    let _ = h
        .ask(|reply| user::Request::Send {
            connection_id: cid.into(),
            conversation_id: "".into(),
            message: "/reconnect".into(),
            reply_to: None,
            reply,
        })
        .await;
    let (first, second) = tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("server done")
        .expect("join");
    assert!(
        first.iter().any(|l| l == "CHATHISTORY LATEST #c * 50"),
        "{first:?}"
    );
    assert!(
        !first.iter().any(|l| l.starts_with("CHATHISTORY TARGETS")),
        "nothing stored before the first connect, so no gap: {first:?}"
    );
    for target in ["#c", "bob", "carol"] {
        assert!(
            second
                .iter()
                .any(|l| l.starts_with(&format!("CHATHISTORY AFTER {target} timestamp="))),
            "{target}: {second:?}"
        );
    }
    all_seen(
        &mut ev,
        &[
            ("#c", "three"),
            ("#c", "live now"),
            ("carol", "while you were out"),
        ],
    )
    .await;
    assert_eq!(
        second
            .iter()
            .filter(|l| l.starts_with("CHATHISTORY AFTER #c "))
            .count(),
        1,
        "a channel among the targets is not asked twice: {second:?}"
    );
    let hist = store
        .history(u.id, cid, "#c", Page::latest())
        .await
        .expect("history");
    let texts: Vec<&str> = hist
        .messages
        .iter()
        .filter(|m| m.from == "bob")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        texts,
        vec!["one", "two", "three", "live now"],
        "each once, in the order said"
    );
    // Search has the same order, newest first, and the replayed line is searchable.
    store.index_pending().await.expect("index");
    let found = store
        .search(u.id, store::SearchQuery::parse("from:bob in:#c"))
        .await
        .expect("search");
    let texts: Vec<&str> = found.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["live now", "three", "two", "one"]);
    stop.cancel();
}

/// Scrolling past the oldest stored line asks the server (`CHATHISTORY BEFORE`); the
/// replay is stored in its place, and once the server has nothing more it is not asked
/// again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_history_comes_from_the_server() {
    use common::fake_irc::Peer;
    let home = tempfile::tempdir().expect("tempdir");
    let env = common::engine::Env::open(home.path());
    let u = env.user("o@example.com").await;
    let h = env.users.start(u.clone());
    let mut ev = common::engine::Events::of(&h, "me");
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let at = |ago_h: i64| convos::time::format_ms(convos::time::now_ms() - ago_h * 3_600_000);
    let (t1, t2, t3) = (at(3), at(2), at(1));
    let t2_for_server = t2.clone();
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "draft/chathistory batch server-time message-tags")
            .await;
        p.expect("JOIN #old").await;
        p.send(":me!u@h JOIN #old").await;
        p.expect("CHATHISTORY LATEST #old").await;
        p.send(":srv BATCH +a chathistory #old").await;
        p.send(&format!(
            "@batch=a;msgid=2;time={t2} :bob!b@h PRIVMSG #old :two"
        ))
        .await;
        p.send(&format!(
            "@batch=a;msgid=3;time={t3} :bob!b@h PRIVMSG #old :three"
        ))
        .await;
        p.send(":srv BATCH -a").await;
        let asked = p.expect("CHATHISTORY BEFORE").await;
        p.send(":srv BATCH +b chathistory #old").await;
        p.send(&format!(
            "@batch=b;msgid=1;time={t1} :bob!b@h PRIVMSG #old :one"
        ))
        .await;
        p.send(":srv BATCH -b").await;
        p.expect("CHATHISTORY BEFORE").await;
        p.send(":srv BATCH +c chathistory #old").await;
        p.send(":srv BATCH -c").await;
        // Not asked a third time: the next line is the PONG of this round trip.
        p.send("PING :after").await;
        let next = p.recv().await;
        (asked, next)
    });
    let cid =
        common::engine::add(&h, &format!("irc://127.0.0.1:{port}/%23old?tls=0&nick=me")).await;
    ev.message("#old", "three").await;
    let ask = |before: i64| {
        let cid = cid.clone();
        let h = h.clone();
        async move {
            h.ask(|reply| user::Request::FetchOlder {
                connection_id: cid,
                conversation_id: "#old".into(),
                before,
                reply,
            })
            .await
            .expect("fetch older")
        }
    };
    let t2_ms = convos::time::parse_rfc3339(&t2_for_server).expect("time");
    assert!(ask(t2_ms).await, "the server had an older line");
    let page = env
        .store
        .history(u.id, &cid, "#old", Page::latest())
        .await
        .expect("history");
    let texts: Vec<&str> = page
        .messages
        .iter()
        .filter(|m| m.from == "bob")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        texts,
        ["one", "two", "three"],
        "placed by the time they were said"
    );
    assert!(!ask(t2_ms - 3_600_000).await, "nothing older");
    assert!(!ask(t2_ms - 3_600_000).await, "not asked again");
    let (asked, next) = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server done")
        .expect("join");
    assert!(
        asked.starts_with("CHATHISTORY BEFORE #old timestamp="),
        "{asked}"
    );
    assert!(next.starts_with("PONG"), "{next}");
    env.stop().await;
}

/// The same through the HTTP API of the real binary: a `before` page past the oldest
/// stored line comes back with what the IRC server still had; another user and an
/// anonymous client get nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_history_through_the_api() {
    use common::fake_irc::Peer;
    use serde_json::{json, Value};
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let at = |ago_h: i64| convos::time::format_ms(convos::time::now_ms() - ago_h * 3_600_000);
    let (t1, t2) = (at(3), at(2));
    let server = tokio::spawn(async move {
        let mut p = Peer::accept(&l).await;
        p.register("me", "draft/chathistory batch server-time message-tags")
            .await;
        p.expect("JOIN #old").await;
        p.send(":me!u@h JOIN #old").await;
        p.expect("CHATHISTORY LATEST #old").await;
        p.send(":srv BATCH +a chathistory #old").await;
        p.send(&format!(
            "@batch=a;msgid=2;time={t2} :bob!b@h PRIVMSG #old :two"
        ))
        .await;
        p.send(":srv BATCH -a").await;
        p.expect("CHATHISTORY BEFORE #old").await;
        p.send(":srv BATCH +b chathistory #old").await;
        p.send(&format!(
            "@batch=b;msgid=1;time={t1} :bob!b@h PRIVMSG #old :one"
        ))
        .await;
        p.send(":srv BATCH -b").await;
        p
    });
    let rule = format!("127.0.0.1:{port}");
    let d = common::Daemon::start(&["--open-to-public", "1", "--irc-allow", &rule]).await;
    let me = common::cookie_client();
    let post = |c: &reqwest::Client, path: &str, body: Value| {
        c.post(d.url(path))
            .header("origin", d.url(""))
            .json(&body)
            .send()
    };
    let r = post(
        &me,
        "/api/user/register",
        json!({"email": "me@example.com", "password": "correct horse battery"}),
    )
    .await
    .expect("register");
    assert_eq!(r.status(), 200);
    let r = post(
        &me,
        "/api/connections",
        json!({"url": format!("irc://127.0.0.1:{port}/%23old?tls=0&nick=me")}),
    )
    .await
    .expect("add");
    let conn: Value = r.json().await.expect("json");
    let cid = conn["connection_id"].as_str().expect("cid").to_string();
    let path = format!("/api/connection/{cid}/conversation/%23old/messages");
    let get = |c: &reqwest::Client, q: String| {
        let url = d.url(&format!("{path}{q}"));
        let c = c.clone();
        async move {
            let r = c.get(url).send().await.expect("GET");
            let st = r.status().as_u16();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let texts = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter(|m| m["from"] == "bob")
                    .filter_map(|m| m["message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    // the catch-up line arrives, then a page before it asks the server
    let mut latest = Value::Null;
    for _ in 0..100 {
        latest = get(&me, String::new()).await.1;
        if texts(&latest) == ["two"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(texts(&latest), ["two"], "{latest}");
    let oldest = latest["messages"][0]["id"].as_i64().expect("id");
    let (st, older) = get(&me, format!("?before={oldest}")).await;
    assert_eq!(st, 200, "{older}");
    assert_eq!(texts(&older), ["one"], "{older}");

    // nobody else
    let bob = common::cookie_client();
    let r = post(
        &bob,
        "/api/user/register",
        json!({"email": "bob@example.com", "password": "correct horse battery"}),
    )
    .await
    .expect("register");
    assert_eq!(r.status(), 200);
    assert_eq!(get(&bob, format!("?before={oldest}")).await.0, 404);
    assert_eq!(
        get(&reqwest::Client::new(), format!("?before={oldest}"))
            .await
            .0,
        401
    );
    let _p = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server in time")
        .expect("server");
    d.stop().await;
}
