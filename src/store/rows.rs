//! Row helpers shared by the store's files, so none of them imports another for them:
//! how a message row reads as an [`Entry`] (`ENTRY_COLS`, `ENTRY_LEN`), a conversation's
//! key (`cid`) and its unread counts (`recount`), and message ids (`(unix ms << ID_SHIFT) + n`).
//!
//! A leaf: imports nothing else of the store but its `Result` and `db`.

use super::db::{params, Conn, Optional, Row};
use super::Result;
use crate::model::{Entry, Kind, MessageId, UserId};

/// How many columns [`ENTRY_COLS`] is: a query's own columns after it start at this index.
pub(crate) const ENTRY_LEN: usize = 11;

/// Columns read by [`entry_from_row`], from `messages m`.
pub(crate) const ENTRY_COLS: &str =
    "m.id, m.user_id, m.time, m.kind, m.nick, m.source, m.text, m.msgid, m.account, m.highlight, m.reply_to";

pub(crate) fn entry_from_row(
    r: &Row<'_>,
    connection_id: String,
    conversation_id: String,
) -> Result<Entry> {
    Ok(Entry {
        id: MessageId(r.get(0)?),
        user_id: UserId(r.get(1)?),
        connection_id,
        conversation_id,
        time: r.get(2)?,
        // A kind from a newer version reads as a server message rather than failing.
        kind: Kind::from_code(r.get(3)?).unwrap_or(Kind::Server),
        from: r.get(4)?,
        source: r.get(5)?,
        text: r.get(6)?,
        msgid: r.get(7)?,
        account: r.get(8)?,
        highlight: r.get(9)?,
        reply_to: r.get(10)?,
    })
}

pub(crate) fn joined_entry(r: &Row<'_>) -> Result<Entry> {
    let conn_id: String = r.get(ENTRY_LEN)?;
    let conv_id: String = r.get(ENTRY_LEN + 1)?;
    entry_from_row(r, conn_id, conv_id)
}

/// The conversation key, if the user has that conversation.
pub(crate) fn cid(
    conn: &Conn,
    user_id: UserId,
    connection_id: &str,
    conversation_id: &str,
) -> Result<Option<i64>> {
    conn.query_row(
        "SELECT cid FROM conversations WHERE user_id = ?1 AND connection_id = ?2 AND id = ?3",
        params![user_id.0, connection_id, conversation_id],
        |r| r.get(0),
    )
    .optional()
}

/// Recomputes unread and highlight counts after `last_read` (kind codes 0..=2 are the
/// kinds that count as unread: privmsg, action, notice).
pub(crate) fn recount(conn: &Conn, cid: i64) -> Result<()> {
    conn.execute(
        "UPDATE conversations SET \
         unread = (SELECT count(*) FROM messages m WHERE m.conv = ?1 \
                   AND m.id > conversations.last_read AND m.kind <= 2), \
         highlights = (SELECT count(*) FROM messages m WHERE m.conv = ?1 \
                   AND m.id > conversations.last_read AND m.highlight = TRUE) \
         WHERE cid = ?1",
        params![cid],
    )?;
    Ok(())
}

/// Bits of a message id below its millisecond: ids are `(unix ms << ID_SHIFT) + n`, so
/// 1024 ids per millisecond before live ids run ahead of the clock, and ids stay below
/// 2^53 (exact in JavaScript) until the year 2248.
pub(crate) const ID_SHIFT: u32 = 10;

/// The unix time (ms) a message id was given at.
pub fn id_time(id: MessageId) -> i64 {
    id.0 >> ID_SHIFT
}

/// The first message id of unix time `ms` (clamped to 0..=now).
pub(crate) fn first_id_at(ms: i64) -> i64 {
    ms.clamp(0, super::now_ms()) << ID_SHIFT
}
