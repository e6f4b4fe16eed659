//! Messages: append and msgid dedupe, paging, unread counts and notifications, isolation between users, clearing and retention.

use super::*;

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

#[tokio::test]
async fn a_batch_with_a_repeated_msgid_stores_it_once() {
    let (_dir, store, user) = setup().await;
    let with = |id: &str, text: &str| NewEntry {
        msgid: Some(id.into()),
        highlight: text.contains("superman"),
        ..msg(user, "#convos", text)
    };
    let out = store
        .append_many(vec![
            with("a", "first"),
            with("a", "first again"),
            with("b", "superman: second"),
            msg(user, "#convos", "third"),
        ])
        .await
        .expect("append");
    let dup: Vec<bool> = out.iter().map(|a| a.duplicate).collect();
    assert_eq!(dup, vec![false, true, false, false]);
    assert_eq!(out[1].entry, out[0].entry);
    assert!(out[0].entry.id < out[2].entry.id && out[2].entry.id < out[3].entry.id);
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    let texts: Vec<&str> = page.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["first", "superman: second", "third"]);
    store.index_pending().await.expect("index");
    let found = store
        .search(user, SearchQuery::parse("second"))
        .await
        .expect("search");
    assert_eq!(found.messages.len(), 1);
    let convs = store.conversations(user).await.expect("conversations");
    let c = convs.iter().find(|c| c.id == "#convos").expect("#convos");
    assert_eq!((c.unread, c.highlights), (3, 1));
}

/// A page query's plan does not depend on the values bound to it: with a bound `LIMIT`,
/// SQLite would otherwise parse and plan the statement again on every page.
#[tokio::test]
async fn history_pages_reuse_their_prepared_plan() {
    if on_postgres() {
        return;
    }
    let (_dir, store, user) = setup().await;
    for i in 0..30 {
        store
            .append(msg(user, "#convos", &format!("line {i}")))
            .await
            .expect("append");
    }
    let conn = store.inner.open_reader().expect("reader");
    let lite = conn.lite().expect("sqlite");
    let sql = "SELECT id FROM messages WHERE conv = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
    for limit in [5_i64, 10, 7, 100] {
        let mut stmt = lite.prepare_cached(sql).expect("prepare");
        let n = stmt
            .query_map(rusqlite::params![1, i64::MAX, limit], |r| {
                r.get::<_, i64>(0)
            })
            .expect("query")
            .count();
        assert!(n > 0);
    }
    let stmt = lite.prepare_cached(sql).expect("prepare");
    assert_eq!(
        stmt.get_status(rusqlite::StatementStatus::RePrepare),
        0,
        "planned once"
    );
}
