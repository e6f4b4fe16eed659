//! The full-text index (FTS5, contentless) and how it is kept: the text as indexed
//! ([`fts_text`]: unspaced scripts one character per token), the `scope` column of filter
//! terms ([`nick_token`]), deferred indexing in chunks with its high-water mark, indexing
//! one replayed line at once, and removing entries before their rows go. Why it is shaped
//! this way is told in `search.rs`, which queries it.

use super::db::{params, Conn, Engine, Param};
use super::writer::Ctx;
use super::Result;
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

/// How many keys users' words are spread over in SQLite's index (see [`user_tokens`]).
pub(crate) const WORD_KEYS: i64 = 32;

/// The key of a user's words: users whose ids differ by a multiple of [`WORD_KEYS`]
/// share one.
pub(crate) fn word_key(user_id: i64) -> i64 {
    user_id.rem_euclid(WORD_KEYS)
}

/// The text as SQLite's index holds it (and as it is queried): the tokens of [`fts_text`],
/// each written with the key of the user's words (`<user id mod 32>x`) in front, so up to
/// 32 users' words are terms of their own (migration 015). A phrase then walks the doclists
/// of a 32nd of the users, not everyone's: its cost follows the user's part of the
/// history, not the server's (BENCHMARKS.md, issue 22). Keys are shared past 32 users
/// because every distinct term costs the index: with a key per user, 1 000 users made
/// indexing 2.7 times slower than one index for all and the index 2.2 times larger; 32
/// keys cost 1.7 times and 1.4 times.
///
/// Words are runs of letters, digits and marks ([`is_word_char`]); characters of unspaced
/// scripts are one word each. The index's tokenizer counts the same characters as parts
/// of words (`categories 'L* N* Co M*'`), so FTS5 never splits a keyed word and leaves a
/// part without the key. Where FTS5 would join more (private-use characters), the split
/// here is applied to queries alike. The SQL checks each result's `user_id` regardless.
pub(crate) fn user_tokens(user_id: i64, text: &str) -> String {
    let mut key = String::with_capacity(12);
    let _ = write!(key, "{}x", word_key(user_id));
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut in_word = false;
    for c in text.chars() {
        if is_unspaced_script(c) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&key);
            out.push(c);
            in_word = false;
        } else if is_word_char(c) {
            if !in_word {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&key);
                in_word = true;
            }
            out.push(c);
        } else {
            in_word = false;
        }
    }
    out
}

/// Letters, digits and marks (general categories L, N and M): FTS5's word characters in the
/// index (`categories 'L* N* Co M*'`), less private use.
fn is_word_char(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup as G, UnicodeGeneralCategory};
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(c.general_category_group(), G::Letter | G::Number | G::Mark)
}

/// The text as PostgreSQL indexes it: every character that is not a letter, digit or mark
/// becomes a space, so its parser sees only words and numbers (no URLs, paths, e-mails or
/// hyphenated compounds), which splits text as FTS5's unicode61 does: `pull/42` is the
/// phrase `pull 42` on both engines.
pub(crate) fn pg_words(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || is_mark(c) {
                c
            } else {
                ' '
            }
        })
        .collect()
}

/// Combining marks (accents written as their own code point), kept with their letter.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
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

/// The filter terms of a message: its user, conversation and nick.
pub(crate) fn scope(user_id: i64, conv: i64, nick: &str) -> String {
    if nick.is_empty() {
        format!("u{user_id} c{conv}")
    } else {
        format!("u{user_id} c{conv} {}", nick_token(user_id, nick))
    }
}

/// The highest message id known to be indexed (PostgreSQL: an older version's mark).
pub(crate) fn indexed_upto(conn: &Conn) -> Result<i64> {
    conn.value(
        "SELECT value FROM meta WHERE key = 'fts_indexed_upto'",
        params![],
    )
}

/// Adds one message to PostgreSQL's index (inside the caller's transaction). SQLite's
/// index is kept by `indexer.rs`, in `search.db`.
fn insert(conn: &Conn, id: i64, conv: i64, user_id: i64, nick: &str, text: &str) -> Result<()> {
    // About the tokens of FTS5's unicode61 (the `convos` configuration: `simple`,
    // lower-cased, no stemming, after `unaccent`); the scope terms are a second vector, so
    // a word in a message never matches a filter term.
    conn.execute(
        "INSERT INTO messages_fts (id, user_id, words, scope) \
         VALUES (?1, ?2, to_tsvector('convos', ?3), to_tsvector('convos', ?4)) \
         ON CONFLICT (id) DO NOTHING",
        params![
            id,
            user_id,
            pg_words(&fts_text(text)),
            scope(user_id, conv, nick)
        ],
    )?;
    Ok(())
}

