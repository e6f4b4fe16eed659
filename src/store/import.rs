//! Imports (`convos import`): accounts, connections and conversations created only when
//! missing, message batches stored in the same job as how far each source has been taken
//! (`import_marks`, migration 6), read state set once a conversation is complete, and a
//! read-only look at a database for dry runs.
//!
//! Must not: parse the old servers' files (that is `crate::import`), or overwrite what a
//! user already has: an import only adds.

use super::append::append_rows;
use super::chat::{conversation_by_cid, insert_conversation, state_column, CONNECTION_COLS};
use super::db::{params, Conn, Optional};
use super::rows::{cid, recount};
use super::{schema, Error, Reserved, Result, Store};
use crate::model::{Connection, Conversation, NewEntry, Secret, User, UserId};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// An account to create from an old server's user.
#[derive(Debug, Clone)]
pub struct ImportUser {
    /// Normalised (lowercase) e-mail.
    pub email: String,
    /// The old server's hash as is (bcrypt or argon2 PHC); `account` verifies it at login
    /// and replaces it with ours then.
    pub password_hash: Secret,
    pub admin: bool,
    pub highlight_keywords: Vec<String>,
    /// Registration time, unix ms.
    pub created_at: i64,
}

/// How far one source has been imported: stored with the messages it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// e.g. `convos:alice@example.com/irc-libera/2019/03/#convos.log`.
    pub source: String,
    pub user_id: UserId,
    /// Lines consumed (a file) or the highest row id taken (a database).
    pub upto: i64,
}

/// The read state an imported conversation gets once all its messages are stored. The
/// marker only moves forward: what the user read since an earlier import stays read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadState {
    /// Everything imported is read.
    All,
    /// The newest `n` messages that count as unread are unread.
    Unread(u64),
    /// Read up to this time (unix ms), inclusive.
    At(i64),
}

/// What a dry run needs to know about an existing database.
#[derive(Debug, Default)]
pub struct Peek {
    /// Every import mark, by source.
    pub marks: HashMap<String, i64>,
    /// E-mails of the existing users, lowercase.
    pub emails: HashSet<String>,
}

impl Store {
    /// Creates the user unless one with this e-mail (any case) exists; returns the user
    /// and whether it was created. An existing user is left as it is.
    pub async fn import_user(&self, u: ImportUser) -> Result<(User, bool)> {
        let keywords = serde_json::to_string(&u.highlight_keywords)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let email = u.email.trim().to_owned();
        if email.is_empty() {
            return Err(Error::Invalid("email is empty".into()));
        }
        self.write(0, move |ctx| {
            let created = ctx.conn.execute(
                "INSERT INTO users (email, password_hash, admin, highlight_keywords, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![
                    email,
                    u.password_hash.expose(),
                    u.admin,
                    keywords,
                    u.created_at
                ],
            )? > 0;
            let sql = format!(
                "SELECT {} FROM users WHERE {}",
                super::accounts::USER_COLS,
                super::accounts::email_is(&ctx.conn)
            );
            let user = ctx
                .conn
                .query_row(&sql, [&email], super::accounts::user_from_row)?;
            Ok((user, created))
        })
        .await
    }

    /// Stores the connection unless the user already has one with its id; `true` if stored.
    pub async fn import_connection(&self, c: Connection) -> Result<bool> {
        let commands: Vec<&str> = c.on_connect_commands.iter().map(Secret::expose).collect();
        let commands =
            serde_json::to_string(&commands).map_err(|e| Error::Invalid(e.to_string()))?;
        self.write(0, move |ctx| {
            Ok(ctx.conn.execute(
                &format!(
                    "INSERT INTO connections ({CONNECTION_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (user_id, id) DO NOTHING"
                ),
                params![
                    c.user_id.0,
                    c.id,
                    c.url.expose(),
                    c.nick,
                    commands,
                    c.wanted_state.as_str(),
                    state_column(&c),
                    i64::from(c.retention_days)
                ],
            )? > 0)
        })
        .await
    }

    /// Creates the conversation (name, kind, key, topic, wanted, frozen from `c`) unless it
    /// exists; `true` if created. [`Error::NotFound`] if the connection is missing.
    pub async fn import_conversation(&self, c: Conversation) -> Result<bool> {
        self.write(0, move |ctx| {
            if cid(&ctx.conn, c.user_id, &c.connection_id, &c.id)?.is_some() {
                return Ok(false);
            }
            insert_conversation(&ctx.conn, &c)?;
            Ok(true)
        })
        .await
    }

    /// Every import mark, by source.
    pub async fn import_marks(&self) -> Result<HashMap<String, i64>> {
        self.read(marks).await
    }

    /// Sets an imported conversation's read state (never moving the marker back), marks
    /// its notifications up to the marker read, and recounts its unread messages.
    pub async fn finish_import(
        &self,
        user_id: UserId,
        connection_id: &str,
        conversation_id: &str,
        state: ReadState,
    ) -> Result<Conversation> {
        let (conn_id, conv_id) = (connection_id.to_owned(), conversation_id.to_owned());
        self.write(0, move |ctx| {
            let cid = cid(&ctx.conn, user_id, &conn_id, &conv_id)?
                .ok_or(Error::NotFound("conversation"))?;
            let c = &ctx.conn;
            let read: Option<i64> = match state {
                ReadState::All => {
                    c.query_row("SELECT max(id) FROM messages WHERE conv = ?1", [cid], |r| {
                        r.get(0)
                    })?
                }
                ReadState::Unread(n) => c
                    .query_row(
                        "SELECT id FROM messages WHERE conv = ?1 AND kind <= 2 \
                         ORDER BY id DESC LIMIT 1 OFFSET ?2",
                        params![cid, i64::try_from(n).unwrap_or(i64::MAX)],
                        |r| r.get(0),
                    )
                    .optional()?,
                ReadState::At(ms) => c
                    .query_row(
                        "SELECT id FROM messages WHERE conv = ?1 AND time <= ?2 \
                         ORDER BY time DESC, id DESC LIMIT 1",
                        params![cid, ms],
                        |r| r.get(0),
                    )
                    .optional()?,
            };
            if let Some(read) = read {
                c.execute(
                    "UPDATE conversations SET last_read = CASE WHEN last_read > ?2 THEN last_read ELSE ?2 END WHERE cid = ?1",
                    params![cid, read],
                )?;
            }
            let last_read: i64 = c.query_row(
                "SELECT last_read FROM conversations WHERE cid = ?1",
                [cid],
                |r| r.get(0),
            )?;
            c.prepare_cached(
                "UPDATE notifications SET read = TRUE WHERE user_id = ?1 AND read = FALSE \
                 AND message_id IN (SELECT id FROM messages WHERE conv = ?2 AND id <= ?3)",
            )?
            .execute(params![user_id.0, cid, last_read])?;
            recount(c, cid)?;
            conversation_by_cid(c, cid)
        })
        .await
    }
}

