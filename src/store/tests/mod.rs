//! Tests of every store query against a real database in a temporary directory.

use super::*;
use crate::model::*;
use serde_json::json;

fn opts() -> Options {
    Options {
        readers: 2,
        ..Options::default()
    }
}

async fn setup() -> (tempfile::TempDir, Store, UserId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), opts()).expect("open");
    let user = add_user(&store, "superman@example.com").await;
    (dir, store, user)
}

async fn add_user(store: &Store, email: &str) -> UserId {
    let user = store
        .create_user(email, Secret::new("$argon2id$v=19$x"), false)
        .await
        .expect("user");
    for conn in ["irc-libera", "irc-oftc"] {
        store
            .save_connection(Connection {
                user_id: user.id,
                id: conn.into(),
                url: Secret::new("irc://nick:hunter2@irc.example:6697?tls=1"),
                nick: "superman".into(),
                on_connect_commands: vec![Secret::new("/msg NickServ identify hunter2")],
                wanted_state: WantedState::Connected,
                retention_days: 0,
                client_cert: None,
                ignore: Vec::new(),
                sts: None,
                name: None,
                state: json!({}),
            })
            .await
            .expect("connection");
    }
    user.id
}

fn msg(user: UserId, conv: &str, text: &str) -> NewEntry {
    NewEntry {
        user_id: user,
        connection_id: "irc-libera".into(),
        conversation_id: conv.into(),
        time: 1_700_000_000_000,
        kind: Kind::Privmsg,
        from: "batman".into(),
        source: Some("batman!b@cave".into()),
        text: text.into(),
        msgid: None,
        account: None,
        reply_to: None,
        highlight: false,
        backfill: false,
    }
}

async fn append_n(store: &Store, user: UserId, conv: &str, n: usize) -> Vec<Entry> {
    let entries = (0..n)
        .map(|i| NewEntry {
            time: 1_700_000_000_000 + i as i64 * 1000,
            ..msg(user, conv, &format!("message {i}"))
        })
        .collect();
    store
        .append_many(entries)
        .await
        .expect("append")
        .into_iter()
        .map(|a| a.entry)
        .collect()
}

fn ids(entries: &[Entry]) -> Vec<i64> {
    entries.iter().map(|e| e.id.0).collect()
}

#[tokio::test]
async fn open_refuses_garbage_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    let garbage = vec![0x42u8; 8192];
    std::fs::write(&path, &garbage).expect("write");
    let err = Store::open(dir.path(), opts()).expect_err("garbage must not open");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("convos.db"), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), garbage);
}

