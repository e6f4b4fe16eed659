//! Which events become a Web Push, and its content: what the conversation's notification
//! level asks for (highlights and private messages by default, every message, or nothing;
//! nothing while muted) and incoming calls, only while none of the user's browsers is
//! active (the same count as auto-away), outside the user's quiet hours (calls may still
//! ring), and never for lines replayed from history. The push task ([`crate::push`])
//! collapses bursts and does the sending. Also where those choices are set.

use irc_proto::formatting::strip_formatting;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::state::Actor;
use super::{view, Error};
use crate::model::{ConversationKind, Entry};
use crate::notify::Notify;
use crate::push::{Job, Urgency};
use crate::wire::{Push, PushKind};

/// Lines older than this when they are stored (history replays) are not pushed.
const FRESH_MS: i64 = 2 * 60 * 1000;

/// The longest message text in a push, in characters (a push carries at most 4 KiB).
const MAX_BODY: usize = 300;

/// What `encodeURIComponent` leaves alone (the app's router decodes paths with it).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The app path of a conversation, at a message when `around` is not 0.
fn app_path(cid: &str, conversation: &str, around: i64) -> String {
    let mut path = format!("/chat/{}", enc(cid));
    if !conversation.is_empty() {
        path.push('/');
        path.push_str(&enc(conversation));
    }
    if around > 0 {
        path.push_str(&format!("?around={around}"));
    }
    path
}

fn shorten(text: &str) -> String {
    let plain = strip_formatting(text);
    let mut out: String = plain.chars().take(MAX_BODY).collect();
    if plain.chars().count() > MAX_BODY {
        out.push('…');
    }
    out
}

impl Actor {
    /// Whether a push may go out now at all.
    fn may_push(&self) -> bool {
        self.push.is_some() && *self.active_browsers.borrow() == 0
    }

    fn queue(&self, key: &str, urgency: Urgency, push: &Push) {
        let Some(handle) = &self.push else { return };
        match serde_json::to_vec(push) {
            Ok(payload) => {
                handle.notify(Job::new(self.user.id, key, urgency, payload));
            }
            Err(e) => tracing::warn!(error = %e, "push payload not encodable"),
        }
    }

    /// A stored line: pushed when it is a fresh highlight or private message from someone
    /// else.
    pub(super) fn push_message(&self, entry: &Entry, mine: bool) {
        if mine || !entry.kind.counts_as_unread() || !self.may_push() {
            return;
        }
        if crate::time::now_ms().saturating_sub(entry.time) > FRESH_MS {
            return;
        }
        let Some(conv) = self
            .conns
            .get(&entry.connection_id)
            .and_then(|c| c.convs.get(&entry.conversation_id))
        else {
            return;
        };
        let private = conv.model.kind == ConversationKind::Private;
        let now = crate::time::now_ms();
        if !conv.model.notify.wants(entry.highlight, private, now)
            || !self.user.quiet_hours().allows(false, now)
        {
            return;
        }
        let sound = conv.model.notify.sound;
        let from = if entry.from.is_empty() {
            "Server"
        } else {
            entry.from.as_str()
        };
        let (kind, title) = if private {
            (PushKind::Private, from.to_owned())
        } else if !entry.highlight {
            (PushKind::Message, format!("{from} in {}", conv.model.name))
        } else if conv.model.name.is_empty() {
            (PushKind::Highlight, from.to_owned())
        } else {
            (
                PushKind::Highlight,
                format!("{from} in {}", conv.model.name),
            )
        };
        let body = match entry.kind {
            crate::model::Kind::Action => format!("* {from} {}", shorten(&entry.text)),
            _ => shorten(&entry.text),
        };
        let key = format!("{}\0{}", entry.connection_id, entry.conversation_id);
        let push = Push {
            kind,
            title,
            body,
            connection_id: entry.connection_id.clone(),
            conversation_id: entry.conversation_id.clone(),
            message_id: entry.id.0,
            path: app_path(&entry.connection_id, &entry.conversation_id, entry.id.0),
            tag: format!("msg:{}/{}", entry.connection_id, entry.conversation_id),
            sound,
        };
        self.queue(&key, Urgency::Normal, &push);
    }

    /// Someone calls in a conversation: "alice is calling in #room".
    pub(super) fn push_call(&self, cid: &str, conversation: &str, from: &str) {
        if !self.may_push() {
            return;
        }
        let Some(conv) = self.conns.get(cid).and_then(|c| c.convs.get(conversation)) else {
            return;
        };
        let now = crate::time::now_ms();
        if !conv.model.notify.wants_call(now) || !self.user.quiet_hours().allows(true, now) {
            return;
        }
        let title = if conv.model.kind == ConversationKind::Private {
            format!("{from} is calling")
        } else {
            format!("{from} is calling in {}", conv.model.name)
        };
        let push = Push {
            kind: PushKind::Call,
            title,
            body: String::new(),
            connection_id: cid.to_owned(),
            conversation_id: conversation.to_owned(),
            message_id: 0,
            path: app_path(cid, conversation, 0),
            tag: format!("call:{cid}/{conversation}"),
            sound: conv.model.notify.sound,
        };
        self.queue(&format!("{cid}\0{conversation}"), Urgency::High, &push);
    }
}

impl Actor {
    /// Stores a conversation's notification choices and tells every browser.
    pub(super) async fn set_notify(
        &mut self,
        cid: &str,
        conv_id: &str,
        notify: Notify,
    ) -> Result<crate::wire::Conversation, Error> {
        notify.check().map_err(|m| Error::Invalid(m.into()))?;
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if !conn.convs.contains_key(conv_id) {
            return Err(Error::NoConversation);
        }
        let stored = self
            .store
            .set_conversation_notify(self.user.id, cid, conv_id, &notify)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        if !stored {
            return Err(Error::NoConversation);
        }
        let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        let conv = conn.convs.get_mut(conv_id).ok_or(Error::NoConversation)?;
        conv.model.notify = notify;
        let event = view::conversation_event(cid, &conn.people, &conn.isupport, conv);
        let conversation = view::conversation(&conn.people, &conn.isupport, conv);
        self.publish(vec![event]);
        Ok(conversation)
    }
}

#[cfg(test)]
mod tests {
    use super::{app_path, shorten};

    #[test]
    fn paths_are_encoded_like_the_app_does() {
        assert_eq!(
            app_path("irc-libera", "#rust", 42),
            "/chat/irc-libera/%23rust?around=42"
        );
        assert_eq!(app_path("x", "", 0), "/chat/x");
        assert_eq!(app_path("x", "a b/c", 0), "/chat/x/a%20b%2Fc");
        assert_eq!(shorten("\x02bold\x02"), "bold");
        assert_eq!(shorten(&"x".repeat(400)).chars().count(), 301);
    }
}
