//! A Convos home (4.x through 8.x and the Go rewrite's identical file layout), as
//! `Convos::Core::Backend::File` keeps it:
//!
//! ```text
//! settings.json                          server settings
//! settings/connections/<id>.json         connection profiles (8.x)
//! <email>/user.json                      account: email, password (bcrypt or argon2),
//!                                        roles, highlight_keywords, registered, uid
//! <email>/notifications.log              TS CONNECTION CONVERSATION MESSAGE
//! <email>/upload/                        uploaded files (8.x)
//! <email>/<connection>/connection.json   url, wanted_state, on_connect_commands,
//!                                        dialogs (≤ 4.x) or conversations (later)
//! <email>/<connection>/<connection>.cert|.key   client certificate (8.x)
//! <email>/<connection>/YYYY/MM.log       the server conversation, one file a month
//! <email>/<connection>/YYYY/MM/<id>.log  a conversation; `/` in its id written `%2F`
//! ```
//!
//! A log line is `YYYY-MM-DDTHH:MM:SS F MESSAGE` (UTC; `F` a flag digit since 4.x: bit 1 a
//! highlight, bit 2 preformatted; older logs have no flag), `MESSAGE` being `<nick> text`,
//! `* nick text`, `-nick- text` or a server line (`-!- text`), read exactly as Convos read
//! them (`_message_type_from`). Never writes below the imported directory.

mod line;
mod logs;

use logs::{logs, Notifications};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use irc_proto::CaseMapping;
use serde_json::Value;

use super::lines::{Kind as FileKind, Lines, Tree};
use super::sink::{Sink, SourceId};
use super::{json_file, valid_name};
use crate::account::settings::{Settings, Update};
use crate::model::{ClientCert, Connection, Conversation, Secret, UserId, WantedState};
use crate::store::{self, ImportUser, ReadState};

/// Imports the Convos home `tree` into `sink`.
pub async fn import(tree: &Tree, sink: &mut Sink) -> Result<(), store::Error> {
    settings(tree, sink).await?;
    let mut users = candidates(tree, sink);
    // user/connection/YYYY/MM/x.log
    let work = users.iter().map(|u| tree.log_bytes(&u.path, 4)).sum();
    sink.expect_work(work);
    // As Convos ordered them: by registration, then e-mail.
    users.sort_by(|a, b| (a.registered, &a.dir).cmp(&(b.registered, &b.dir)));
    let mut groups: Vec<(String, Vec<Candidate>)> = Vec::new();
    for u in users {
        match groups.iter_mut().find(|(email, _)| *email == u.email) {
            Some((_, members)) => members.push(u),
            None => groups.push((u.email.clone(), vec![u])),
        }
    }
    for (email, members) in groups {
        import_user(tree, sink, &email, members).await?;
    }
    Ok(())
}