#[tokio::test]
async fn open_refuses_newer_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Store::open(dir.path(), opts()).expect("open"));
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let err = Store::open(dir.path(), opts()).expect_err("too new");
    assert!(matches!(err, Error::TooNew { found: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("convos.db"), "{err}");
}

#[tokio::test]
async fn migrates_empty_and_reopens() {
    let (dir, store, user) = setup().await;
    append_n(&store, user, "#convos", 3).await;
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(v, schema::VERSION);
    let store = Store::open(dir.path(), opts()).expect("reopen");
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(page.messages.len(), 3);
}

/// A database at schema `version` (migrations 1..=version) with user 1, its connection
/// `irc-libera` and conversation `#old` (cid 1), plus `rows` (SQL).
pub(super) fn old_database(version: usize, rows: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
    for sql in &schema::MIGRATIONS[..version] {
        conn.execute_batch(sql).expect("old migration");
    }
    conn.execute_batch(&format!(
        "PRAGMA user_version = {version};
         INSERT INTO users (id, email, password_hash, created_at) VALUES (1, 'a@b.c', 'x', 0);
         INSERT INTO connections (user_id, id, url, nick) VALUES (1, 'irc-libera', 'irc://x', 'n');
         INSERT INTO conversations (cid, user_id, connection_id, id, name, kind)
           VALUES (1, 1, 'irc-libera', '#old', '#old', 1);
         {rows}"
    ))
    .expect("old rows");
    dir
}

#[tokio::test]
async fn migrates_from_version_1_and_indexes_old_rows() {
    let dir = old_database(
        1,
        "INSERT INTO messages (conv, user_id, time, kind, nick, text)
           VALUES (1, 1, 5, 0, 'joe', 'written before search existed');",
    );
    let store = Store::open(dir.path(), opts()).expect("migrate 1 -> 2");
    store.index_pending().await.expect("index");
    let found = store
        .search(UserId(1), SearchQuery::parse("search existed"))
        .await
        .expect("search");
    assert_eq!(found.messages.len(), 1);
    assert_eq!(found.messages[0].conversation_id, "#old");
}

#[tokio::test]
async fn migrates_from_version_2_and_rebuilds_the_index() {
    // A row indexed the version-2 way (global nick token `n<hex>`).
    let dir = old_database(
        2,
        "INSERT INTO messages (id, conv, user_id, time, kind, nick, text)
           VALUES (1, 1, 1, 5, 0, 'joe', 'indexed by version two');
         INSERT INTO messages_fts (rowid, text, scope) VALUES (1, 'indexed by version two', 'u1 c1 n6a6f65');
         UPDATE meta SET value = 1 WHERE key = 'fts_indexed_upto';",
    );
    let store = Store::open(dir.path(), opts()).expect("migrate 2 -> 3");
    store.index_pending().await.expect("index");
    for q in ["version two", "from:JOE", "from:joe in:#old two"] {
        let found = store
            .search(UserId(1), SearchQuery::parse(q))
            .await
            .expect("search");
        assert_eq!(found.messages.len(), 1, "{q}");
    }
    assert!(store.integrity_check().await.expect("check").is_empty());
}

#[tokio::test]
async fn users_crud() {
    let (_dir, store, user) = setup().await;
    let err = store
        .create_user("SUPERMAN@example.com", Secret::new("x"), false)
        .await
        .expect_err("duplicate email");
    assert!(matches!(err, Error::Conflict("user")));
    let u = store
        .user_by_email("Superman@Example.com")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(u.id, user);
    assert!(
        !format!("{u:?}").contains("argon2"),
        "hash must not be in Debug"
    );
    store.set_admin(user, true).await.expect("admin");
    store
        .set_password_hash(user, Secret::new("$argon2id$new"))
        .await
        .expect("password");
    store
        .set_highlight_keywords(user, vec!["kryptonite".into()])
        .await
        .expect("keywords");
    store
        .set_user_settings(user, json!({"theme": "dark"}))
        .await
        .expect("settings");
    let u = store.user(user).await.expect("get").expect("some");
    assert!(u.admin);
    assert_eq!(u.password_hash.expose(), "$argon2id$new");
    assert_eq!(u.highlight_keywords, vec!["kryptonite".to_string()]);
    assert_eq!(u.settings, json!({"theme": "dark"}));
    let other = add_user(&store, "batman@example.com").await;
    assert_eq!(store.users().await.expect("list").len(), 2);
    assert!(matches!(
        store.set_admin(UserId(999), true).await,
        Err(Error::NotFound("user"))
    ));

    append_n(&store, user, "#convos", 5).await;
    append_n(&store, other, "#convos", 2).await;
    store
        .create_session("h1", user, i64::MAX, &Default::default())
        .await
        .expect("session");
    assert!(store.delete_user(user).await.expect("delete"));
    assert!(!store.delete_user(user).await.expect("delete again"));
    assert!(store.user(user).await.expect("get").is_none());
    assert!(store.session_user("h1").await.expect("session").is_none());
    assert!(store.connections(user).await.expect("conns").is_empty());
    assert!(store.conversations(user).await.expect("convs").is_empty());
    let left = store
        .messages_after_id(other, MessageId(0), 100)
        .await
        .expect("other");
    assert_eq!(left.len(), 2, "other users keep their messages");
    store.index_pending().await.expect("index");
    let hits = store
        .search(other, SearchQuery::parse("message"))
        .await
        .expect("search");
    assert_eq!(hits.messages.len(), 2);
}

#[tokio::test]
async fn sessions_and_tokens() {
    let (_dir, store, user) = setup().await;
    let now = now_ms();
    store
        .create_session("live", user, now + 60_000, &Default::default())
        .await
        .expect("s");
    store
        .create_session("old", user, now - 1, &Default::default())
        .await
        .expect("s");
    store
        .create_session("other", user, now + 60_000, &Default::default())
        .await
        .expect("s");
    assert_eq!(store.session_user("live").await.expect("get"), Some(user));
    assert_eq!(store.session_user("old").await.expect("get"), None);
    assert_eq!(store.session_user("nope").await.expect("get"), None);
    assert!(store.delete_session("live").await.expect("del"));
    assert_eq!(store.session_user("live").await.expect("get"), None);
    assert!(matches!(
        store
            .create_session("x", UserId(999), now + 1, &Default::default())
            .await,
        Err(Error::NotFound("user"))
    ));
    assert_eq!(store.purge_expired().await.expect("purge"), 1);

    // listed with their device, named by a hash prefix, ended one by one
    let device = crate::store::SessionDevice {
        user_agent: "Firefox".into(),
        address: "192.0.2.1".into(),
    };
    let phone = "a".repeat(64);
    store
        .create_session(&phone, user, now + 60_000, &device)
        .await
        .expect("s");
    let list = store.sessions_of(user).await.expect("list");
    assert_eq!(list.len(), 2);
    let mine = list.iter().find(|s| s.token_hash == phone).expect("listed");
    assert_eq!(mine.device, device);
    assert!(mine.last_seen >= now);
    assert!(store
        .sessions_of(UserId(999))
        .await
        .expect("none")
        .is_empty());
    let id = &phone[..crate::store::SESSION_ID_LEN];
    // not by another user, not by a malformed id, not by a short prefix
    assert_eq!(
        store.delete_session_of(UserId(999), id).await.expect("x"),
        None
    );
    assert_eq!(
        store.delete_session_of(user, "aaaa").await.expect("x"),
        None
    );
    assert_eq!(
        store
            .delete_session_of(user, "%%%%%%%%%%%%%%%%")
            .await
            .expect("x"),
        None
    );
    assert_eq!(
        store.delete_session_of(user, id).await.expect("end"),
        Some(phone.clone())
    );
    assert_eq!(store.session_user(&phone).await.expect("get"), None);
    assert_eq!(store.delete_sessions_of(user).await.expect("all"), 1);

    store
        .create_token(TokenPurpose::Invite, "t1", "new@example.com", now + 60_000)
        .await
        .expect("token");
    store
        .create_token(
            TokenPurpose::PasswordReset,
            "t2",
            "old@example.com",
            now - 1,
        )
        .await
        .expect("token");
    assert_eq!(
        store
            .consume_token(TokenPurpose::PasswordReset, "t1")
            .await
            .expect("wrong purpose"),
        None
    );
    let (a, b) = tokio::join!(
        store.consume_token(TokenPurpose::Invite, "t1"),
        store.consume_token(TokenPurpose::Invite, "t1")
    );
    let winners: Vec<_> = [a.expect("a"), b.expect("b")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(winners, vec!["new@example.com".to_string()]);
    assert_eq!(
        store
            .consume_token(TokenPurpose::PasswordReset, "t2")
            .await
            .expect("expired"),
        None
    );
}

#[tokio::test]
async fn server_settings() {
    let (_dir, store, _user) = setup().await;
    assert_eq!(store.setting("open_to_public").await.expect("get"), None);
    store
        .set_setting("open_to_public", json!(true))
        .await
        .expect("set");
    store
        .set_setting("organization", json!({"name": "Convos"}))
        .await
        .expect("set");
    assert_eq!(
        store.setting("open_to_public").await.expect("get"),
        Some(json!(true))
    );
    store
        .set_setting("open_to_public", serde_json::Value::Null)
        .await
        .expect("del");
    assert_eq!(store.setting("open_to_public").await.expect("get"), None);
}

#[tokio::test]
async fn connections_and_conversations() {
    let (_dir, store, user) = setup().await;
    let c = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(c.url.expose(), "irc://nick:hunter2@irc.example:6697?tls=1");
    assert!(!format!("{c:?}").contains("hunter2"), "secrets in Debug");
    store
        .save_connection(Connection {
            nick: "clark".into(),
            wanted_state: WantedState::Disconnected,
            retention_days: 0,
            client_cert: None,
            ignore: Vec::new(),
            sts: None,
            name: None,
            state: json!({"state": "queued"}),
            ..c.clone()
        })
        .await
        .expect("update");
    let c2 = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(c2.nick, "clark");
    assert_eq!(c2.wanted_state, WantedState::Disconnected);
    assert_eq!(c2.state, json!({"state": "queued"}));
    assert_eq!(store.connections(user).await.expect("list").len(), 2);

    let mut conv = Conversation::new(user, "irc-libera", "#convos", "#Convos");
    conv.key = Some(Secret::new("sekrit"));
    conv.topic = "Convos rocks".into();
    let saved = store.save_conversation(conv.clone()).await.expect("save");
    assert_eq!(saved.name, "#Convos");
    assert_eq!(saved.kind, ConversationKind::Channel);
    let mut server = Conversation::new(user, "irc-libera", "", "irc.libera.chat");
    server.frozen = Some("Not connected".into());
    store.save_conversation(server).await.expect("server conv");
    append_n(&store, user, "#convos", 3).await;
    conv.frozen = Some("Banned".into());
    conv.wanted = false;
    let updated = store.save_conversation(conv).await.expect("update");
    assert_eq!(updated.frozen.as_deref(), Some("Banned"));
    assert!(!updated.wanted);
    assert_eq!(updated.unread, 3, "read state survives an update");
    let all = store.conversations(user).await.expect("list");
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec!["", "#convos"]
    );

    assert!(matches!(
        store
            .save_conversation(Conversation::new(user, "irc-nope", "#x", "#x"))
            .await,
        Err(Error::NotFound("connection"))
    ));
    let err = store
        .append(NewEntry {
            connection_id: "irc-nope".into(),
            ..msg(user, "#x", "lost?")
        })
        .await
        .expect_err("no connection");
    assert!(matches!(err, Error::NotFound("connection")));

    assert!(store
        .delete_conversation(user, "irc-libera", "#convos")
        .await
        .expect("delete"));
    assert!(store
        .conversation(user, "irc-libera", "#convos")
        .await
        .expect("get")
        .is_none());
    // Appending again recreates it, with a fresh history.
    append_n(&store, user, "#convos", 1).await;
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(page.messages.len(), 1);

    assert!(store
        .delete_connection(user, "irc-libera")
        .await
        .expect("delete"));
    assert!(store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .is_none());
    assert!(store
        .messages_after_id(user, MessageId(0), 100)
        .await
        .expect("after")
        .is_empty());
}

#[tokio::test]
async fn append_dedupes_msgid_and_keeps_text_as_received() {
    let (_dir, store, user) = setup().await;
    let huge = "x".repeat(100_000);
    let a = store
        .append(NewEntry {
            msgid: Some("abc".into()),
            account: Some("batman".into()),
            ..msg(user, "#convos", &huge)
        })
        .await
        .expect("append");
    assert!(!a.duplicate);
    assert_eq!(a.entry.text.len(), 100_000);
    let b = store
        .append(NewEntry {
            msgid: Some("abc".into()),
            ..msg(user, "#convos", "replayed")
        })
        .await
        .expect("append");
    assert!(b.duplicate);
    assert_eq!(b.entry, a.entry);
    // Same msgid elsewhere is another message.
    let c = store
        .append(NewEntry {
            msgid: Some("abc".into()),
            ..msg(user, "#other", "elsewhere")
        })
        .await
        .expect("append");
    assert!(!c.duplicate);
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(page.messages, vec![a.entry]);
}

#[tokio::test]
async fn concurrent_appends_get_increasing_ids_in_commit_order() {
    let (_dir, store, user) = setup().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50 {
                let e = store
                    .append(msg(user, &format!("#c{}", t % 3), &format!("{t}-{i}")))
                    .await
                    .expect("append");
                ids.push(e.entry.id.0);
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let ids = t.await.expect("task");
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "one caller sees increasing ids"
        );
        all.extend(ids);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 400);
    let resumed = store
        .messages_after_id(user, MessageId(0), 1000)
        .await
        .expect("after");
    assert_eq!(ids(&resumed), all);
}

