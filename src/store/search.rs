//! Full-text search: the query language, the FTS5 index and how it is kept.
//!
//! **Tokenizer: `unicode61 remove_diacritics 2`, not `trigram`.** Measured on this machine
//! (2 cores) with batched inserts of synthetic IRC lines (see BENCHMARKS.md, "Store"):
//! unicode61 indexes ≈ 110 k rows/s at ≈ 60 B/row, trigram ≈ 29 k rows/s at ≈ 265 B/row.
//! Trigram alone could not keep up with the 50 k msg/s ingest target on one writer, and
//! quadruples the index. Trigram's advantages are covered otherwise: URLs and code split
//! into words (`github.com/convos-chat` → phrase `github com convos chat`), a trailing `*`
//! asks for a prefix, and scripts written without spaces (CJK, Thai) are indexed one
//! character per token (see `index::fts_text`) so any substring of them is a phrase query —
//! which trigram could not do for the common two-character Chinese words.
//!
//! **Deferred, batched indexing.** An FTS5 insert per message inside each small group
//! commit would cut ingest to ≈ 16 k msg/s (a new index segment per transaction). Instead
//! a thread of its own (`indexer.rs`) indexes stored rows in chunks (`index_chunk`), after
//! `index_batch` rows or `index_delay` (1 s; a search makes it catch up first), into
//! `search.db`, a database file of its own that the readers attach (migration 16), and
//! records its marks there in the same transaction: after a crash the index resumes where
//! it stopped, and it is rebuilt from the rows, which stay the only copy of the text (the
//! FTS table is contentless), whenever it does not belong to `convos.db`. In a file of its
//! own it is written while the writer stores the next rows. PostgreSQL indexes each message in the transaction that stores it
//! instead: several daemons may append at once, and one shared mark would skip what
//! another daemon committed below it.
//!
//! **Newest first, walked forwards.** The FTS5 rowid is the negated message id (migration
//! 13), so "newest first" is `ORDER BY rowid` ascending: FTS5 reads a doclist backwards by
//! decoding each page forwards first, which was the top of the search profile at 10 M
//! messages; forwards the same phrase searches ran a third faster, same results.
//!
//! **Users' words are terms of their own** (migration 15): the text is indexed as
//! `index::user_tokens`, each word behind the key of the user's words (`7xhello`; user id
//! mod 32), and queries are turned into the same terms. A phrase costs a step per message
//! holding its rarer word, so with one index for everyone a phrase of two frequent words
//! walked every user's messages holding them: at 10 M messages of 20 users it was the
//! slowest shape by far. Keyed, it walks the doclists of the users sharing the key only,
//! and a user whose key is their own no longer intersects the `u<user>` doclist either.
//!
//! **Filters are index terms.** Each row also indexes a `scope` column with `u<user>`,
//! `c<conversation key>` and `u<user>n<hex(lowercase nick)>`, so `in:`, `from:` and the
//! per-user isolation are doclist intersections inside FTS5, not a scan of matches in SQL.
//! Conversation keys and sender tokens already belong to one user, so a query with either
//! leaves out the large `u<user>` doclist (at 10 M messages that halved `from:nick word`).
//! The SQL still checks `user_id` on every row returned.

use super::db::{params, Conn};
use super::index::{self, fts_text, nick_token};
use super::rows::{entry_from_row, ENTRY_COLS, ENTRY_LEN};
use super::{Error, Result, Store};
use crate::model::{Entry, MessageId, UserId};
use crate::time::days_from_civil;

/// A parsed search: free text plus filters. Build it with [`SearchQuery::parse`] from
/// what the user typed, or fill the fields directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words (all must match) and `"quoted phrases"`; a trailing `*` on a word matches a
    /// prefix. Everything else is plain text: FTS syntax has no effect.
    pub text: String,
    /// `from:nick` (ASCII case-insensitive).
    pub from: Option<String>,
    /// `conn:irc-libera`.
    pub connection_id: Option<String>,
    /// `in:#convos`: a conversation id (casefolded by the caller), on any connection
    /// unless `connection_id` is set too.
    pub conversation_id: Option<String>,
    /// `before:2024-05-01`: messages before this unix time (ms), exclusive.
    pub before: Option<i64>,
    /// `after:2024-05-01`: messages at or after this unix time (ms).
    pub after: Option<i64>,
    /// Only results with a smaller id (the next page of results).
    pub before_id: Option<MessageId>,
    /// Results per page: default 50, at most 200.
    pub limit: Option<usize>,
}

