//! IRCv3 chathistory (<https://ircv3.net/specs/extensions/chathistory>) after a reconnect:
//! what was said while we were gone, in every channel we rejoin, every private conversation
//! we have, and (`CHATHISTORY TARGETS`) private conversations someone started meanwhile.
//! Replays are deduplicated by msgid in the store and placed by their time.

use irc_proto::Message;

use super::incoming::is_service;
use super::state::Actor;
use crate::irc;

/// Private conversations with news asked for at most, after one reconnect.
const MAX_TARGETS: usize = 50;

impl Actor {
    /// With IRCv3 chathistory, asks for what was said after the last message we stored in
    /// each channel we rejoin and each private conversation (whose gap we know only when we
    /// stored something there); replays are deduplicated by msgid in the store and placed
    /// by their time (<https://ircv3.net/specs/extensions/chathistory>).
    pub(super) async fn fetch_missed(&mut self, cid: &str, chans: &[(String, String)]) {
        let Some(conn) = self.conns.get(cid) else {
            return;
        };
        if !conn
            .caps
            .iter()
            .any(|c| c == "chathistory" || c == "draft/chathistory")
        {
            return;
        }
        let handle = conn.handle.clone();
        let mut targets: Vec<(String, String, bool)> = chans
            .iter()
            .map(|(name, _)| (name.clone(), conn.fold(name), true))
            .collect();
        targets.extend(
            conn.convs
                .values()
                .filter(|v| v.model.kind == crate::model::ConversationKind::Private)
                .filter(|v| v.model.wanted)
                .map(|v| (v.model.name.clone(), v.model.id.clone(), false)),
        );
        let mut newest: Option<i64> = None;
        for (name, key, channel) in targets {
            let page = crate::store::Page::latest().limit(1);
            let last = match self.store.history(self.user.id, cid, &key, page).await {
                Ok(h) => h.messages.last().map(|m| m.time),
                Err(_) => None,
            };
            newest = newest.max(last);
            let line = match last {
                Some(t) => Message::new("CHATHISTORY")
                    .params(["AFTER", name.as_str()])
                    .param(&format!("timestamp={}", crate::time::format_ms(t)))
                    .param("100"),
                None if channel => {
                    Message::new("CHATHISTORY").params(["LATEST", name.as_str(), "*", "50"])
                }
                None => continue,
            };
            // A stored name that is not a valid parameter (hostile server) is skipped.
            if let Ok(line) = line.build() {
                handle.request(irc::Request::Send(line)).await;
            }
        }
        // Private conversations someone started while we were gone: the server lists them.
        let Some(since) = newest else {
            return; // nothing stored yet: no gap to fill
        };
        if let Some(c) = self.conns.get_mut(cid) {
            c.targets_since = Some(since);
        }
        let line = Message::new("CHATHISTORY")
            .param("TARGETS")
            .param(&format!("timestamp={}", crate::time::format_ms(since)))
            .param(&format!(
                "timestamp={}",
                crate::time::format_ms(crate::time::now_ms())
            ))
            .param(&MAX_TARGETS.to_string())
            .build();
        if let Ok(line) = line {
            handle.request(irc::Request::Send(line)).await;
        }
    }

    /// `CHATHISTORY TARGETS <target> <timestamp>` (an answer to ours): a private
    /// conversation with news since we left is opened and its history asked for.
    pub(super) async fn history_target(&mut self, cid: &str, msg: &Message) {
        let target = msg.param(1).unwrap_or("");
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let Some(since) = c.targets_since else {
            return; // not asked
        };
        if target.is_empty()
            || c.is_channel(target)
            || is_service(target)
            || !crate::irc::url::valid_nick(target)
            || super::ignore::is_ignored(&c.model.ignore, &c.isupport, target)
            || c.convs.get(&c.fold(target)).is_some_and(|v| v.model.wanted)
        {
            return; // channels and open conversations were asked already
        }
        let handle = c.handle.clone();
        if self.ensure_conversation(cid, target).await.is_none() {
            return;
        }
        let line = Message::new("CHATHISTORY")
            .params(["AFTER", target])
            .param(&format!("timestamp={}", crate::time::format_ms(since)))
            .param("100")
            .build();
        if let Ok(line) = line {
            handle.request(irc::Request::Send(line)).await;
        }
    }

    /// See [`super::Request::FetchOlder`]: `CHATHISTORY BEFORE`, answered at the end of
    /// its batch (`older_answered`).
    pub(super) async fn fetch_older(
        &mut self,
        cid: &str,
        conv_id: &str,
        before: i64,
        reply: super::Reply<bool>,
    ) {
        let Some(c) = self.conns.get_mut(cid) else {
            let _ = reply.send(Err(super::Error::NoConnection));
            return;
        };
        let Some(conv) = c.convs.get(conv_id) else {
            let _ = reply.send(Err(super::Error::NoConversation));
            return;
        };
        let able = c.state == super::state::ConnState::Connected
            && c.caps
                .iter()
                .any(|cap| cap == "chathistory" || cap == "draft/chathistory");
        if !able
            || conv_id.is_empty()
            || c.history_done.contains(conv_id)
            || c.older.len() >= super::state::MAX_OLDER
        {
            let _ = reply.send(Ok(false));
            return;
        }
        let line = Message::new("CHATHISTORY")
            .params(["BEFORE", conv.model.name.as_str()])
            .param(&format!("timestamp={}", crate::time::format_ms(before)))
            .param("50")
            .build();
        let Ok(line) = line else {
            let _ = reply.send(Ok(false));
            return;
        };
        c.older.push((conv_id.to_string(), reply));
        c.handle.request(irc::Request::Send(line)).await;
    }

    /// A chathistory batch for `target` ended with `lines` lines: once they are stored,
    /// answer whoever asked for older history there; an empty answer means the server has
    /// no more.
    pub(super) async fn older_answered(&mut self, cid: &str, target: &str, lines: u32) {
        let waiting = self
            .conns
            .get(cid)
            .is_some_and(|c| c.older.iter().any(|(t, _)| t == target));
        if !waiting {
            return;
        }
        self.settle().await;
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        if lines == 0 {
            c.history_done.insert(target.to_string());
        }
        let (answer, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut c.older)
            .into_iter()
            .partition(|(t, _)| t == target);
        c.older = keep;
        for (_, reply) in answer {
            let _ = reply.send(Ok(lines > 0));
        }
    }
}
