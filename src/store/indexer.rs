//! The search indexer (SQLite): a thread of its own that keeps `search.db`, the FTS5 index,
//! in step with the messages of `convos.db` (migration 16).
//!
//! SQLite lets one connection write a file at a time. In its own file, the index is written
//! here while the writer stores the next rows, so an import uses both cores of a small
//! machine and a live line never waits behind an index chunk.
//!
//! What to index is known from `convos.db` alone, in one read snapshot per cycle:
//! - every row above the mark `upto` (kept in `search.db`, committed with the index): new
//!   rows get ids above every id given, so they are found in id order;
//! - the entries of `fts_pending` after `seq` `done`, which the writer adds in the
//!   transaction of their rows: a row stored with an id below ids already given (a replayed
//!   or imported line placed by its time; op 0) and a deleted row (op 1). The writer deletes
//!   the entries below `done`.
//!
//! The writer tells this thread about commits ([`Indexer::committed`]); a cycle runs when
//! `index_batch` rows are waiting or the oldest waited `index_delay`, or at once for
//! [`Store::index_pending`](super::Store::index_pending). Search readers attach `search.db`
//! read-only.
//!
//! `search.db` holds only what can be rebuilt from `convos.db`: it is rebuilt from scratch
//! (in the background, searches find what is indexed so far) when it is missing, of another
//! format, made for another database, or ahead of `convos.db` (a restored backup, which
//! holds no index: see [`open`]).

use super::index::{self, StoredRow};
use super::{Error, Options, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The index file, beside `convos.db`.
pub const SEARCH_FILE: &str = "search.db";

/// The layout of `search.db`: a file of another format is rebuilt. Raise it whenever the
/// table, its tokenizer or the text given to it ([`index::user_tokens`]) changes.
const FORMAT: i64 = 1;

/// The longest the writer waits for the indexer to catch up (a failing indexer does not
/// stop the writes).
const MAX_WAIT: Duration = Duration::from_secs(1);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
DROP TABLE IF EXISTS messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, scope,
  content = '', contentless_delete = 1,
  tokenize = \"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\"
);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
";

/// Where the indexer is: every row with id <= `upto` that existed when it got there, and
/// every `fts_pending` entry with seq <= `done`, are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Marks {
    upto: i64,
    done: i64,
}

/// What the writer and the thread share.
pub(crate) struct Indexer {
    state: Mutex<State>,
    wake: Condvar,
    /// Told after each cycle: the writer may be waiting for the backlog to shrink.
    room: Condvar,
    /// The highest message id committed (ids are never given twice).
    committed_max: AtomicI64,
    /// The last `fts_pending` seq applied: the writer deletes the entries below it.
    done: AtomicI64,
    /// `Options::index_batch`: this many rows waiting start a cycle at once.
    batch: u64,
    /// The backlog the writer waits behind (see [`Indexer::wait_for_room`]).
    room_rows: u64,
    path: PathBuf,
}

#[derive(Default)]
struct State {
    /// Rows and pending entries committed since the thread started.
    committed: u64,
    /// Of those, how many the thread has read.
    claimed: u64,
    /// When the oldest commit not read yet was made.
    since: Option<Instant>,
    /// `Store::index_pending` callers: (upto, done) to reach.
    waiters: Vec<(Marks, oneshot::Sender<Result<()>>)>,
    /// Searches waiting for what was committed before them ([`Indexer::fresh`]): the
    /// count of `committed` to be claimed.
    fresh: Vec<(u64, oneshot::Sender<()>)>,
    stop: bool,
}

impl Indexer {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The writer committed `rows` message rows and pending entries (maybe 0);
    /// `max_id` is the highest id committed so far.
    pub(crate) fn committed(&self, rows: u64, max_id: i64) {
        self.committed_max.fetch_max(max_id, Ordering::Release);
        if rows == 0 {
            return;
        }
        let mut st = self.lock();
        st.committed += rows;
        let first = st.since.is_none();
        if first {
            st.since = Some(Instant::now());
        }
        let backlog = st.committed - st.claimed;
        drop(st);
        crate::metrics::get()
            .index_backlog
            .set(i64::try_from(backlog).unwrap_or(i64::MAX));
        if first || backlog >= self.batch {
            self.wake.notify_one();
        }
    }