/// One page of search results, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    pub messages: Vec<Entry>,
    /// No older results: there is no next page.
    pub end: bool,
}

impl SearchQuery {
    /// Parses `from:nick in:#chan conn:irc-x before:YYYY-MM-DD after:YYYY-MM-DD words "a phrase"`.
    /// Unknown or malformed `key:value` words are kept as text. `in:` values are ASCII
    /// lowercased (the store does not know the network's case mapping).
    pub fn parse(input: &str) -> SearchQuery {
        let mut q = SearchQuery::default();
        let mut text: Vec<String> = Vec::new();
        for (word, quoted) in split_words(input) {
            let filter = if quoted { None } else { word.split_once(':') };
            let used = match filter {
                Some(("from", v)) if !v.is_empty() => {
                    q.from = Some(v.to_owned());
                    true
                }
                Some(("in", v)) if !v.is_empty() => {
                    q.conversation_id = Some(v.to_ascii_lowercase());
                    true
                }
                Some(("conn" | "connection", v)) if !v.is_empty() => {
                    q.connection_id = Some(v.to_owned());
                    true
                }
                Some(("before", v)) => parse_date(v).map(|t| q.before = Some(t)).is_some(),
                Some(("after", v)) => parse_date(v).map(|t| q.after = Some(t)).is_some(),
                _ => false,
            };
            if !used {
                // Phrases keep their quotes so that `text` keeps their grouping.
                text.push(if quoted {
                    format!("\"{word}\"")
                } else {
                    word.to_owned()
                });
            }
        }
        q.text = text.join(" ");
        q
    }
}

/// Words and `"quoted phrases"` of `input` (quotes removed; `true` if quoted).
fn split_words(input: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = input;
    std::iter::from_fn(move || {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            let phrase = &after[..end];
            rest = after.get(end + 1..).unwrap_or("");
            return Some((phrase, true));
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        Some((word, false))
    })
}

/// `YYYY-MM-DD` (UTC midnight) or unix milliseconds.
fn parse_date(s: &str) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return (s.len() > 8).then_some(ms);
    }
    let mut parts = s.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400_000)
}

/// An FTS5 string literal: always a plain phrase, whatever the user typed.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Most words and phrases in one search: each is a doclist to intersect.
pub const MAX_TERMS: usize = 16;
/// Fewest letters or digits before a `*`: a one-letter prefix expands to most of the index.
pub const MIN_PREFIX: usize = 2;

/// The MATCH expression for the text part, `None` if it has no searchable characters: the
/// words as the user's terms ([`index::user_tokens`]). [`Error::Invalid`] for more than
/// [`MAX_TERMS`] words or a prefix shorter than [`MIN_PREFIX`].
fn text_match(user_id: UserId, text: &str) -> Result<Option<String>> {
    Ok(text_terms(text)?.map(|terms| {
        let phrases: Vec<String> = terms
            .iter()
            .map(|(words, prefix)| {
                let mut p = quote(&index::user_tokens(user_id.0, words));
                if *prefix {
                    p.push('*');
                }
                p
            })
            .collect();
        format!("text : ({})", phrases.join(" "))
    }))
}

