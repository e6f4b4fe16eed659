//! Messages: append (with msgid dedupe), history pages, resume after an id, notifications,
//! `/clear history` and retention.
//!
//! **The message id is the order of the record.** Ids are `(unix ms << ID_SHIFT) + n`. A
//! live line gets the next id after every id given so far (`Ctx::next_live_id`), so lines
//! keep the order they were queued in — per connection, the order the server sent them;
//! the writer runs jobs in queue order, see [`super::Reserved`]. A line that arrives late
//! (`NewEntry::backfill`: a chathistory replay, an import) gets the next free id of the
//! millisecond it was said (`append::place`), so it sorts among the stored lines by its time,
//! arrival order breaking ties. Paging, search (the FTS rowid is the negated id),
//! notifications and unread counts all order by id: one total order without ties, exact
//! keyset pages (`id < x` / `id > x`) that neither skip nor repeat, and no second sort key
//! to index.
//! A time cursor is first resolved to the first message at or after that time (index
//! `(conv, time)`), then paging continues by id.

use super::db::{params, Conn, Optional};
use super::rows::{cid, entry_from_row, joined_entry, recount, ENTRY_COLS, ENTRY_LEN};
use super::{index, Error, Result, Store};
use crate::model::{Conversation, Entry, MessageId, Notification, UserId};

/// Where a history page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Id(MessageId),
    /// Unix ms: resolved to the first message at or after this time.
    Time(i64),
}

/// Which messages a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The newest messages.
    Latest,
    /// Messages older than the cursor (exclusive).
    Before(Cursor),
    /// Messages newer than an id cursor (exclusive), or at/after a time cursor.
    After(Cursor),
    /// Up to `limit / 2` messages older than the cursor, and the cursor's message and
    /// newer ones for the rest.
    Around(Cursor),
}

/// A history page request. `limit` is clamped to 1..=200; default 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub at: At,
    pub limit: usize,
}

impl Page {
    pub const DEFAULT_LIMIT: usize = 60;
    pub const MAX_LIMIT: usize = 200;

    pub fn latest() -> Page {
        Page::new(At::Latest)
    }
    pub fn before(c: Cursor) -> Page {
        Page::new(At::Before(c))
    }
    pub fn after(c: Cursor) -> Page {
        Page::new(At::After(c))
    }
    pub fn around(c: Cursor) -> Page {
        Page::new(At::Around(c))
    }
    pub fn new(at: At) -> Page {
        Page {
            at,
            limit: Page::DEFAULT_LIMIT,
        }
    }
    pub fn limit(self, limit: usize) -> Page {
        Page { limit, ..self }
    }
}

/// A page of a conversation's history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub messages: Vec<Entry>,
    /// Nothing more in the paging direction (older for `Latest`/`Before`, newer for
    /// `After`, both for `Around`).
    pub end: bool,
    /// Nothing older than the first message returned.
    pub oldest: bool,
    /// Nothing newer than the last message returned.
    pub newest: bool,
}

impl Store {
    /// A page of one conversation's history. [`Error::NotFound`] if the user has no such
    /// conversation.
    pub async fn history(
        &self,
        user_id: UserId,
        connection_id: &str,
        conversation_id: &str,
        page: Page,
    ) -> Result<History> {
        let (conn_id, conv_id) = (connection_id.to_owned(), conversation_id.to_owned());
        self.read(move |conn| {
            let cid =
                cid(conn, user_id, &conn_id, &conv_id)?.ok_or(Error::NotFound("conversation"))?;
            history(conn, cid, &conn_id, &conv_id, page)
        })
        .await
    }

