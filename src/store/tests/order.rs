//! The order of the record: lines are stored in the order they were queued, replayed lines
//! take their place by time, and old databases are renumbered into that order.

use super::*;
use futures_util::stream::{FuturesOrdered, StreamExt};
use proptest::prelude::*;
use std::collections::HashMap;

/// One connection's pipeline as the user actor runs it: queue each line as soon as it is
/// read, collect the commits in order, never wait for one before queueing the next.
async fn pipeline(store: Store, lines: Vec<NewEntry>) -> Vec<Entry> {
    let mut pending = FuturesOrdered::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let place = store.reserve().await.expect("reserve");
        pending.push_back(place.append(vec![line]));
        // Drain what is already committed without waiting, like the actor's select!.
        while let Some(Some(done)) = futures_util::FutureExt::now_or_never(pending.next()) {
            out.extend(done.expect("append").into_iter().map(|a| a.entry));
        }
    }
    while let Some(done) = pending.next().await {
        out.extend(done.expect("append").into_iter().map(|a| a.entry));
    }
    out
}

fn numbered(user: UserId, conn: &str, convs: &[&str], n: usize) -> Vec<NewEntry> {
    (0..n)
        .map(|i| NewEntry {
            connection_id: conn.into(),
            ..msg(user, convs[i % convs.len()], &format!("{conn} {i:05}"))
        })
        .collect()
}

/// Checks one pipeline: ids increase in queue order, and every conversation pages back
/// (from the oldest and from the newest) exactly in the order its lines were queued.
async fn assert_in_order(store: &Store, user: UserId, sent: &[NewEntry], got: &[Entry]) {
    assert_eq!(got.len(), sent.len());
    for (s, g) in sent.iter().zip(got) {
        assert_eq!(s.text, g.text, "committed in queue order");
    }
    assert!(
        got.windows(2).all(|w| w[0].id < w[1].id),
        "ids increase in the order lines were queued"
    );
    let mut by_conv: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for s in sent {
        by_conv
            .entry((&s.connection_id, &s.conversation_id))
            .or_default()
            .push(&s.text);
    }
    for ((conn, conv), want) in by_conv {
        let forward = page_all(store, user, conn, conv, true).await;
        assert_eq!(forward, want, "{conn} {conv} from the oldest");
        let backward = page_all(store, user, conn, conv, false).await;
        assert_eq!(backward, want, "{conn} {conv} from the newest");
    }
}

/// Every text of a conversation, oldest first, read in pages of 200 from the oldest
/// (`forward`) or from the newest.
async fn page_all(
    store: &Store,
    user: UserId,
    conn: &str,
    conv: &str,
    forward: bool,
) -> Vec<String> {
    let first = if forward {
        Page::after(Cursor::Id(MessageId(0)))
    } else {
        Page::latest()
    };
    let mut page = store
        .history(user, conn, conv, first.limit(200))
        .await
        .expect("history");
    let mut pages = Vec::new();
    loop {
        let texts: Vec<String> = page.messages.iter().map(|m| m.text.clone()).collect();
        let (done, next) = if forward {
            let next = page.messages.last().map(|m| Page::after(Cursor::Id(m.id)));
            (page.newest, next)
        } else {
            let next = page
                .messages
                .first()
                .map(|m| Page::before(Cursor::Id(m.id)));
            (page.oldest, next)
        };
        pages.push(texts);
        let Some(next) = next.filter(|_| !done) else {
            break;
        };
        page = store
            .history(user, conn, conv, next.limit(200))
            .await
            .expect("history");
    }
    if !forward {
        pages.reverse();
    }
    pages.concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pipelines_store_lines_in_the_order_they_were_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A short queue makes appenders wait for room: where lines used to get shuffled.
    let store = open_in(
        dir.path(),
        Options {
            queue: 8,
            max_batch_rows: 64,
            ..opts()
        },
    )
    .expect("open");
    let mut users = Vec::new();
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        users.push(add_user(&store, email).await);
    }
    let mut tasks = Vec::new();
    for &user in &users {
        for conn in ["irc-libera", "irc-oftc"] {
            let lines = numbered(user, conn, &["#one", "#two", "", "robin"], 1500);
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let got = pipeline(store, lines.clone()).await;
                (user, lines, got)
            }));
        }
    }
    for t in tasks {
        let (user, sent, got) = t.await.expect("task");
        assert_in_order(&store, user, &sent, &got).await;
    }
}

