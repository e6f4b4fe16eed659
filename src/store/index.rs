//! The full-text index (FTS5, contentless) and how it is kept: the text as indexed
//! ([`fts_text`]: unspaced scripts one character per token), the `scope` column of filter
//! terms ([`nick_token`]), deferred indexing in chunks with its high-water mark, indexing
//! one replayed line at once, and removing entries before their rows go. Why it is shaped
//! this way is told in `search.rs`, which queries it.

use super::Result;
use rusqlite::{params, Connection};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Scripts written without spaces between words: indexed one character per token.
fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F      // Thai
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables (particles attach to words)
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B..
}

/// The text as indexed (and as queried): characters of unspaced scripts become separate
/// tokens, so a word inside `東京都に住んでいます` is found as the phrase `東 京`.
pub(crate) fn fts_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unspaced_script) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if is_unspaced_script(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `u<user>n<hex of the ASCII-lowercased nick>`: one user's lines from one nick.
pub(crate) fn nick_token(user_id: i64, nick: &str) -> String {
    let mut t = String::with_capacity(24 + nick.len() * 2);
    let _ = write!(t, "u{user_id}n");
    for b in nick.to_ascii_lowercase().bytes() {
        let _ = write!(t, "{b:02x}");
    }
    t
}

fn scope(user_id: i64, conv: i64, nick: &str) -> String {
    if nick.is_empty() {
        format!("u{user_id} c{conv}")
    } else {
        format!("u{user_id} c{conv} {}", nick_token(user_id, nick))
    }
}

/// The highest message id known to be indexed.
pub(crate) fn indexed_upto(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'fts_indexed_upto'",
        [],
        |r| r.get(0),
    )
}

/// Indexes up to `limit` messages after `upto` in one transaction; returns the new mark
/// and how many messages it indexed. `max_id` is the highest committed message id (rows
/// between may have been deleted).
pub(crate) fn index_chunk(
    conn: &Connection,
    upto: i64,
    max_id: i64,
    limit: usize,
) -> Result<(i64, usize)> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<(i64, usize)> {
        let mut select = conn.prepare_cached(
            "SELECT id, conv, user_id, nick, text, kind FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let mut insert = conn
            .prepare_cached("INSERT INTO messages_fts(rowid, text, scope) VALUES (?1, ?2, ?3)")?;
        let mut rows = select.query(params![upto, limit as i64])?;
        let (mut last, mut n) = (upto, 0usize);
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let conv: i64 = row.get(1)?;
            let user_id: i64 = row.get(2)?;
            let nick: String = row.get(3)?;
            let text: String = row.get(4)?;
            // Reactions are shown on their message, never found by search.
            if row.get::<_, i64>(5)? != crate::model::Kind::Reaction.code() {
                insert.execute(params![id, fts_text(&text), scope(user_id, conv, &nick)])?;
            }
            last = id;
            n += 1;
        }
        let new_upto = if n < limit { max_id.max(last) } else { last };
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'fts_indexed_upto'",
            [new_upto],
        )?;
        Ok((new_upto, n))
    })();
    match result {
        Ok(upto) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(upto),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Indexes one message now, inside the caller's transaction: for a message stored below
/// the indexer's mark (a replayed line placed by its time), which the deferred sweep of
/// newer ids would never reach.
pub(crate) fn index_one(
    conn: &Connection,
    id: i64,
    conv: i64,
    user_id: i64,
    nick: &str,
    text: &str,
) -> Result<()> {
    conn.prepare_cached("INSERT INTO messages_fts(rowid, text, scope) VALUES (?1, ?2, ?3)")?
        .execute(params![id, fts_text(text), scope(user_id, conv, nick)])?;
    Ok(())
}

/// Removes the index entries of the messages selected by `where_sql` (a condition on the
/// `messages` table, with `?1`.. bound to `params`). Call before deleting those rows.
pub(crate) fn unindex_where(
    conn: &Connection,
    fts_upto: i64,
    where_sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<()> {
    let sql = format!(
        "DELETE FROM messages_fts WHERE rowid IN \
         (SELECT id FROM messages WHERE ({where_sql}) AND id <= {fts_upto})"
    );
    conn.execute(&sql, params)?;
    Ok(())
}
