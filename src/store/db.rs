//! One connection type over the two engines the store runs on: SQLite (`rusqlite`, the
//! default) and PostgreSQL (`postgres`, synchronous, used from the writer thread and the
//! readers' blocking threads exactly like SQLite).
//!
//! The store's SQL is written once for both where the two dialects agree (almost all of it:
//! `?N` placeholders, `ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`, `coalesce`), and per engine
//! where they do not (schema, full-text search, `BEGIN IMMEDIATE`, backups). Placeholders are
//! rewritten to PostgreSQL's `$N` once per statement, and each connection keeps its prepared
//! statements, so a hot query is parsed once per connection on either engine.
//!
//! Why not sqlx or diesel: the store's shape (one writer thread with group commit, blocking
//! readers, SQLite's FTS5) is built on rusqlite's synchronous API; this keeps it and adds
//! PostgreSQL behind the same few calls, without rewriting the SQLite path.

use super::{Error, Result};
use std::cell::RefCell;
use std::collections::HashMap;

/// A value bound to a statement: anything both drivers can bind. Integers are `i64`
/// (`BIGINT` on PostgreSQL), flags `bool` (`BOOLEAN`), text `String`/`&str`, bytes `Vec<u8>`.
pub(crate) trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}
impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync + ?Sized> Param for T {}

/// A value read from a column; see [`Param`] for the types.
pub(crate) trait Col:
    rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>
{
}
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Col for T {}

/// `params![a, b]`: the parameters of a statement, bound as `?1`, `?2`, ...
macro_rules! params {
    () => { &[] as &[&dyn $crate::store::db::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param] };
}
pub(crate) use params;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// A connection: SQLite or PostgreSQL.
pub(crate) enum Conn {
    Lite(rusqlite::Connection),
    Pg(PgConn),
}

/// A PostgreSQL client and the statements it prepared (keyed by the SQL as written).
pub(crate) struct PgConn {
    /// Always `Some` until dropped.
    client: RefCell<Option<postgres::Client>>,
    stmts: RefCell<HashMap<String, postgres::Statement>>,
}

/// Statements a PostgreSQL connection keeps prepared; past this the cache starts over
/// (the store has fewer distinct statements than this, so it does not happen in practice).
const PG_STATEMENTS: usize = 256;

impl PgConn {
    pub(crate) fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client: RefCell::new(Some(client)),
            stmts: RefCell::new(HashMap::new()),
        }
    }

    fn statement(&self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.stmts.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client_mut().prepare(&pg_sql(sql))?;
        let mut stmts = self.stmts.borrow_mut();
        if stmts.len() >= PG_STATEMENTS {
            stmts.clear();
        }
        stmts.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    fn client_mut(&self) -> std::cell::RefMut<'_, postgres::Client> {
        std::cell::RefMut::map(self.client.borrow_mut(), |c| {
            c.as_mut()
                .expect("a PostgreSQL connection is used after it was dropped")
        })
    }

    fn params<'a>(p: &'a [&'a dyn Param]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
        p.iter()
            .map(|x| *x as &(dyn postgres::types::ToSql + Sync))
            .collect()
    }
}

impl Drop for PgConn {
    /// The synchronous client closes its connection by blocking on its own runtime, which
    /// panics on an async thread (where the store's last handle may be dropped): close it
    /// on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            let _ = std::thread::Builder::new()
                .name("store-pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

/// `?N` → `$N` outside quotes: the one placeholder difference between the dialects.
pub(crate) fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// A row being read; columns by index from 0.
pub(crate) enum Row<'a> {
    Lite(&'a rusqlite::Row<'a>),
    Pg(&'a postgres::Row),
}

/// A column index (only `usize`, so `r.get(0)` infers it).
pub(crate) trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    pub(crate) fn get<I: RowIndex, T: Col>(&self, i: I) -> Result<T> {
        match self {
            Row::Lite(r) => Ok(r.get(i.index())?),
            Row::Pg(r) => Ok(r.try_get(i.index())?),
        }
    }
}

/// What a statement is bound to: `params![..]` or an array of one type (`[id]`).
pub(crate) trait Params {
    fn with<R>(&self, f: impl FnOnce(&[&dyn Param]) -> R) -> R;
}
impl Params for &[&dyn Param] {
    fn with<R>(&self, f: impl FnOnce(&[&dyn Param]) -> R) -> R {
        f(self)
    }
}
impl<T: Param, const N: usize> Params for [T; N] {
    fn with<R>(&self, f: impl FnOnce(&[&dyn Param]) -> R) -> R {
        f(&self.each_ref().map(|x| x as &dyn Param))
    }
}

/// `Result<T>` → `Result<Option<T>>`: no row is `None` (as rusqlite's `optional`).
pub(crate) trait Optional<T> {
    fn optional(self) -> Result<Option<T>>;
}
impl<T> Optional<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound(NO_ROW)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What [`Error::NotFound`] names when a query that must return a row returned none.
const NO_ROW: &str = "row";

fn lite_params<'a>(p: &'a [&'a dyn Param]) -> impl rusqlite::Params + 'a {
    rusqlite::params_from_iter(p.iter().map(|x| *x as &dyn rusqlite::ToSql))
}

/// A statement of a connection, as rusqlite's `prepare_cached` gives it: each engine
/// caches the prepared statement itself.
pub(crate) struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    pub(crate) fn execute(&mut self, p: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, p)
    }

    pub(crate) fn query_row<T>(
        &mut self,
        p: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, p, f)
    }

    /// Every row read by `f`, collected (`.collect::<Result<Vec<_>>>()` as with rusqlite).
    pub(crate) fn query_map<T>(
        &mut self,
        p: impl Params,
        f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.query_vec(&self.sql, p, f)?;
        Ok(rows.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
    }
}