#[tokio::test]
async fn paging_walks_every_message_once_in_order() {
    let (_dir, store, user) = setup().await;
    let all = append_n(&store, user, "#convos", 250).await;
    append_n(&store, user, "#noise", 30).await;
    let want = ids(&all);
    for limit in [1, 7, 60, 200] {
        // Backwards from the end.
        let mut got = Vec::new();
        let mut page = store
            .history(user, "irc-libera", "#convos", Page::latest().limit(limit))
            .await
            .expect("latest");
        assert!(page.newest);
        loop {
            let mut chunk = ids(&page.messages);
            chunk.extend(got);
            got = chunk;
            if page.end {
                break;
            }
            let first = page.messages[0].id;
            page = store
                .history(
                    user,
                    "irc-libera",
                    "#convos",
                    Page::before(Cursor::Id(first)).limit(limit),
                )
                .await
                .expect("before");
        }
        assert_eq!(got, want, "before, limit {limit}");

        // Forwards from the start.
        let mut got = Vec::new();
        let mut cursor = MessageId(0);
        loop {
            let page = store
                .history(
                    user,
                    "irc-libera",
                    "#convos",
                    Page::after(Cursor::Id(cursor)).limit(limit),
                )
                .await
                .expect("after");
            got.extend(ids(&page.messages));
            if page.end {
                assert!(page.newest);
                break;
            }
            cursor = page.messages.last().expect("non-empty").id;
        }
        assert_eq!(got, want, "after, limit {limit}");
    }
}

