//! Appending messages: the conversation key of each line (created when missing), its id
//! (next live id, or placed by its time for a replayed line, see [`place`]), msgid dedupe,
//! the search index for lines below the indexer's mark, notifications and unread counts,
//! all inside the writer's transaction.

use super::db::params;
use super::rows::{cid, entry_from_row, first_id_at, ENTRY_COLS, ID_SHIFT};
use super::writer::Ctx;
use super::{index, Error, Result, Store};
use crate::model::{Conversation, Entry, Kind, MessageId, NewEntry};
use std::collections::HashMap;

/// The result of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The stored message: the new one, or for a duplicate the one stored before.
    pub entry: Entry,
    /// The conversation already had a message with this msgid; nothing was stored.
    pub duplicate: bool,
}

impl Store {
    /// Stores one message; answers once it is committed. A message whose msgid the
    /// conversation already has is not stored again: `duplicate` is set and the stored one
    /// returned. The conversation is created (with defaults) if missing; the connection must
    /// exist ([`Error::NotFound`]). Fails with [`Error::Full`] on a full disk.
    pub async fn append(&self, entry: NewEntry) -> Result<Appended> {
        let mut out = self.append_many(vec![entry]).await?;
        out.pop()
            .ok_or(Error::Write("append returned nothing".into()))
    }

    /// Stores messages in order, all or none (one savepoint).
    pub async fn append_many(&self, entries: Vec<NewEntry>) -> Result<Vec<Appended>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        self.reserve().await?.append(entries).await
    }
}

/// The conversation key for an append, creating the conversation if needed. Known keys
/// are looked up without allocating (a lookup per stored row).
fn resolve_cid(ctx: &mut Ctx, e: &NewEntry) -> Result<i64> {
    let known = ctx
        .cids
        .get(&e.user_id.0)
        .and_then(|m| m.get(e.connection_id.as_str()))
        .and_then(|m| m.get(e.conversation_id.as_str()));
    if let Some(cid) = known {
        return Ok(*cid);
    }
    let cid = match cid(&ctx.conn, e.user_id, &e.connection_id, &e.conversation_id)? {
        Some(cid) => cid,
        None => {
            let conv = Conversation::new(
                e.user_id,
                &e.connection_id,
                &e.conversation_id,
                &e.conversation_id,
            );
            super::chat::insert_conversation(&ctx.conn, &conv)?
        }
    };
    ctx.cids
        .entry(e.user_id.0)
        .or_default()
        .entry(e.connection_id.clone())
        .or_default()
        .insert(e.conversation_id.clone(), cid);
    Ok(cid)
}

/// The id of a replayed line (`backfill`) stored at `time`: after every id already given
/// in that millisecond (arrival order breaks ties), so it sorts among the stored lines by
/// time. A line from the future is placed at the present. `None` when the millisecond and
/// the next 63 are full (then the line is placed like a live one). Only ids of this
/// writer's slot are taken (see `Ctx::own_id`), so daemons sharing a database never pick
/// the same one.
fn place(ctx: &Ctx, time: i64) -> Result<Option<i64>> {
    let slot = 1i64 << ID_SHIFT;
    let mut lo = first_id_at(time);
    for _ in 0..64 {
        let max: Option<i64> = ctx.conn.value(
            "SELECT max(id) FROM messages WHERE id >= ?1 AND id < ?2",
            params![lo, lo + slot],
        )?;
        let next = ctx.own_id(max.map_or(lo, |m| m + 1));
        if next < lo + slot {
            return Ok(Some(next));
        }
        lo += slot;
    }
    Ok(None)
}

pub(crate) fn append_rows(ctx: &mut Ctx, entries: Vec<NewEntry>) -> Result<Vec<Appended>> {
    // Lines placed by time look for free ids among the stored rows: row by row.
    let batched = entries.len() > 1 && !entries.iter().any(|e| e.backfill);
    if batched && ctx.conn.engine() == super::db::Engine::Postgres {
        return append_rows_pg(ctx, entries);
    }
    // unread and highlight increments per conversation, applied once per job
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    // Rows below the indexer's mark, indexed now: (id, cid, position in `out`).
    let mut inline = Vec::new();
    for e in entries {
        let cid = resolve_cid(ctx, &e)?;
        let id = match e.backfill {
            true => place(ctx, e.time)?.unwrap_or_else(|| ctx.next_live_id()),
            false => ctx.next_live_id(),
        };
        let insert = "INSERT INTO messages \
             (id, conv, user_id, time, kind, nick, source, text, msgid, account, highlight, reply_to) \
             VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12) ON CONFLICT DO NOTHING";
        let inserted = ctx.conn.execute(
            insert,
            params![
                cid,
                e.user_id.0,
                e.time,
                e.kind.code(),
                e.from,
                e.source,
                e.text,
                e.msgid,
                e.account,
                e.highlight,
                id,
                e.reply_to
            ],
        )?;
        if inserted == 0 {
            out.push(stored_before(ctx, cid, &e)?);
            continue;
        }
        ctx.inserted(id);
        if e.kind != Kind::Reaction && ctx.index_with_row(id) {
            inline.push((id, cid, out.len()));
        }
        if e.highlight {
            ctx.conn.execute(
                "INSERT INTO notifications (message_id, user_id) VALUES (?1, ?2)",
                params![id, e.user_id.0],
            )?;
        }
        let c = counts.entry(cid).or_default();
        c.0 += i64::from(e.kind.counts_as_unread());
        c.1 += i64::from(e.highlight);
        out.push(Appended {
            entry: Entry::from_new(MessageId(id), e),
            duplicate: false,
        });
    }
    if !inline.is_empty() {
        let mut rows: Vec<_> = inline
            .into_iter()
            .map(|(id, cid, at)| {
                let e = &out[at].entry;
                (id, cid, e.user_id.0, e.from.as_str(), e.text.as_str())
            })
            .collect();
        index::index_with_rows(ctx, &mut rows)?;
    }
    add_counts(ctx, counts)?;
    Ok(out)
}

