//! The log files of a connection (`YYYY/MM.log`, `YYYY/MM/<id>.log`) and the user's
//! `notifications.log`, read from where an earlier import stopped.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use super::line::parse;
use super::{fold, valid_name, FileKind, HashSet, Lines, Sink, SourceId, Tree};
use crate::import::lines::parse_log_time;
use crate::model::{Conversation, NewEntry, UserId};
use crate::store::{self, ReadState};

/// Notifications remembered per user to mark log lines without flags as highlights.
const MAX_NOTIFICATIONS: usize = 200_000;

/// One log file to read.
struct LogFile {
    path: PathBuf,
    /// The conversation id as Convos wrote it (`%2F` unescaped); `""` for the server.
    convos_id: String,
}

/// Every `YYYY/MM.log` and `YYYY/MM/<id>.log` of a connection, oldest month first.
fn log_files(tree: &Tree, sink: &mut Sink, what: &str, dir: &Path) -> Vec<LogFile> {
    let mut out = Vec::new();
    let months = |s: &str| s.len() == 2 && s.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    for (year, ypath) in tree.list(dir).unwrap_or_default() {
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let entries = match tree.list(&ypath) {
            Ok(e) => e,
            Err(e) => {
                sink.summary.skip(format!("{what}/{year}"), e);
                continue;
            }
        };
        for (name, mpath) in entries {
            if let Some(month) = name.strip_suffix(".log") {
                if months(month) {
                    out.push(LogFile {
                        path: mpath,
                        convos_id: String::new(),
                    });
                }
                continue;
            }
            if !months(&name) {
                continue;
            }
            let files = match tree.list(&mpath) {
                Ok(e) => e,
                Err(e) => {
                    sink.summary.skip(format!("{what}/{year}/{name}"), e);
                    continue;
                }
            };
            for (file, fpath) in files {
                let Some(stem) = file.strip_suffix(".log") else {
                    continue;
                };
                if let Err(e) = tree.kind(&fpath).and_then(|k| match k {
                    FileKind::File => Ok(()),
                    _ => Err(crate::import::lines::Refused::NotFile),
                }) {
                    sink.summary.skip(format!("{what}/{year}/{name}/{file}"), e);
                    continue;
                }
                let id = stem.replace("%2F", "/").replace("%2f", "/");
                if !valid_name(&id) {
                    sink.summary.skip(
                        format!("{what}/{year}/{name}/{file}"),
                        "not a valid conversation name",
                    );
                    continue;
                }
                out.push(LogFile {
                    path: fpath,
                    convos_id: id,
                });
            }
        }
    }
    out
}

/// Reads every log file of a connection into its conversations.
#[allow(clippy::too_many_arguments)]
pub(super) async fn logs(
    tree: &Tree,
    sink: &mut Sink,
    user_id: UserId,
    conn_id: &str,
    what: &str,
    dir: &Path,
    known: &mut HashSet<String>,
    notes: &mut Notifications,
) -> Result<(), store::Error> {
    let files = log_files(tree, sink, what, dir);
    let conn_dir = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for f in files {
        let conv_id = fold(&f.convos_id);
        if known.insert(conv_id.clone()) {
            // Only in the logs: a conversation closed in Convos. Its history comes along,
            // as a conversation not rejoined.
            let mut conv = Conversation::new(user_id, conn_id, &conv_id, &f.convos_id);
            conv.wanted = false;
            sink.conversation(conv).await?;
            sink.read_state(user_id, conn_id, &conv_id, ReadState::All);
        }
        let ctx = FileCtx {
            user_id,
            conn_id,
            conn_dir: &conn_dir,
            conv_id: &conv_id,
            convos_id: &f.convos_id,
        };
        read_log(tree, sink, &f.path, &ctx, notes).await?;
    }
    Ok(())
}

struct FileCtx<'a> {
    user_id: UserId,
    conn_id: &'a str,
    /// The connection's directory name: what notifications.log calls it.
    conn_dir: &'a str,
    conv_id: &'a str,
    convos_id: &'a str,
}

/// One log file, from where an earlier import stopped.
async fn read_log(
    tree: &Tree,
    sink: &mut Sink,
    path: &Path,
    ctx: &FileCtx<'_>,
    notes: &mut Notifications,
) -> Result<(), store::Error> {
    let rel = tree.rel(path);
    let file = match tree.open(path) {
        Ok(f) => f,
        Err(e) => {
            sink.summary.unreadable.add(|| format!("{rel}: {e}"));
            return Ok(());
        }
    };
    let (src, done) = sink.source(format!("convos:{rel}"), ctx.user_id);
    let mut lines = Lines::new(file);
    let mut reported = 0u64;
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
        let number = line.number as i64;
        let skip = number <= done;
        let Some(parsed) = parse(line.bytes) else {
            if !skip {
                sink.summary.malformed.add(|| format!("{rel}:{number}"));
                sink.advance(src, number);
            }
            continue;
        };
        let noted = notes.take(
            ctx.conn_dir,
            ctx.convos_id,
            line.bytes.get(..19).unwrap_or_default(),
            parsed.message,
        );
        if skip {
            sink.already(1);
            continue;
        }
        if line.cut {
            sink.summary.truncated.add(|| format!("{rel}:{number}"));
        }
        let text = irc_proto::decode(parsed.text);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            sink.summary.decoded.add(|| format!("{rel}:{number}"));
        }
        let entry = NewEntry {
            user_id: ctx.user_id,
            connection_id: ctx.conn_id.to_owned(),
            conversation_id: ctx.conv_id.to_owned(),
            time: parsed.time,
            kind: parsed.kind,
            from: irc_proto::decode(parsed.from).into_owned(),
            source: None,
            text: text.into_owned(),
            msgid: None,
            account: None,
            reply_to: None,
            highlight: parsed.highlight || noted,
            backfill: true,
        };
        sink.push(entry, src, number).await?;
        let now = lines.consumed;
        sink.progressed(now - reported);
        reported = now;
    }
    sink.advance(src, lines.count() as i64);
    sink.progressed(lines.consumed - reported);
    Ok(())
}

