//! The Lounge's message store and text logs, read from where an earlier import stopped.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::messages::{from_row, from_text, render};
use super::{FileKind, Lines, Network, Sink, SourceId, Tree};
use crate::import::lines::{cap, MAX_TEXT};
use crate::model::{NewEntry, UserId};
use crate::store::{self, thelounge::Db};

/// Progress units a database row counts as (files count bytes).
pub(super) const ROW_UNITS: u64 = 100;
/// Rows read from the database at a time.
const ROWS: usize = 2000;

/// The message store, from where an earlier import stopped.
pub(super) async fn rows(
    tree: &Tree,
    sink: &mut Sink,
    user_id: UserId,
    path: &Path,
    db: &Db,
    networks: &mut [Network],
) -> Result<(), store::Error> {
    let rel = tree.rel(path);
    let (src, done) = sink.source(format!("thelounge:{rel}"), user_id);
    let todo = db.count_after(done)?;
    if done > 0 {
        let taken = db.count_after(0)?.saturating_sub(todo);
        sink.already(taken);
        sink.progressed(taken * ROW_UNITS);
    }
    let mut after = done;
    let mut unknown: HashMap<String, u64> = HashMap::new();
    let mut kinds: HashMap<String, u64> = HashMap::new();
    loop {
        let batch = db.rows_after(after, ROWS)?;
        let Some(last) = batch.last().map(|r| r.id) else {
            break;
        };
        for row in batch {
            sink.progressed(ROW_UNITS);
            let Some(net) = networks.iter_mut().find(|n| n.uuid == row.network) else {
                *unknown.entry(row.network.clone()).or_default() += 1;
                sink.advance(src, row.id);
                continue;
            };
            let msg: Value = match serde_json::from_str(&row.msg) {
                Ok(v) => v,
                Err(_) => {
                    sink.summary
                        .malformed
                        .add(|| format!("{rel} row {}", row.id));
                    sink.advance(src, row.id);
                    continue;
                }
            };
            let Some(m) = from_row(&row.kind, &msg) else {
                *kinds.entry(row.kind.clone()).or_default() += 1;
                sink.advance(src, row.id);
                continue;
            };
            let Some(conv_id) = net.conversation(sink, user_id, &row.channel).await? else {
                sink.summary
                    .skip(format!("{rel} row {}", row.id), "not a valid channel name");
                sink.advance(src, row.id);
                continue;
            };
            let mut text = m.text;
            if cap(&mut text, MAX_TEXT) {
                sink.summary
                    .truncated
                    .add(|| format!("{rel} row {}", row.id));
            }
            let entry = NewEntry {
                user_id,
                connection_id: net.conn_id.clone(),
                conversation_id: conv_id,
                time: row.time,
                kind: m.kind,
                from: m.from,
                source: None,
                text,
                msgid: row.msgid.filter(|m| !m.is_empty() && m.len() <= 256),
                account: None,
                reply_to: None,
                highlight: m.highlight,
                backfill: true,
            };
            sink.push(entry, src, row.id).await?;
        }
        after = last;
    }
    for (uuid, n) in unknown {
        sink.summary.skip(
            format!("{rel}: {n} messages of network {uuid}"),
            "the network is no longer in the user's settings",
        );
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort();
    for (kind, n) in kinds {
        sink.summary.skip(
            format!("{rel}: {n} {kind:?} messages"),
            "nothing to show (no text)",
        );
    }
    Ok(())
}

/// Every text log of the user: `logs/<name>/<network>-<uuid tail>/<channel>.log`.
pub(super) async fn text_logs(
    tree: &Tree,
    sink: &mut Sink,
    user_id: UserId,
    dir: &Path,
    db: Option<&Db>,
    networks: &mut [Network],
) -> Result<(), store::Error> {
    let folders = match tree.list(dir) {
        Ok(f) => f,
        Err(e) => {
            sink.summary.skip(tree.rel(dir), e);
            return Ok(());
        }
    };
    for (folder, fpath) in folders {
        if !matches!(tree.kind(&fpath), Ok(FileKind::Dir)) {
            continue;
        }
        // The folder ends with the tail of the network's uuid (12 characters at least).
        let Some(net) = networks
            .iter_mut()
            .map(|n| {
                let common = folder
                    .bytes()
                    .rev()
                    .zip(n.uuid.bytes().rev())
                    .take_while(|(a, b)| a == b)
                    .count();
                (common, n)
            })
            .filter(|(c, _)| *c >= 12)
            .max_by_key(|(c, _)| *c)
            .map(|(_, n)| n)
        else {
            sink.summary.skip(
                tree.rel(&fpath),
                "no network of the user matches this folder",
            );
            continue;
        };
        let files = tree.list(&fpath).unwrap_or_default();
        for (file, path) in files {
            let Some(stem) = file.strip_suffix(".log") else {
                continue;
            };
            let channel = net
                .files
                .get(stem)
                .cloned()
                .unwrap_or_else(|| stem.to_owned());
            let Some(conv_id) = net.conversation(sink, user_id, &channel).await? else {
                sink.summary
                    .skip(tree.rel(&path), "not a valid conversation name");
                continue;
            };
            let ctx = TextCtx {
                user_id,
                conn_id: &net.conn_id,
                conv_id: &conv_id,
                uuid: &net.uuid,
                channel: &channel,
                db,
            };
            text_log(tree, sink, &path, &ctx).await?;
        }
    }
    Ok(())
}

struct TextCtx<'a> {
    user_id: UserId,
    conn_id: &'a str,
    conv_id: &'a str,
    uuid: &'a str,
    /// The channel as the message store names it (lowercase).
    channel: &'a str,
    db: Option<&'a Db>,
}

