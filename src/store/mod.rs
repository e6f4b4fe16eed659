//! The store: one SQLite database (`convos.db` in `$CONVOS_HOME`) holding users, sessions,
//! connections, conversations, messages with their full-text index, read markers,
//! notifications, settings and the records of uploaded files. The only module that names SQLite.
//!
//! Shape:
//! - one **writer thread** owns the only read-write connection. Every write is a job sent
//!   on a channel; the thread runs the jobs it finds queued in one transaction (group
//!   commit, up to [`Options::max_batch_rows`] message rows) and answers each job only
//!   after `COMMIT` returned, so an acknowledged message is durable (WAL with
//!   `synchronous=NORMAL`: survives a process crash; with [`Options::synchronous_full`] also
//!   power loss). Each job runs in its own savepoint, so one bad job fails alone. The same
//!   thread keeps the search index in deferred batches (see `index.rs`).
//! - a small pool of **read-only connections** used through `spawn_blocking`; WAL lets them
//!   read while the writer writes.
//!
//! All public methods are `async` and never block the async threads, except [`Store::open`]
//! (startup). `Store` is a cheap handle (`Arc` inside): clone it freely.
//!
//! Must not: know IRC (casefolding is the caller's job) or HTTP; log secrets or message text.

mod accounts;
mod append;
mod chat;
mod checkpoint;
pub mod cluster;
mod copy;
pub(crate) mod db;
mod files;
pub mod import;
mod index;
mod indexer;
mod messages;
mod pgsql;
mod push;
mod rows;
mod schema;
mod search;
mod sessions;
mod sign_ins;
pub mod thelounge;
mod tokens;
mod writer;

#[cfg(test)]
mod tests;

pub use accounts::TokenPurpose;
pub use append::Appended;
pub use copy::CopyProgress;
pub use files::{Added, StoredFile};
pub use import::{ImportUser, Mark, Peek, ReadState};
pub use messages::{At, Cursor, History, Page};
pub use push::{PushSubscription, MAX_PUSH_SUBSCRIPTIONS};
pub use rows::id_time;
pub use search::{SearchQuery, SearchResult};
pub use sessions::{SessionDevice, SessionInfo, SESSION_ID_LEN};
pub use sign_ins::{OidcSession, SignIn};
pub use tokens::{ApiToken, TokenUse, MAX_API_TOKENS};

use crate::model::NewEntry;
use rusqlite::{ErrorCode, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// The database file name inside the data directory.
pub const FILE_NAME: &str = "convos.db";

/// What can go wrong. Callers branch on `NotFound`, `Conflict`, `Invalid`, `Full`,
/// `Timeout`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: cannot open database: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: not a usable convos database ({detail}); the file was left untouched", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: schema version {found} is newer than this convos knows ({known}); upgrade convos or restore a backup", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("disk full: nothing was stored")]
    Full,
    #[error("write failed, nothing was stored: {0}")]
    Write(String),
    #[error("the store is closed")]
    Closed,
    #[error("the query took too long and was stopped")]
    Timeout,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database error: {0}")]
    Postgres(postgres::Error),
    #[error("stored data does not read: {0}")]
    Decode(String),
}

impl From<postgres::Error> for Error {
    fn from(err: postgres::Error) -> Self {
        match err.code() {
            Some(&postgres::error::SqlState::DISK_FULL) => Error::Full,
            Some(&postgres::error::SqlState::QUERY_CANCELED) => Error::Timeout,
            _ => Error::Postgres(err),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Decode(err.to_string())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::Full,
            _ => Error::Sqlite(err),
        }
    }
}

