//! A The Lounge home (4.x):
//!
//! ```text
//! config.js                         server configuration (JavaScript: not read)
//! users/<name>.json                 password (bcrypt), networks, clientSettings
//! logs/<name>.sqlite3               the message store (table messages, see store::thelounge)
//! logs/<name>/<network>-<uuid tail>/<channel>.log   text logs
//! ```
//!
//! A user `name` becomes the account `name@DOMAIN` (`--email-domain`). Each network
//! becomes a connection (host, port, TLS, password or SASL, nick, channels with keys,
//! on-connect commands). Messages come from the SQLite store first (every type it keeps),
//! then from the text logs those lines the store does not have (The Lounge writes both,
//! and cleans old rows from the store): a text line is skipped when a row of the same
//! channel at the same millisecond renders to the same line, so each message is taken
//! once. Marks: the highest row id for the database, lines for each text log.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use irc_proto::CaseMapping;
use serde_json::Value;

use super::lines::{Kind as FileKind, Lines, Tree};
use super::sink::{Sink, SourceId};
use super::{json_file, usable_url, valid_name};
use crate::model::{Connection, Conversation, Kind, NewEntry, Secret, UserId, WantedState};
use crate::store::{self, thelounge::Db, ImportUser, ReadState};

/// Progress units a database row counts as (files count bytes).
const ROW_UNITS: u64 = 100;
/// Rows read from the database at a time.
const ROWS: usize = 2000;

/// Imports the The Lounge home `tree` into `sink`; user `name` becomes `name@domain`.
pub async fn import(tree: &Tree, sink: &mut Sink, domain: &str) -> Result<(), store::Error> {
    if tree.root.join("config.js").exists() {
        sink.summary.skip(
            "config.js",
            "not read (it is a program); server settings are not carried over",
        );
    }
    let users = tree.root.join("users");
    let files = match tree.list(&users) {
        Ok(f) => f,
        Err(e) => {
            sink.summary.skip("users", e);
            return Ok(());
        }
    };
    let mut first_new = None;
    for (file, path) in files {
        let Some(name) = file.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if let Some(id) = import_user(tree, sink, name, &path, domain).await? {
            if first_new.is_none() {
                first_new = Some((id, sink.summary.users.len().saturating_sub(1)));
            }
        }
    }
    sink.end_user().await?;
    // The Lounge has no admins; someone must administer this server.
    if let Some((id, i)) = first_new {
        let promote = match sink.store() {
            Some(store) => {
                let none = !store.users().await?.iter().any(|u| u.admin);
                if none {
                    store.set_admin(id, true).await?;
                }
                none
            }
            None => sink.summary.users.iter().all(|u| !u.admin),
        };
        if let (true, Some(u)) = (promote, sink.summary.users.get_mut(i)) {
            u.admin = true;
            u.notes
                .push("made admin: The Lounge has no admins and this server had none".into());
        }
    }
    Ok(())
}

/// `filenamify(name, {replacement: "_"}).toLowerCase()`, as The Lounge names log files.
fn clean_filename(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .to_lowercase()
}

fn fold(name: &str) -> String {
    CaseMapping::Rfc1459.fold(&name.to_lowercase()).into_owned()
}

/// A network of the user, as imported.
struct Network {
    uuid: String,
    /// Lowercase name: the channel name of its lobby in the message store.
    lobby: String,
    conn_id: String,
    /// Lowercase channel name → conversation id.
    channels: HashMap<String, String>,
    /// Log file stem → lowercase channel name.
    files: HashMap<String, String>,
    /// Conversations created for names met only in the logs.
    created: HashSet<String>,
}

impl Network {
    /// The conversation id of a channel as the store names it (lowercase), creating the
    /// conversation when it was not configured.
    async fn conversation(
        &mut self,
        sink: &mut Sink,
        user_id: UserId,
        channel: &str,
    ) -> Result<Option<String>, store::Error> {
        if channel == self.lobby {
            return Ok(Some(String::new()));
        }
        if let Some(id) = self.channels.get(channel) {
            return Ok(Some(id.clone()));
        }
        if !valid_name(channel) {
            return Ok(None);
        }
        let id = fold(channel);
        if self.created.insert(id.clone()) {
            let mut conv = Conversation::new(user_id, &self.conn_id, &id, channel);
            conv.wanted = false;
            sink.conversation(conv).await?;
            sink.read_state(user_id, &self.conn_id, &id, ReadState::All);
        }
        Ok(Some(id))
    }
}