impl Reserved {
    /// Queues imported messages (placed by their time, see `NewEntry::backfill`) and the
    /// marks of the sources they come from as one job: both are stored or neither. The
    /// future answers how many messages were stored once committed.
    pub fn import(
        self,
        entries: Vec<NewEntry>,
        marks: Vec<Mark>,
    ) -> impl std::future::Future<Output = Result<usize>> + Send + 'static {
        self.write(entries.len(), move |ctx| {
            let stored = append_rows(ctx, entries)?
                .iter()
                .filter(|a| !a.duplicate)
                .count();
            let mut stmt = ctx.conn.prepare_cached(
                "INSERT INTO import_marks (source, user_id, upto) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (source) DO UPDATE SET upto = \
                 CASE WHEN excluded.upto > import_marks.upto THEN excluded.upto ELSE import_marks.upto END",
            )?;
            for m in marks {
                stmt.execute(params![m.source, m.user_id.0, m.upto])?;
            }
            Ok(stored)
        })
    }
}

fn marks(conn: &Conn) -> Result<HashMap<String, i64>> {
    let mut stmt = conn.prepare_cached("SELECT source, upto FROM import_marks")?;
    let rows = stmt.query_map(params![], |r| {
        Ok((r.get::<usize, String>(0)?, r.get::<usize, i64>(1)?))
    })?;
    rows.collect::<Result<HashMap<_, _>>>()
}

/// Reads the PostgreSQL store at `url` without changing anything (no migration): `None`
/// when it holds no store yet.
pub fn peek_postgres(url: &str) -> Result<Option<Peek>> {
    let target = super::pgsql::Target::parse(url)?;
    let client = target.connect(1)?.pop().ok_or(Error::Closed)?;
    let conn = Conn::Pg(super::db::PgConn::new(client));
    let made: bool = conn.value("SELECT to_regclass('convos_schema') IS NOT NULL", params![])?;
    if !made {
        return Ok(None);
    }
    let version: i64 = conn.value(
        "SELECT coalesce(max(version), 0) FROM convos_schema",
        params![],
    )?;
    if version == 0 {
        return Ok(None);
    }
    let known = super::pgsql::MIGRATIONS.len() as i64;
    if version > known {
        return Err(Error::TooNew {
            path: target.shown.clone().into(),
            found: version,
            known,
        });
    }
    let mut stmt = conn.prepare_cached("SELECT email FROM users")?;
    let emails = stmt
        .query_map(params![], |r| r.get::<usize, String>(0))?
        .map(|e| e.map(|e| e.to_lowercase()))
        .collect::<Result<_>>()?;
    drop(stmt);
    Ok(Some(Peek {
        marks: marks(&conn)?,
        emails,
    }))
}

/// Reads `dir/convos.db` without changing anything (no migration, no WAL checkpoint):
/// `None` when there is no database yet.
pub fn peek(dir: &Path) -> Result<Option<Peek>> {
    let path = dir.join(super::FILE_NAME);
    if !path.is_file() {
        return Ok(None);
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(&path, flags)
        .map_err(|e| super::corrupt_or(&path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| super::corrupt_or(&path, e))?;
    if version > schema::VERSION {
        return Err(Error::TooNew {
            path,
            found: version,
            known: schema::VERSION,
        });
    }
    let mut peek = Peek::default();
    if version == 0 {
        return Ok(Some(peek));
    }
    let conn = Conn::Lite(conn);
    let mut stmt = conn.prepare_cached("SELECT email FROM users")?;
    peek.emails = stmt
        .query_map(params![], |r| r.get::<usize, String>(0))?
        .map(|e| e.map(|e| e.to_lowercase()))
        .collect::<Result<_>>()?;
    if version >= 6 {
        peek.marks = marks(&conn)?;
    }
    Ok(Some(peek))
}
