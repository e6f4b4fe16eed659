//! The writer thread under stress: backups, a full disk, a failing job in a batch.

use super::*;

#[tokio::test]
async fn backup_is_a_consistent_copy() {
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
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
    let copy = open_in(copy_dir.path(), opts()).expect("open backup");
    let p = copy
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(ids(&p.messages), ids(&all));
}

#[tokio::test]
async fn disk_full_fails_appends_keeps_reads_and_recovers() {
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    let (_dir, store, user) = setup().await;
    let before = append_n(&store, user, "#convos", 5).await;
    store.index_pending().await.expect("index");
    let pages: i64 = store
        .write(0, |ctx| {
            let n: i64 =
                ctx.conn
                    .query_row("PRAGMA page_count", crate::store::db::params![], |r| {
                        r.get(0)
                    })?;
            ctx.conn
                .lite()
                .expect("sqlite")
                .pragma_update(None, "max_page_count", n + 2)?;
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
                .lite()
                .expect("sqlite")
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