/// [`append_rows`] on PostgreSQL for more than one live row: every message row, index row and
/// notification of the job in one statement each (`unnest` of arrays), instead of a
/// network round trip per row and table. Same ids, dedupe and counts as row by row.
fn append_rows_pg(ctx: &mut Ctx, entries: Vec<NewEntry>) -> Result<Vec<Appended>> {
    let n = entries.len();
    let mut cids = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for e in &entries {
        cids.push(resolve_cid(ctx, e)?);
        let id = ctx.next_live_id();
        // The next live id comes after this one, stored or not (ids are never reused).
        ctx.given(id);
        ids.push(id);
    }
    let col = |f: fn(&NewEntry) -> Option<String>| entries.iter().map(f).collect::<Vec<_>>();
    let user_ids: Vec<i64> = entries.iter().map(|e| e.user_id.0).collect();
    let times: Vec<i64> = entries.iter().map(|e| e.time).collect();
    let kinds: Vec<i64> = entries.iter().map(|e| e.kind.code()).collect();
    let nicks: Vec<&str> = entries.iter().map(|e| e.from.as_str()).collect();
    let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
    let highlights: Vec<bool> = entries.iter().map(|e| e.highlight).collect();
    let (sources, msgids) = (col(|e| e.source.clone()), col(|e| e.msgid.clone()));
    let (accounts, replies) = (col(|e| e.account.clone()), col(|e| e.reply_to.clone()));
    let stored: std::collections::HashSet<i64> = ctx
        .conn
        .pg_ids(
            "INSERT INTO messages \
             (id, conv, user_id, time, kind, nick, source, text, msgid, account, highlight, reply_to) \
             SELECT * FROM unnest(?1::bigint[], ?2::bigint[], ?3::bigint[], ?4::bigint[], \
             ?5::bigint[], ?6::text[], ?7::text[], ?8::text[], ?9::text[], ?10::text[], \
             ?11::boolean[], ?12::text[]) ON CONFLICT DO NOTHING RETURNING id",
            &[
                &ids, &cids, &user_ids, &times, &kinds, &nicks, &sources, &texts, &msgids,
                &accounts, &highlights, &replies,
            ],
        )?
        .into_iter()
        .collect();
    let mut index = Vec::new();
    let mut notes = (Vec::new(), Vec::new());
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    for ((e, id), cid) in entries.into_iter().zip(ids).zip(cids) {
        if !stored.contains(&id) {
            out.push(stored_before(ctx, cid, &e)?);
            continue;
        }
        ctx.inserted(id);
        if e.kind != Kind::Reaction {
            index.push((id, cid, e.user_id.0, e.from.clone(), e.text.clone()));
        }
        if e.highlight {
            notes.0.push(id);
            notes.1.push(e.user_id.0);
        }
        let c = counts.entry(cid).or_default();
        c.0 += i64::from(e.kind.counts_as_unread());
        c.1 += i64::from(e.highlight);
        out.push(Appended {
            entry: Entry::from_new(MessageId(id), e),
            duplicate: false,
        });
    }
    index::index_many_pg(&ctx.conn, &index)?;
    if !notes.0.is_empty() {
        ctx.conn.pg_ids(
            "INSERT INTO notifications (message_id, user_id) \
             SELECT * FROM unnest(?1::bigint[], ?2::bigint[]) RETURNING message_id",
            &[&notes.0, &notes.1],
        )?;
    }
    add_counts(ctx, counts)?;
    Ok(out)
}

/// The message a duplicate's msgid already names in its conversation.
fn stored_before(ctx: &Ctx, cid: i64, e: &NewEntry) -> Result<Appended> {
    let sql = format!("SELECT {ENTRY_COLS} FROM messages m WHERE conv = ?1 AND msgid = ?2");
    let entry = ctx.conn.query_row(&sql, params![cid, e.msgid], |r| {
        entry_from_row(r, e.connection_id.clone(), e.conversation_id.clone())
    })?;
    Ok(Appended {
        entry,
        duplicate: true,
    })
}

/// Adds a job's unread and highlight increments, once per conversation.
fn add_counts(ctx: &Ctx, counts: HashMap<i64, (i64, i64)>) -> Result<()> {
    for (cid, (unread, highlights)) in counts {
        if unread > 0 || highlights > 0 {
            ctx.conn.execute(
                "UPDATE conversations SET unread = unread + ?2, highlights = highlights + ?3 \
                 WHERE cid = ?1",
                params![cid, unread, highlights],
            )?;
        }
    }
    Ok(())
}