/// PostgreSQL: indexes up to `limit` messages after `upto` in one transaction (what an
/// older version left unindexed); returns the new mark and how many messages it indexed.
/// `max_id` is the highest committed message id (rows between may have been deleted).
pub(crate) fn index_chunk(
    conn: &Conn,
    upto: i64,
    max_id: i64,
    limit: usize,
) -> Result<(i64, usize)> {
    conn.begin()?;
    let result = (|| -> Result<(i64, usize)> {
        // Read first, then write: PostgreSQL cannot run a statement while another one's
        // rows are still streaming on the same connection.
        let rows = conn.query_vec(
            "SELECT id, conv, user_id, nick, text, kind FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2",
            params![upto, limit as i64],
            stored_row,
        )?;
        let n = rows.len();
        let last = rows.last().map_or(upto, |r| r.0);
        // Newest first: ascending FTS5 rowids (the negated ids), so that FTS5 keeps the
        // whole chunk in one buffer (it flushes a segment when a rowid is not above the
        // last one of the transaction).
        for (id, conv, user_id, nick, text, kind) in rows.into_iter().rev() {
            // Reactions are shown on their message, never found by search.
            if kind != crate::model::Kind::Reaction.code() {
                insert(conn, id, conv, user_id, &nick, &text)?;
            }
        }
        let new_upto = if n < limit { max_id.max(last) } else { last };
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'fts_indexed_upto'",
            params![new_upto],
        )?;
        Ok((new_upto, n))
    })();
    match result {
        Ok(upto) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(upto),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Indexes messages `(id, conv, user_id, nick, text)` on PostgreSQL in one statement,
/// inside the caller's transaction.
pub(crate) fn index_many_pg(conn: &Conn, rows: &[(i64, i64, i64, String, String)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let users: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let words: Vec<String> = rows.iter().map(|r| pg_words(&fts_text(&r.4))).collect();
    let scopes: Vec<String> = rows.iter().map(|r| scope(r.2, r.1, &r.3)).collect();
    conn.pg_ids(
        "INSERT INTO messages_fts (id, user_id, words, scope) \
         SELECT i, u, to_tsvector('convos', w), to_tsvector('convos', s) \
         FROM unnest(?1::bigint[], ?2::bigint[], ?3::text[], ?4::text[]) AS t(i, u, w, s) \
         ON CONFLICT (id) DO NOTHING RETURNING id",
        &[&ids, &users, &words, &scopes],
    )?;
    Ok(())
}

/// A stored message as the indexer reads it: id, conv, user_id, nick, text, kind.
pub(crate) type StoredRow = (i64, i64, i64, String, String, i64);

/// Reads `SELECT id, conv, user_id, nick, text, kind`.
fn stored_row(row: &super::db::Row<'_>) -> Result<StoredRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

/// Indexes the messages with ids in `(lo, hi]` inside the caller's transaction: rows a
/// copy wrote straight into a PostgreSQL store, which indexes as it stores (its
/// insert ignores ids already indexed).
pub(crate) fn index_range(conn: &Conn, lo: i64, hi: i64) -> Result<()> {
    let rows = conn.query_vec(
        "SELECT id, conv, user_id, nick, text, kind FROM messages WHERE id > ?1 AND id <= ?2",
        params![lo, hi],
        stored_row,
    )?;
    for (id, conv, user_id, nick, text, kind) in rows {
        if kind != crate::model::Kind::Reaction.code() {
            insert(conn, id, conv, user_id, &nick, &text)?;
        }
    }
    Ok(())
}

/// Indexes the rows of a job that the indexer's mark may have passed (see
/// `Ctx::index_with_row`), inside the job's transaction: on SQLite as `fts_pending` entries
/// for the indexer, on PostgreSQL into the index itself. `rows`: (id, conv, user, nick, text).
pub(crate) fn index_with_rows(
    ctx: &mut Ctx,
    rows: &mut [(i64, i64, i64, &str, &str)],
) -> Result<()> {
    match ctx.conn.engine() {
        Engine::Sqlite => {
            for row in rows.iter() {
                ctx.conn.execute(
                    "INSERT INTO fts_pending (id, op) VALUES (?1, 0)",
                    params![row.0],
                )?;
            }
            ctx.pending(rows.len());
        }
        Engine::Postgres => {
            // Newest first, as the indexer writes.
            rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
            for &mut (id, conv, user_id, nick, text) in rows {
                insert(&ctx.conn, id, conv, user_id, nick, text)?;
            }
        }
    }
    Ok(())
}

/// Takes the messages selected by `where_sql` (a condition on the `messages` table, with
/// `?1`.. bound to `params`) out of the index. Call before deleting those rows. On SQLite
/// the indexer does it, told by `fts_pending` entries (op 1).
pub(crate) fn unindex_where(ctx: &mut Ctx, where_sql: &str, params: &[&dyn Param]) -> Result<()> {
    match ctx.conn.engine() {
        Engine::Sqlite => {
            let sql = format!(
                "INSERT INTO fts_pending (id, op) SELECT id, 1 FROM messages WHERE ({where_sql})"
            );
            let n = ctx.conn.execute(&sql, params)?;
            ctx.pending(n);
        }
        Engine::Postgres => {
            let sql = format!(
                "DELETE FROM messages_fts WHERE id IN (SELECT id FROM messages WHERE ({where_sql}))"
            );
            ctx.conn.execute(&sql, params)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tokens_put_the_user_key_before_every_word() {
        assert_eq!(user_tokens(7, "Hello, world!"), "7xHello 7xworld");
        assert_eq!(user_tokens(12, "pull/42 x-y"), "12xpull 12x42 12xx 12xy");
        assert_eq!(user_tokens(3, "東京に"), "3x東 3x京 3xに");
        assert_eq!(user_tokens(3, "ab東c"), "3xab 3x東 3xc");
        // A combining accent stays with its letter.
        assert_eq!(user_tokens(1, "e\u{301}te\u{301}"), "1xe\u{301}te\u{301}");
        assert_eq!(user_tokens(1, ":) -- \""), "");
        assert_eq!(user_tokens(1, "abⓐcd नमस्ते"), "1xab 1xcd 1xनमस्ते");
        assert_eq!(user_tokens(1, ""), "");
        // Keys are shared past WORD_KEYS users.
        assert_eq!(user_tokens(39, "Hello"), "7xHello");
        assert_eq!(user_tokens(32, "a"), "0xa");
    }

    #[test]
    fn user_keys_never_run_into_each_other() {
        // "1x" + "2xa" and "12x" + "a": the key ends at its first x, which digits never hold.
        assert_ne!(user_tokens(1, "2xa"), user_tokens(12, "a"));
        assert_ne!(user_tokens(1, "12"), user_tokens(11, "2"));
    }
}
