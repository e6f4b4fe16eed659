//! WAL checkpoints off the commit path (SQLite only).
//!
//! By default SQLite checkpoints inside the `COMMIT` that takes the WAL past 1000 pages:
//! the writer thread then copies pages into the database file and fsyncs it while every
//! queued append waits. At 10 M messages that was 16 % of the writer's time during an
//! import (BENCHMARKS.md, "Issue 22, store: profiles"). Instead a thread of its own, with
//! its own connection, runs `PRAGMA wal_checkpoint(PASSIVE)` after commits, at most every
//! [`INTERVAL`] (at once again while it is behind): it never takes the write lock, so appends go on meanwhile, and a page
//! written by many commits in between is copied once.
//!
//! The writer keeps SQLite's automatic checkpoint as a backstop, at [`BACKSTOP_PAGES`]:
//! under a sustained import this thread may never catch up with the newest frame, and
//! the WAL only starts over after a checkpoint that did; the writer's own one then finds
//! almost everything copied already, so it is short.

use super::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

/// The least time between two checkpoints of this thread. Each costs two fsyncs; with
/// `synchronous = NORMAL` (the default, see `--fsync`) it is also when the WAL reaches
/// the disk, so a power loss may cost the last second of lines, as with InnoDB's
/// `innodb_flush_log_at_trx_commit = 2`. At 200 msg/s four a second were 6 % of the
/// daemon's CPU (BENCHMARKS.md, issue 22).
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);
/// The writer's own automatic checkpoint (pages of WAL, 4 KiB each): 64 MiB, the size the
/// WAL file is cut back to (`journal_size_limit`).
pub(crate) const BACKSTOP_PAGES: u32 = 16384;

/// The writer's side: [`Checkpointer::committed`] after each commit.
pub(crate) struct Checkpointer {
    tx: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to `path`. It ends when the writer drops
    /// its [`Checkpointer`].
    pub(crate) fn start(path: &Path) -> Result<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // A checkpoint only reads the WAL and writes the database file: no page cache.
        conn.execute_batch("PRAGMA cache_size = -256")?;
        let (tx, rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(conn, rx))
            .map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Checkpointer { tx })
    }

    /// Something was committed: a checkpoint is due (at most one waits).
    pub(crate) fn committed(&self) {
        let _ = self.tx.try_send(());
    }
}

fn run(conn: Connection, rx: Receiver<()>) {
    let mut last = Instant::now();
    // The last checkpoint copied every frame there was: the next one may wait.
    let mut caught_up = true;
    while rx.recv().is_ok() {
        if caught_up {
            let wait = (last + INTERVAL).saturating_duration_since(Instant::now());
            std::thread::sleep(wait);
        }
        // Commits made while it slept are covered by this checkpoint.
        match rx.try_recv() {
            Ok(()) | Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {}
        }
        last = Instant::now();
        let started = Instant::now();
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        }) {
            Ok((log, done)) => {
                // Behind a busy writer (an import): go on at once, so that the writer's
                // backstop finds little left to copy.
                caught_up = done >= log;
                tracing::trace!(
                    log,
                    done,
                    ms = started.elapsed().as_millis() as u64,
                    "store: checkpoint"
                );
            }
            Err(e) => {
                caught_up = true;
                tracing::debug!(error = %e, "store: checkpoint failed, will retry");
            }
        }
    }
}