/// `notifications.log`: the user's highlights, used to mark lines of logs without flags,
/// and imported as messages when their log line is gone (a month missing).
pub(super) struct Notifications {
    /// Hash of (connection, conversation, time, message) → (line, conversation, entry).
    pending: HashMap<u64, Pending>,
    src: Option<SourceId>,
    lines: i64,
}

struct Pending {
    line: i64,
    conn_dir: String,
    convos_id: String,
    time: i64,
    message: Vec<u8>,
    matched: bool,
}

fn note_key(conn_dir: &str, convos_id: &str, ts: &[u8], message: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    conn_dir.hash(&mut h);
    convos_id.hash(&mut h);
    ts.hash(&mut h);
    message.hash(&mut h);
    h.finish()
}

impl Notifications {
    pub(super) fn load(tree: &Tree, sink: &mut Sink, user_id: UserId, dir: &Path) -> Notifications {
        let mut n = Notifications {
            pending: HashMap::new(),
            src: None,
            lines: 0,
        };
        let path = dir.join("notifications.log");
        if !path.exists() {
            return n;
        }
        let rel = tree.rel(&path);
        let file = match tree.open(&path) {
            Ok(f) => f,
            Err(e) => {
                sink.summary.unreadable.add(|| format!("{rel}: {e}"));
                return n;
            }
        };
        let (src, done) = sink.source(format!("convos:{rel}"), user_id);
        n.src = Some(src);
        let mut lines = Lines::new(file);
        while let Ok(Some(line)) = lines.next_line() {
            n.lines = line.number as i64;
            if n.lines <= done || n.pending.len() >= MAX_NOTIFICATIONS {
                continue;
            }
            // TS CONNECTION CONVERSATION MESSAGE
            let b = line.bytes;
            let Some(time) = parse_log_time(b) else {
                continue;
            };
            let mut parts = b.get(20..).unwrap_or_default().splitn(3, |&c| c == b' ');
            let (Some(conn), Some(conv), Some(message)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let conn = String::from_utf8_lossy(conn).into_owned();
            let conv = String::from_utf8_lossy(conv).into_owned();
            let key = note_key(&conn, &conv, b.get(..19).unwrap_or_default(), message);
            n.pending.insert(
                key,
                Pending {
                    line: n.lines,
                    conn_dir: conn,
                    convos_id: conv,
                    time,
                    message: message.to_vec(),
                    matched: false,
                },
            );
        }
        n
    }

    /// Whether a log line is one of the notifications (then it is matched).
    fn take(&mut self, conn_dir: &str, convos_id: &str, ts: &[u8], message: &[u8]) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        match self
            .pending
            .get_mut(&note_key(conn_dir, convos_id, ts, message))
        {
            Some(p) => {
                p.matched = true;
                true
            }
            None => false,
        }
    }

    /// Notifications whose log line was not found: imported as highlighted messages.
    pub(super) async fn leftovers(
        &mut self,
        sink: &mut Sink,
        user_id: UserId,
        connections: &HashMap<String, String>,
    ) -> Result<(), store::Error> {
        let Some(src) = self.src else {
            return Ok(());
        };
        let mut left: Vec<Pending> = std::mem::take(&mut self.pending)
            .into_values()
            .filter(|p| !p.matched)
            .collect();
        left.sort_by_key(|p| p.line);
        for p in left {
            let Some(conn_id) = connections.get(&p.conn_dir) else {
                continue;
            };
            if !valid_name(&p.convos_id) {
                continue;
            }
            let conv_id = fold(&p.convos_id);
            let mut conv = Conversation::new(user_id, conn_id, &conv_id, &p.convos_id);
            conv.wanted = false;
            sink.conversation(conv).await?;
            let mut line = b"1970-01-01T00:00:00 ".to_vec();
            line.extend_from_slice(&p.message);
            let Some(parsed) = parse(&line) else { continue };
            let entry = NewEntry {
                user_id,
                connection_id: conn_id.clone(),
                conversation_id: conv_id,
                time: p.time,
                kind: parsed.kind,
                from: irc_proto::decode(parsed.from).into_owned(),
                source: None,
                text: irc_proto::decode(parsed.text).into_owned(),
                msgid: None,
                account: None,
                reply_to: None,
                highlight: true,
                backfill: true,
            };
            sink.push(entry, src, p.line).await?;
        }
        sink.advance(src, self.lines);
        Ok(())
    }
}