#[tokio::test]
async fn paging_edges_around_and_time_cursors() {
    let (_dir, store, user) = setup().await;
    let all = append_n(&store, user, "#convos", 100).await;
    let h = |page| store.history(user, "irc-libera", "#convos", page);

    let p = h(Page::around(Cursor::Id(all[50].id)).limit(10))
        .await
        .expect("around");
    assert_eq!(ids(&p.messages), ids(&all[45..55]));
    assert!(!p.oldest && !p.newest && !p.end);

    let p = h(Page::around(Cursor::Id(all[2].id)).limit(10))
        .await
        .expect("around start");
    assert_eq!(ids(&p.messages), ids(&all[0..10]));
    assert!(p.oldest && !p.newest);

    let p = h(Page::around(Cursor::Id(all[99].id)).limit(10))
        .await
        .expect("around end");
    assert_eq!(ids(&p.messages), ids(&all[94..100]));
    assert!(p.newest && !p.oldest);

    // Message i has time base + i s: a time cursor finds the first at or after it.
    let t = all[30].time - 500;
    let p = h(Page::around(Cursor::Time(t)).limit(4))
        .await
        .expect("around time");
    assert_eq!(ids(&p.messages), ids(&all[28..32]));
    let p = h(Page::before(Cursor::Time(all[30].time)).limit(3))
        .await
        .expect("before time");
    assert_eq!(ids(&p.messages), ids(&all[27..30]));
    let p = h(Page::after(Cursor::Time(all[97].time)).limit(10))
        .await
        .expect("after time");
    assert_eq!(ids(&p.messages), ids(&all[97..100]));
    assert!(p.end && p.newest);
    let p = h(Page::after(Cursor::Time(i64::MAX)))
        .await
        .expect("future");
    assert!(p.messages.is_empty() && p.end);

    let p = h(Page::latest().limit(1000)).await.expect("clamped");
    assert_eq!(p.messages.len(), 100);
    assert!(p.end && p.oldest && p.newest);
    let p = h(Page::before(Cursor::Id(all[0].id)))
        .await
        .expect("before first");
    assert!(p.messages.is_empty() && p.end && !p.newest);

    assert!(matches!(
        store
            .history(user, "irc-libera", "#nope", Page::latest())
            .await,
        Err(Error::NotFound("conversation"))
    ));
    let empty = Conversation::new(user, "irc-libera", "#empty", "#empty");
    store.save_conversation(empty).await.expect("save");
    let p = store
        .history(user, "irc-libera", "#empty", Page::latest())
        .await
        .expect("empty");
    assert!(p.messages.is_empty() && p.end && p.oldest && p.newest);
}