    /// The user's messages with id > `after`, in all conversations, oldest first, at most
    /// `limit` (clamped to 1..=1000): what a reconnecting browser missed.
    pub async fn messages_after_id(
        &self,
        user_id: UserId,
        after: MessageId,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {ENTRY_COLS}, c.connection_id, c.id FROM messages m \
                 JOIN conversations c ON c.cid = m.conv \
                 WHERE m.id > ?2 AND m.user_id = ?1 ORDER BY m.id LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let limit = limit.clamp(1, 1000) as i64;
            let rows = stmt.query_map(params![user_id.0, after.0, limit], joined_entry)?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// The user's highlighted messages, newest first, older than `before` if given.
    pub async fn notifications(
        &self,
        user_id: UserId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Notification>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {ENTRY_COLS}, c.connection_id, c.id, n.read FROM notifications n \
                 JOIN messages m ON m.id = n.message_id JOIN conversations c ON c.cid = m.conv \
                 WHERE n.user_id = ?1 AND n.message_id < ?2 ORDER BY n.message_id DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let before = before.map_or(i64::MAX, |id| id.0);
            let limit = limit.clamp(1, Page::MAX_LIMIT) as i64;
            let rows = stmt.query_map(params![user_id.0, before, limit], |r| {
                Ok(Notification {
                    entry: joined_entry(r)?,
                    read: r.get(ENTRY_LEN + 2)?,
                })
            })?;
            rows.collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(&self, user_id: UserId) -> Result<u64> {
        self.unread_notifications_upto(user_id, None).await
    }

    /// [`Store::unread_notifications`] among messages up to `upto` (all if `None`).
    pub async fn unread_notifications_upto(
        &self,
        user_id: UserId,
        upto: Option<MessageId>,
    ) -> Result<u64> {
        self.read(move |conn| {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM notifications \
                 WHERE user_id = ?1 AND read = FALSE AND message_id <= ?2",
                params![user_id.0, upto.map_or(i64::MAX, |id| id.0)],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    /// Marks the user's notifications up to `upto` (all if `None`) read; returns how many
    /// changed.
    pub async fn mark_notifications_read(
        &self,
        user_id: UserId,
        upto: Option<MessageId>,
    ) -> Result<u64> {
        self.write(0, move |ctx| {
            let n = ctx.conn.execute(
                "UPDATE notifications SET read = TRUE WHERE user_id = ?1 AND message_id <= ?2 AND read = FALSE",
                params![user_id.0, upto.map_or(i64::MAX, |id| id.0)],
            )?;
            Ok(n as u64)
        })
        .await
    }

    /// Sets the conversation's last-read marker, marks the user's notifications of the
    /// conversation up to it read, and recounts its unread and highlight counts; returns
    /// the updated conversation.
    pub async fn set_last_read(
        &self,
        user_id: UserId,
        connection_id: &str,
        conversation_id: &str,
        last_read: MessageId,
    ) -> Result<Conversation> {
        let (conn_id, conv_id) = (connection_id.to_owned(), conversation_id.to_owned());
        self.write(0, move |ctx| {
            let cid = cid(&ctx.conn, user_id, &conn_id, &conv_id)?
                .ok_or(Error::NotFound("conversation"))?;
            ctx.conn.execute(
                "UPDATE conversations SET last_read = ?2 WHERE cid = ?1",
                params![cid, last_read.0],
            )?;
            // Mentions read in the conversation are read in the notification list too.
            ctx.conn
                .prepare_cached(
                    "UPDATE notifications SET read = TRUE WHERE user_id = ?1 AND read = FALSE \
                     AND message_id IN (SELECT id FROM messages WHERE conv = ?2 AND id <= ?3)",
                )?
                .execute(params![user_id.0, cid, last_read.0])?;
            recount(&ctx.conn, cid)?;
            super::chat::conversation_by_cid(&ctx.conn, cid)
        })
        .await
    }

    /// For a read marker at server time `time` (ms): the newest message of the
    /// conversation after `after` that was said at or before `time`, if any. Looks at most
    /// at the 100 000 messages after `after`.
    pub async fn read_marker_id(
        &self,
        user_id: UserId,
        connection_id: &str,
        conversation_id: &str,
        after: MessageId,
        time: i64,
    ) -> Result<Option<MessageId>> {
        let (conn_id, conv_id) = (connection_id.to_owned(), conversation_id.to_owned());
        self.read(move |conn| {
            let Some(cid) = cid(conn, user_id, &conn_id, &conv_id)? else {
                return Ok(None);
            };
            let id: Option<i64> = conn
                .prepare_cached(
                    "SELECT max(id) FROM (SELECT id, time FROM messages \
                     WHERE conv = ?1 AND id > ?2 ORDER BY id LIMIT 100000) AS page WHERE time <= ?3",
                )?
                .query_row(params![cid, after.0, time], |r| r.get(0))?;
            Ok(id.map(MessageId))
        })
        .await
    }

    /// When a message of the user was said (server time, ms), if it exists.
    pub async fn message_time(&self, user_id: UserId, id: MessageId) -> Result<Option<i64>> {
        self.read(move |conn| {
            conn.prepare_cached("SELECT time FROM messages WHERE id = ?1 AND user_id = ?2")?
                .query_row(params![id.0, user_id.0], |r| r.get(0))
                .optional()
        })
        .await
    }

    /// `/clear history`: deletes every message of one conversation (the conversation stays);
    /// returns how many. Messages stored while it runs are kept.
    pub async fn clear_history(
        &self,
        user_id: UserId,
        connection_id: &str,
        conversation_id: &str,
    ) -> Result<u64> {
        let (conn_id, conv_id) = (connection_id.to_owned(), conversation_id.to_owned());
        let (cid, upto) = self
            .read(move |conn| {
                let cid = cid(conn, user_id, &conn_id, &conv_id)?
                    .ok_or(Error::NotFound("conversation"))?;
                let upto: Option<i64> =
                    conn.query_row("SELECT max(id) FROM messages WHERE conv = ?1", [cid], |r| {
                        r.get(0)
                    })?;
                Ok((cid, upto.unwrap_or(0)))
            })
            .await?;
        self.delete_chunked(cid, "id <= ?2", upto).await
    }

    /// Retention: deletes the user's messages older than `cutoff` (unix ms), on one
    /// connection or all; returns how many. Off unless the caller runs it.
    pub async fn delete_messages_before(
        &self,
        user_id: UserId,
        connection_id: Option<&str>,
        cutoff: i64,
    ) -> Result<u64> {
        let conn_id = connection_id.map(str::to_owned);
        let cids = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT cid FROM conversations WHERE user_id = ?1 \
                     AND (CAST(?2 AS TEXT) IS NULL OR connection_id = ?2)",
                )?;
                let rows =
                    stmt.query_map(params![user_id.0, conn_id], |r| r.get::<usize, i64>(0))?;
                rows.collect::<Result<Vec<_>>>()
            })
            .await?;
        let mut total = 0;
        for cid in cids {
            total += self.delete_chunked(cid, "time < ?2", cutoff).await?;
        }
        Ok(total)
    }

    /// Applies every connection's retention setting as of `now` (unix ms): deletes the
    /// messages older than its `retention_days`; returns how many. The daemon runs it hourly.
    pub async fn apply_retention(&self, now: i64) -> Result<u64> {
        let policies = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT user_id, id, retention_days FROM connections WHERE retention_days > 0",
                )?;
                let rows = stmt.query_map(params![], |r| {
                    Ok((
                        UserId(r.get(0)?),
                        r.get::<usize, String>(1)?,
                        r.get::<usize, i64>(2)?,
                    ))
                })?;
                rows.collect::<Result<Vec<_>>>()
            })
            .await?;
        let mut total = 0;
        for (user_id, connection_id, days) in policies {
            let cutoff = now.saturating_sub(days.saturating_mul(86_400_000));
            total += self
                .delete_messages_before(user_id, Some(&connection_id), cutoff)
                .await?;
        }
        Ok(total)
    }

    /// Deletes the messages of conversation `cid` matching `cond` (`?1` = cid, `?2` = arg)
    /// in chunks, so that appends are not held up for long; then recounts unread.
    async fn delete_chunked(&self, cid: i64, cond: &'static str, arg: i64) -> Result<u64> {
        const CHUNK: i64 = 5000;
        let mut total = 0;
        loop {
            let (n, more) = self
                .write(0, move |ctx| {
                    let select = format!(
                        "SELECT id FROM messages WHERE conv = ?1 AND {cond} ORDER BY id LIMIT {CHUNK}"
                    );
                    let upto: Option<i64> = ctx.conn.query_row(
                        &format!("SELECT max(id) FROM ({select}) AS chunk"),
                        params![cid, arg],
                        |r| r.get(0),
                    )?;
                    let Some(upto) = upto else {
                        recount(&ctx.conn, cid)?;
                        return Ok((0, false));
                    };
                    let chunk = format!("conv = ?1 AND {cond} AND id <= {upto}");
                    index::unindex_where(ctx, &chunk, &[&cid, &arg])?;
                    let n = ctx.conn.execute(
                        &format!("DELETE FROM messages WHERE {chunk}"),
                        params![cid, arg],
                    )?;
                    let more = n as i64 >= CHUNK;
                    if !more {
                        recount(&ctx.conn, cid)?;
                    }
                    Ok((n as u64, more))
                })
                .await?;
            total += n;
            if !more {
                return Ok(total);
            }
        }
    }
}

