//! Tests of every store query against a real database in a temporary directory.

use super::*;
use crate::model::*;
use serde_json::json;

mod accounts;
mod chat;
mod cluster;
mod indexer;
mod messages;
mod order;
mod search;
mod writer;

/// The store of a test directory: SQLite in `dir`, or, when `CONVOS_TEST_POSTGRES` holds
/// the URL of a PostgreSQL role that may create databases, a database of its own named
/// after `dir`, so that reopening the directory reopens the same database. `scripts/test`
/// runs the store's tests both ways.
pub(crate) fn open_in(dir: &std::path::Path, opts: Options) -> Result<Store> {
    match postgres_url() {
        Some(url) => Store::open_postgres(&test_database(&url, dir), opts),
        None => Store::open(dir, opts),
    }
}

/// `CONVOS_TEST_POSTGRES`, when the tests run against PostgreSQL.
pub(crate) fn postgres_url() -> Option<String> {
    std::env::var("CONVOS_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether this run is on PostgreSQL: tests of what only SQLite has (its file format, its
/// migrations, page limits, backups) return early then.
pub(crate) fn on_postgres() -> bool {
    postgres_url().is_some()
}

/// Creates (once) the database of `dir` and returns its URL.
fn test_database(url: &str, dir: &std::path::Path) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let hex: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
    let name = format!("t_{hex}");
    let admin = url.to_owned();
    let create = name.clone();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("postgres");
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&create])
            .expect("pg_database")
            .is_some();
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE {create}"))
                .expect("create database");
        }
    })
    .join()
    .expect("create thread");
    let mut u = url::Url::parse(url).expect("url");
    u.set_path(&name);
    u.to_string()
}

fn opts() -> Options {
    Options {
        readers: 2,
        ..Options::default()
    }
}

async fn setup() -> (tempfile::TempDir, Store, UserId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_in(dir.path(), opts()).expect("open");
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

/// The texts a search of `q` finds, newest first.
async fn found(store: &Store, user: UserId, q: &str) -> Vec<String> {
    store
        .search(user, SearchQuery::parse(q))
        .await
        .expect("search")
        .messages
        .into_iter()
        .map(|e| e.text)
        .collect()
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
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(FILE_NAME);
    let garbage = vec![0x42u8; 8192];
    std::fs::write(&path, &garbage).expect("write");
    let err = open_in(dir.path(), opts()).expect_err("garbage must not open");
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("convos.db"), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), garbage);
}

#[tokio::test]
async fn open_refuses_newer_schema() {
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open_in(dir.path(), opts()).expect("open"));
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
    conn.pragma_update(None, "user_version", 99)
        .expect("pragma");
    drop(conn);
    let err = open_in(dir.path(), opts()).expect_err("too new");
    assert!(matches!(err, Error::TooNew { found: 99, .. }), "{err:?}");
    assert!(err.to_string().contains("convos.db"), "{err}");
}

#[tokio::test]
async fn migrates_empty_and_reopens() {
    let (dir, store, user) = setup().await;
    append_n(&store, user, "#convos", 3).await;
    drop(store);
    if !on_postgres() {
        let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, schema::VERSION);
    }
    let store = open_in(dir.path(), opts()).expect("reopen");
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
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    let dir = old_database(
        1,
        "INSERT INTO messages (conv, user_id, time, kind, nick, text)
           VALUES (1, 1, 5, 0, 'joe', 'written before search existed');",
    );
    let store = open_in(dir.path(), opts()).expect("migrate 1 -> 2");
    store.index_pending().await.expect("index");
    let found = store
        .search(UserId(1), SearchQuery::parse("search existed"))
        .await
        .expect("search");
    assert_eq!(found.messages.len(), 1);
    assert_eq!(found.messages[0].conversation_id, "#old");
}

#[tokio::test]
async fn migrates_from_version_13_without_autoincrement_keeping_the_high_water_mark() {
    if on_postgres() {
        return; // SQLite's AUTOINCREMENT
    }
    // The newest ids were given and deleted: only sqlite_sequence remembers them (a day
    // ahead of the clock, so a live id is above it only if it is remembered).
    let seq = (crate::time::now_ms() + 86_400_000) << 10;
    let dir = old_database(
        13,
        &format!(
            "INSERT INTO messages (id, conv, user_id, time, kind, nick, text)
               VALUES (1, 1, 1, 5, 0, 'joe', 'kept'), ({seq}, 1, 1, 6, 0, 'joe', 'deleted');
             DELETE FROM messages WHERE id = {seq};"
        ),
    );
    let store = open_in(dir.path(), opts()).expect("migrate 13 -> 14");
    let a = store
        .append(msg(UserId(1), "#old", "after"))
        .await
        .expect("append");
    assert!(a.entry.id.0 > seq, "a deleted id is never given again");
    assert!(store.integrity_check().await.expect("check").is_empty());
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).expect("raw");
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'messages'",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert!(!sql.contains("AUTOINCREMENT"), "{sql}");
    let sequences: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_sequence WHERE name = 'messages'",
            [],
            |r| r.get(0),
        )
        .expect("sequence");
    assert_eq!(
        sequences, 0,
        "the writer no longer keeps AUTOINCREMENT's row"
    );
    let kept: Vec<String> = conn
        .prepare("SELECT text FROM messages ORDER BY id")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert_eq!(kept, ["kept", "after"]);
}

#[tokio::test]
async fn migrates_from_version_2_and_rebuilds_the_index() {
    if on_postgres() {
        return; // SQLite's file, migrations, pragmas or backup API
    }
    // A row indexed the version-2 way (global nick token `n<hex>`).
    let dir = old_database(
        2,
        "INSERT INTO messages (id, conv, user_id, time, kind, nick, text)
           VALUES (1, 1, 1, 5, 0, 'joe', 'indexed by version two');
         INSERT INTO messages_fts (rowid, text, scope) VALUES (1, 'indexed by version two', 'u1 c1 n6a6f65');
         UPDATE meta SET value = 1 WHERE key = 'fts_indexed_upto';",
    );
    let store = open_in(dir.path(), opts()).expect("migrate 2 -> 3");
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
