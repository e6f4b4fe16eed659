//! Opening the read-write connection: checks, pragmas and migrations.
//!
//! Migrations are an ordered list applied by `PRAGMA user_version`, each in its own
//! transaction: version N means migrations 1..=N have run. Never edit a shipped migration.

use super::{corrupt_or, Error, Options, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// Migration N is `MIGRATIONS[N - 1]`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_base.sql"),
    include_str!("migrations/002_search.sql"),
    include_str!("migrations/003_search_scope.sql"),
    include_str!("migrations/004_retention.sql"),
    include_str!("migrations/005_ordered_ids.sql"),
    include_str!("migrations/006_imports.sql"),
    include_str!("migrations/007_files.sql"),
    include_str!("migrations/008_api_tokens.sql"),
    include_str!("migrations/009_session_devices.sql"),
    include_str!("migrations/010_replies.sql"),
    include_str!("migrations/011_sign_ins.sql"),
    include_str!("migrations/012_push.sql"),
    include_str!("migrations/013_fts_newest_first.sql"),
    include_str!("migrations/014_no_autoincrement.sql"),
    include_str!("migrations/015_fts_user_terms.sql"),
    include_str!("migrations/016_search_file.sql"),
];

/// The schema version this code writes.
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Plans that do not depend on bound values (SQLite's query planner stability guarantee).
/// Without it, a statement whose `LIMIT` or `OFFSET` is a bound parameter is parsed and
/// planned again on every run (the bundled SQLite 3.50 plans with the bound value and marks the
/// statement to re-prepare when it changes): every history page, search and indexer
/// chunk, 4 % of a history page's CPU (BENCHMARKS.md, issue 22). Our indexes decide the
/// plans, not the values (no `ANALYZE` statistics are kept).
pub(crate) fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

pub(crate) fn open_writer(path: &Path, opts: &Options) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| corrupt_or(path, e))?;
    // Reading the header is what detects a file that is not a database; do it before any
    // pragma that could write (journal_mode) so such a file is left untouched.
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| corrupt_or(path, e))?;
    if found > VERSION {
        return Err(Error::TooNew {
            path: path.to_owned(),
            found,
            known: VERSION,
        });
    }
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| corrupt_or(path, e))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| corrupt_or(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            detail: format!("cannot use WAL mode (got {mode})"),
        });
    }
    let sync = if opts.synchronous_full {
        "FULL"
    } else {
        "NORMAL"
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync};
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -{};
         PRAGMA journal_size_limit = 67108864;",
        opts.cache_kib
    ))
    .map_err(|e| corrupt_or(path, e))?;
    conn.set_prepared_statement_cache_capacity(64);
    stable_plans(&conn).map_err(|e| corrupt_or(path, e))?;
    // Migration 14 edits the schema's text (writable_schema), which defensive mode forbids;
    // the bundled SQLite has it off, this makes sure of it.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, false)
        .map_err(|e| corrupt_or(path, e))?;
    migrate(&conn, found).map_err(|e| match e {
        Error::Sqlite(e) => corrupt_or(path, e),
        other => other,
    })?;
    Ok(conn)
}

/// Applies migrations after `from`, each in its own transaction.
pub(crate) fn migrate(conn: &Connection, from: i64) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from.max(0) as usize) {
        let version = i as i64 + 1;
        // Some migrations rewrite every message (005: ≈ 15 s per million): say so first.
        tracing::info!(version, "store: migrating database schema");
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = conn
            .execute_batch(sql)
            .and_then(|()| conn.pragma_update(None, "user_version", version))
            .and_then(|()| conn.execute_batch("COMMIT"));
        if let Err(e) = result {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        tracing::info!(version, "store: migrated database schema");
    }
    Ok(())
}
