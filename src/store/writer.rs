//! The writer thread: the only read-write connection, group commit, deferred indexing.
//!
//! Loop: wait for a job; take every job already queued (up to `max_batch_rows` message
//! rows); run them in one `BEGIN IMMEDIATE` transaction, each inside a savepoint; `COMMIT`;
//! then answer every job. No artificial linger: while one commit runs, the next batch
//! gathers in the channel, so batches grow with load and a lone message is committed at once.
//! A failed commit (disk full, I/O error) fails that batch only; the thread keeps going and
//! the next batch tries again.
//!
//! The writer's context sits behind a lock, so that a lone live append meeting an idle
//! writer with nothing queued is committed on the caller's thread instead (SQLite,
//! [`run_inline`]): the same `run_batch`, the same ids, without handing the line to this
//! thread and the acknowledgment back.
//!
//! Between batches the thread indexes stored messages into the search index (see
//! `index.rs`): when `index_batch` rows wait or the oldest waited `index_delay`.

use super::db::{params, Conn, Engine};
use super::rows::first_id_at;
use super::{index, Error, Options, Result, Store};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, OwnedSemaphorePermit};

/// Answers a job with the result of its transaction's commit.
type Done = Box<dyn FnOnce(Result<()>) + Send>;
/// Runs a job (or, given an error, fails it unrun); `true` if it succeeded.
type Run = Box<dyn FnOnce(Result<&mut Ctx>) -> (bool, Done) + Send>;

pub(crate) enum Job {
    Write {
        rows: usize,
        run: Run,
        _permit: OwnedSemaphorePermit,
    },
    /// Index everything stored so far, then answer.
    IndexAll(oneshot::Sender<Result<()>>),
    /// Nothing to run: a commit made on another thread (see [`run_inline`]) left
    /// messages to index, and the thread may be waiting without a deadline.
    Wake,
}

impl Job {
    pub(crate) fn new<T, F>(
        rows: usize,
        permit: OwnedSemaphorePermit,
        f: F,
        tx: oneshot::Sender<Result<T>>,
    ) -> Job
    where
        T: Send + 'static,
        F: FnOnce(&mut Ctx) -> Result<T> + Send + 'static,
    {
        let run: Run = Box::new(move |ctx| {
            let result = ctx.and_then(f);
            let ok = result.is_ok();
            let done: Done = Box::new(move |commit: Result<()>| {
                let _ = tx.send(commit.and(result));
            });
            (ok, done)
        });
        Job::Write {
            rows,
            run,
            _permit: permit,
        }
    }
}

/// What jobs get: the connection plus caches that live as long as the thread.
pub(crate) struct Ctx {
    pub(crate) conn: Conn,
    /// (user, connection, conversation) → conversations.cid. Cleared on any rollback.
    pub(crate) cids: HashMap<(i64, String, String), i64>,
    /// Highest message id ever committed (ids are not reused, even after deletes).
    max_id: i64,
    /// Highest message id given by the open transaction.
    batch_max_id: i64,
    /// The id `meta.max_message_id` holds, a little ahead of `max_id`.
    reserved_id: i64,
    /// Every message with id <= this is in the search index.
    pub(crate) fts_upto: i64,
    /// Committed messages above `fts_upto`, waiting for the indexer.
    unindexed: usize,
    /// Messages above `fts_upto` inserted by the open transaction.
    batch_unindexed: usize,
    /// Message rows inserted by the open transaction (for `convos_messages_stored`).
    batch_inserted: u64,
    /// When the oldest unindexed message was committed.
    pending_since: Option<Instant>,
    /// Message ids given are `≡ id_slot (mod id_stride)`: several daemons on one
    /// database each have a slot (see `store::cluster`); alone, 0 and 1.
    id_slot: i64,
    id_stride: i64,
    /// Told of every commit (SQLite): checkpoints run off this thread.
    pub(crate) checkpointer: Option<super::checkpoint::Checkpointer>,
}

