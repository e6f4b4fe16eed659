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

mod logs;
mod messages;

use logs::{rows, text_logs};

use std::collections::{HashMap, HashSet};
use std::path::Path;

use irc_proto::CaseMapping;
use serde_json::Value;

use super::lines::{Kind as FileKind, Lines, Tree};
use super::sink::{Sink, SourceId};
use super::{json_file, usable_url, valid_name};
use crate::model::{Connection, Conversation, Secret, UserId, WantedState};
use crate::store::{self, thelounge::Db, ImportUser, ReadState};

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
    // The work: every text log (logs/NAME/NETWORK/x.log) and every row of the stores.
    let mut work = tree.log_bytes(&tree.root.join("logs"), 2);
    for (file, _) in &files {
        let Some(name) = file.strip_suffix(".json") else {
            continue;
        };
        let db = tree.root.join("logs").join(format!("{name}.sqlite3"));
        if matches!(tree.kind(&db), Ok(FileKind::File)) {
            if let Ok(n) = Db::open(&db).and_then(|d| d.count_after(0)) {
                work += n * logs::ROW_UNITS;
            }
        }
    }
    sink.expect_work(work);
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
    let (hash, password_note) =
        super::imported_password(json.get("password").and_then(Value::as_str), &email);
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
    // An account that was here already keeps its own password.
    if let (Some(n), true) = (password_note, created) {
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
        ignore: Vec::new(),
        sts: None,
        name: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_as_the_lounge_writes_them() {
        assert_eq!(clean_filename("#Lounge"), "#lounge");
        assert_eq!(clean_filename("#a/b:c"), "#a_b_c");
    }
}