#[tokio::test]
async fn unread_highlights_and_notifications() {
    let (_dir, store, user) = setup().await;
    let mut entries = Vec::new();
    for (kind, highlight) in [
        (Kind::Privmsg, false),
        (Kind::Join, false),
        (Kind::Action, true),
        (Kind::Notice, false),
        (Kind::Privmsg, true),
        (Kind::Quit, false),
    ] {
        entries.push(NewEntry {
            kind,
            highlight,
            ..msg(user, "#convos", "superman: hi")
        });
    }
    let stored = store.append_many(entries).await.expect("append");
    let conv = store
        .conversation(user, "irc-libera", "#convos")
        .await
        .expect("get")
        .expect("some");
    assert_eq!((conv.unread, conv.highlights), (4, 2));

    let conv = store
        .set_last_read(user, "irc-libera", "#convos", stored[2].entry.id)
        .await
        .expect("read");
    assert_eq!(conv.last_read, stored[2].entry.id);
    assert_eq!((conv.unread, conv.highlights), (2, 1));

    let n = store.notifications(user, None, 10).await.expect("list");
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].entry.id, stored[4].entry.id, "newest first");
    // The mention before the read marker was read with the conversation.
    assert_eq!(n.iter().map(|n| n.read).collect::<Vec<_>>(), [false, true]);
    assert_eq!(store.unread_notifications(user).await.expect("count"), 1);
    assert_eq!(
        store
            .mark_notifications_read(user, Some(stored[2].entry.id))
            .await
            .expect("mark"),
        0,
        "already read"
    );
    let n = store.notifications(user, None, 10).await.expect("list");
    assert_eq!(n.iter().map(|n| n.read).collect::<Vec<_>>(), [false, true]);
    let older = store
        .notifications(user, Some(stored[4].entry.id), 10)
        .await
        .expect("page");
    assert_eq!(older.len(), 1);
    store
        .mark_notifications_read(user, None)
        .await
        .expect("mark all");
    assert_eq!(store.unread_notifications(user).await.expect("count"), 0);
}

#[tokio::test]
async fn users_are_isolated() {
    let (_dir, store, user) = setup().await;
    let other = add_user(&store, "lex@example.com").await;
    let mine = append_n(&store, user, "#convos", 3).await;
    append_n(&store, other, "#convos", 4).await;
    store
        .append(NewEntry {
            highlight: true,
            ..msg(other, "#convos", "superman secret plans")
        })
        .await
        .expect("append");
    let after = store
        .messages_after_id(user, MessageId(0), 100)
        .await
        .expect("after");
    assert_eq!(ids(&after), ids(&mine));
    assert!(store
        .notifications(user, None, 10)
        .await
        .expect("n")
        .is_empty());
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(ids(&page.messages), ids(&mine));
    store.index_pending().await.expect("index");
    let hits = store
        .search(user, SearchQuery::parse("secret plans"))
        .await
        .expect("search");
    assert!(hits.messages.is_empty());
    let hits = store
        .search(user, SearchQuery::parse("message"))
        .await
        .expect("search");
    assert_eq!(hits.messages.len(), 3);
    assert!(hits.messages.iter().all(|e| e.user_id == user));
}