/// A record of a text log: a line and its `| ` continuation lines.
struct Record {
    time: i64,
    last: u64,
    text: String,
}

async fn text_log(
    tree: &Tree,
    sink: &mut Sink,
    path: &Path,
    ctx: &TextCtx<'_>,
) -> Result<(), store::Error> {
    let rel = tree.rel(path);
    let file = match tree.open(path) {
        Ok(f) => f,
        Err(e) => {
            sink.summary.unreadable.add(|| format!("{rel}: {e}"));
            return Ok(());
        }
    };
    let (src, done) = sink.source(format!("thelounge:{rel}"), ctx.user_id);
    let mut lines = Lines::new(file);
    let mut pending: Option<Record> = None;
    let mut reported = 0;
    loop {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                sink.summary
                    .unreadable
                    .add(|| format!("{rel}: {e} (read up to here)"));
                break;
            }
        };
        let number = line.number;
        if number as i64 <= done {
            if !is_continuation(line.bytes) {
                sink.already(1);
            }
            continue;
        }
        if line.cut {
            sink.summary.truncated.add(|| format!("{rel}:{number}"));
        }
        let text = irc_proto::decode(line.bytes);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            sink.summary.decoded.add(|| format!("{rel}:{number}"));
        }
        let Some((time, rest)) = split_time(&text) else {
            sink.summary.malformed.add(|| format!("{rel}:{number}"));
            if pending.is_none() {
                sink.advance(src, number as i64);
            }
            continue;
        };
        if let (Some(more), Some(p)) = (rest.strip_prefix("| "), pending.as_mut()) {
            // A message of many lines is bounded as a whole too.
            if p.text.len() < MAX_TEXT {
                p.text.push('\n');
                p.text.push_str(more);
                if cap(&mut p.text, MAX_TEXT) {
                    sink.summary.truncated.add(|| format!("{rel}:{number}"));
                }
            }
            p.last = number;
            continue;
        }
        if let Some(p) = pending.take() {
            emit(sink, src, ctx, p).await?;
        }
        pending = Some(Record {
            time,
            last: number,
            text: rest.to_owned(),
        });
        sink.progressed(lines.consumed - reported);
        reported = lines.consumed;
    }
    if let Some(p) = pending.take() {
        emit(sink, src, ctx, p).await?;
    }
    sink.advance(src, lines.count() as i64);
    sink.progressed(lines.consumed - reported);
    Ok(())
}

fn is_continuation(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .position(|&b| b == b']')
        .is_some_and(|i| bytes.get(i + 1..i + 3) == Some(b" |"))
}

/// `[2019-08-08T08:08:08.123Z] rest` → (ms, rest).
fn split_time(line: &str) -> Option<(i64, &str)> {
    let (stamp, rest) = line.strip_prefix('[')?.split_once("] ")?;
    Some((crate::time::parse_rfc3339(stamp)?, rest))
}

/// Stores a text log record unless the message store has the same message.
async fn emit(
    sink: &mut Sink,
    src: SourceId,
    ctx: &TextCtx<'_>,
    r: Record,
) -> Result<(), store::Error> {
    if let Some(db) = ctx.db {
        let same = db
            .at_time(ctx.uuid, ctx.channel, r.time)?
            .iter()
            .any(|(kind, msg)| {
                serde_json::from_str::<Value>(msg)
                    .ok()
                    .and_then(|m| render(kind, &m))
                    .is_some_and(|mut line| {
                        cap(&mut line, MAX_TEXT);
                        line == r.text
                    })
            });
        if same {
            sink.advance(src, r.last as i64);
            return Ok(());
        }
    }
    let m = from_text(&r.text);
    let entry = NewEntry {
        user_id: ctx.user_id,
        connection_id: ctx.conn_id.to_owned(),
        conversation_id: ctx.conv_id.to_owned(),
        time: r.time,
        kind: m.kind,
        from: m.from,
        source: None,
        text: m.text,
        msgid: None,
        account: None,
        reply_to: None,
        highlight: false,
        backfill: true,
    };
    sink.push(entry, src, r.last as i64).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_log_lines() {
        assert_eq!(
            split_time("[2019-08-08T08:08:08.123Z] x y").map(|t| t.1),
            Some("x y")
        );
        assert!(is_continuation(b"[2019-08-08T08:08:08.123Z] | more"));
        assert!(!is_continuation(b"[2019-08-08T08:08:08.123Z] <a> b"));
    }
}