/// `settings.json` → server settings; a connection profile's URL becomes the default
/// connection when the settings name none.
async fn settings(tree: &Tree, sink: &mut Sink) -> Result<(), store::Error> {
    let path = tree.root.join("settings.json");
    let mut update = Update::default();
    if path.exists() {
        match json_file(tree, &path) {
            Ok(v) => {
                let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
                let b = |k: &str| v.get(k).and_then(truthy);
                update.organization_name = s("organization_name");
                update.organization_url = s("organization_url");
                update.contact = s("contact");
                update.default_connection = s("default_connection");
                update.forced_connection = b("forced_connection");
                update.open_to_public = b("open_to_public");
                if let Some(base) = s("base_url").filter(|b| !b.is_empty()) {
                    sink.summary.skip(
                        "settings.json base_url",
                        format!("set CONVOS_REQUEST_BASE={base} instead"),
                    );
                }
                if v.get("video_service").is_some() {
                    sink.summary
                        .skip("settings.json video_service", "calls are built in");
                }
            }
            Err(e) => sink.summary.skip("settings.json", e),
        }
    }
    let profiles = tree.root.join("settings").join("connections");
    if update.default_connection.is_none() && profiles.is_dir() {
        let mut urls = Vec::new();
        for (name, path) in tree.list(&profiles).unwrap_or_default() {
            if !name.ends_with(".json") {
                continue;
            }
            match json_file(tree, &path) {
                Ok(v) => {
                    if let Some(url) = v.get("url").and_then(Value::as_str) {
                        let default = v.get("is_default").and_then(truthy).unwrap_or(false);
                        urls.push((default, url.to_owned()));
                    }
                }
                Err(e) => sink.summary.skip(format!("settings/connections/{name}"), e),
            }
        }
        // The profile marked default, else the only one.
        let chosen = match urls.iter().find(|(d, _)| *d) {
            Some((_, u)) => Some(u.clone()),
            None if urls.len() == 1 => urls.pop().map(|(_, u)| u),
            None => None,
        };
        update.default_connection = chosen;
    }
    let store = sink.store().cloned();
    let imported = Settings::import(store.as_ref(), update).await?;
    sink.summary.settings = imported.taken.iter().map(|s| s.to_string()).collect();
    for bad in imported.refused {
        sink.summary
            .skip(format!("settings.json {}", bad.field), bad.message);
    }
    Ok(())
}

/// A JSON boolean, or Perl's 0/1 and "0"/"1".
fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => Some(!(s.is_empty() || s == "0" || s == "false")),
        _ => None,
    }
}

/// A user directory of the home.
struct Candidate {
    dir: String,
    path: PathBuf,
    email: String,
    json: Value,
    registered: i64,
}

/// The user directories (`<x>@<y>/user.json`), each read and checked.
fn candidates(tree: &Tree, sink: &mut Sink) -> Vec<Candidate> {
    let mut out = Vec::new();
    let entries = match tree.list(&tree.root) {
        Ok(e) => e,
        Err(e) => {
            sink.summary.skip(tree.root.display(), e);
            return out;
        }
    };
    for (name, path) in entries {
        // Convos: `next unless $email =~ /.\@./` (its "poor man's regex").
        let Some(at) = name.find('@') else { continue };
        if at == 0 || at + 1 >= name.len() || name.starts_with('.') {
            continue;
        }
        match tree.kind(&path) {
            Ok(FileKind::Dir) => {}
            Ok(_) => continue,
            Err(e) => {
                sink.summary.skip(&name, e);
                continue;
            }
        }
        let file = path.join("user.json");
        if !file.exists() {
            sink.summary.skip(&name, "no user.json");
            continue;
        }
        let json = match json_file(tree, &file) {
            Ok(v) => v,
            Err(e) => {
                sink.summary.skip(format!("{name}/user.json"), e);
                continue;
            }
        };
        let given = json.get("email").and_then(Value::as_str).unwrap_or(&name);
        let email = match crate::account::normalize_email(given)
            .or_else(|_| crate::account::normalize_email(&name))
        {
            Ok(e) => e,
            Err(_) => {
                sink.summary.skip(&name, "not a valid e-mail address");
                continue;
            }
        };
        // Convos: `registered ||= ctime of user.json`.
        let registered = json
            .get("registered")
            .and_then(Value::as_str)
            .and_then(crate::time::parse_rfc3339)
            .or_else(|| {
                std::fs::metadata(&file)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
            })
            .unwrap_or_else(crate::time::now_ms);
        out.push(Candidate {
            dir: name,
            path,
            email,
            json,
            registered,
        });
    }
    out
}

