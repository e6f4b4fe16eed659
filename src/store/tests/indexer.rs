//! The search index in `search.db` (SQLite): kept by its own thread, told of deletions and
//! of rows stored below its mark, and rebuilt when it does not belong to the database.

use super::*;
use crate::store::indexer::SEARCH_FILE;

fn raw(dir: &std::path::Path, file: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(file)).expect("raw")
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[tokio::test]
async fn deleted_rows_leave_the_index_and_applied_entries_are_cleaned() {
    if on_postgres() {
        return; // search.db is SQLite's
    }
    let (dir, store, user) = setup().await;
    append_n(&store, user, "#gone", 30).await;
    append_n(&store, user, "#kept", 5).await;
    store.index_pending().await.expect("index");
    let before = count(
        &raw(dir.path(), SEARCH_FILE),
        "SELECT count(*) FROM messages_fts_docsize",
    );
    assert!(before >= 35, "{before}");
    assert!(store
        .delete_conversation(user, "irc-libera", "#gone")
        .await
        .expect("delete"));
    store.index_pending().await.expect("index");
    assert_eq!(found(&store, user, "message").await.len(), 5);
    let fts = raw(dir.path(), SEARCH_FILE);
    // The index no longer holds the 30 rows (not only hidden by the join with the rows).
    let hits = count(
        &fts,
        "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'scope:u1'",
    );
    assert_eq!(hits, 5);
    // The next commit deletes the entries the indexer applied, all but the last one.
    append_n(&store, user, "#kept", 1).await;
    let main = raw(dir.path(), FILE_NAME);
    assert_eq!(count(&main, "SELECT count(*) FROM fts_pending"), 1);
    assert!(store.integrity_check().await.expect("check").is_empty());
}

/// A consistent copy of the database `file` of `from` into `to` (SQLite's backup API: the
/// store that has it open may still be closing).
fn copy_db(from: &std::path::Path, to: &std::path::Path, file: &str) {
    let src = raw(from, file);
    let mut dest = raw(to, file);
    rusqlite::backup::Backup::new(&src, &mut dest)
        .expect("backup")
        .step(-1)
        .expect("step");
}

#[tokio::test]
async fn a_missing_or_broken_index_is_built_again() {
    if on_postgres() {
        return; // search.db is SQLite's
    }
    let (dir, store, user) = setup().await;
    append_n(&store, user, "#c", 12).await;
    store.index_pending().await.expect("index");
    // The same database without its search.db.
    let missing = tempfile::tempdir().expect("tempdir");
    copy_db(dir.path(), missing.path(), FILE_NAME);
    let copy = open_in(missing.path(), opts()).expect("open without search.db");
    copy.index_pending().await.expect("index");
    assert_eq!(found(&copy, user, "message").await.len(), 12);
    // And with a file there that is not a database.
    let broken = tempfile::tempdir().expect("tempdir");
    copy_db(dir.path(), broken.path(), FILE_NAME);
    std::fs::write(broken.path().join(SEARCH_FILE), vec![0x42u8; 8192]).expect("garbage");
    let copy = open_in(broken.path(), opts()).expect("open with a broken search.db");
    copy.index_pending().await.expect("index");
    assert_eq!(found(&copy, user, "message").await.len(), 12);
    let aside = std::fs::read_dir(broken.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("search.db.broken-")
        });
    assert!(aside, "the broken file is kept aside");
    assert!(copy.integrity_check().await.expect("check").is_empty());
}

#[tokio::test]
async fn a_restored_backup_gets_an_index_of_its_own() {
    if on_postgres() {
        return; // backups and search.db are SQLite's
    }
    let (dir, store, user) = setup().await;
    store
        .append(msg(user, "#c", "said before the backup"))
        .await
        .expect("append");
    store.index_pending().await.expect("index");
    let backup = dir.path().join("backup.db");
    store.backup(&backup).await.expect("backup");
    // After the backup: that line is deleted, another is said.
    store
        .clear_history(user, "irc-libera", "#c")
        .await
        .expect("clear");
    store
        .append(msg(user, "#c", "said after the backup"))
        .await
        .expect("append");
    store.index_pending().await.expect("index");
    assert_eq!(
        found(&store, user, "backup").await,
        ["said after the backup"]
    );
    // Restored: the backup in place of convos.db, beside the newer search.db.
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&backup, home.path().join(FILE_NAME)).expect("restore");
    copy_db(dir.path(), home.path(), SEARCH_FILE);
    let restored = open_in(home.path(), opts()).expect("open the restored database");
    restored.index_pending().await.expect("index");
    assert_eq!(
        found(&restored, user, "backup").await,
        ["said before the backup"]
    );
    // An index made for another database is not used either.
    let other = tempfile::tempdir().expect("tempdir");
    copy_db(dir.path(), other.path(), FILE_NAME);
    copy_db(dir.path(), other.path(), SEARCH_FILE);
    raw(other.path(), FILE_NAME)
        .execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'search_id'",
            [],
        )
        .expect("another id");
    let copy = open_in(other.path(), opts()).expect("open");
    copy.index_pending().await.expect("index");
    assert_eq!(
        found(&copy, user, "backup").await,
        ["said after the backup"]
    );
    let id = "SELECT value FROM meta WHERE key = 'search_id'";
    assert_eq!(
        count(&raw(other.path(), SEARCH_FILE), id),
        count(&raw(other.path(), FILE_NAME), id),
        "rebuilt for this database"
    );
}

/// When the indexer's thread ends, however it ends (its guard is dropped on a panic
/// too), nothing waits for it any more: searches search what is indexed, and
/// `index_pending` says the indexer is gone.
#[tokio::test]
async fn nothing_waits_for_an_ended_indexer() {
    if on_postgres() {
        return; // search.db is SQLite's
    }
    let (_dir, store, user) = setup().await;
    let ix = store.inner.indexer.clone().expect("indexer");
    drop(crate::store::indexer::Ended(&ix));
    append_n(&store, user, "#after", 3).await;
    assert!(ix.fresh().is_none(), "a search does not wait");
    found(&store, user, "anything").await;
    assert!(matches!(store.index_pending().await, Err(Error::Closed)));
}