    /// Waits while more than two index chunks of committed rows are not indexed yet (at
    /// most `MAX_WAIT`): a sustained import then runs at the pace of the slower of storing
    /// and indexing, and what it stores is searchable within a second.
    pub(crate) fn wait_for_room(&self) {
        let deadline = Instant::now() + MAX_WAIT;
        let mut st = self.lock();
        while st.committed - st.claimed > self.room_rows && !st.stop {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            st = self
                .room
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The last `fts_pending` entry applied (the writer deletes those below it).
    pub(crate) fn done(&self) -> i64 {
        self.done.load(Ordering::Acquire)
    }

    /// Answers `reply` once every row up to `upto` and every pending entry up to `done`
    /// is in the index (or indexing fails).
    pub(crate) fn wait_for(&self, upto: i64, done: i64, reply: oneshot::Sender<Result<()>>) {
        let mut st = self.lock();
        if st.stop {
            let _ = reply.send(Err(Error::Closed));
            return;
        }
        st.waiters.push((Marks { upto, done }, reply));
        drop(st);
        self.wake.notify_one();
    }

    /// For a search about to run: `None` when everything committed so far is indexed,
    /// else a receiver answered once it is (dropped if the cycle fails). Starts a cycle at
    /// once, so a search finds every line stored before it without each line being
    /// indexed within a short delay. Also `None` while more than `index_batch` rows wait
    /// (an import, a rebuild of the index): the search then finds what is indexed rather
    /// than wait for all of it.
    pub(crate) fn fresh(&self) -> Option<oneshot::Receiver<()>> {
        let mut st = self.lock();
        let backlog = st.committed.saturating_sub(st.claimed);
        if backlog == 0 || backlog > self.batch || st.stop {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let want = st.committed;
        st.fresh.push((want, tx));
        drop(st);
        self.wake.notify_one();
        Some(rx)
    }

    /// Ends the thread (after its current cycle).
    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
        self.room.notify_all();
    }

    /// `search.db`, for the integrity check.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens `search.db` beside `main` (creating or rebuilding it, see the module docs) and
/// starts the thread. `main_conn` is the writer's connection, after migrations;
/// `committed_max` the highest id committed.
pub(crate) fn open(
    dir: &Path,
    main_path: &Path,
    main_conn: &Connection,
    committed_max: i64,
    opts: &Options,
) -> Result<Arc<Indexer>> {
    let path = dir.join(SEARCH_FILE);
    let search = match open_search(&path, main_conn, opts) {
        Ok(c) => c,
        Err(e) => {
            // Only derived data is in it: a file that is not a database is set aside and
            // the index built again.
            tracing::warn!(error = %e, path = %path.display(), "store: search index unreadable, rebuilding it");
            let aside = path.with_extension(format!("db.broken-{}", super::now_ms()));
            std::fs::rename(&path, &aside).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            for ext in ["db-wal", "db-shm"] {
                let _ = std::fs::remove_file(path.with_extension(ext));
            }
            open_search(&path, main_conn, opts)?
        }
    };
    let marks = read_marks(&search)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let reader = Connection::open_with_flags(main_path, flags)?;
    reader.busy_timeout(Duration::from_secs(5))?;
    reader.execute_batch(&format!("PRAGMA cache_size = -{};", opts.cache_kib))?;
    super::schema::stable_plans(&reader)?;
    let indexer = Arc::new(Indexer {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        room: Condvar::new(),
        committed_max: AtomicI64::new(committed_max),
        done: AtomicI64::new(marks.done),
        batch: opts.index_batch.max(1) as u64,
        room_rows: 2 * opts.index_chunk.max(1) as u64,
        path: path.clone(),
    });
    // Rows stored but not indexed before a stop (or a rebuild): catch up right away.
    let behind: i64 = reader.query_row(
        "SELECT (SELECT count(*) FROM messages WHERE id > ?1) \
         + (SELECT count(*) FROM fts_pending WHERE seq > ?2)",
        [marks.upto, marks.done],
        |r| r.get(0),
    )?;
    if behind > 0 {
        let mut st = indexer.lock();
        st.committed = behind as u64;
        let now = Instant::now();
        st.since = Some(now.checked_sub(opts.index_delay).unwrap_or(now));
    }
    let (shared, opts) = (indexer.clone(), opts.clone());
    std::thread::Builder::new()
        .name("store-indexer".into())
        .spawn(move || {
            let _ended = Ended(&shared);
            run(&shared, reader, search, marks, &opts)
        })
        .map_err(|source| Error::Io { path, source })?;
    Ok(indexer)
}

/// Marks the indexer stopped when its thread ends, however it ends (a panic too): the
/// writer then no longer waits for room, searches no longer wait for it, and
/// `index_pending` callers get [`Error::Closed`] instead of waiting forever.
pub(crate) struct Ended<'a>(pub(crate) &'a Indexer);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.stop = true;
        st.fresh.clear();
        st.waiters.clear();
        drop(st);
        self.0.room.notify_all();
    }
}

