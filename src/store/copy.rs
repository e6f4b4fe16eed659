//! `convos migrate-store`: copies every row of one store into another (SQLite → PostgreSQL),
//! keeping ids, so sessions, links, read markers and message ids stay valid.
//!
//! Resumable and idempotent: rows go in with `ON CONFLICT DO NOTHING`, messages (and their
//! notifications) in id order from the highest id the target already has, so a copy that
//! was stopped continues where it stopped. The search index is rebuilt by the target's
//! indexer from the copied rows. The source is only read.

use super::db::{params, Conn, Param, Row};
use super::{Error, Result, Store};

/// A column's type, for copying rows without knowing them.
#[derive(Clone, Copy)]
enum Ty {
    Int,
    OptInt,
    Text,
    OptText,
    Bool,
}

/// One value read from the source.
enum Val {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
}

impl Val {
    fn read(r: &Row<'_>, i: usize, ty: Ty) -> Result<Val> {
        Ok(match ty {
            Ty::Int => Val::Int(r.get(i)?),
            Ty::OptInt => Val::OptInt(r.get(i)?),
            Ty::Text => Val::Text(r.get(i)?),
            Ty::OptText => Val::OptText(r.get(i)?),
            Ty::Bool => Val::Bool(r.get(i)?),
        })
    }

    fn param(&self) -> &dyn Param {
        match self {
            Val::Int(v) => v,
            Val::OptInt(v) => v,
            Val::Text(v) => v,
            Val::OptText(v) => v,
            Val::Bool(v) => v,
        }
    }
}

use Ty::{Bool, Int, OptInt, OptText, Text};

/// The tables in an order that satisfies their foreign keys, with their columns (the
/// first is the key messages are paged by).
const TABLES: &[(&str, &[(&str, Ty)])] = &[
    (
        "users",
        &[
            ("id", Int),
            ("email", Text),
            ("password_hash", Text),
            ("admin", Bool),
            ("highlight_keywords", Text),
            ("settings", Text),
            ("created_at", Int),
        ],
    ),
    ("settings", &[("key", Text), ("value", Text)]),
    (
        "sessions",
        &[
            ("token_hash", Text),
            ("user_id", Int),
            ("expires_at", Int),
            ("created_at", Int),
            ("last_seen", Int),
            ("user_agent", Text),
            ("address", Text),
        ],
    ),
    (
        "tokens",
        &[
            ("token_hash", Text),
            ("purpose", Text),
            ("email", Text),
            ("expires_at", Int),
            ("created_at", Int),
        ],
    ),
    (
        "connections",
        &[
            ("user_id", Int),
            ("id", Text),
            ("url", Text),
            ("nick", Text),
            ("on_connect_commands", Text),
            ("wanted_state", Text),
            ("state", Text),
            ("retention_days", Int),
        ],
    ),
    (
        "conversations",
        &[
            ("cid", Int),
            ("user_id", Int),
            ("connection_id", Text),
            ("id", Text),
            ("name", Text),
            ("kind", Int),
            ("key", OptText),
            ("topic", Text),
            ("wanted", Bool),
            ("frozen", OptText),
            ("last_read", Int),
            ("unread", Int),
            ("highlights", Int),
            ("notify", Text),
        ],
    ),
    (
        "import_marks",
        &[("source", Text), ("user_id", Int), ("upto", Int)],
    ),
    (
        "files",
        &[
            ("id", Text),
            ("user_id", Int),
            ("sha256", Text),
            ("name", Text),
            ("content_type", Text),
            ("size", Int),
            ("thumbnail", Bool),
            ("created_at", Int),
        ],
    ),
    (
        "api_tokens",
        &[
            ("id", Int),
            ("user_id", Int),
            ("name", Text),
            ("token_hash", Text),
            ("scope", Text),
            ("created_at", Int),
            ("last_used_at", OptInt),
        ],
    ),
    (
        "sign_ins",
        &[
            ("user_id", Int),
            ("method", Text),
            ("provider", Text),
            ("first_at", Int),
            ("last_at", Int),
        ],
    ),
    (
        "oidc_sessions",
        &[
            ("token_hash", Text),
            ("user_id", Int),
            ("provider", Text),
            ("id_token", OptText),
            ("created_at", Int),
        ],
    ),
    (
        "push_subscriptions",
        &[
            ("id", Int),
            ("user_id", Int),
            ("endpoint", Text),
            ("p256dh", Text),
            ("auth", Text),
            ("name", Text),
            ("created_at", Int),
            ("last_used_at", OptInt),
        ],
    ),
];

const MESSAGES: &[(&str, Ty)] = &[
    ("id", Int),
    ("conv", Int),
    ("user_id", Int),
    ("time", Int),
    ("kind", Int),
    ("nick", Text),
    ("source", OptText),
    ("text", Text),
    ("msgid", OptText),
    ("account", OptText),
    ("highlight", Bool),
    ("reply_to", OptText),
];

const NOTIFICATIONS: &[(&str, Ty)] = &[("message_id", Int), ("user_id", Int), ("read", Bool)];

/// Identity columns whose sequences must move past the copied ids.
const IDENTITIES: &[(&str, &str)] = &[
    ("users", "id"),
    ("conversations", "cid"),
    ("api_tokens", "id"),
    ("push_subscriptions", "id"),
];

