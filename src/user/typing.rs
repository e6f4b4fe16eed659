//! Typing notifications (<https://ircv3.net/specs/client-tags/typing>): `+typing` client
//! tags on `TAGMSG` become `typing` events for the browser (never stored), and the user's
//! own typing goes out the same way, throttled, where the server allows client tags.

use std::time::Duration;

use irc_proto::{ISupport, Message};

use super::state::{Actor, ConnState};
use crate::irc;
use crate::wire::{Event, State, Typing};

/// `active` is repeated at most this often (the spec's 3 s).
const ACTIVE_EVERY: Duration = Duration::from_secs(3);
/// Conversations one connection remembers a sent `active` for, most.
const MAX_TRACKED: usize = 64;

impl Actor {
    /// A `TAGMSG` from the server: a `+typing` in a conversation the user has becomes a
    /// `typing` event. Anything else on a TAGMSG (reactions, ...) is not shown yet.
    pub(super) fn typing_in(&mut self, cid: &str, msg: &Message, nick: &str) {
        let Some(state) = msg
            .tag_value("+typing")
            .or_else(|| msg.tag_value("typing"))
            .and_then(Typing::parse)
        else {
            return;
        };
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let target = msg.param(0).unwrap_or("");
        if nick.is_empty() || c.is_me(nick) || target.is_empty() {
            return; // our own typing echoed, or nonsense
        }
        let conv = if c.is_channel(target) {
            c.fold(target)
        } else {
            c.fold(nick)
        };
        // Only where the user already has the conversation: typing never creates one.
        if !c.convs.get(&conv).is_some_and(|v| v.model.wanted) {
            return;
        }
        self.publish(vec![Event::State(State::Typing {
            connection_id: cid.to_string(),
            conversation_id: conv,
            nick: nick.to_string(),
            state,
        })]);
    }

    /// The user is typing: `@+typing=STATE TAGMSG target`, when connected with
    /// `message-tags`, the server does not deny the tag, and not more often than allowed.
    pub(super) async fn typing_out(&mut self, cid: &str, conv_id: &str, state: Typing) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        let Some(conv) = c.convs.get(conv_id) else {
            return;
        };
        if c.state != ConnState::Connected
            || conv_id.is_empty()
            || (c.is_channel(&conv.model.name) && !conv.joined)
            || !c.caps.iter().any(|cap| cap == "message-tags")
            || denied(&c.isupport, "typing")
        {
            return;
        }
        let now = tokio::time::Instant::now();
        match state {
            Typing::Active => {
                if c.typing_sent
                    .get(conv_id)
                    .is_some_and(|t| now.duration_since(*t) < ACTIVE_EVERY)
                {
                    return;
                }
                if c.typing_sent.len() >= MAX_TRACKED {
                    c.typing_sent.clear();
                }
                c.typing_sent.insert(conv_id.to_string(), now);
            }
            // Paused or done only after an active we sent.
            Typing::Paused | Typing::Done => {
                if c.typing_sent.remove(conv_id).is_none() {
                    return;
                }
            }
        }
        let Ok(line) = Message::new("TAGMSG")
            .tag("+typing", state.as_str())
            .param(&conv.model.name)
            .build()
        else {
            return;
        };
        c.handle.request(irc::Request::Send(line)).await;
    }
}

/// Whether ISUPPORT `CLIENTTAGDENY` forbids the client tag `name` (without `+`):
/// `*` denies all but the `-name`d ones (<https://ircv3.net/specs/extensions/message-tags>).
pub(super) fn denied(isupport: &ISupport, name: &str) -> bool {
    let Some(Some(list)) = isupport.get("CLIENTTAGDENY") else {
        return false;
    };
    let mut deny = false;
    for item in list.split(',') {
        match item {
            "*" => deny = true,
            i if i.strip_prefix('-') == Some(name) => return false,
            i if i == name => return true,
            _ => {}
        }
    }
    deny
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tag_deny() {
        let cases = [
            (None, false),
            (Some("CLIENTTAGDENY="), false),
            (Some("CLIENTTAGDENY=*"), true),
            (Some("CLIENTTAGDENY=*,-typing"), false),
            (Some("CLIENTTAGDENY=typing,draft/react"), true),
            (Some("CLIENTTAGDENY=draft/react"), false),
        ];
        for (token, want) in cases {
            let mut i = ISupport::default();
            if let Some(t) = token {
                i.apply_token(t);
            }
            assert_eq!(denied(&i, "typing"), want, "{token:?}");
        }
    }
}