#[tokio::test]
async fn ids_keep_increasing_across_reopen_and_deletes() {
    let (dir, store, user) = setup().await;
    let first = append_n(&store, user, "#convos", 3).await;
    store
        .clear_history(user, "irc-libera", "#convos")
        .await
        .expect("clear");
    drop(store);
    let store = open_in(dir.path(), opts()).expect("reopen");
    let again = store
        .append(msg(user, "#convos", "after restart"))
        .await
        .expect("append");
    assert!(
        again.entry.id > first[2].id,
        "a deleted id is never given again"
    );
}

fn backfill(user: UserId, conv: &str, text: &str, time: i64) -> NewEntry {
    NewEntry {
        time,
        backfill: true,
        ..msg(user, conv, text)
    }
}

fn texts(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.text.as_str()).collect()
}

#[tokio::test]
async fn replayed_lines_take_their_place_by_time() {
    let (_dir, store, user) = setup().await;
    let hour = 3_600_000;
    let now = now_ms();
    // Live lines, then everything visible is indexed (so replays land below the mark).
    for text in ["live a", "live b"] {
        store.append(msg(user, "#c", text)).await.expect("live");
    }
    store.index_pending().await.expect("index");
    // A chathistory replay of what was said while we were away, oldest first, with two
    // lines in the same millisecond; then a second replay overlapping the first.
    let replay = [
        ("old 1", now - 3 * hour),
        ("old 2", now - 2 * hour),
        ("old 3", now - 2 * hour),
        ("old 5", now - hour),
    ];
    let batch = replay
        .iter()
        .map(|(t, time)| backfill(user, "#c", t, *time))
        .collect();
    store.append_many(batch).await.expect("replay");
    store
        .append(backfill(user, "#c", "old 4", now - 2 * hour))
        .await
        .expect("late replay");
    // A replayed line from the future is placed at the present, before later live lines.
    store
        .append(backfill(user, "#c", "future", now + 24 * hour))
        .await
        .expect("future");
    store.append(msg(user, "#c", "live c")).await.expect("live");

    let want = [
        "old 1", "old 2", "old 3", "old 4", "old 5", "live a", "live b", "future", "live c",
    ];
    let page = store
        .history(user, "irc-libera", "#c", Page::latest())
        .await
        .expect("latest");
    assert_eq!(texts(&page.messages), want);
    // Paging in that one order: before, after and around a replayed line.
    let old3 = page.messages[2].id;
    let before = store
        .history(user, "irc-libera", "#c", Page::before(Cursor::Id(old3)))
        .await
        .expect("before");
    assert_eq!(texts(&before.messages), ["old 1", "old 2"]);
    let after = store
        .history(
            user,
            "irc-libera",
            "#c",
            Page::after(Cursor::Id(old3)).limit(3),
        )
        .await
        .expect("after");
    assert_eq!(texts(&after.messages), ["old 4", "old 5", "live a"]);
    let around = store
        .history(
            user,
            "irc-libera",
            "#c",
            Page::around(Cursor::Id(old3)).limit(4),
        )
        .await
        .expect("around");
    assert_eq!(
        texts(&around.messages),
        ["old 1", "old 2", "old 3", "old 4"]
    );
    // Search: below the indexer's mark, the indexer is told of them in their own
    // transaction (`fts_pending`); newest first, same order.
    store.index_pending().await.expect("index");
    let found = store
        .search(user, SearchQuery::parse("old"))
        .await
        .expect("search");
    assert_eq!(
        texts(&found.messages),
        ["old 5", "old 4", "old 3", "old 2", "old 1"]
    );
    // Replayed lines are news to the user: they count as unread.
    let conv = store
        .conversations(user)
        .await
        .expect("conversations")
        .into_iter()
        .find(|c| c.id == "#c")
        .expect("#c");
    assert_eq!(conv.unread, 9);
}