/// One account, from one or more directories whose e-mails differ only in case: the
/// oldest gives the password, roles and keywords; the others' connections and logs are
/// merged into it, so nothing is lost.
async fn import_user(
    tree: &Tree,
    sink: &mut Sink,
    email: &str,
    members: Vec<Candidate>,
) -> Result<(), store::Error> {
    let Some(first) = members.first() else {
        return Ok(());
    };
    let j = &first.json;
    let (hash, password_note) =
        super::imported_password(j.get("password").and_then(Value::as_str), email);
    let roles = strings(j.get("roles"));
    let keywords: Vec<String> = strings(j.get("highlight_keywords"))
        .into_iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| k.chars().any(char::is_alphanumeric))
        .collect();
    let user = ImportUser {
        email: email.to_owned(),
        password_hash: Secret::new(hash),
        admin: roles.iter().any(|r| r == "admin"),
        highlight_keywords: keywords,
        created_at: first.registered,
    };
    let user_id = sink.user(user).await?;
    // An account that was here already keeps its own password.
    let created = sink
        .current()
        .is_some_and(|u| u.account == super::summary::Account::New);
    if let (Some(n), true) = (password_note, created) {
        sink.note(n);
    }
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            sink.note(format!(
                "{} merged into this account (the e-mails differ only in case); its password and roles were not used",
                member.dir
            ));
        }
        import_dir(tree, sink, user_id, email, member).await?;
    }
    Ok(())
}

/// The strings of a JSON array (other values skipped).
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// What one user directory holds.
async fn import_dir(
    tree: &Tree,
    sink: &mut Sink,
    user_id: UserId,
    email: &str,
    member: &Candidate,
) -> Result<(), store::Error> {
    let mut notes = Notifications::load(tree, sink, user_id, &member.path);
    let entries = match tree.list(&member.path) {
        Ok(e) => e,
        Err(e) => {
            sink.summary.skip(&member.dir, e);
            return Ok(());
        }
    };
    let mut connections: HashMap<String, String> = HashMap::new();
    for (name, path) in entries {
        if name == "upload" {
            uploads(tree, sink, &member.dir, &path);
            continue;
        }
        if !name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
            || !matches!(tree.kind(&path), Ok(FileKind::Dir))
            || !path.join("connection.json").exists()
        {
            continue;
        }
        if let Some(id) = connection(
            tree,
            sink,
            user_id,
            email,
            &member.dir,
            &name,
            &path,
            &mut notes,
        )
        .await?
        {
            connections.insert(name, id);
        }
    }
    notes.leftovers(sink, user_id, &connections).await?;
    Ok(())
}

/// `upload/`: listed as skipped (no upload feature to carry them to yet).
fn uploads(tree: &Tree, sink: &mut Sink, dir: &str, path: &Path) {
    let files = tree
        .list(path)
        .map(|e| e.iter().filter(|(n, _)| n.ends_with(".data")).count())
        .unwrap_or(0);
    if files > 0 {
        sink.summary.skip(
            format!("{dir}/upload"),
            format!("{files} uploaded files: file uploads are not carried over (this server has no upload feature yet)"),
        );
    }
}