/// The words and phrases of the text part as indexed (see `index::fts_text`), each with
/// whether it is a prefix; `None` if it has no searchable characters. The checks of
/// [`text_match`].
fn text_terms(text: &str) -> Result<Option<Vec<(String, bool)>>> {
    let mut phrases = Vec::new();
    for (word, quoted) in split_words(text) {
        let (word, prefix) = match word.strip_suffix('*') {
            Some(w) if !quoted => (w, true),
            _ => (word, false),
        };
        let letters = word.chars().filter(|c| c.is_alphanumeric()).count();
        if letters == 0 {
            continue; // tokenizes to nothing: would match nothing
        }
        if prefix && letters < MIN_PREFIX {
            return Err(Error::Invalid(format!(
                "\"{word}*\": a prefix needs at least {MIN_PREFIX} letters"
            )));
        }
        if phrases.len() == MAX_TERMS {
            return Err(Error::Invalid(format!(
                "at most {MAX_TERMS} words or phrases per search"
            )));
        }
        phrases.push((fts_text(word).into_owned(), prefix));
    }
    Ok((!phrases.is_empty()).then_some(phrases))
}

/// The longest a search waits for the indexer to catch up (a large import's backlog):
/// then it searches what is indexed.
pub const FRESH_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl Store {
    /// Searches the user's messages, newest first. Every message stored before the search
    /// is found: on SQLite the indexer first catches up with what was committed (waiting
    /// at most [`FRESH_WAIT`]; not while an import or a rebuild of the index has more
    /// than [`super::Options::index_batch`] rows waiting: it searches what is indexed);
    /// otherwise messages are indexed within [`super::Options::index_delay`] of being
    /// stored.
    /// A query whose text has no letters or digits only applies the filters.
    ///
    /// [`Error::Invalid`] for a query over the limits ([`MAX_TERMS`], [`MIN_PREFIX`]);
    /// [`Error::Timeout`] when it ran longer than [`super::Options::search_budget`]. Searches use at most all
    /// but one of the read connections, so other reads (session lookups, history pages)
    /// never wait behind them.
    pub async fn search(&self, user_id: UserId, query: SearchQuery) -> Result<SearchResult> {
        let _turn = self
            .inner
            .search_permits
            .acquire()
            .await
            .map_err(|_| Error::Closed)?;
        let budget = self.inner.opts.search_budget;
        // Every line stored before the search is found: the indexer catches up first
        // (at most `FRESH_WAIT`; then what is indexed is searched).
        if let Some(wait) = self.inner.indexer.as_ref().and_then(|ix| ix.fresh()) {
            let _ = tokio::time::timeout(FRESH_WAIT, wait).await;
        }
        self.read(move |conn| {
            let deadline = std::time::Instant::now() + budget;
            let result = match conn.lite() {
                Some(lite) => {
                    // Checked every 1000 virtual machine steps; returning true interrupts
                    // the query.
                    lite.progress_handler(
                        1_000,
                        Some(move || std::time::Instant::now() > deadline),
                    );
                    let result = search(conn, user_id, &query);
                    lite.progress_handler(1_000, None::<fn() -> bool>);
                    result
                }
                None => search_pg(conn, user_id, &query, budget),
            };
            result.map_err(|e| match e {
                Error::Sqlite(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) =>
                {
                    Error::Timeout
                }
                other => other,
            })
        })
        .await
    }
}