async fn import_user(
    tree: &Tree,
    sink: &mut Sink,
    name: &str,
    path: &Path,
    domain: &str,
) -> Result<Option<UserId>, store::Error> {
    let what = format!("users/{name}.json");
    let json = match json_file(tree, path) {
        Ok(v) => v,
        Err(e) => {
            sink.summary.skip(&what, e);
            return Ok(None);
        }
    };
    let Ok(email) = crate::account::normalize_email(&format!("{name}@{domain}")) else {
        sink.summary
            .skip(&what, "the user name does not make a valid e-mail address");
        return Ok(None);
    };
    let mut hash = json
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let password_note = match crate::account::legacy::check_importable(&hash) {
        Ok(()) => None,
        Err(why) => {
            hash = "!".into();
            Some(format!(
                "password not usable ({why}): give the user a link with `convos recover {email}`"
            ))
        }
    };
    let keywords = json
        .pointer("/clientSettings/highlights")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    let user_id = sink
        .user(ImportUser {
            email: email.clone(),
            password_hash: Secret::new(hash),
            admin: false,
            highlight_keywords: keywords,
            created_at: crate::time::now_ms(),
        })
        .await?;
    let created = sink
        .current()
        .is_some_and(|u| u.account == super::summary::Account::New);
    if let Some(n) = password_note {
        sink.note(n);
    }
    let mut networks = Vec::new();
    let mut ids = HashSet::new();
    for net in json
        .get("networks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        if let Some(n) = network(sink, user_id, &email, &net, &mut ids).await? {
            networks.push(n);
        }
    }
    let db_path = tree.root.join("logs").join(format!("{name}.sqlite3"));
    let db = if db_path.exists() {
        match tree
            .kind(&db_path)
            .map_err(|e| e.to_string())
            .and_then(|k| {
                if k == FileKind::File {
                    Db::open(&db_path).map_err(|e| e.to_string())
                } else {
                    Err("not a regular file".into())
                }
            }) {
            Ok(db) => Some(db),
            Err(e) => {
                let rel = tree.rel(&db_path);
                sink.summary.unreadable.add(|| format!("{rel}: {e}"));
                None
            }
        }
    } else {
        None
    };
    if let Some(db) = &db {
        rows(tree, sink, user_id, &db_path, db, &mut networks).await?;
    }
    let logs = tree.root.join("logs").join(name);
    if logs.is_dir() {
        text_logs(tree, sink, user_id, &logs, db.as_ref(), &mut networks).await?;
    }
    Ok(created.then_some(user_id))
}