impl Error {
    /// A copy of this error for each job of a batch that failed as a whole.
    fn for_batch(&self) -> Error {
        match self {
            Error::Full => Error::Full,
            Error::Closed => Error::Closed,
            other => Error::Write(other.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How to open the store. `Options::default()` is right for the daemon.
#[derive(Debug, Clone)]
pub struct Options {
    /// `synchronous=FULL`: an fsync per commit, so acknowledged messages also survive power
    /// loss. Default off (`NORMAL`: survives process crashes).
    pub synchronous_full: bool,
    /// Read-only connections in the pool.
    pub readers: usize,
    /// A commit is made when this many message rows are gathered, or earlier when the queue
    /// is empty.
    pub max_batch_rows: usize,
    /// Jobs that may wait for the writer before `append` callers wait (backpressure).
    pub queue: usize,
    /// The longest a stored message waits before it is indexed (a search makes the
    /// indexer catch up at once, see `search.rs`).
    pub index_delay: Duration,
    /// Index as soon as this many messages are waiting, without waiting for `index_delay`.
    pub index_batch: usize,
    /// The most messages indexed in one transaction; the writer waits while two chunks of
    /// stored messages are not indexed yet (SQLite), so they are searchable within a second.
    pub index_chunk: usize,
    /// SQLite page cache per connection, in KiB (memory does not grow with history).
    pub cache_kib: i64,
    /// The longest one search may run (it holds a read connection); then it is stopped.
    pub search_budget: Duration,
    /// SQLite: an append of a few lines made while the writer is idle and nothing is
    /// queued is committed on the caller's thread instead of the writer's (see
    /// `writer::run_inline`). Off, every write goes through the writer thread.
    pub inline_commit: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            synchronous_full: false,
            readers: 4,
            max_batch_rows: 2048,
            queue: 1024,
            // A search lets the indexer catch up first (`Indexer::fresh`): live lines
            // need not be indexed within a short delay, and a cycle a second costs a
            // fifth of one every 200 ms at 200 msg/s (BENCHMARKS.md, issue 22).
            index_delay: Duration::from_secs(1),
            // 16 k-row index transactions: at 10 M stored messages, imports ran at 53 k
            // msg/s where 4 k/8 k gave 49 k (fewer FTS5 segments to merge). Live traffic
            // never gathers that many within `index_delay`, so its chunks stay small.
            index_batch: 16384,
            index_chunk: 16384,
            cache_kib: 8192,
            search_budget: Duration::from_secs(2),
            inline_commit: true,
        }
    }
}

/// The handle to the database. Cheap to clone; see the module docs.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The database file, or the PostgreSQL URL without its password.
    path: PathBuf,
    /// Where more read connections come from.
    source: Source,
    opts: Options,
    jobs: std::sync::mpsc::Sender<writer::Job>,
    /// The writer's context, for appends committed on the caller's thread (SQLite with
    /// `inline_commit`); `None`: every write is queued.
    inline: Option<writer::Shared>,
    /// The search indexer (SQLite): a search first lets it catch up.
    indexer: Option<Arc<indexer::Indexer>>,
    queue: Arc<Semaphore>,
    readers: Mutex<Vec<db::Conn>>,
    read_permits: Arc<Semaphore>,
    /// Searches in flight, at most: all read connections but one.
    search_permits: Semaphore,
    /// The connection of `cluster`'s leases (PostgreSQL only), opened on first use.
    cluster: Mutex<Option<db::Conn>>,
}

enum Source {
    Sqlite,
    Postgres(Box<pgsql::Target>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (or creates) `dir/convos.db`, migrates it, and starts the writer thread.
    ///
    /// Blocking (a few ms; migrations of an old database may take longer): call it at
    /// startup. Fails with [`Error::Corrupt`] for a file that is not a readable database
    /// and [`Error::TooNew`] for one written by a newer convos; the file is never
    /// overwritten or modified in those cases.
    pub fn open(dir: &Path, opts: Options) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let conn = schema::open_writer(&path, &opts)?;
        // Checkpoints run on a thread of their own; the writer's is only the backstop.
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)?;
        let checkpointer = checkpoint::Checkpointer::start(&path)?;
        let mut ctx = writer::Ctx::new(db::Conn::Lite(conn), &opts).map_err(|e| match e {
            Error::Sqlite(e) => corrupt_or(&path, e),
            other => other,
        })?;
        ctx.checkpointer = Some(checkpointer);
        if let Some(conn) = ctx.conn.lite() {
            ctx.indexer = Some(indexer::open(dir, &path, conn, ctx.max_id(), &opts)?);
        }
        // After the indexer made `search.db`, which readers attach.
        let mut readers = Vec::with_capacity(opts.readers.max(1));
        for _ in 0..opts.readers.max(1) {
            readers.push(open_reader(&path, &opts)?);
        }
        Self::start(ctx, readers, path, Source::Sqlite, opts)
    }