fn search(conn: &Conn, user_id: UserId, q: &SearchQuery) -> Result<SearchResult> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let mut terms = Vec::new();
    let has_text = match text_match(user_id, &q.text)? {
        Some(text) => {
            terms.push(text);
            true
        }
        // Words that are all punctuation or emoji match nothing: not "no text given",
        // which lists everything the filters allow.
        None if !q.text.trim().is_empty() => {
            return Ok(SearchResult {
                messages: Vec::new(),
                end: true,
            })
        }
        None => false,
    };
    if let Some(nick) = &q.from {
        terms.push(format!("scope : \"{}\"", nick_token(user_id.0, nick)));
    }
    match filter_cids(conn, user_id, q)? {
        Some(cids) if cids.is_empty() => {
            return Ok(SearchResult {
                messages: Vec::new(),
                end: true,
            });
        }
        Some(cids) => {
            let any: Vec<String> = cids.iter().map(|c| format!("\"c{c}\"")).collect();
            terms.push(format!("scope : ({})", any.join(" OR ")));
        }
        None => {}
    }
    // A user whose words have a key of their own needs the user's term (the largest
    // doclist of all) only for a search of filters alone.
    if q.from.is_none()
        && q.conversation_id.is_none()
        && q.connection_id.is_none()
        && (!has_text || shares_word_key(conn, user_id)?)
    {
        terms.push(format!("scope : \"u{}\"", user_id.0));
    }
    let expr = terms.join(" AND ");
    let sql = format!(
        "SELECT {ENTRY_COLS}, c.connection_id, c.id \
         FROM messages_fts f CROSS JOIN messages m ON m.id = -f.rowid \
         CROSS JOIN conversations c ON c.cid = m.conv \
         WHERE messages_fts MATCH ?1 AND m.user_id = ?2 \
           AND (?3 IS NULL OR m.time < ?3) AND (?4 IS NULL OR m.time >= ?4) \
           AND f.rowid > -?5 \
         ORDER BY f.rowid LIMIT ?6"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let before_id = q.before_id.map_or(i64::MAX, |id| id.0);
    let mut messages = stmt
        .query_map(
            params![
                expr,
                user_id.0,
                q.before,
                q.after,
                before_id,
                limit as i64 + 1
            ],
            |r| {
                let conn_id: String = r.get(ENTRY_LEN)?;
                let conv_id: String = r.get(ENTRY_LEN + 1)?;
                entry_from_row(r, conn_id, conv_id)
            },
        )?
        .collect::<Result<Vec<_>>>()?;
    let end = messages.len() <= limit;
    messages.truncate(limit);
    Ok(SearchResult { messages, end })
}

/// Whether another user's words have the same key in the index (`index::word_key`).
fn shares_word_key(conn: &Conn, user_id: UserId) -> Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id <> ?1 AND id % ?2 = ?3)")?
        .query_row(
            params![user_id.0, index::WORD_KEYS, index::word_key(user_id.0)],
            |r| r.get(0),
        )
}

/// The conversation keys an `in:`/`conn:` filter names; `None` without such a filter.
fn filter_cids(conn: &Conn, user_id: UserId, q: &SearchQuery) -> Result<Option<Vec<i64>>> {
    if q.conversation_id.is_none() && q.connection_id.is_none() {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT cid FROM conversations WHERE user_id = ?1 \
         AND (CAST(?2 AS TEXT) IS NULL OR id = ?2) AND (CAST(?3 AS TEXT) IS NULL OR connection_id = ?3)",
    )?;
    let cids = stmt
        .query_map(
            params![user_id.0, q.conversation_id, q.connection_id],
            |r| r.get::<usize, i64>(0),
        )?
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(cids))
}

