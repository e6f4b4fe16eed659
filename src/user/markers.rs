//! Read markers shared with other clients of the same account
//! (<https://ircv3.net/specs/extensions/read-marker>, soju and Ergo): a `MARKREAD` from the
//! server moves our read marker forward, and reading here sends `MARKREAD` back. The marker
//! is a server time: the newest message said by then is read (message ids follow arrival,
//! which is a little after the time a message was said).

use irc_proto::Message;

use super::state::Actor;
use crate::irc;
use crate::model::MessageId;

const CAP: &str = "draft/read-marker";

impl Actor {
    /// `MARKREAD <target> timestamp=<time>` (or `*`): read up to that time, if later than
    /// what we have.
    pub(super) async fn markread_in(&mut self, cid: &str, msg: &Message) {
        let Some(ms) = msg
            .param(1)
            .and_then(|p| p.strip_prefix("timestamp="))
            .and_then(crate::time::parse_rfc3339)
        else {
            return; // `*`: the server has no marker; ours stands
        };
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let key = c.fold(msg.param(0).unwrap_or(""));
        let Some(conv) = c.convs.get(&key) else {
            return;
        };
        if key.is_empty() {
            return;
        }
        let after = conv.model.last_read;
        // The lines before the marker may still be on their way to the store.
        self.settle().await;
        let id = match self
            .store
            .read_marker_id(self.user.id, cid, &key, after, ms)
            .await
        {
            Ok(Some(id)) => id,
            Ok(None) => return, // nothing newer was said by then
            Err(e) => {
                tracing::debug!(error = %e, "read marker lookup failed");
                return;
            }
        };
        if let Err(e) = self.read_up_to(cid, &key, Some(id), false).await {
            tracing::debug!(error = %e, "read marker from the server not applied");
        }
    }

    /// The user read conversation `key` up to `last`: tell the server, where it keeps
    /// read markers.
    pub(super) async fn markread_out(&mut self, cid: &str, key: &str, last: MessageId) {
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let Some(conv) = c.convs.get(key) else {
            return;
        };
        if key.is_empty()
            || last.0 <= 0
            || c.state != super::state::ConnState::Connected
            || !c.caps.iter().any(|cap| cap == CAP)
        {
            return;
        }
        let name = conv.model.name.clone();
        let said = self
            .store
            .message_time(self.user.id, last)
            .await
            .ok()
            .flatten();
        let time = crate::time::format_ms(said.unwrap_or_else(|| crate::store::id_time(last)));
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let Ok(line) = Message::new("MARKREAD")
            .param(&name)
            .param(&format!("timestamp={time}"))
            .build()
        else {
            return;
        };
        c.handle.request(irc::Request::Send(line)).await;
    }
}
