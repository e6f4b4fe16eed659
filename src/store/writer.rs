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
//! On SQLite the search index is kept by a thread of its own (`indexer.rs`), told of every
//! commit; on PostgreSQL each message is indexed in the transaction that stores it.

use super::db::{params, Conn, Engine};
use super::indexer::Indexer;
use super::rows::first_id_at;
use super::{index, Error, Options, Result, Store};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;
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
    /// Answer once everything stored so far is in the search index.
    IndexAll(oneshot::Sender<Result<()>>),
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

/// Conversation keys by user, connection and conversation id (looked up by `&str`).
pub(crate) type Cids = HashMap<i64, HashMap<String, HashMap<String, i64>>>;

/// What jobs get: the connection plus caches that live as long as the thread.
pub(crate) struct Ctx {
    pub(crate) conn: Conn,
    /// user → connection → conversation → conversations.cid. Cleared on any rollback.
    pub(crate) cids: Cids,
    /// Highest message id ever committed (ids are not reused, even after deletes).
    max_id: i64,
    /// Highest message id given by the open transaction.
    batch_max_id: i64,
    /// The id `meta.max_message_id` holds, a little ahead of `max_id`.
    reserved_id: i64,
    /// Message rows inserted by the open transaction (for `convos_messages_stored`).
    batch_inserted: u64,
    /// `fts_pending` entries written by the open transaction (SQLite).
    batch_pending: u64,
    /// The search indexer (SQLite), told of every commit.
    pub(crate) indexer: Option<Arc<Indexer>>,
    /// `fts_pending` entries below this seq are deleted (applied by the indexer).
    pending_cleaned: i64,
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
        if conn.engine() == Engine::Postgres {
            // PostgreSQL indexes each message in the transaction that stores it (GIN's
            // pending list batches the work): several daemons append at once, and a
            // shared deferred mark would skip lines another daemon committed below it.
            // What an older version left unindexed is caught up first (idempotent).
            let mut fts_upto = index::indexed_upto(&conn)?;
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
        }
        Ok(Ctx {
            conn,
            cids: HashMap::new(),
            max_id,
            batch_max_id: max_id,
            reserved_id: max_id,
            batch_inserted: 0,
            batch_pending: 0,
            indexer: None,
            pending_cleaned: 0,
            id_slot: 0,
            id_stride: 1,
            checkpointer: None,
        })
    }

    /// The highest message id committed.
    pub(crate) fn max_id(&self) -> i64 {
        self.max_id
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
    }

    /// Whether a row stored with `id` must be indexed by its own job: always on
    /// PostgreSQL; on SQLite when `id` is not above every committed id, so that the
    /// indexer's mark may have passed it (it goes into `fts_pending`, see `indexer.rs`).
    pub(crate) fn index_with_row(&self, id: i64) -> bool {
        self.indexer.is_none() || id <= self.max_id
    }

    /// Records `n` entries written to `fts_pending` by the current job.
    pub(crate) fn pending(&mut self, n: usize) {
        self.batch_pending += n as u64;
    }

    fn committed(&self) {
        if let Some(c) = &self.checkpointer {
            c.committed();
        }
        if let Some(ix) = &self.indexer {
            ix.committed(self.batch_inserted + self.batch_pending, self.max_id);
        }
    }

    /// Deletes the `fts_pending` entries the indexer has applied, in the open transaction
    /// (the last one stays: seqs are never given again).
    fn clean_pending(&self) -> Result<Option<i64>> {
        let Some(ix) = &self.indexer else {
            return Ok(None);
        };
        let done = ix.done();
        if done <= self.pending_cleaned {
            return Ok(None);
        }
        self.conn
            .execute("DELETE FROM fts_pending WHERE seq < ?1", params![done])?;
        Ok(Some(done))
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
    let indexer = lock(&shared).indexer.clone();
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::new();
        let mut rows = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::IndexAll(reply) => {
                    let mut ctx = lock(&shared);
                    run_batch(&mut ctx, std::mem::take(&mut batch));
                    rows = 0;
                    index_all(&ctx, reply);
                }
                Job::Write { rows: n, .. } => {
                    rows += n.max(1);
                    batch.push(job);
                }
            }
            if rows < max_rows {
                next = rx.try_recv().ok();
            }
        }
        if let Some(ix) = &indexer {
            ix.wait_for_room();
        }
        run_batch(&mut lock(&shared), batch);
    }
    // The store is gone: so is its indexer.
    if let Some(ix) = &indexer {
        ix.stop();
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
) -> Option<Job> {
    let mut ctx = match shared.try_lock() {
        Ok(ctx) => ctx,
        Err(_) => return Some(job),
    };
    if !only_job() {
        return Some(job);
    }
    run_batch(&mut ctx, vec![job]);
    None
}

/// Answers `reply` once everything committed so far is in the search index: at once on
/// PostgreSQL (indexed with its rows), by the indexer on SQLite.
fn index_all(ctx: &Ctx, reply: oneshot::Sender<Result<()>>) {
    let Some(ix) = &ctx.indexer else {
        let _ = reply.send(Ok(()));
        return;
    };
    match ctx
        .conn
        .value("SELECT coalesce(max(seq), 0) FROM fts_pending", params![])
    {
        Ok(seq) => ix.wait_for(ctx.max_id, seq, reply),
        Err(e) => {
            let _ = reply.send(Err(e));
        }
    }
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
        let before = (ctx.batch_max_id, ctx.batch_pending, ctx.batch_inserted);
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
                (ctx.batch_max_id, ctx.batch_pending, ctx.batch_inserted) = before;
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
    let cleaned = mark.and_then(|()| ctx.clean_pending());
    let committed = cleaned.and_then(|cleaned| {
        ctx.conn.control("COMMIT")?;
        Ok(cleaned)
    });
    metrics
        .store_commit_seconds
        .observe(started.elapsed().as_secs_f64());
    match committed {
        Ok(cleaned) => {
            ctx.max_id = ctx.max_id.max(ctx.batch_max_id);
            ctx.committed();
            if reserved {
                ctx.reserved_id = reserve;
            }
            if let Some(seq) = cleaned {
                ctx.pending_cleaned = seq;
            }
            metrics
                .messages_stored
                .inc_by(std::mem::take(&mut ctx.batch_inserted));
            ctx.batch_pending = 0;
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
            ctx.batch_pending = 0;
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
