//! A user's conversations as the actor keeps them: opened on demand (saved, announced),
//! read up to a message, and lines recorded into them (the one way a line reaches the
//! store, in the order it is recorded).

use tracing::warn;

use super::state::{valid_msgid, Actor, Conv, Line, MAX_CONVERSATIONS};
use super::{view, Error};
use crate::model::{Conversation, ConversationKind, MessageId, NewEntry};
use crate::wire::{self, Event, State};

impl Actor {
    /// Moves the read marker of a conversation (`None`: to its newest message), tells the
    /// browsers and, with `tell_server`, the IRC server (read-marker).
    pub(super) async fn read_up_to(
        &mut self,
        cid: &str,
        conv_id: &str,
        last_read: Option<MessageId>,
        tell_server: bool,
    ) -> Result<wire::Conversation, Error> {
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if !conn.convs.contains_key(conv_id) {
            return Err(Error::NoConversation);
        }
        let last = match last_read {
            Some(id) => id,
            // "Everything": the newest message of the conversation.
            None => self
                .store
                .history(
                    self.user.id,
                    cid,
                    conv_id,
                    crate::store::Page::latest().limit(1),
                )
                .await
                .map_err(|e| Error::Store(e.to_string()))?
                .messages
                .last()
                .map(|m| m.id)
                .unwrap_or_default(),
        };
        let updated = self
            .store
            .set_last_read(self.user.id, cid, conv_id, last)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        let conv = conn.convs.get_mut(conv_id).ok_or(Error::NoConversation)?;
        conv.model.last_read = updated.last_read;
        conv.model.unread = updated.unread;
        conv.model.highlights = updated.highlights;
        let conversation = view::conversation(&conn.people, &conn.isupport, conv);
        // The user's unread notifications (the badge), after this read.
        let unread_notifications = self
            .store
            .unread_notifications(self.user.id)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        self.publish(vec![Event::State(State::Read {
            connection_id: cid.to_string(),
            conversation_id: conv_id.to_string(),
            last_read: updated.last_read.0,
            unread: updated.unread,
            notifications: updated.highlights,
            unread_notifications,
        })]);
        if tell_server {
            self.markread_out(cid, conv_id, updated.last_read).await;
        }
        Ok(conversation)
    }

    /// Makes sure a conversation exists (saving new ones) and returns its key.
    pub(super) async fn ensure_conversation(&mut self, cid: &str, name: &str) -> Option<String> {
        let key = self.open_conversation(cid, name).await?;
        // A private conversation: watch whether the other side is online.
        self.watch(cid, name, true).await;
        Some(key)
    }

    async fn open_conversation(&mut self, cid: &str, name: &str) -> Option<String> {
        let user_id = self.user.id;
        let conn = self.conns.get_mut(cid)?;
        let key = if name.is_empty() {
            String::new()
        } else {
            conn.fold(name)
        };
        if let Some(conv) = conn.convs.get_mut(&key) {
            if conv.model.wanted || conv.model.kind == ConversationKind::Server {
                return Some(key);
            }
            conv.model.wanted = true;
            let model = conv.model.clone();
            if let Err(e) = self.store.save_conversation(model).await {
                warn!(error = %e, "cannot save conversation");
            }
            let event = self.conns.get(cid).and_then(|c| {
                c.convs
                    .get(&key)
                    .map(|conv| view::conversation_event(cid, &c.people, &c.isupport, conv))
            });
            if let Some(event) = event {
                self.publish(vec![event]);
            }
            return Some(key);
        }
        if conn.convs.len() >= MAX_CONVERSATIONS {
            return None;
        }
        let model = Conversation::new(
            user_id,
            cid,
            &key,
            if name.is_empty() {
                &conn.config.host
            } else {
                name
            },
        );
        let saved = match self.store.save_conversation(model).await {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "cannot save conversation");
                return None;
            }
        };
        let conn = self.conns.get_mut(cid)?;
        let conv = Conv {
            model: saved,
            participants: Default::default(),
            joined: false,
        };
        let event = view::conversation_event(cid, &conn.people, &conn.isupport, &conv);
        conn.convs.insert(key.clone(), conv);
        self.publish(vec![event]);
        Some(key)
    }

    /// Stores a line in a conversation (creating it when needed) and publishes it.
    pub(super) async fn record(&mut self, cid: &str, line: Line<'_>) {
        let Line {
            conversation: conv_name,
            kind,
            from,
            text,
            msg,
            highlight,
        } = line;
        let Some(key) = self.ensure_conversation(cid, conv_name).await else {
            // Too many conversations: keep the line, in the server conversation.
            if !conv_name.is_empty() {
                let text = format!("[{conv_name}] {text}");
                let line = Line {
                    conversation: "",
                    text: &text,
                    ..line
                };
                Box::pin(self.record(cid, line)).await;
            }
            return;
        };
        // Lines of a chathistory batch were said earlier: placed by their time.
        let backfill = msg
            .and_then(|m| m.tag_value("batch"))
            .zip(self.conns.get(cid))
            .is_some_and(|(b, c)| c.history_batches.contains(b));
        let time = msg
            .and_then(|m| m.tag_value("time"))
            .and_then(crate::time::parse_rfc3339)
            .unwrap_or_else(crate::time::now_ms);
        let entry = NewEntry {
            user_id: self.user.id,
            connection_id: cid.to_string(),
            conversation_id: key,
            time,
            kind,
            from: from.to_string(),
            source: msg.and_then(|m| m.source()).map(str::to_string),
            text: text.to_string(),
            msgid: msg.and_then(|m| m.tag_value("msgid")).map(str::to_string),
            account: msg.and_then(|m| m.tag_value("account")).map(str::to_string),
            reply_to: msg
                .and_then(|m| m.tag_value("+draft/reply"))
                .filter(|id| valid_msgid(id))
                .map(str::to_string),
            highlight,
            backfill,
        };
        self.append(entry).await;
    }
}
