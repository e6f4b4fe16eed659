//! The JSON shapes of docs/api.md for connections, conversations and messages.

use serde_json::{json, Value};

use super::actor::{Conn, Conv};
use crate::model::{ConversationKind, Entry, Kind};

/// API `type` of a message kind (Convos calls PRIVMSG "private").
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Privmsg => "private",
        other => other.as_str(),
    }
}

/// A stored message as a `message` event / API object.
pub fn message(e: &Entry, own_nick: &str) -> Value {
    let mut m = message_object(e);
    m["event"] = "message".into();
    m["self"] = (!e.from.is_empty() && e.from.eq_ignore_ascii_case(own_nick)).into();
    m
}

/// A stored message as an API object (no `event`, `self` unknown → false).
pub fn message_object(e: &Entry) -> Value {
    json!({
        "id": e.id.0,
        "connection_id": e.connection_id,
        "conversation_id": e.conversation_id,
        "ts": crate::time::format_ms(e.time),
        "type": kind_name(e.kind),
        "from": e.from,
        "message": e.text,
        "highlight": e.highlight,
        "self": false,
    })
}

pub fn connection(c: &Conn) -> Value {
    let m = &c.model;
    let fingerprint = c
        .config
        .client_cert
        .as_ref()
        .and_then(|c| crate::irc::url::fingerprint(&c.cert));
    json!({
        "certificate": {"fingerprint": fingerprint},
        "connection_id": m.id,
        "name": c.isupport.network().map(str::to_string).unwrap_or_else(|| c.config.host.clone()),
        "url": crate::irc::url::redact(m.url.expose()),
        "nick": c.nick,
        "me": {"nick": c.nick},
        "state": c.state.as_str(),
        "wanted_state": m.wanted_state.as_str(),
        "retention_days": m.retention_days,
        "message": c.message,
        "on_connect_commands": m.on_connect_commands.iter().map(|s| super::redact::command(s.expose())).collect::<Vec<_>>(),
    })
}

pub fn conversation(c: &Conv) -> Value {
    let m = &c.model;
    json!({
        "connection_id": m.connection_id,
        "conversation_id": m.id,
        "name": m.name,
        "topic": m.topic,
        "frozen": m.frozen.clone().unwrap_or_default(),
        "unread": m.unread,
        "notifications": m.highlights,
        "last_read": m.last_read.0,
        "is_private": m.kind == ConversationKind::Private,
        "info": {},
    })
}

/// `participants` state event.
pub fn participants(cid: &str, conv: &Conv) -> Value {
    let list: Vec<Value> = conv
        .participants
        .values()
        .map(|p| json!({"nick": p.nick, "mode": p.prefix}))
        .collect();
    json!({"event": "state", "type": "participants", "connection_id": cid,
           "conversation_id": conv.model.id, "participants": list})
}