#[tokio::test]
async fn search_filters_unicode_and_syntax() {
    let (_dir, store, user) = setup().await;
    let day = 86_400_000;
    let lines: [(&str, &str, &str, &str, i64); 9] = [
        (
            "irc-libera",
            "#convos",
            "batman",
            "the video call works now",
            10,
        ),
        ("irc-libera", "#convos", "Robin", "video of the call", 11),
        (
            "irc-libera",
            "#rust",
            "ferris",
            "see https://github.com/convos-chat/convos/pull/42",
            12,
        ),
        ("irc-oftc", "#convos", "batman", "oftc video here", 13),
        ("irc-libera", "#convos", "joker", "Café crème brûlée", 14),
        ("irc-libera", "#日本", "taro", "東京都に住んでいます", 15),
        (
            "irc-libera",
            "#convos",
            "mallory",
            "NEAR(\"a\" OR b*) AND -x :) \"",
            16,
        ),
        ("irc-libera", "#convos", "batman", "videogames are fun", 17),
        ("irc-libera", "superman", "lois", "private video talk", 18),
    ];
    for (conn, conv, nick, text, d) in lines {
        store
            .append(NewEntry {
                connection_id: conn.into(),
                from: nick.into(),
                time: d * day,
                ..msg(user, conv, text)
            })
            .await
            .expect("append");
    }
    store.index_pending().await.expect("index");
    let texts = |q: &str| {
        let store = store.clone();
        let q = SearchQuery::parse(q);
        async move {
            store
                .search(user, q)
                .await
                .expect("search")
                .messages
                .into_iter()
                .map(|e| e.text)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        texts("video").await,
        [
            "private video talk",
            "oftc video here",
            "video of the call",
            "the video call works now"
        ]
    );
    assert_eq!(texts("\"video call\"").await, ["the video call works now"]);
    assert_eq!(texts("video call").await.len(), 2);
    assert_eq!(texts("video*").await.len(), 5);
    assert_eq!(
        texts("from:BATMAN video").await,
        ["oftc video here", "the video call works now"]
    );
    assert_eq!(texts("from:robin").await, ["video of the call"]);
    assert_eq!(
        texts("in:#convos conn:irc-oftc video").await,
        ["oftc video here"]
    );
    assert_eq!(texts("in:#CONVOS video").await.len(), 3);
    assert_eq!(texts("in:superman").await, ["private video talk"]);
    assert!(texts("in:#nowhere video").await.is_empty());
    assert_eq!(
        texts(&format!("video after:1970-01-12 before:{}", 14 * day)).await,
        ["oftc video here", "video of the call"]
    );
    assert_eq!(texts("github.com/convos-chat").await.len(), 1);
    assert_eq!(texts("pull/42").await.len(), 1);
    assert_eq!(texts("cafe").await, ["Café crème brûlée"]);
    assert_eq!(texts("BRÛLÉE").await.len(), 1);
    assert_eq!(texts("東京").await, ["東京都に住んでいます"]);
    assert_eq!(texts("住んで").await.len(), 1);
    assert_eq!(texts("京東").await.len(), 0);
    // FTS syntax is plain text: no errors, and it matches literally.
    assert_eq!(texts("NEAR(\"a\" OR b*)").await.len(), 1);
    for q in [
        "\"",
        "*",
        "AND",
        "-",
        ":)",
        "^x",
        "a:b:c",
        "\"unterminated",
        "NOT",
    ] {
        let _ = texts(q).await;
    }
    // Paging through results.
    let mut q = SearchQuery::parse("video");
    q.limit = Some(3);
    let first = store.search(user, q.clone()).await.expect("page 1");
    assert_eq!(first.messages.len(), 3);
    assert!(!first.end);
    q.before_id = first.messages.last().map(|e| e.id);
    let second = store.search(user, q).await.expect("page 2");
    assert_eq!(second.messages.len(), 1);
    assert!(second.end);
}

#[tokio::test]
async fn retention_setting_per_connection() {
    let (_dir, store, user) = setup().await;
    let day = 86_400_000;
    // Ten messages a day apart on each connection; only irc-libera keeps 3 days.
    let entries = (0..10)
        .flat_map(|i| {
            ["irc-libera", "irc-oftc"].map(|c| NewEntry {
                connection_id: c.into(),
                time: 1_700_000_000_000 + i * day,
                ..msg(user, "#convos", &format!("day {i}"))
            })
        })
        .collect();
    store.append_many(entries).await.expect("append");
    let mut libera = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    libera.retention_days = 3;
    store.save_connection(libera).await.expect("save");
    assert_eq!(
        store
            .connection(user, "irc-libera")
            .await
            .expect("get")
            .expect("some")
            .retention_days,
        3
    );
    // "Now" is half a day after the last message: days 7, 8 and 9 are younger than 3 days.
    let now = 1_700_000_000_000 + 9 * day + day / 2;
    assert_eq!(store.apply_retention(now).await.expect("sweep"), 7);
    assert_eq!(store.apply_retention(now).await.expect("again"), 0);
    for (conn, want) in [("irc-libera", 3), ("irc-oftc", 10)] {
        let page = store
            .history(user, conn, "#convos", Page::latest())
            .await
            .expect("history");
        assert_eq!(page.messages.len(), want, "{conn}");
    }
}

#[tokio::test]
async fn clear_history_and_retention() {
    let (_dir, store, user) = setup().await;
    append_n(&store, user, "#convos", 20).await;
    let keep = append_n(&store, user, "#rust", 10).await;
    store.index_pending().await.expect("index");
    let n = store
        .clear_history(user, "irc-libera", "#convos")
        .await
        .expect("clear");
    assert_eq!(n, 20);
    let conv = store
        .conversation(user, "irc-libera", "#convos")
        .await
        .expect("get")
        .expect("conversation stays");
    assert_eq!(conv.unread, 0);
    let hits = store
        .search(user, SearchQuery::parse("message"))
        .await
        .expect("search");
    assert_eq!(
        ids(&hits.messages),
        ids(&keep).into_iter().rev().collect::<Vec<_>>()
    );
    let p = store
        .history(user, "irc-libera", "#rust", Page::latest())
        .await
        .expect("history");
    assert_eq!(p.messages.len(), 10);

    // Message i has time base + i s: keep the last four.
    let cutoff = keep[6].time;
    let n = store
        .delete_messages_before(user, Some("irc-libera"), cutoff)
        .await
        .expect("retention");
    assert_eq!(n, 6);
    let p = store
        .history(user, "irc-libera", "#rust", Page::latest())
        .await
        .expect("history");
    assert_eq!(ids(&p.messages), ids(&keep[6..]));
    let conv = store
        .conversation(user, "irc-libera", "#rust")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(conv.unread, 4);
    // Ids are never reused, even after the newest rows were deleted.
    store
        .clear_history(user, "irc-libera", "#rust")
        .await
        .expect("clear");
    let next = append_n(&store, user, "#rust", 1).await;
    assert!(next[0].id > keep[9].id);
}

#[tokio::test]
async fn backup_is_a_consistent_copy() {
    let (dir, store, user) = setup().await;
    let all = append_n(&store, user, "#convos", 50).await;
    let dest = dir.path().join("backup.db");
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { append_n(&store, user, "#busy", 500).await })
    };
    store.backup(&dest).await.expect("backup");
    writer.await.expect("writer");
    let copy_dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&dest, copy_dir.path().join(FILE_NAME)).expect("copy");
    let copy = Store::open(copy_dir.path(), opts()).expect("open backup");
    let p = copy
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(ids(&p.messages), ids(&all));
}