impl Conn {
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Conn::Lite(_) => Engine::Sqlite,
            Conn::Pg(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, backup, FTS5 commands).
    pub(crate) fn lite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Lite(c) => Some(c),
            Conn::Pg(_) => None,
        }
    }

    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// Runs one statement; returns the rows it changed.
    pub(crate) fn execute(&self, sql: &str, p: impl Params) -> Result<usize> {
        p.with(|p| match self {
            Conn::Lite(c) => Ok(c.prepare_cached(sql)?.execute(lite_params(p))?),
            Conn::Pg(c) => {
                let stmt = c.statement(sql)?;
                let n = c.client_mut().execute(&stmt, &PgConn::params(p))?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        })
    }

    /// PostgreSQL only: runs `sql` (with `$N` placeholders) with parameters of any type
    /// the driver binds (arrays for `unnest`), and returns the first column of each row as
    /// `i64` (a `RETURNING id`). The batched appends of `append` use it.
    pub(crate) fn pg_ids(
        &self,
        sql: &str,
        p: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<i64>> {
        match self {
            Conn::Lite(_) => Err(Error::Invalid("pg_ids on SQLite".into())),
            Conn::Pg(c) => {
                let stmt = c.statement(sql)?;
                let rows = c.client_mut().query(&stmt, p)?;
                Ok(rows.iter().map(|r| r.get::<_, i64>(0)).collect())
            }
        }
    }

    /// Prepares `sql` now (PostgreSQL; SQLite prepares when it runs), so that what runs
    /// next is only the execution.
    pub(crate) fn prepare_now(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(_) => Ok(()),
            Conn::Pg(c) => c.statement(sql).map(|_| ()),
        }
    }

    /// Runs statements without parameters or results (transaction control, DDL).
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(c) => Ok(c.client_mut().batch_execute(sql)?),
        }
    }

    /// The first row, read by `f`; `Error::NotFound("row")` when there is none (see
    /// [`Optional::optional`]).
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        p: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        p.with(|p| match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(lite_params(p))?;
                match rows.next()? {
                    Some(r) => f(&Row::Lite(r)),
                    None => Err(Error::NotFound(NO_ROW)),
                }
            }
            Conn::Pg(c) => {
                let stmt = c.statement(sql)?;
                let row = c.client_mut().query_opt(&stmt, &PgConn::params(p))?;
                match row {
                    Some(r) => f(&Row::Pg(&r)),
                    None => Err(Error::NotFound(NO_ROW)),
                }
            }
        })
    }

    /// The one value of a one-row, one-column query (`count(*)`, `EXISTS`, `max`).
    pub(crate) fn value<T: Col>(&self, sql: &str, p: impl Params) -> Result<T> {
        self.query_row(sql, p, |r| r.get(0))
    }

    /// Every row, each read by `f`.
    pub(crate) fn query_vec<T>(
        &self,
        sql: &str,
        p: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.for_each(sql, p, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `f` on every row, in order, without collecting them. `f` must not use the
    /// connection (PostgreSQL streams the rows on it).
    pub(crate) fn for_each(
        &self,
        sql: &str,
        p: impl Params,
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        p.with(|p| match self {
            Conn::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(lite_params(p))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Lite(r))?;
                }
                Ok(())
            }
            Conn::Pg(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let stmt = c.statement(sql)?;
                let mut client = c.client_mut();
                let mut rows = client.query_raw(&stmt, PgConn::params(p))?;
                while let Some(r) = rows.next()? {
                    f(&Row::Pg(&r))?;
                }
                Ok(())
            }
        })
    }

    /// Opens the writer's transaction: SQLite takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a busy database fails here and not halfway through.
    pub(crate) fn begin(&self) -> Result<()> {
        match self {
            Conn::Lite(_) => self.control("BEGIN IMMEDIATE"),
            Conn::Pg(_) => self.execute_batch("BEGIN"),
        }
    }

    /// Runs one transaction-control statement (`SAVEPOINT job`, `COMMIT`, ...); on SQLite
    /// from the statement cache, not parsed again each time (the writer runs a few per
    /// batch, issue 22).
    pub(crate) fn control(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Lite(c) => Ok(c.prepare_cached(sql)?.execute([]).map(drop)?),
            Conn::Pg(_) => self.execute_batch(sql),
        }
    }

    /// Whether no transaction is open.
    pub(crate) fn is_autocommit(&self) -> bool {
        match self {
            Conn::Lite(c) => c.is_autocommit(),
            // The writer rolls back after a failed COMMIT; PostgreSQL ends the transaction
            // itself when COMMIT fails, and a ROLLBACK then is only a warning.
            Conn::Pg(_) => false,
        }
    }

    /// Whether `e` is a violated constraint of any kind (unique, foreign key, check).
    pub(crate) fn is_constraint_violation(e: &Error) -> bool {
        use postgres::error::SqlState;
        match e {
            Error::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            Error::Postgres(e) => matches!(
                e.code(),
                Some(
                    &SqlState::UNIQUE_VIOLATION
                        | &SqlState::FOREIGN_KEY_VIOLATION
                        | &SqlState::CHECK_VIOLATION
                        | &SqlState::NOT_NULL_VIOLATION
                )
            ),
            _ => false,
        }
    }

    /// Whether `e` is a unique or primary key violation.
    pub(crate) fn is_unique_violation(e: &Error) -> bool {
        match e {
            Error::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            Error::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pg_sql;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            pg_sql("SELECT ?1, '?', x FROM t WHERE a = ?2 AND b = 'it''s ?'"),
            "SELECT $1, '?', x FROM t WHERE a = $2 AND b = 'it''s ?'"
        );
    }
}