/// A network of users/<name>.json → a connection and its conversations.
async fn network(
    sink: &mut Sink,
    user_id: UserId,
    email: &str,
    net: &Value,
    ids: &mut HashSet<String>,
) -> Result<Option<Network>, store::Error> {
    let s = |k: &str| net.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (uuid, name, host) = (s("uuid"), s("name"), s("host"));
    let what = format!("{email} network {name:?}");
    if host.is_empty() {
        sink.summary.skip(&what, "no host");
        return Ok(None);
    }
    let port = net
        .get("port")
        .and_then(|p| p.as_u64().or_else(|| p.as_str()?.parse().ok()))
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(0);
    let tls = net.get("tls").and_then(Value::as_bool).unwrap_or(false);
    let verify = net
        .get("rejectUnauthorized")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let sasl = s("sasl");
    let mut url = match url::Url::parse("irc://localhost") {
        Ok(u) => u,
        Err(_) => return Ok(None),
    };
    let host_part = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    if url.set_host(Some(&host_part)).is_err() {
        sink.summary
            .skip(&what, "the host is not a valid host name");
        return Ok(None);
    }
    if port != 0 {
        let _ = url.set_port(Some(port));
    }
    let (user, pass) = match sasl.as_str() {
        "plain" => {
            if !s("password").is_empty() {
                sink.note(format!(
                    "{name}: the server password was not kept (the connection URL holds the SASL password)"
                ));
            }
            (s("saslAccount"), s("saslPassword"))
        }
        _ => (s("username"), s("password")),
    };
    let _ = url.set_username(&user);
    if !pass.is_empty() {
        let _ = url.set_password(Some(&pass));
    }
    {
        let mut q = url.query_pairs_mut();
        let nick = s("nick");
        if !nick.is_empty() {
            q.append_pair("nick", &nick);
        }
        let realname = s("realname");
        if !realname.is_empty() {
            q.append_pair("realname", &realname);
        }
        q.append_pair("tls", if tls { "1" } else { "0" });
        if tls && !verify {
            q.append_pair("tls_verify", "0");
        }
        if matches!(sasl.as_str(), "plain" | "external") {
            q.append_pair("sasl", &sasl);
        }
    }
    let (url, config) = match usable_url(url.as_str(), "guest") {
        Ok(ok) => ok,
        Err(why) => {
            sink.summary
                .skip(&what, format!("connection URL not usable: {why}"));
            return Ok(None);
        }
    };
    if net
        .get("proxyEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        sink.note(format!("{name}: the proxy setting was not carried over"));
    }
    let base = crate::irc::url::connection_id(&config.host);
    let mut conn_id = base.clone();
    let mut n = 2;
    while !ids.insert(conn_id.clone()) {
        conn_id = format!("{base}-{n}");
        n += 1;
    }
    let wanted = if net
        .get("userDisconnected")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        WantedState::Disconnected
    } else {
        WantedState::Connected
    };
    let commands = net
        .get("commands")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|c| !c.trim().is_empty())
                .map(Secret::new)
                .collect()
        })
        .unwrap_or_default();
    sink.connection(Connection {
        user_id,
        id: conn_id.clone(),
        url: Secret::new(url),
        nick: config.nick.clone(),
        on_connect_commands: commands,
        wanted_state: wanted,
        retention_days: 0,
        client_cert: None,
        state: Value::Object(Default::default()),
    })
    .await?;
    sink.conversation(Conversation::new(user_id, &conn_id, "", &config.host))
        .await?;
    sink.read_state(user_id, &conn_id, "", ReadState::All);
    let mut out = Network {
        uuid,
        lobby: name.to_lowercase(),
        conn_id: conn_id.clone(),
        channels: HashMap::new(),
        files: HashMap::new(),
        created: HashSet::new(),
    };
    out.files.insert(clean_filename(&name), out.lobby.clone());
    for c in net
        .get("channels")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let Some(cname) = c.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !valid_name(cname) {
            sink.summary
                .skip(format!("{what} channel {cname:?}"), "not a valid name");
            continue;
        }
        let id = fold(cname);
        let mut conv = Conversation::new(user_id, &conn_id, &id, cname);
        conv.key = c
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(Secret::new);
        sink.conversation(conv).await?;
        sink.read_state(user_id, &conn_id, &id, ReadState::All);
        let lower = cname.to_lowercase();
        out.files.insert(clean_filename(cname), lower.clone());
        out.channels.insert(lower, id);
    }
    Ok(Some(out))
}

