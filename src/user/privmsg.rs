//! Messages and notices from IRC: where each belongs (a channel, a private conversation,
//! the server one), whether it mentions the user, CTCP requests answered within a flood
//! guard, and RTCZ call signals handed to `calls`.

use irc_proto::{Ctcp, Message};
use tracing::debug;

use super::incoming::is_service;
use super::state::{Actor, ConnState, Line};
use crate::irc;
use crate::model::Kind;

impl Actor {
    pub(super) async fn on_privmsg(&mut self, cid: &str, msg: &Message, nick: &str, notice: bool) {
        let (Some(target), Some(text)) = (msg.param(0), msg.param(1)) else {
            return;
        };
        let Some(conn) = self.conns.get(cid) else {
            return;
        };
        let from_me = conn.is_me(nick);
        let to_me = conn.is_me(target);
        let target_is_channel = conn.is_channel(target.trim_start_matches(|c| "@+%&~".contains(c)));
        let server_source =
            msg.source_parts().is_none_or(|s| s.is_server()) || conn.state != ConnState::Connected;
        let mut kind = if notice { Kind::Notice } else { Kind::Privmsg };
        let mut text = text.to_string();
        if let Some(ctcp) = Ctcp::parse(&text) {
            if ctcp.is("RTCZ") {
                if notice {
                    self.rtc_incoming(cid, msg, nick, target).await;
                }
                return; // RTCZ is call signalling, never chat history
            }
            if ctcp.is_action() {
                kind = Kind::Action;
                text = ctcp.params.to_string();
            } else {
                if !notice && !from_me {
                    self.ctcp_reply(cid, nick, ctcp.command, ctcp.params).await;
                }
                debug!(from = nick, command = ctcp.command, "ctcp");
                return;
            }
        }
        // Which conversation: a channel; else the other party of a private chat.
        let conv_name = if server_source || target == "*" {
            String::new()
        } else if target_is_channel {
            target
                .trim_start_matches(|c| "@+%~".contains(c))
                .to_string()
        } else if from_me {
            target.to_string()
        } else if to_me {
            nick.to_string()
        } else {
            String::new()
        };
        // Our own messages to services may carry passwords: not stored.
        if from_me && is_service(&conv_name) {
            return;
        }
        // A notice from a stranger (usually services) does not open a conversation.
        let conv_name = if notice && !target_is_channel && !from_me {
            let folded = self
                .conns
                .get(cid)
                .map(|c| c.fold(&conv_name))
                .unwrap_or_default();
            let exists = self
                .conns
                .get(cid)
                .is_some_and(|c| c.convs.get(&folded).is_some_and(|v| v.model.wanted));
            if exists {
                conv_name
            } else {
                String::new()
            }
        } else {
            conv_name
        };
        let highlight = !from_me && self.is_highlight(cid, &text, to_me && !notice);
        let from = if server_source && nick.contains('.') {
            String::new()
        } else {
            nick.to_string()
        };
        self.record(
            cid,
            Line::new(&conv_name, kind, &text)
                .from(&from)
                .of(msg)
                .highlight(highlight),
        )
        .await;
    }

    /// Whether `text` mentions the user: their nick or a highlight keyword as a whole
    /// word, case-insensitive. Private messages to us always count.
    fn is_highlight(&self, cid: &str, text: &str, private: bool) -> bool {
        if private {
            return true;
        }
        let nick = self.conns.get(cid).map(|c| c.nick.as_str()).unwrap_or("");
        let plain = irc_proto::strip_formatting(text);
        std::iter::once(nick)
            .chain(self.user.highlight_keywords.iter().map(String::as_str))
            .filter(|w| !w.trim().is_empty())
            .any(|w| contains_word(&plain, w.trim()))
    }

    async fn ctcp_reply(&mut self, cid: &str, nick: &str, command: &str, params: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let now = tokio::time::Instant::now();
        if conn
            .last_ctcp_reply
            .is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(2))
        {
            return; // CTCP flood: answer at most one every two seconds
        }
        let reply = match command.to_ascii_uppercase().as_str() {
            "VERSION" => format!("VERSION Convos (Rust) {}", env!("CARGO_PKG_VERSION")),
            "PING" => format!("PING {}", params.chars().take(64).collect::<String>()),
            "TIME" => format!("TIME {}", crate::time::format_ms(crate::time::now_ms())),
            "CLIENTINFO" => "CLIENTINFO ACTION CLIENTINFO PING TIME VERSION".to_string(),
            _ => return,
        };
        conn.last_ctcp_reply = Some(now);
        let line = Message::new("NOTICE")
            .param(nick)
            .trailing(&format!("\x01{reply}\x01"));
        if let Ok(line) = line.build() {
            conn.handle.request(irc::Request::Send(line)).await;
        }
    }
}

/// Whether `word` occurs in `text` as a whole word, ignoring case.
pub(super) fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let hay = text.to_lowercase();
    let needle = word.to_lowercase();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(pos) = hay[start..].find(&needle) {
        let i = start + pos;
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
        start = i + needle.len().max(1);
        while start < hay.len() && !hay.is_char_boundary(start) {
            start += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert!(contains_word("hey superman, hi", "Superman"));
        assert!(contains_word("superman: hi", "superman"));
        assert!(!contains_word("supermanx hi", "superman"));
        assert!(!contains_word("xsuperman", "superman"));
        assert!(contains_word("ääh rust!", "RUST"));
        assert!(contains_word("a rustacean and rust", "rust"));
        assert!(!contains_word("", "rust"));
    }
}