/// A connection id as we keep it: lowercase letters, digits, `-` and `_`.
fn connection_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// One connection directory: the connection, its conversations, its logs. Returns the
/// connection id used, `None` when it was skipped.
#[allow(clippy::too_many_arguments)]
async fn connection(
    tree: &Tree,
    sink: &mut Sink,
    user_id: UserId,
    email: &str,
    user_dir: &str,
    name: &str,
    path: &Path,
    notes: &mut Notifications,
) -> Result<Option<String>, store::Error> {
    let what = format!("{user_dir}/{name}");
    let json = match json_file(tree, &path.join("connection.json")) {
        Ok(v) => v,
        Err(e) => {
            sink.summary.skip(format!("{what}/connection.json"), e);
            return Ok(None);
        }
    };
    let Some(raw_url) = json.get("url").and_then(Value::as_str) else {
        sink.summary.skip(&what, "connection.json has no url");
        return Ok(None);
    };
    let default_nick = json
        .pointer("/info/nick")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            email
                .split('@')
                .next()
                .unwrap_or("guest")
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        });
    let (url, config) = match super::usable_url(raw_url, &default_nick) {
        Ok(ok) => ok,
        Err(why) => {
            sink.summary
                .skip(&what, format!("connection URL not usable: {why}"));
            return Ok(None);
        }
    };
    if url != raw_url {
        sink.note(format!(
            "{name}: parts of the connection URL this server does not understand were dropped"
        ));
    }
    let given = json
        .get("connection_id")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_ascii_lowercase();
    let id = if connection_id_ok(&given) {
        given
    } else {
        crate::irc::url::connection_id(&config.host)
    };
    let wanted = match json.get("wanted_state").and_then(Value::as_str) {
        Some("disconnected") => WantedState::Disconnected,
        _ => WantedState::Connected,
    };
    let commands = strings(json.get("on_connect_commands"))
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .map(Secret::new)
        .collect();
    let client_cert = cert(tree, path, name);
    sink.connection(Connection {
        user_id,
        id: id.clone(),
        url: Secret::new(url),
        nick: config.nick.clone(),
        on_connect_commands: commands,
        wanted_state: wanted,
        retention_days: 0,
        client_cert,
        ignore: Vec::new(),
        sts: None,
        name: None,
        state: Value::Object(Default::default()),
    })
    .await?;
    // The server conversation, then those the user had open.
    let mut known: HashSet<String> = HashSet::new();
    sink.conversation(Conversation::new(user_id, &id, "", &config.host))
        .await?;
    sink.read_state(user_id, &id, "", ReadState::All);
    known.insert(String::new());
    let listed = json
        .get("conversations")
        .or_else(|| json.get("dialogs"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in &listed {
        let Some(conv_name) = c
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| c.get("conversation_id").and_then(Value::as_str))
            .or_else(|| c.get("dialog_id").and_then(Value::as_str))
        else {
            continue;
        };
        if !valid_name(conv_name) {
            sink.summary.skip(
                format!("{what} conversation {conv_name:?}"),
                "not a valid name",
            );
            continue;
        }
        let conv_id = fold(conv_name);
        if !known.insert(conv_id.clone()) {
            continue;
        }
        let mut conv = Conversation::new(user_id, &id, &conv_id, conv_name);
        conv.topic = c
            .get("topic")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        conv.frozen = c
            .get("frozen")
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty())
            .map(str::to_owned);
        conv.key = c
            .get("password")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(Secret::new);
        sink.conversation(conv).await?;
        let state = match (
            c.get("unread").and_then(Value::as_u64),
            c.get("last_read")
                .and_then(Value::as_str)
                .and_then(crate::time::parse_rfc3339),
        ) {
            (Some(n), _) => ReadState::Unread(n),
            (None, Some(at)) => ReadState::At(at),
            (None, None) => ReadState::All,
        };
        sink.read_state(user_id, &id, &conv_id, state);
    }
    logs(tree, sink, user_id, &id, &what, path, &mut known, notes).await?;
    Ok(Some(id))
}

/// The connection's client certificate (`<id>.cert` and `<id>.key`), when both are there.
fn cert(tree: &Tree, dir: &Path, name: &str) -> Option<ClientCert> {
    let read = |ext: &str| {
        let bytes = tree
            .read_small(&dir.join(format!("{name}.{ext}")), 64 * 1024)
            .ok()?;
        String::from_utf8(bytes)
            .ok()
            .filter(|s| s.contains("-----BEGIN"))
    };
    Some(ClientCert {
        cert: read("cert")?,
        key: Secret::new(read("key")?),
    })
}

/// A conversation name folded as the daemon folds it before the server says otherwise.
fn fold(name: &str) -> String {
    CaseMapping::Rfc1459.fold(&name.to_lowercase()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_like_the_daemon() {
        assert_eq!(fold("#Convos[x]"), "#convos{x}");
        assert_eq!(fold("Batman"), "batman");
    }
}