#[tokio::test]
async fn disk_full_fails_appends_keeps_reads_and_recovers() {
    let (_dir, store, user) = setup().await;
    let before = append_n(&store, user, "#convos", 5).await;
    store.index_pending().await.expect("index");
    let pages: i64 = store
        .write(0, |ctx| {
            let n: i64 = ctx.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            ctx.conn.pragma_update(None, "max_page_count", n + 2)?;
            Ok(n)
        })
        .await
        .expect("limit");
    let mut failed = None;
    for i in 0..200 {
        let text = format!("{i} {}", "y".repeat(4000));
        if let Err(e) = store.append(msg(user, "#convos", &text)).await {
            failed = Some(e);
            break;
        }
    }
    let err = failed.expect("the disk fills up");
    assert!(matches!(err, Error::Full), "{err:?}");
    assert!(err.to_string().contains("disk full"));
    let p = store
        .history(user, "irc-libera", "#convos", Page::latest().limit(5))
        .await
        .expect("reads keep working");
    assert_eq!(p.messages.len(), 5);
    store
        .write(0, move |ctx| {
            ctx.conn
                .pragma_update(None, "max_page_count", pages * 1000)?;
            Ok(())
        })
        .await
        .expect("space returns");
    let ok = store
        .append(msg(user, "#convos", "back in business"))
        .await
        .expect("appends recover");
    assert!(ok.entry.id > before[4].id);
    store.index_pending().await.expect("index catches up");
    let hits = store
        .search(user, SearchQuery::parse("business"))
        .await
        .expect("search");
    assert_eq!(hits.messages.len(), 1);
}