/// Opens (or creates) `search.db` and makes sure it belongs to the database of `main`.
fn open_search(path: &Path, main: &Connection, opts: &Options) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            detail: format!("cannot use WAL mode (got {mode})"),
        });
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -{};
         PRAGMA journal_size_limit = 67108864;",
        opts.cache_kib
    ))?;
    conn.set_prepared_statement_cache_capacity(16);
    let main_value = |key: &str| -> Result<i64> {
        Ok(main
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    };
    let id = main_value("search_id")?;
    // The highest id this database ever gave, and the last pending entry it wrote.
    let given: i64 = main.query_row(
        "SELECT max(coalesce((SELECT max(id) FROM messages), 0), \
         coalesce((SELECT value FROM meta WHERE key = 'max_message_id'), 0))",
        [],
        |r| r.get(0),
    )?;
    let last_seq: i64 =
        main.query_row("SELECT coalesce(max(seq), 0) FROM fts_pending", [], |r| {
            r.get(0)
        })?;
    let value = |key: &str| -> Result<Option<i64>> {
        let has_meta: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE name IN ('meta', 'messages_fts')",
            [],
            |r| r.get(0),
        )?;
        if !has_meta {
            return Ok(None);
        }
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    };
    let fits = value("format")? == Some(FORMAT)
        && value("search_id")? == Some(id)
        && value("upto")?.is_some_and(|upto| upto <= given)
        && value("done")?.is_some_and(|done| done <= last_seq);
    if !fits {
        tracing::info!(path = %path.display(), "store: building the search index from the stored messages");
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = (|| -> Result<()> {
            conn.execute_batch(SCHEMA)?;
            let set = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";
            conn.execute(set, rusqlite::params!["format", FORMAT])?;
            conn.execute(set, rusqlite::params!["search_id", id])?;
            conn.execute(set, rusqlite::params!["upto", 0])?;
            // Every row is found by the mark: the pending entries so far are not needed.
            conn.execute(set, rusqlite::params!["done", last_seq])?;
            Ok(())
        })();
        match result {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(conn)
}

/// SQLite's and FTS5's checks of `search.db` (on a connection of its own).
pub(crate) fn check(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let problems = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if problems.iter().any(|p| p != "ok") {
        return Err(Error::Write(problems.join("; ")));
    }
    conn.execute(
        "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')",
        [],
    )?;
    Ok(())
}

fn read_marks(conn: &Connection) -> Result<Marks> {
    let get = |key: &str| -> Result<i64> {
        Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?)
    };
    Ok(Marks {
        upto: get("upto")?,
        done: get("done")?,
    })
}