/// The message store, from where an earlier import stopped.
async fn rows(
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
        let all = db.count_after(0)?;
        sink.already(all.saturating_sub(todo));
    }
    sink.expect_work(todo * ROW_UNITS);
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
            let entry = NewEntry {
                user_id,
                connection_id: net.conn_id.clone(),
                conversation_id: conv_id,
                time: row.time,
                kind: m.kind,
                from: m.from,
                source: None,
                text: m.text,
                msgid: row.msgid.filter(|m| !m.is_empty() && m.len() <= 256),
                account: None,
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

/// A message as stored here.
struct Msg {
    kind: Kind,
    from: String,
    text: String,
    highlight: bool,
}

/// A row of The Lounge's store (type + JSON) as a message; `None` for types without
/// anything to show.
fn from_row(kind: &str, msg: &Value) -> Option<Msg> {
    let s = |p: &str| msg.pointer(p).and_then(Value::as_str).unwrap_or("");
    let nick = s("/from/nick").to_owned();
    let text = s("/text").to_owned();
    let highlight = msg
        .get("highlight")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (kind, text) = match kind {
        "message" => (Kind::Privmsg, text),
        "action" => (Kind::Action, text),
        "notice" => (Kind::Notice, text),
        "join" => (Kind::Join, format!("{nick} joined.")),
        "part" => (Kind::Part, text),
        "quit" => (Kind::Quit, quit(&nick, &text)),
        "kick" => {
            let target = s("/target/nick").to_owned();
            let t = kicked(&target, &nick, &text);
            return Some(Msg {
                kind: Kind::Kick,
                from: target,
                text: t,
                highlight,
            });
        }
        "nick" => (
            Kind::Nick,
            format!("{nick} is now known as {}.", s("/new_nick")),
        ),
        "mode" | "mode_channel" | "mode_user" => (Kind::Mode, text),
        "topic" => (Kind::Topic, topic(&nick, &text)),
        "chghost" => (
            Kind::Server,
            format!(
                "{nick} changed host to {}@{}",
                s("/new_ident"),
                s("/new_host")
            ),
        ),
        "error" if !text.is_empty() => (Kind::Error, text),
        _ if !text.is_empty() => (Kind::Server, text),
        _ => return None,
    };
    Some(Msg {
        kind,
        from: nick,
        text,
        highlight,
    })
}

fn quit(nick: &str, reason: &str) -> String {
    if reason.is_empty() {
        format!("{nick} quit.")
    } else {
        format!("{nick} quit: {reason}")
    }
}

fn kicked(target: &str, by: &str, reason: &str) -> String {
    if reason.is_empty() {
        format!("{target} was kicked by {by}")
    } else {
        format!("{target} was kicked by {by}: {reason}")
    }
}

fn topic(nick: &str, text: &str) -> String {
    if nick.is_empty() {
        format!("The topic is: {text}")
    } else {
        format!("{nick} changed the topic to: {text}")
    }
}

/// A row rendered as The Lounge writes it to its text log (`text.ts`), continuation lines
/// joined with `\n`; `None` for types it does not log.
fn render(kind: &str, msg: &Value) -> Option<String> {
    let s = |p: &str| msg.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (mode, nick, text, host) = (s("/from/mode"), s("/from/nick"), s("/text"), s("/hostmask"));
    Some(match kind {
        "action" => format!("* {mode}{nick} {text}"),
        "join" => format!("*** {nick} ({host}) joined"),
        "kick" => format!("*** {} was kicked by {nick} ({text})", s("/target/nick")),
        "message" => format!("<{mode}{nick}> {text}"),
        "mode" => format!("*** {nick} set mode {text}"),
        "nick" => format!("*** {nick} changed nick to {}", s("/new_nick")),
        "notice" => format!("-{nick}- {text}"),
        "part" => format!("*** {nick} ({host}) left ({text})"),
        "quit" => format!("*** {nick} ({host}) quit ({text})"),
        "chghost" => format!(
            "*** {nick} changed host to '{}@{}'",
            s("/new_ident"),
            s("/new_host")
        ),
        "topic" => format!("*** {nick} changed topic to '{text}'"),
        _ => return None,
    })
}

/// A nick as the text log shows it, without its mode symbol (`@fred` → `fred`).
fn bare(nick: &str) -> &str {
    nick.strip_prefix(['~', '&', '@', '%', '+', '!'])
        .filter(|n| !n.is_empty())
        .unwrap_or(nick)
}

/// A text log record (after `[time] `) as a message.
fn from_text(rest: &str) -> Msg {
    let msg = |kind, from: &str, text: String| Msg {
        kind,
        from: from.to_owned(),
        text,
        highlight: false,
    };
    if let Some((nick, text)) = rest
        .strip_prefix('<')
        .and_then(|r| r.split_once("> "))
        .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
    {
        return msg(Kind::Privmsg, bare(nick), text.to_owned());
    }
    if let Some((nick, text)) = rest
        .strip_prefix("* ")
        .and_then(|r| r.split_once(' '))
        .filter(|(n, _)| !n.is_empty())
    {
        return msg(Kind::Action, bare(nick), text.to_owned());
    }
    if let Some((nick, text)) = rest
        .strip_prefix('-')
        .and_then(|r| r.split_once("- "))
        .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
    {
        return msg(Kind::Notice, nick, text.to_owned());
    }
    let Some(body) = rest.strip_prefix("*** ") else {
        return msg(Kind::Server, "", rest.to_owned());
    };
    let (nick, tail) = body.split_once(' ').unwrap_or((body, ""));
    let paren =
        |t: &str| -> Option<String> { Some(t.strip_prefix('(')?.strip_suffix(')')?.to_owned()) };
    if tail.ends_with(") joined") && tail.starts_with('(') {
        return msg(Kind::Join, nick, format!("{nick} joined."));
    }
    if let Some(r) = tail.strip_prefix("was kicked by ") {
        let (by, reason) = r.split_once(' ').unwrap_or((r, ""));
        let reason = paren(reason).unwrap_or_default();
        return msg(Kind::Kick, nick, kicked(nick, by, &reason));
    }
    if let Some(m) = tail.strip_prefix("set mode ") {
        return msg(Kind::Mode, nick, m.to_owned());
    }
    if let Some(new) = tail.strip_prefix("changed nick to ") {
        return msg(Kind::Nick, nick, format!("{nick} is now known as {new}."));
    }
    if let Some(t) = tail
        .strip_prefix("changed topic to '")
        .and_then(|t| t.strip_suffix('\''))
    {
        return msg(Kind::Topic, nick, topic(nick, t));
    }
    if let Some(h) = tail
        .strip_prefix("changed host to '")
        .and_then(|t| t.strip_suffix('\''))
    {
        return msg(Kind::Server, nick, format!("{nick} changed host to {h}"));
    }
    if tail.starts_with('(') {
        if let Some((_, after)) = tail.split_once(") ") {
            if let Some(r) = after.strip_prefix("left ").and_then(paren) {
                return msg(Kind::Part, nick, r);
            }
            if let Some(r) = after.strip_prefix("quit ").and_then(paren) {
                return msg(Kind::Quit, nick, quit(nick, &r));
            }
        }
    }
    msg(Kind::Server, "", body.to_owned())
}

/// Every text log of the user: `logs/<name>/<network>-<uuid tail>/<channel>.log`.
async fn text_logs(
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
        let sizes: u64 = files
            .iter()
            .filter_map(|(_, p)| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        sink.expect_work(sizes);
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
            p.text.push('\n');
            p.text.push_str(more);
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
                    .is_some_and(|line| line == r.text)
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
        highlight: false,
        backfill: true,
    };
    sink.push(entry, src, r.last as i64).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_render_as_the_text_log_and_read_back_alike() {
        let cases = [
            (
                "message",
                json!({"from": {"mode": "@", "nick": "fred"}, "text": "hi"}),
                "<@fred> hi",
                Kind::Privmsg,
                "fred",
                "hi",
            ),
            (
                "action",
                json!({"from": {"mode": "", "nick": "fred"}, "text": "waves"}),
                "* fred waves",
                Kind::Action,
                "fred",
                "waves",
            ),
            (
                "notice",
                json!({"from": {"nick": "NickServ"}, "text": "x y"}),
                "-NickServ- x y",
                Kind::Notice,
                "NickServ",
                "x y",
            ),
            (
                "join",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h"}),
                "*** gina (g@h) joined",
                Kind::Join,
                "gina",
                "gina joined.",
            ),
            (
                "part",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h", "text": "bye now"}),
                "*** gina (g@h) left (bye now)",
                Kind::Part,
                "gina",
                "bye now",
            ),
            (
                "quit",
                json!({"from": {"nick": "gina"}, "hostmask": "g@h", "text": "EOF"}),
                "*** gina (g@h) quit (EOF)",
                Kind::Quit,
                "gina",
                "gina quit: EOF",
            ),
            (
                "kick",
                json!({"from": {"nick": "op"}, "target": {"nick": "gina"}, "text": "spam"}),
                "*** gina was kicked by op (spam)",
                Kind::Kick,
                "gina",
                "gina was kicked by op: spam",
            ),
            (
                "mode",
                json!({"from": {"nick": "op"}, "text": "+o gina"}),
                "*** op set mode +o gina",
                Kind::Mode,
                "op",
                "+o gina",
            ),
            (
                "nick",
                json!({"from": {"nick": "gina"}, "new_nick": "gin"}),
                "*** gina changed nick to gin",
                Kind::Nick,
                "gina",
                "gina is now known as gin.",
            ),
            (
                "topic",
                json!({"from": {"nick": "op"}, "text": "new"}),
                "*** op changed topic to 'new'",
                Kind::Topic,
                "op",
                "op changed the topic to: new",
            ),
            (
                "chghost",
                json!({"from": {"nick": "gina"}, "new_ident": "i", "new_host": "h"}),
                "*** gina changed host to 'i@h'",
                Kind::Server,
                "gina",
                "gina changed host to i@h",
            ),
        ];
        for (kind, row, line, k, from, text) in cases {
            assert_eq!(render(kind, &row).as_deref(), Some(line), "{kind}");
            let m = from_row(kind, &row).expect("a message");
            assert_eq!(
                (m.kind, m.from.as_str(), m.text.as_str()),
                (k, from, text),
                "{kind} row"
            );
            let t = from_text(line);
            assert_eq!(
                (t.kind, t.from.as_str(), t.text.as_str()),
                (k, from, text),
                "{line}"
            );
        }
        assert!(from_row("whois", &json!({"from": {"nick": "x"}})).is_none());
        assert_eq!(render("whois", &json!({})), None);
        assert_eq!(from_text("something else").kind, Kind::Server);
    }

    #[test]
    fn file_names_as_the_lounge_writes_them() {
        assert_eq!(clean_filename("#Lounge"), "#lounge");
        assert_eq!(clean_filename("#a/b:c"), "#a_b_c");
        assert_eq!(
            split_time("[2019-08-08T08:08:08.123Z] x y").map(|t| t.1),
            Some("x y")
        );
        assert!(is_continuation(b"[2019-08-08T08:08:08.123Z] | more"));
        assert!(!is_continuation(b"[2019-08-08T08:08:08.123Z] <a> b"));
    }
}