/// Up to `n` messages with id < `below`, oldest first, and whether older ones exist.
fn older(
    conn: &Conn,
    cid: i64,
    below: i64,
    n: usize,
    ids: (&str, &str),
) -> Result<(Vec<Entry>, bool)> {
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM messages m WHERE conv = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params![cid, below, n as i64 + 1], |r| {
            entry_from_row(r, ids.0.to_owned(), ids.1.to_owned())
        })?
        .collect::<Result<Vec<_>>>()?;
    let more = rows.len() > n;
    rows.truncate(n);
    rows.reverse();
    Ok((rows, more))
}

/// Up to `n` messages with id >= `from`, oldest first, and whether newer ones exist.
fn newer(
    conn: &Conn,
    cid: i64,
    from: i64,
    n: usize,
    ids: (&str, &str),
) -> Result<(Vec<Entry>, bool)> {
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM messages m WHERE conv = ?1 AND id >= ?2 ORDER BY id LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt
        .query_map(params![cid, from, n as i64 + 1], |r| {
            entry_from_row(r, ids.0.to_owned(), ids.1.to_owned())
        })?
        .collect::<Result<Vec<_>>>()?;
    let more = rows.len() > n;
    rows.truncate(n);
    Ok((rows, more))
}

fn exists(conn: &Conn, cid: i64, cond: &str, id: i64) -> Result<bool> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM messages WHERE conv = ?1 AND id {cond} ?2)");
    conn.prepare_cached(&sql)?
        .query_row(params![cid, id], |r| r.get(0))
}