#[tokio::test]
async fn a_failing_job_does_not_fail_its_batch() {
    let (_dir, store, user) = setup().await;
    let bad = store.append(NewEntry {
        connection_id: "irc-nope".into(),
        ..msg(user, "#x", "bad")
    });
    let good = store.append(msg(user, "#convos", "good"));
    let (bad, good) = tokio::join!(bad, good);
    assert!(bad.is_err());
    let good = good.expect("good one stored");
    let after = store
        .messages_after_id(user, MessageId(0), 10)
        .await
        .expect("after");
    assert_eq!(after, vec![good.entry]);
}

mod order;

#[tokio::test]
async fn searches_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        dir.path(),
        Options {
            search_budget: Duration::from_millis(1),
            ..opts()
        },
    )
    .expect("open");
    let user = add_user(&store, "superman@example.com").await;
    for prefix in ["a*", "é*", "x* hello"] {
        let err = store
            .search(user, SearchQuery::parse(prefix))
            .await
            .expect_err("one-letter prefix");
        assert!(matches!(err, Error::Invalid(_)), "{prefix}: {err:?}");
    }
    let many: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
    let err = store
        .search(user, SearchQuery::parse(&many.join(" ")))
        .await
        .expect_err("17 words");
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    store
        .search(user, SearchQuery::parse(&many[..16].join(" ")))
        .await
        .expect("16 words are fine");
    // A search that walks many rows (every "the", none before 1971) runs out of its
    // (1 ms) budget and is stopped.
    let entries: Vec<NewEntry> = (0..20_000)
        .map(|i| msg(user, "#big", &format!("the common word {i}")))
        .collect();
    store.append_many(entries).await.expect("append");
    store.index_pending().await.expect("index");
    let err = store
        .search(user, SearchQuery::parse("the before:1971-01-01"))
        .await;
    assert!(matches!(err, Err(Error::Timeout)), "{err:?}");
    // The read connection it used is fine afterwards.
    store
        .history(user, "irc-libera", "#big", Page::latest())
        .await
        .expect("history after a stopped search");
}

#[tokio::test]
async fn client_certificates_are_stored_apart_from_state() {
    let (dir, store, user) = setup().await;
    let mut c = store
        .connections(user)
        .await
        .expect("connections")
        .remove(0);
    c.client_cert = Some(ClientCert {
        cert: "CERT".into(),
        key: Secret::new("KEY"),
    });
    c.state = json!({"other": 1});
    c.ignore = vec!["troll!*@*".into()];
    c.sts = Some(crate::model::Sts {
        host: "irc.example".into(),
        port: 6697,
        until: 1_900_000_000_000,
    });
    store.save_connection(c.clone()).await.expect("save");
    drop(store);
    let store = Store::open(dir.path(), opts()).expect("reopen");
    let back = store
        .connections(user)
        .await
        .expect("connections")
        .into_iter()
        .find(|b| b.id == c.id)
        .expect("connection");
    assert_eq!(back.client_cert, c.client_cert);
    assert_eq!((&back.ignore, &back.sts), (&c.ignore, &c.sts));
    assert_eq!(
        back.state,
        json!({"other": 1}),
        "no secret in the state value"
    );
    // The column keeps the format older versions wrote.
    let raw: String = rusqlite::Connection::open(dir.path().join(FILE_NAME))
        .expect("raw")
        .query_row(
            "SELECT state FROM connections WHERE id = ?1",
            [&c.id],
            |r| r.get(0),
        )
        .expect("state column");
    let raw: serde_json::Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(raw["client_cert"]["key"], "KEY");
}

#[tokio::test]
async fn reading_a_conversation_reads_its_notifications() {
    let (_dir, store, user) = setup().await;
    let mention = |conv: &str, text: &str| NewEntry {
        highlight: true,
        ..msg(user, conv, text)
    };
    let a = store
        .append(mention("#a", "superman: one"))
        .await
        .expect("a");
    store
        .append(mention("#a", "superman: two"))
        .await
        .expect("a2");
    store
        .append(mention("#b", "superman: elsewhere"))
        .await
        .expect("b");
    assert_eq!(store.unread_notifications(user).await.expect("n"), 3);
    // Read #a up to its first mention: that one is read, the rest stay unread.
    store
        .set_last_read(user, "irc-libera", "#a", a.entry.id)
        .await
        .expect("read");
    assert_eq!(store.unread_notifications(user).await.expect("n"), 2);
    let list = store.notifications(user, None, 10).await.expect("list");
    let read: Vec<(&str, bool)> = list
        .iter()
        .map(|n| (n.entry.text.as_str(), n.read))
        .collect();
    assert_eq!(
        read,
        [
            ("superman: elsewhere", false),
            ("superman: two", false),
            ("superman: one", true)
        ]
    );
}