#[tokio::test]
async fn migration_renumbers_old_messages_in_time_order() {
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    // Schema 4: ids in arrival order, one line (id 2) said before id 1, a notification on
    // id 3 and the read marker on id 2.
    let dir = old_database(
        4,
        "INSERT INTO messages (id, conv, user_id, time, kind, nick, text, highlight) VALUES
           (1, 1, 1, 1700000002000, 0, 'joe', 'second', 0),
           (2, 1, 1, 1700000001000, 0, 'joe', 'first', 0),
           (3, 1, 1, 1700000003000, 0, 'joe', 'third superman', 1),
           (4, 1, 1, 1700000003000, 0, 'joe', 'fourth', 0);
         INSERT INTO notifications (message_id, user_id) VALUES (3, 1);
         UPDATE conversations SET last_read = 2, unread = 2 WHERE cid = 1;
         INSERT INTO meta(key, value) VALUES ('fts_indexed_upto', 4)
           ON CONFLICT(key) DO UPDATE SET value = 4;",
    );
    let store = open_in(dir.path(), opts()).expect("migrate 4 -> 5");
    let page = store
        .history(UserId(1), "irc-libera", "#old", Page::latest())
        .await
        .expect("history");
    assert_eq!(
        texts(&page.messages),
        ["first", "second", "third superman", "fourth"]
    );
    assert!(
        page.messages.iter().all(|m| m.id.0 > 4),
        "renumbered above old ids"
    );
    let notes = store
        .notifications(UserId(1), None, 10)
        .await
        .expect("notifications");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].entry.text, "third superman");
    let conv = &store.conversations(UserId(1)).await.expect("convs")[0];
    assert_eq!(conv.last_read, page.messages[1].id, "read up to 'second'");
    assert_eq!(conv.unread, 2);
    store.index_pending().await.expect("index");
    let found = store
        .search(UserId(1), SearchQuery::parse("superman"))
        .await
        .expect("search");
    assert_eq!(texts(&found.messages), ["third superman"]);
    // New live lines come after the renumbered ones.
    let live = store
        .append(NewEntry {
            conversation_id: "#old".into(),
            ..msg(UserId(1), "#old", "new")
        })
        .await
        .expect("append");
    assert!(live.entry.id > page.messages[3].id);
}

/// One step of an interleaving: which pipeline queues next, how many lines in one job,
/// and whether the test then waits for everything queued so far.
#[derive(Debug, Clone)]
struct Step {
    pipeline: usize,
    conv: usize,
    lines: usize,
    settle: bool,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0usize..4, 0usize..3, 1usize..4, prop::bool::weighted(0.1)).prop_map(
            |(pipeline, conv, lines, settle)| Step {
                pipeline,
                conv,
                lines,
                settle,
            },
        ),
        1..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the interleaving of pipelines (two users, two connections each), every
    /// conversation reads back in queue order and ids follow the global queue order.
    #[test]
    fn any_interleaving_keeps_the_queue_order(steps in steps()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = open_in(dir.path(), Options { queue: 4, ..opts() }).expect("open");
            let users = [
                add_user(&store, "a@example.com").await,
                add_user(&store, "b@example.com").await,
            ];
            let convs = ["#x", "#y", "zed"];
            let mut sent: Vec<Vec<NewEntry>> = vec![Vec::new(); 4];
            let mut pending = FuturesOrdered::new();
            let mut got: Vec<Entry> = Vec::new();
            for (n, step) in steps.iter().enumerate() {
                let user = users[step.pipeline / 2];
                let conn = ["irc-libera", "irc-oftc"][step.pipeline % 2];
                let lines: Vec<NewEntry> = (0..step.lines)
                    .map(|i| NewEntry {
                        connection_id: conn.into(),
                        ..msg(user, convs[step.conv], &format!("{n}.{i}"))
                    })
                    .collect();
                sent[step.pipeline].extend(lines.iter().cloned());
                let place = store.reserve().await.expect("reserve");
                pending.push_back(place.append(lines));
                if step.settle {
                    while let Some(done) = pending.next().await {
                        got.extend(done.expect("append").into_iter().map(|a| a.entry));
                    }
                }
            }
            while let Some(done) = pending.next().await {
                got.extend(done.expect("append").into_iter().map(|a| a.entry));
            }
            assert!(got.windows(2).all(|w| w[0].id < w[1].id), "global queue order");
            for (p, lines) in sent.iter().enumerate() {
                let mine: Vec<Entry> = got
                    .iter()
                    .filter(|e| {
                        e.user_id == users[p / 2]
                            && e.connection_id == ["irc-libera", "irc-oftc"][p % 2]
                    })
                    .cloned()
                    .collect();
                assert_in_order(&store, users[p / 2], lines, &mine).await;
            }
        });
    }
}