impl Ctx {
    pub(crate) fn new(conn: Conn, opts: &Options) -> Result<Ctx> {
        // Room for every hot statement of the writer (appends, indexing, its own BEGIN,
        // SAVEPOINT, RELEASE and COMMIT), so none is parsed again.
        if let Some(c) = conn.lite() {
            c.set_prepared_statement_cache_capacity(64);
        }
        // The high-water mark of ids given is kept in `meta` (see `run_batch`), so ids of
        // deleted rows are not given again; before migration 14 SQLite's AUTOINCREMENT
        // sequence kept it.
        let max_id: i64 = match conn.engine() {
            Engine::Sqlite => conn.value(
                "SELECT max(coalesce((SELECT max(id) FROM messages), 0), \
                 coalesce((SELECT value FROM meta WHERE key = 'max_message_id'), 0), \
                 coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))",
                params![],
            )?,
            Engine::Postgres => conn.value(
                "SELECT greatest(coalesce((SELECT max(id) FROM messages), 0), \
                 coalesce((SELECT value FROM meta WHERE key = 'max_message_id'), 0))",
                params![],
            )?,
        };
        let mut fts_upto = index::indexed_upto(&conn)?;
        if conn.engine() == Engine::Postgres {
            // PostgreSQL indexes each message in the transaction that stores it (GIN's
            // pending list batches the work): several daemons append at once, and a
            // shared deferred mark would skip lines another daemon committed below it.
            // What an older version left unindexed is caught up first (idempotent).
            if fts_upto < i64::MAX {
                while fts_upto < max_id {
                    let chunk = opts.index_chunk.max(1);
                    fts_upto = index::index_chunk(&conn, fts_upto, max_id, chunk)?.0;
                }
                conn.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'fts_indexed_upto'",
                    params![i64::MAX],
                )?;
            }
            fts_upto = i64::MAX;
        }
        let unindexed: i64 = conn.value(
            "SELECT count(*) FROM messages WHERE id > ?1",
            params![fts_upto],
        )?;
        // Messages stored but not indexed before a crash: catch up right away.
        let pending_since = (unindexed > 0).then(|| {
            let now = Instant::now();
            now.checked_sub(opts.index_delay).unwrap_or(now)
        });
        Ok(Ctx {
            conn,
            cids: HashMap::new(),
            max_id,
            batch_max_id: max_id,
            reserved_id: max_id,
            fts_upto,
            unindexed: unindexed as usize,
            batch_unindexed: 0,
            batch_inserted: 0,
            pending_since,
            id_slot: 0,
            id_stride: 1,
            checkpointer: None,
        })
    }

    /// Gives ids `≡ slot (mod stride)` from now on, above `floor`.
    pub(crate) fn set_id_slot(&mut self, slot: i64, stride: i64, floor: i64) {
        self.id_stride = stride.max(1);
        self.id_slot = slot.rem_euclid(self.id_stride);
        self.raise_id_floor(floor);
    }

    /// Makes the next live id greater than `floor`.
    pub(crate) fn raise_id_floor(&mut self, floor: i64) {
        self.batch_max_id = self.batch_max_id.max(floor);
    }

    /// The smallest id `>= id` this writer may give (its slot).
    pub(crate) fn own_id(&self, id: i64) -> i64 {
        id + (self.id_slot - id).rem_euclid(self.id_stride)
    }

    /// The id for a live message: after every id given so far, so live messages keep the
    /// order they were queued in, and at least the first id of the current millisecond,
    /// so lines replayed later fall between them by time (see `messages::place`).
    pub(crate) fn next_live_id(&self) -> i64 {
        self.own_id(first_id_at(super::now_ms()).max(self.batch_max_id + 1))
    }

    /// Records that `id` was given (the next live id comes after it).
    pub(crate) fn given(&mut self, id: i64) {
        self.batch_max_id = self.batch_max_id.max(id);
    }

    /// Records a message row inserted by the current job.
    pub(crate) fn inserted(&mut self, id: i64) {
        self.batch_max_id = self.batch_max_id.max(id);
        self.batch_inserted += 1;
        if id > self.fts_upto {
            self.batch_unindexed += 1;
        }
    }

    /// Committed messages wait for the indexer.
    fn index_pending(&self) -> bool {
        self.pending_since.is_some()
    }

    fn index_due_in(&self, opts: &Options) -> Option<Duration> {
        let since = self.pending_since?;
        if self.unindexed >= opts.index_batch {
            return Some(Duration::ZERO);
        }
        Some((since + opts.index_delay).saturating_duration_since(Instant::now()))
    }

    fn committed(&self) {
        if let Some(c) = &self.checkpointer {
            c.committed();
        }
    }

    fn publish_backlog(&self) {
        let n = i64::try_from(self.unindexed).unwrap_or(i64::MAX);
        crate::metrics::get().index_backlog.set(n);
    }

    fn index_chunk(&mut self, limit: usize) -> Result<()> {
        match index::index_chunk(&self.conn, self.fts_upto, self.max_id, limit) {
            Ok((upto, n)) => {
                self.committed();
                self.fts_upto = upto;
                self.unindexed = self.unindexed.saturating_sub(n);
                if upto >= self.max_id {
                    self.unindexed = 0;
                    self.pending_since = None;
                }
                self.publish_backlog();
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "store: search indexing failed, will retry");
                // Retry after the delay rather than spinning on a full disk.
                self.pending_since = Some(Instant::now());
                Err(e)
            }
        }
    }
}

