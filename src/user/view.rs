//! The actor's state as the API objects of [`crate::wire`].

use irc_proto::ISupport;

use super::presence::People;
use super::state::{Conn, Conv};
use crate::model::ConversationKind;
use crate::wire;

pub fn connection(c: &Conn) -> wire::Connection {
    let m = &c.model;
    let fingerprint = c
        .config
        .client_cert
        .as_ref()
        .and_then(|c| crate::irc::url::fingerprint(&c.cert));
    wire::Connection {
        connection_id: m.id.clone(),
        name: m
            .name
            .clone()
            .or_else(|| c.isupport.network().map(str::to_string))
            .unwrap_or_else(|| c.config.host.clone()),
        url: crate::irc::url::redact(m.url.expose()),
        nick: c.nick.clone(),
        me: wire::Me {
            nick: c.nick.clone(),
        },
        state: c.state,
        wanted_state: m.wanted_state,
        message: c.message.clone(),
        on_connect_commands: m
            .on_connect_commands
            .iter()
            .map(|s| super::redact::command(s.expose()))
            .collect(),
        retention_days: m.retention_days,
        certificate: wire::Certificate { fingerprint },
        server: wire::Server::from(&c.config),
        ignore: m.ignore.clone(),
        casemapping: c.isupport.casemapping().name().to_string(),
    }
}

/// A conversation; `people` and `isupport` are its connection's (for a private
/// conversation's presence).
pub fn conversation(people: &People, isupport: &ISupport, c: &Conv) -> wire::Conversation {
    let m = &c.model;
    let private = m.kind == ConversationKind::Private;
    wire::Conversation {
        connection_id: m.connection_id.clone(),
        conversation_id: m.id.clone(),
        name: m.name.clone(),
        topic: m.topic.clone(),
        frozen: m.frozen.clone().unwrap_or_default(),
        unread: m.unread,
        notifications: m.highlights,
        last_read: m.last_read.0,
        is_private: private,
        notify: m.notify.clone(),
        presence: if private {
            people.get(isupport, &m.name)
        } else {
            None
        },
    }
}

/// A channel's members, with what is known of their presence.
pub fn participants(people: &People, isupport: &ISupport, conv: &Conv) -> Vec<wire::Participant> {
    conv.participants
        .iter()
        .map(|p| {
            let (away, account) = people.of(isupport, &p.nick);
            wire::Participant {
                nick: p.nick.to_string(),
                mode: p.prefix.to_string(),
                away,
                account,
            }
        })
        .collect()
}

/// The `participants` state event.
pub fn participants_event(
    cid: &str,
    people: &People,
    isupport: &ISupport,
    conv: &Conv,
) -> wire::Event {
    wire::Event::State(wire::State::Participants {
        connection_id: cid.to_string(),
        conversation_id: conv.model.id.clone(),
        participants: participants(people, isupport, conv),
    })
}

/// A `conversation` state event.
pub fn conversation_event(
    cid: &str,
    people: &People,
    isupport: &ISupport,
    conv: &Conv,
) -> wire::Event {
    wire::Event::State(wire::State::Conversation {
        connection_id: cid.to_string(),
        conversation: conversation(people, isupport, conv),
    })
}