fn run(shared: &Indexer, reader: Connection, search: Connection, mut marks: Marks, opts: &Options) {
    let limit = opts.index_chunk.max(1);
    // A cycle left more to do: the next one starts at once.
    let mut more = false;
    let mut retry_at: Option<Instant> = None;
    loop {
        // Wait until a cycle is due.
        let claimed = {
            let mut st = shared.lock();
            loop {
                if st.stop {
                    return;
                }
                let now = Instant::now();
                let due_at = match retry_at {
                    Some(at) => Some(at),
                    None if more || !st.waiters.is_empty() || !st.fresh.is_empty() => Some(now),
                    None => st
                        .since
                        .map(|since| match st.committed - st.claimed >= shared.batch {
                            true => since,
                            false => since + opts.index_delay,
                        }),
                };
                match due_at {
                    Some(at) if at <= now => break,
                    Some(at) => {
                        st = shared
                            .wake
                            .wait_timeout(st, at - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                    None => st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
                }
            }
            // Everything committed so far is read by this cycle (or the next ones, while
            // `more`): commits from now on start a new wait.
            st.since = None;
            st.committed
        };
        retry_at = None;
        let committed_max = shared.committed_max.load(Ordering::Acquire);
        match cycle(&reader, &search, marks, committed_max, limit) {
            Ok((next, left, read)) => {
                marks = next;
                more = left;
                shared.done.store(marks.done, Ordering::Release);
                let mut st = shared.lock();
                st.claimed = (st.claimed + read as u64).min(st.committed);
                if !more {
                    // Rows deleted before they were read are never read.
                    st.claimed = st.claimed.max(claimed);
                }
                let backlog = st.committed - st.claimed;
                let claimed_now = st.claimed;
                let (ready, waiting) = std::mem::take(&mut st.fresh)
                    .into_iter()
                    .partition(|(want, _)| *want <= claimed_now);
                st.fresh = waiting;
                for (_, reply) in ready {
                    let _ = reply.send(());
                }
                let waiters = std::mem::take(&mut st.waiters);
                for (want, reply) in waiters {
                    if marks.upto >= want.upto && marks.done >= want.done {
                        let _ = reply.send(Ok(()));
                    } else {
                        st.waiters.push((want, reply));
                    }
                }
                drop(st);
                shared.room.notify_all();
                crate::metrics::get()
                    .index_backlog
                    .set(i64::try_from(backlog).unwrap_or(i64::MAX));
            }
            Err(e) => {
                tracing::warn!(error = %e, "store: search indexing failed, will retry");
                let mut st = shared.lock();
                for (_, reply) in std::mem::take(&mut st.waiters) {
                    let _ = reply.send(Err(e.for_batch()));
                }
                // Searches go on with what is indexed.
                st.fresh.clear();
                // Retry after the delay rather than spinning on a full disk.
                retry_at = Some(Instant::now() + opts.index_delay);
            }
        }
    }
}

/// A pending entry as read with its row (absent when the row is gone).
struct Pending {
    seq: i64,
    id: i64,
    op: i64,
    row: Option<StoredRow>,
}

/// One cycle: reads up to `limit` rows above the mark and `limit` pending entries in one
/// snapshot of `convos.db`, applies them to the index in one transaction with the new
/// marks. Returns the marks, whether more is waiting and how many rows and entries it read.
fn cycle(
    reader: &Connection,
    search: &Connection,
    marks: Marks,
    committed_max: i64,
    limit: usize,
) -> Result<(Marks, bool, usize)> {
    reader.execute_batch("BEGIN")?;
    let read = (|| -> Result<(Vec<StoredRow>, Vec<Pending>)> {
        let mut stmt = reader.prepare_cached(
            "SELECT id, conv, user_id, nick, text, kind FROM messages \
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(rusqlite::params![marks.upto, limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<StoredRow>>>()?;
        let mut stmt = reader.prepare_cached(
            "SELECT p.seq, p.id, p.op, m.id, m.conv, m.user_id, m.nick, m.text, m.kind \
             FROM fts_pending p LEFT JOIN messages m ON m.id = p.id \
             WHERE p.seq > ?1 ORDER BY p.seq LIMIT ?2",
        )?;
        let pending = stmt
            .query_map(rusqlite::params![marks.done, limit as i64], |r| {
                let row = match r.get::<_, Option<i64>>(3)? {
                    Some(id) => Some((id, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
                    None => None,
                };
                Ok(Pending {
                    seq: r.get(0)?,
                    id: r.get(1)?,
                    op: r.get(2)?,
                    row,
                })
            })?
            .collect::<rusqlite::Result<Vec<Pending>>>()?;
        Ok((rows, pending))
    })();
    let _ = reader.execute_batch("COMMIT");
    let (rows, pending) = read?;
    let more = rows.len() >= limit || pending.len() >= limit;
    let read = rows.len() + pending.len();
    let upto = match rows.last() {
        Some(last) if rows.len() >= limit => last.0,
        Some(last) => last.0.max(committed_max),
        None => marks.upto.max(committed_max),
    };
    let done = pending.last().map_or(marks.done, |p| p.seq);
    if rows.is_empty() && pending.is_empty() && upto == marks.upto {
        return Ok((marks, false, 0));
    }
    search.execute_batch("BEGIN IMMEDIATE")?;
    let written = (|| -> Result<()> {
        // Deletions first: a delete may make FTS5 write out what it holds in memory.
        for p in pending.iter().filter(|p| p.op == 1 && p.id <= upto) {
            search
                .prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")?
                .execute([-p.id])?;
        }
        // Rows stored below the mark as it was (above it, the rows read by the mark have
        // them, now or in a later cycle).
        let mut late: Vec<&StoredRow> = pending
            .iter()
            .filter(|p| p.op == 0 && p.id <= marks.upto)
            .filter_map(|p| p.row.as_ref())
            .collect();
        late.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
        // Newest first: ascending FTS5 rowids (the negated ids), so that FTS5 keeps the
        // whole cycle in one buffer (it writes out a segment when a rowid is not above
        // the last one of the transaction). Rows by the mark are above every late one.
        for row in rows.iter().rev().chain(late) {
            let (id, conv, user_id, nick, text, kind) = row;
            // Reactions are shown on their message, never found by search.
            if *kind != crate::model::Kind::Reaction.code() {
                let mut stmt = search.prepare_cached(
                    "INSERT INTO messages_fts(rowid, text, scope) VALUES (?1, ?2, ?3)",
                )?;
                stmt.execute(rusqlite::params![
                    -id,
                    index::user_tokens(*user_id, text),
                    index::scope(*user_id, *conv, nick)
                ])?;
            }
        }
        let mut set = search.prepare_cached("UPDATE meta SET value = ?2 WHERE key = ?1")?;
        set.execute(rusqlite::params!["upto", upto])?;
        set.execute(rusqlite::params!["done", done])?;
        Ok(())
    })();
    match written.and_then(|()| Ok(search.execute_batch("COMMIT")?)) {
        Ok(()) => Ok((Marks { upto, done }, more, read)),
        Err(e) => {
            let _ = search.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