    /// Opens the store on PostgreSQL at `url` (`postgres://user:pass@host/db?sslmode=…`),
    /// migrates it and starts the writer thread. Blocking, like [`Store::open`]: call it at
    /// startup. [`Error::Invalid`] for a URL that does not parse or a database that cannot
    /// be reached; [`Error::TooNew`] for a schema written by a newer convos.
    pub fn open_postgres(url: &str, opts: Options) -> Result<Store> {
        let target = pgsql::Target::parse(url)?;
        let readers_n = opts.readers.max(1);
        // The synchronous client blocks on a runtime of its own: not on an async thread.
        let (t, o) = (target.clone(), opts.clone());
        let (ctx, readers) = std::thread::spawn(move || -> Result<_> {
            let mut clients = t.connect(readers_n + 1)?;
            let mut writer = clients.pop().ok_or(Error::Closed)?;
            pgsql::migrate(&mut writer, &t.shown, &o)?;
            let readers: Vec<db::Conn> = clients
                .into_iter()
                .map(|c| db::Conn::Pg(db::PgConn::new(c)))
                .collect();
            let ctx = writer::Ctx::new(db::Conn::Pg(db::PgConn::new(writer)), &o)?;
            Ok((ctx, readers))
        })
        .join()
        .map_err(|_| Error::Write("opening the database failed".into()))??;
        let path = PathBuf::from(&target.shown);
        Self::start(ctx, readers, path, Source::Postgres(Box::new(target)), opts)
    }