/// The id a cursor stands for: an id as is; a time as the first message at or after it
/// (or past the end if none).
fn resolve(conn: &Conn, cid: i64, cursor: Cursor) -> Result<i64> {
    match cursor {
        Cursor::Id(id) => Ok(id.0),
        Cursor::Time(t) => {
            let id: Option<i64> = conn
                .prepare_cached(
                    "SELECT id FROM messages WHERE conv = ?1 AND time >= ?2 ORDER BY time, id LIMIT 1",
                )?
                .query_row(params![cid, t], |r| r.get(0))
                .optional()?;
            Ok(id.unwrap_or(i64::MAX))
        }
    }
}

fn history(conn: &Conn, cid: i64, conn_id: &str, conv_id: &str, page: Page) -> Result<History> {
    let n = page.limit.clamp(1, Page::MAX_LIMIT);
    let ids = (conn_id, conv_id);
    let (messages, oldest, newest, end) = match page.at {
        At::Latest => {
            let (m, more) = older(conn, cid, i64::MAX, n, ids)?;
            (m, !more, true, !more)
        }
        At::Before(c) => {
            let below = resolve(conn, cid, c)?;
            let (m, more) = older(conn, cid, below, n, ids)?;
            let last = m.last().map_or(below - 1, |e| e.id.0);
            let newest = !exists(conn, cid, ">", last)?;
            (m, !more, newest, !more)
        }
        At::After(c) => {
            let from = match c {
                Cursor::Id(id) => id.0.saturating_add(1),
                Cursor::Time(_) => resolve(conn, cid, c)?,
            };
            let (m, more) = newer(conn, cid, from, n, ids)?;
            let first = m.first().map_or(from, |e| e.id.0);
            let oldest = !exists(conn, cid, "<", first)?;
            (m, oldest, !more, !more)
        }
        At::Around(c) => {
            let at = resolve(conn, cid, c)?;
            let (mut m, more_old) = older(conn, cid, at, n / 2, ids)?;
            let (new, more_new) = newer(conn, cid, at, n - m.len(), ids)?;
            let oldest = !more_old;
            m.extend(new);
            (m, oldest, !more_new, oldest && !more_new)
        }
    };
    Ok(History {
        messages,
        end,
        oldest,
        newest,
    })
}