/// The writer's context, shared by the writer thread and [`run_inline`]: whoever holds
/// the lock is the one writer.
pub(crate) type Shared = std::sync::Arc<std::sync::Mutex<Ctx>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Ctx> {
    // Jobs run under `catch_unwind`: a poisoned lock still guards a consistent context.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn run(shared: Shared, rx: Receiver<Job>, opts: Options) {
    let max_rows = opts.max_batch_rows.max(1);
    loop {
        let due = lock(&shared).index_due_in(&opts);
        let first = match due {
            Some(wait) if wait.is_zero() => {
                let _ = lock(&shared).index_chunk(opts.index_chunk);
                match rx.try_recv() {
                    Ok(job) => job,
                    Err(_) => continue,
                }
            }
            Some(wait) => match rx.recv_timeout(wait) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        let mut batch = Vec::new();
        let mut rows = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::IndexAll(reply) => {
                    let mut ctx = lock(&shared);
                    run_batch(&mut ctx, std::mem::take(&mut batch));
                    rows = 0;
                    let _ = reply.send(index_all(&mut ctx, &opts));
                }
                Job::Wake => {}
                Job::Write { rows: n, .. } => {
                    rows += n.max(1);
                    batch.push(job);
                }
            }
            if rows < max_rows {
                next = rx.try_recv().ok();
            }
        }
        run_batch(&mut lock(&shared), batch);
    }
}

/// Commits `job` on the calling thread when the writer is idle and nothing is queued
/// before it (`only_job` is asked under the writer's lock); else hands it back to be
/// queued. A lone line then costs no handover to the writer thread and back (two thread
/// wake-ups, the largest item of the live path's profile: BENCHMARKS.md, issue 22). The
/// order of the record is kept: ids are given under the same lock, and a job is only run
/// here when no other job is queued or running.
pub(crate) fn run_inline(
    shared: &Shared,
    job: Job,
    only_job: impl FnOnce() -> bool,
    wake: impl FnOnce(Job),
) -> Option<Job> {
    let mut ctx = match shared.try_lock() {
        Ok(ctx) => ctx,
        Err(_) => return Some(job),
    };
    if !only_job() {
        return Some(job);
    }
    let was_pending = ctx.index_pending();
    run_batch(&mut ctx, vec![job]);
    let wake_indexer = !was_pending && ctx.index_pending();
    drop(ctx);
    if wake_indexer {
        wake(Job::Wake);
    }
    None
}

fn index_all(ctx: &mut Ctx, opts: &Options) -> Result<()> {
    while ctx.fts_upto < ctx.max_id {
        ctx.index_chunk(opts.index_chunk)?;
    }
    Ok(())
}