    fn start(
        ctx: writer::Ctx,
        readers: Vec<db::Conn>,
        path: PathBuf,
        source: Source,
        opts: Options,
    ) -> Result<Store> {
        let (tx, rx) = std::sync::mpsc::channel();
        let wopts = opts.clone();
        // PostgreSQL's client blocks on the network: never on the caller's (async) thread.
        let inline_ok = opts.inline_commit && matches!(source, Source::Sqlite);
        let indexer = ctx.indexer.clone();
        let shared: writer::Shared = Arc::new(Mutex::new(ctx));
        let inline = inline_ok.then(|| shared.clone());
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer::run(shared, rx, wopts))
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        let inner = Inner {
            queue: Arc::new(Semaphore::new(opts.queue.max(1))),
            read_permits: Arc::new(Semaphore::new(readers.len())),
            search_permits: Semaphore::new(readers.len().saturating_sub(1).max(1)),
            readers: Mutex::new(readers),
            cluster: Mutex::new(None),
            jobs: tx,
            inline,
            indexer,
            path,
            source,
            opts,
        };
        Ok(Store {
            inner: Arc::new(inner),
        })
    }

    /// Opens the store the daemon and the command line use: PostgreSQL when `database`
    /// (`CONVOS_DATABASE`) is set, else `home/convos.db`. [`Error::Invalid`] for a
    /// `database` that is not a `postgres://` URL.
    pub fn open_configured(home: &Path, database: Option<&str>, opts: Options) -> Result<Store> {
        match database.map(str::trim).filter(|d| !d.is_empty()) {
            Some(url) if pgsql::is_url(url) => Self::open_postgres(url, opts),
            Some(_) => Err(Error::Invalid(
                "CONVOS_DATABASE must be a postgres:// URL (unset, the store is CONVOS_HOME/convos.db)"
                    .into(),
            )),
            None => Self::open(home, opts),
        }
    }

    /// Whether the store is on PostgreSQL (where several daemons may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.inner.source, Source::Postgres(_))
    }

    /// `CONVOS_DATABASE`, for the commands that open the store without the daemon's flags.
    pub fn database_from_env() -> Option<String> {
        std::env::var("CONVOS_DATABASE")
            .ok()
            .filter(|d| !d.trim().is_empty())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Write jobs queued or running (reserved places in the writer's queue).
    pub fn queue_depth(&self) -> usize {
        self.inner
            .opts
            .queue
            .max(1)
            .saturating_sub(self.inner.queue.available_permits())
    }

    /// Runs `f` on a read-only connection off the async threads.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&db::Conn) -> Result<T> + Send + 'static,
    {
        let permit = self
            .inner
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Closed)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match inner.lock_readers().pop() {
                Some(conn) => conn,
                None => inner.open_reader()?,
            };
            let result = f(&conn);
            inner.lock_readers().push(conn);
            result
        })
        .await
        .map_err(|_| Error::Write("read task failed".into()))?
    }

    /// Runs a short read (a point lookup in a small, hot table) right here on the calling
    /// thread when a read connection is idle (SQLite), else like [`Store::read`]: the
    /// hand-over to a blocking thread and back costs more than such a read.
    async fn read_small<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&db::Conn) -> Result<T> + Send + 'static,
    {
        let idle = match (
            &self.inner.source,
            self.inner.read_permits.clone().try_acquire_owned(),
        ) {
            (Source::Sqlite, Ok(permit)) => self.inner.lock_readers().pop().map(|c| (c, permit)),
            _ => None,
        };
        match idle {
            Some((conn, _permit)) => {
                let result = f(&conn);
                self.inner.lock_readers().push(conn);
                result
            }
            None => self.read(f).await,
        }
    }

    /// Waits for room in the writer's queue (backpressure) and holds it. What is written
    /// through the [`Reserved`] place is queued when that call is made, not when its
    /// future is first polled: see [`Reserved::append`].
    pub async fn reserve(&self) -> Result<Reserved> {
        let permit = self
            .inner
            .queue
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Closed)?;
        Ok(Reserved {
            store: self.clone(),
            permit,
        })
    }

    /// Runs `f` in the writer thread inside the next group-commit transaction and returns
    /// its result once that transaction has committed. `rows` is the number of message rows
    /// it adds (for batch sizing).
    async fn write<T, F>(&self, rows: usize, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx) -> Result<T> + Send + 'static,
    {
        self.reserve().await?.write(rows, f).await
    }

    /// Whether writes go through: an empty job takes the write lock and commits in the
    /// writer thread (for `/readyz`). Waits for a place in the writer's queue.
    pub async fn check_writable(&self) -> Result<()> {
        self.write(0, |_| Ok(())).await
    }

    /// Runs SQLite's `PRAGMA integrity_check` and FTS5's index check; returns the problems
    /// found (empty: healthy). Slow on a big database (reads every page): an admin tool.
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        self.write(0, |ctx| {
            let Some(conn) = ctx.conn.lite() else {
                // PostgreSQL checks its own pages; there is no FTS5 index to check.
                return Ok(Vec::new());
            };
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let mut problems = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            problems.retain(|p| p != "ok");
            if let Some(ix) = &ctx.indexer {
                if let Err(e) = indexer::check(ix.path()) {
                    problems.push(format!("search index: {e}"));
                }
            }
            Ok(problems)
        })
        .await
    }

    /// Makes a consistent copy of the database at `dest` with SQLite's online backup API,
    /// while the store keeps running. Writes `dest` through a temporary file in the same
    /// directory and renames it into place, so `dest` is never half-written.
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        let dest = dest.to_owned();
        self.read(move |conn| {
            let Some(conn) = conn.lite() else {
                return Err(Error::Invalid(
                    "the store is on PostgreSQL: back it up with pg_dump".into(),
                ));
            };
            let file_name = dest
                .file_name()
                .ok_or_else(|| Error::Invalid(format!("{}: not a file path", dest.display())))?;
            let mut tmp_name = file_name.to_owned();
            tmp_name.push(format!(".tmp-{}", std::process::id()));
            let tmp = dest.with_file_name(tmp_name);
            let io = |source| Error::Io {
                path: dest.clone(),
                source,
            };
            let result = (|| {
                let mut out = rusqlite::Connection::open(&tmp)?;
                {
                    // One step copies every page under one read transaction: a consistent
                    // snapshot that concurrent writes cannot restart.
                    let backup = rusqlite::backup::Backup::new(conn, &mut out)?;
                    backup.step(-1)?;
                }
                out.execute_batch("PRAGMA journal_mode=DELETE")?;
                out.close().map_err(|(_, e)| Error::from(e))
            })();
            if let Err(e) = result {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, &dest).map_err(io)
        })
        .await
    }
}

/// The most lines an append may hold to be committed on the caller's thread.
const INLINE_ROWS: usize = 4;