/// Messages per transaction.
const BATCH: i64 = 5000;

/// How far a copy is.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyProgress {
    /// Messages in the source.
    pub total: u64,
    /// Messages in the target (copied now or by an earlier run).
    pub copied: u64,
}

fn select(table: &str, cols: &[(&str, Ty)], tail: &str) -> String {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    format!("SELECT {} FROM {table} {tail}", names.join(", "))
}

fn insert(table: &str, cols: &[(&str, Ty)]) -> String {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
        names.join(", "),
        marks.join(", ")
    )
}

fn read_rows(
    conn: &Conn,
    sql: &str,
    cols: &'static [(&str, Ty)],
    p: &[&dyn Param],
) -> Result<Vec<Vec<Val>>> {
    conn.query_vec(sql, p, |r| {
        cols.iter()
            .enumerate()
            .map(|(i, (_, ty))| Val::read(r, i, *ty))
            .collect()
    })
}

fn write_rows(conn: &Conn, sql: &str, rows: &[Vec<Val>]) -> Result<()> {
    for row in rows {
        let p: Vec<&dyn Param> = row.iter().map(Val::param).collect();
        conn.execute(sql, p.as_slice())?;
    }
    Ok(())
}

impl Store {
    /// Copies every row of `self` into `target` (see the module docs); `progress` is called
    /// after each batch of messages. The target must be empty or a copy of this store
    /// begun earlier ([`Error::Conflict`] otherwise). Ends with the target's search index
    /// complete.
    pub async fn copy_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(CopyProgress) + Send,
    ) -> Result<CopyProgress> {
        // A target with users that is not our copy is someone's store: never mix.
        let (their_users, marked): (i64, i64) = target
            .read(|c| {
                Ok((
                    c.value("SELECT count(*) FROM users", params![])?,
                    c.value(
                        "SELECT count(*) FROM meta WHERE key = 'copied_from_store'",
                        params![],
                    )?,
                ))
            })
            .await?;
        if their_users > 0 && marked == 0 {
            return Err(Error::Conflict("a store with users at the target"));
        }
        target
            .write(0, |ctx| {
                ctx.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('copied_from_store', 1) \
                     ON CONFLICT DO NOTHING",
                    params![],
                )?;
                Ok(())
            })
            .await?;
        for (table, cols) in TABLES {
            let rows = self
                .read(move |c| read_rows(c, &select(table, cols, ""), cols, &[]))
                .await?;
            let mut rows = rows;
            while !rows.is_empty() {
                let chunk: Vec<Vec<Val>> = rows.drain(..rows.len().min(BATCH as usize)).collect();
                let sql = insert(table, cols);
                target
                    .write(0, move |ctx| write_rows(&ctx.conn, &sql, &chunk))
                    .await?;
            }
        }
        let total: i64 = self
            .read(|c| c.value("SELECT count(*) FROM messages", params![]))
            .await?;
        let mut from: i64 = target
            .read(|c| c.value("SELECT coalesce(max(id), 0) FROM messages", params![]))
            .await?;
        let mut copied: i64 = target
            .read(|c| c.value("SELECT count(*) FROM messages", params![]))
            .await?;
        let mut state = CopyProgress {
            total: total.max(0) as u64,
            copied: copied.max(0) as u64,
        };
        progress(state);
        loop {
            let batch = self
                .read(move |c| {
                    let msgs = read_rows(
                        c,
                        &select("messages", MESSAGES, "WHERE id > ?1 ORDER BY id LIMIT ?2"),
                        MESSAGES,
                        &[&from, &BATCH],
                    )?;
                    let last = msgs.last().map(|m| match m[0] {
                        Val::Int(id) => id,
                        _ => 0,
                    });
                    let notes = match last {
                        Some(last) => read_rows(
                            c,
                            &select(
                                "notifications",
                                NOTIFICATIONS,
                                "WHERE message_id > ?1 AND message_id <= ?2",
                            ),
                            NOTIFICATIONS,
                            &[&from, &last],
                        )?,
                        None => Vec::new(),
                    };
                    Ok((msgs, notes, last))
                })
                .await?;
            let (msgs, notes, Some(last)) = batch else {
                break;
            };
            let n = msgs.len() as i64;
            target
                .write(msgs.len(), move |ctx| {
                    write_rows(&ctx.conn, &insert("messages", MESSAGES), &msgs)?;
                    if ctx.conn.engine() == super::db::Engine::Postgres {
                        super::index::index_range(&ctx.conn, from, last)?;
                    }
                    write_rows(&ctx.conn, &insert("notifications", NOTIFICATIONS), &notes)
                })
                .await?;
            from = last;
            copied += n;
            state.copied = copied.max(0) as u64;
            progress(state);
        }
        target
            .write(0, |ctx| {
                if ctx.conn.engine() == super::db::Engine::Postgres {
                    for (table, col) in IDENTITIES {
                        ctx.conn.execute_batch(&format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), \
                             (SELECT coalesce(max({col}), 0) + 1 FROM {table}), false)"
                        ))?;
                    }
                }
                Ok(())
            })
            .await?;
        Ok(state)
    }
}