fn run_batch(ctx: &mut Ctx, batch: Vec<Job>) {
    if batch.is_empty() {
        return;
    }
    let started = Instant::now();
    let metrics = crate::metrics::get();
    // A lone job needs no savepoint: if it fails, the whole transaction is rolled back.
    let lone = batch.len() == 1;
    if let Err(e) = ctx.conn.begin() {
        metrics.store_commit_failures.inc();
        tracing::warn!(error = %e, "store: cannot begin a write transaction");
        for job in batch {
            if let Job::Write { run, .. } = job {
                run(Err(e.for_batch())).1(Ok(()));
            }
        }
        return;
    }
    let mut dones: Vec<Done> = Vec::with_capacity(batch.len());
    for job in batch {
        let Job::Write { run, _permit, .. } = job else {
            continue;
        };
        let before = (ctx.batch_max_id, ctx.batch_unindexed, ctx.batch_inserted);
        if !lone {
            if let Err(e) = ctx.conn.control("SAVEPOINT job") {
                run(Err(e)).1(Ok(()));
                continue;
            }
        }
        match catch_unwind(AssertUnwindSafe(|| run(Ok(&mut *ctx)))) {
            Ok((true, done)) => {
                if !lone {
                    let _ = ctx.conn.control("RELEASE job");
                }
                dones.push(done);
            }
            outcome => {
                if lone {
                    let _ = ctx.conn.control("ROLLBACK");
                } else {
                    let _ = ctx.conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
                ctx.cids.clear();
                (ctx.batch_max_id, ctx.batch_unindexed, ctx.batch_inserted) = before;
                match outcome {
                    // The job's own error reaches its caller; the batch goes on.
                    Ok((false, done)) => done(Ok(())),
                    _ => tracing::error!("store: a write job panicked; it was rolled back"),
                }
                if lone {
                    return;
                }
            }
        }
    }
    // The highest id ever given is remembered by the `meta` row, reserved two seconds of
    // ids ahead so it is written about once a second rather than by every commit (on
    // SQLite, AUTOINCREMENT rewrote its sequence row, a WAL page, in every commit until
    // migration 14; on PostgreSQL daemons sharing the database would queue on that one
    // row). A restart starts after the reservation.
    let reserve = ctx.batch_max_id + (2_000 << super::rows::ID_SHIFT);
    let reserved = ctx.batch_max_id > ctx.reserved_id;
    let mark = match reserved {
        true => ctx
            .conn
            .execute(
                "UPDATE meta SET value = ?1 WHERE key = 'max_message_id' AND value < ?1",
                params![reserve],
            )
            .map(|_| ()),
        false => Ok(()),
    };
    let committed = mark.and_then(|()| ctx.conn.control("COMMIT"));
    metrics
        .store_commit_seconds
        .observe(started.elapsed().as_secs_f64());
    match committed {
        Ok(()) => {
            ctx.committed();
            ctx.max_id = ctx.max_id.max(ctx.batch_max_id);
            if reserved {
                ctx.reserved_id = reserve;
            }
            metrics
                .messages_stored
                .inc_by(std::mem::take(&mut ctx.batch_inserted));
            if ctx.batch_unindexed > 0 {
                ctx.unindexed += std::mem::take(&mut ctx.batch_unindexed);
                if ctx.pending_since.is_none() {
                    ctx.pending_since = Some(Instant::now());
                }
                ctx.publish_backlog();
            }
            for done in dones {
                done(Ok(()));
            }
        }
        Err(e) => {
            if !ctx.conn.is_autocommit() {
                let _ = ctx.conn.execute_batch("ROLLBACK");
            }
            ctx.cids.clear();
            ctx.batch_max_id = ctx.max_id;
            ctx.batch_unindexed = 0;
            ctx.batch_inserted = 0;
            metrics.store_commit_failures.inc();
            tracing::warn!(error = %e, jobs = dones.len(), "store: commit failed");
            for done in dones {
                done(Err(e.for_batch()));
            }
        }
    }
}

impl Store {
    /// Makes every stored message searchable now (tests, after an import).
    pub async fn index_pending(&self) -> Result<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner
            .jobs
            .send(Job::IndexAll(tx))
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}