/// A place in the writer's queue, taken with [`Store::reserve`].
///
/// The writer runs jobs in the order they were queued and gives message ids in the order it
/// runs them, so queueing is where the order of stored lines is fixed: a job is queued
/// synchronously by the call that consumes this place, and the returned future only waits
/// for the commit. Callers that must keep an order (the user actor, appending lines in the
/// order its connections received them) queue from one task, one call after the other.
pub struct Reserved {
    store: Store,
    permit: OwnedSemaphorePermit,
}

impl Reserved {
    /// Queues `entries` now (stored in order, all or none) and returns a future that
    /// resolves once they are committed. See [`Store::append_many`]. A few live lines
    /// meeting an idle writer with nothing queued (SQLite) are committed right here, on
    /// the calling thread, before this returns: the future is then ready.
    pub fn append(
        self,
        entries: Vec<NewEntry>,
    ) -> impl std::future::Future<Output = Result<Vec<Appended>>> + Send + 'static {
        self.append_in(entries, false)
    }

    /// Like [`Reserved::append`]; with `flood`, always through the writer thread, even
    /// an idle one: the caller has more lines ready, which the writer gathers into one
    /// commit while this one runs.
    pub fn append_in(
        self,
        entries: Vec<NewEntry>,
        flood: bool,
    ) -> impl std::future::Future<Output = Result<Vec<Appended>>> + Send + 'static {
        // A few live lines may be committed right here (see `writer::run_inline`); bigger
        // or replayed batches, which take longer, always go to the writer thread.
        let inline = !flood && entries.len() <= INLINE_ROWS && !entries.iter().any(|e| e.backfill);
        self.queue(entries.len(), inline, move |ctx| {
            append::append_rows(ctx, entries)
        })
    }

    fn write<T, F>(
        self,
        rows: usize,
        f: F,
    ) -> impl std::future::Future<Output = Result<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx) -> Result<T> + Send + 'static,
    {
        self.queue(rows, false, f)
    }

    fn queue<T, F>(
        self,
        rows: usize,
        inline: bool,
        f: F,
    ) -> impl std::future::Future<Output = Result<T>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let inner = &self.store.inner;
        let mut job = Some(writer::Job::new(rows, self.permit, f, tx));
        if let (true, Some(shared)) = (inline, &inner.inline) {
            // Only this job's place is taken: nothing is queued or running before it.
            let only_job = || inner.queue.available_permits() + 1 >= inner.opts.queue.max(1);
            job = job.and_then(|j| writer::run_inline(shared, j, only_job));
        }
        let sent = match job {
            Some(job) => inner.jobs.send(job).map_err(|_| Error::Closed),
            None => Ok(()),
        };
        async move {
            sent?;
            rx.await
                .map_err(|_| Error::Write("the writer dropped the request".into()))?
        }
    }
}

impl Inner {
    fn open_reader(&self) -> Result<db::Conn> {
        match &self.source {
            Source::Sqlite => open_reader(&self.path, &self.opts),
            Source::Postgres(target) => {
                let client = target.connect(1)?.pop().ok_or(Error::Closed)?;
                Ok(db::Conn::Pg(db::PgConn::new(client)))
            }
        }
    }

    fn lock_readers(&self) -> std::sync::MutexGuard<'_, Vec<db::Conn>> {
        // A panic while holding this lock cannot leave the Vec half-updated.
        self.readers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open_reader(path: &Path, opts: &Options) -> Result<db::Conn> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        rusqlite::Connection::open_with_flags(path, flags).map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{};", opts.cache_kib))?;
    conn.set_prepared_statement_cache_capacity(64);
    schema::stable_plans(&conn)?;
    // The search index (`indexer.rs`), read-only like this connection: its table is named
    // by the search queries without a schema.
    let search = path.with_file_name(indexer::SEARCH_FILE);
    conn.execute("ATTACH DATABASE ?1 AS search", [search.to_string_lossy()])?;
    Ok(db::Conn::Lite(conn))
}

/// Maps errors that mean "this is not a database" to [`Error::Corrupt`] naming the file.
fn corrupt_or(path: &Path, err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        },
        _ => Error::Open {
            path: path.to_owned(),
            source: err,
        },
    }
}

pub(crate) use crate::time::now_ms;