/// The same search on PostgreSQL: the words as a `tsquery` of phrases (each word or quoted
/// phrase through `phraseto_tsquery('convos', …)`, the configuration that indexed them; a prefix
/// adds `:*` to its last word), the filters as a `tsquery` on the scope terms; newest first.
///
/// GIN yields its matches in no order, so the newest 50 of a word found in a large share
/// of a user's lines means reading and sorting every match (seconds at 10 M). The search
/// therefore walks the user's index rows newest first (`messages_fts_user`) in steps while
/// matches come often enough, and asks GIN only for what lies below the rows walked:
/// frequent terms are answered by the walk, rare ones by the index, and the two parts
/// never overlap, so the answer is the same as one ordered query's.
fn search_pg(
    conn: &Conn,
    user_id: UserId,
    q: &SearchQuery,
    budget: std::time::Duration,
) -> Result<SearchResult> {
    /// Estimated matches (PostgreSQL's statistics) up to which GIN answers at once:
    /// reading a match through GIN and walking a row cost about the same (one heap
    /// row each, measured at 10 M), and a walk of a few thousand rows is ~10 ms.
    /// (The store's tests walk always: their small tables would never be walked.)
    const GIN_FIRST: i64 = if cfg!(test) { 0 } else { 5_000 };
    /// Rows the first step walks; later steps walk what the rate of matches seen so far
    /// says is needed, while that is fewer rows than GIN would read, up to [`MAX_WALK`].
    const FIRST_WALK: i64 = 1_000;
    const MAX_WALK: i64 = 50_000;
    const STEPS: usize = 3;

    let deadline = std::time::Instant::now() + budget;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let terms = match text_terms(&q.text)? {
        Some(t) => t,
        None if !q.text.trim().is_empty() => {
            return Ok(SearchResult {
                messages: Vec::new(),
                end: true,
            })
        }
        None => Vec::new(),
    };
    let mut scope = Vec::new();
    if let Some(nick) = &q.from {
        scope.push(nick_token(user_id.0, nick));
    }
    match filter_cids(conn, user_id, q)? {
        Some(cids) if cids.is_empty() => {
            return Ok(SearchResult {
                messages: Vec::new(),
                end: true,
            })
        }
        Some(cids) => {
            let any: Vec<String> = cids.iter().map(|c| format!("c{c}")).collect();
            scope.push(format!("({})", any.join(" | ")));
        }
        None if q.from.is_none() => scope.push(format!("u{}", user_id.0)),
        None => {}
    }
    // Parameters: ?1 scope, ?2 user, ?3 before, ?4 after, ?5 below this id, ?6 rows to
    // walk (walk only), then the limit, then the words (at most MAX_TERMS).
    let words_cond = |first: usize| {
        let mut words_sql = Vec::new();
        for (i, (_, prefix)) in terms.iter().enumerate() {
            let n = i + first;
            words_sql.push(if *prefix {
                format!("(phraseto_tsquery('convos', ?{n})::text || ':*')::tsquery")
            } else {
                format!("phraseto_tsquery('convos', ?{n})")
            });
        }
        match words_sql.is_empty() {
            true => String::new(),
            false => format!("AND f.words @@ ({}) ", words_sql.join(" && ")),
        }
    };
    let conditions = |first_word: usize| {
        format!(
            "f.scope @@ to_tsquery('convos', ?1) {}\
             AND (?3::BIGINT IS NULL OR m.time < ?3) AND (?4::BIGINT IS NULL OR m.time >= ?4)",
            words_cond(first_word)
        )
    };
    let walk = format!(
        "SELECT {ENTRY_COLS}, c.connection_id, c.id \
         FROM (SELECT id, words, scope FROM messages_fts WHERE user_id = ?2 AND id < ?5 \
               ORDER BY id DESC LIMIT ?6) f \
         JOIN messages m ON m.id = f.id JOIN conversations c ON c.cid = m.conv \
         WHERE {} ORDER BY f.id DESC LIMIT ?7",
        conditions(8)
    );
    let walked = "SELECT min(id), count(*) FROM (SELECT id FROM messages_fts \
                  WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3) s";
    // What GIN reads: every row holding the filters' terms and the query's rarest word
    // (a phrase is checked on each row that has all its words).
    let estimate_word = "EXPLAIN SELECT 1 FROM messages_fts f \
         WHERE f.scope @@ to_tsquery('convos', ?1) AND f.words @@ plainto_tsquery('convos', ?2)";
    let estimate_scope =
        "EXPLAIN SELECT 1 FROM messages_fts f WHERE f.scope @@ to_tsquery('convos', ?1)";
    // Without dates, the newest matches are chosen before the join: each match is then a
    // heap row of the index, not also one of the messages.
    let indexed = match q.before.is_none() && q.after.is_none() {
        true => format!(
            "SELECT {ENTRY_COLS}, c.connection_id, c.id \
             FROM (SELECT f.id FROM messages_fts f \
                   WHERE f.scope @@ to_tsquery('convos', ?1) {}\
                     AND f.user_id = ?2 AND f.id < ?5 ORDER BY f.id DESC LIMIT ?6) f \
             JOIN messages m ON m.id = f.id JOIN conversations c ON c.cid = m.conv \
             WHERE m.user_id = ?2 AND (?3::BIGINT IS NULL OR m.time < ?3) \
               AND (?4::BIGINT IS NULL OR m.time >= ?4) \
             ORDER BY f.id DESC",
            words_cond(7)
        ),
        false => format!(
            "SELECT {ENTRY_COLS}, c.connection_id, c.id \
             FROM messages_fts f JOIN messages m ON m.id = f.id \
             JOIN conversations c ON c.cid = m.conv \
             WHERE {} AND f.user_id = ?2 AND m.user_id = ?2 AND f.id < ?5 \
             ORDER BY f.id DESC LIMIT ?6",
            conditions(7)
        ),
    };
    let scope = scope.join(" & ");
    let words: Vec<String> = terms.iter().map(|(w, _)| index::pg_words(w)).collect();
    let need = limit as i64 + 1;
    let mut below = q.before_id.map_or(i64::MAX, |id| id.0);
    let mut messages = Vec::new();
    // Each statement gets what is left of the budget; PostgreSQL stops it itself (57014,
    // read as Timeout). Planning counts too: no statement gets less than 20 ms.
    let timed = |sql: &str| -> Result<()> {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        conn.prepare_now(sql)?;
        let ms = left.as_millis().max(20);
        conn.execute_batch(&format!("SET statement_timeout = {ms}"))
    };
    let read = |r: &super::db::Row<'_>| {
        let conn_id: String = r.get(ENTRY_LEN)?;
        let conv_id: String = r.get(ENTRY_LEN + 1)?;
        entry_from_row(r, conn_id, conv_id)
    };
    // Planned for the values at hand each time: a cached generic plan knows neither the
    // words' frequencies nor the user's share.
    conn.execute_batch("SET plan_cache_mode = force_custom_plan")?;
    let result = (|| -> Result<()> {
        // The planner's estimates (the first line of a plan, "… rows=N …") for each
        // whole word, fewest first; a prefix's word is left out (it stands for many).
        let rows_of = |sql: &str, bound: &[&dyn super::db::Param]| -> Result<i64> {
            timed(sql)?;
            let plan: Vec<String> = conn.query_vec(sql, bound, |r| r.get(0))?;
            Ok(plan
                .first()
                .and_then(|line| line.split_once(" rows="))
                .and_then(|(_, r)| r.split(' ').next()?.parse::<i64>().ok())
                .unwrap_or(i64::MAX))
        };
        let mut whole: Vec<&str> = Vec::new();
        for ((_, prefix), w) in terms.iter().zip(&words) {
            let mut each: Vec<&str> = w.split_whitespace().collect();
            if *prefix {
                each.pop();
            }
            for word in each {
                if !whole.contains(&word) && whole.len() < 8 {
                    whole.push(word);
                }
            }
        }
        let mut matches = i64::MAX;
        for word in &whole {
            matches = matches.min(rows_of(estimate_word, &[&scope, word])?);
            if matches <= GIN_FIRST {
                break;
            }
        }
        if whole.is_empty() {
            matches = rows_of(estimate_scope, &[&scope])?;
        }
        let (mut rows, mut walked_rows) = (FIRST_WALK, 0i64);
        for _ in 0..STEPS {
            if matches <= GIN_FIRST {
                break;
            }
            let want = need - messages.len() as i64;
            let mut bound: Vec<&dyn super::db::Param> = vec![
                &scope, &user_id.0, &q.before, &q.after, &below, &rows, &want,
            ];
            for w in &words {
                bound.push(w);
            }
            timed(&walk)?;
            messages.extend(conn.query_vec(&walk, bound.as_slice(), read)?);
            if messages.len() as i64 >= need {
                return Ok(());
            }
            timed(walked)?;
            let (low, n): (Option<i64>, i64) =
                conn.query_row(walked, params![user_id.0, below, rows], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            walked_rows += n;
            // Fewer rows than asked: the walk reached the user's first line, nothing is
            // left for GIN.
            match low {
                Some(low) if n == rows => below = low,
                _ => return Ok(()),
            }
            // Rows the rest would take at the rate seen so far; more than GIN would read
            // for it (or no match yet): the index answers the rest.
            let seen = messages.len() as i64;
            let more = (need - seen).saturating_mul(walked_rows) / seen.max(1) * 5 / 4;
            if seen == 0 || more > MAX_WALK || more > matches.saturating_sub(seen) {
                break;
            }
            rows = more.max(FIRST_WALK);
        }
        let want = need - messages.len() as i64;
        let mut bound: Vec<&dyn super::db::Param> =
            vec![&scope, &user_id.0, &q.before, &q.after, &below, &want];
        for w in &words {
            bound.push(w);
        }
        // A bitmap of GIN's matches, whatever the planner guesses: an id-ordered scan
        // filtered by words that are rare below this point would read the whole history.
        timed(&indexed)?;
        conn.execute_batch("SET enable_indexscan = off; SET enable_seqscan = off")?;
        messages.extend(conn.query_vec(&indexed, bound.as_slice(), read)?);
        Ok(())
    })();
    conn.execute_batch(
        "SET statement_timeout = 0; RESET plan_cache_mode; \
         RESET enable_indexscan; RESET enable_seqscan",
    )?;
    result?;
    let end = messages.len() <= limit;
    messages.truncate(limit);
    Ok(SearchResult { messages, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_filters_and_text() {
        let q = SearchQuery::parse(
            r#"from:batman in:#Convos "video call" after:2024-01-02 hello before:x"#,
        );
        assert_eq!(q.from.as_deref(), Some("batman"));
        assert_eq!(q.conversation_id.as_deref(), Some("#convos"));
        assert_eq!(q.after, Some(days_from_civil(2024, 1, 2) * 86_400_000));
        assert_eq!(q.before, None);
        assert_eq!(q.text, r#""video call" hello before:x"#);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(951_868_800_000));
        assert_eq!(parse_date("2000-13-01"), None);
        assert_eq!(parse_date("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(parse_date("12"), None);
    }

    #[test]
    fn text_match_is_always_plain_text() {
        let cases = [
            ("hello", Some(r#"text : ("7xhello")"#)),
            (
                r#"a"b OR NOT cd*"#,
                Some(r#"text : ("7xa 7xb" "7xOR" "7xNOT" "7xcd"*)"#),
            ),
            ("NEAR(x y) :) -", Some(r#"text : ("7xNEAR 7xx" "7xy")"#)),
            (":) - \"\"", None),
            ("東京", Some(r#"text : ("7x東 7x京")"#)),
            (
                "naïve e\u{301}té",
                Some("text : (\"7xnaïve\" \"7xe\u{301}té\")"),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                text_match(UserId(7), input).expect("valid").as_deref(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn nick_tokens_ignore_ascii_case() {
        assert_eq!(nick_token(1, "Bat[m]"), nick_token(1, "bat[M]"));
        assert_eq!(nick_token(12, "ab"), "u12n6162");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever a user types, the search is either refused with a clear error or is
        /// a MATCH expression that FTS5 accepts: no FTS syntax reaches SQLite.
        #[test]
        fn any_input_is_refused_or_valid_fts(
            input in prop_oneof![
                any::<String>(),
                "[a-z\"*:() ^+-]{0,60}",
                "(from|in|conn|before|after):[#a-z0-9-]{0,12}( [a-z*\"]{0,8}){0,20}",
            ],
        ) {
            let conn = rusqlite::Connection::open_in_memory().expect("db");
            conn.execute_batch(
                "CREATE VIRTUAL TABLE messages_fts USING fts5(text, scope, content = '', \
                 contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
                 INSERT INTO messages_fts(rowid, text, scope) VALUES (1, 'hello world', 'u1 c1');",
            )
            .expect("fts");
            let q = SearchQuery::parse(&input);
            match text_match(UserId(1), &q.text) {
                Err(Error::Invalid(_)) | Ok(None) => {}
                Err(e) => prop_assert!(false, "unexpected error {e:?}"),
                Ok(Some(expr)) => {
                    let n = conn.query_row(
                        "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1",
                        [&expr],
                        |r| r.get::<usize, i64>(0),
                    );
                    prop_assert!(n.is_ok(), "{input:?} -> {expr:?}: {n:?}");
                }
            }
        }
    }
}
