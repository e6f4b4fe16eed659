//! Replies and reactions (<https://ircv3.net/specs/client-tags/reply>,
//! <https://ircv3.net/specs/client-tags/react>): a message with `+draft/reply=MSGID` is
//! stored with what it answers; a `TAGMSG` with `+draft/react` and `+draft/reply` is stored
//! as a `reaction` line of its conversation (shown on the message it refers to, never
//! searched or unread). The user's own go out the same way where the server allows client
//! tags (`message-tags`, not denied by `CLIENTTAGDENY`).

use irc_proto::Message;

use super::state::{valid_msgid, Actor, ConnState, Line};
use super::typing::denied;
use super::Error;
use crate::irc;
use crate::model::Kind;

/// A reaction is one emoji or a short text: at most this many bytes.
const MAX_REACTION: usize = 64;

/// Whether `r` can be a reaction: 1 to 64 bytes, no control characters.
fn valid_reaction(r: &str) -> bool {
    !r.trim().is_empty() && r.len() <= MAX_REACTION && !r.chars().any(char::is_control)
}

impl Actor {
    /// A `TAGMSG` carrying a reaction to a message in a conversation the user has (it never
    /// creates one): recorded as a `reaction` line by its sender.
    pub(super) async fn reaction_in(&mut self, cid: &str, msg: &Message, nick: &str) {
        let (Some(react), Some(to)) =
            (msg.tag_value("+draft/react"), msg.tag_value("+draft/reply"))
        else {
            return;
        };
        if !valid_reaction(react) || !valid_msgid(to) || nick.is_empty() {
            return;
        }
        let Some(c) = self.conns.get(cid) else {
            return;
        };
        let target = msg.param(0).unwrap_or("");
        // A channel's; else the private conversation with the other side (our own reaction
        // echoed back names them as the target).
        let name = if c.is_channel(target) || c.is_me(nick) {
            target
        } else {
            nick
        };
        if name.is_empty() || !c.convs.get(&c.fold(name)).is_some_and(|v| v.model.wanted) {
            return;
        }
        let (name, react) = (name.to_string(), react.to_string());
        self.record(
            cid,
            Line::new(&name, Kind::Reaction, &react).from(nick).of(msg),
        )
        .await;
    }

    /// The user reacts with `reaction` to the message `msgid` of conversation `conv_id`.
    pub(super) async fn react(
        &mut self,
        cid: &str,
        conv_id: &str,
        msgid: &str,
        reaction: &str,
    ) -> Result<(), Error> {
        if !valid_reaction(reaction) {
            return Err(Error::Invalid(
                "A reaction is one emoji or a short text (at most 64 bytes).".into(),
            ));
        }
        if !valid_msgid(msgid) {
            return Err(Error::Invalid("That message cannot be reacted to.".into()));
        }
        let c = self.conns.get(cid).ok_or(Error::NoConnection)?;
        let conv = c.convs.get(conv_id).ok_or(Error::NoConversation)?;
        if conv_id.is_empty() {
            return Err(Error::NoConversation);
        }
        if c.state != ConnState::Connected {
            return Err(Error::NotConnected);
        }
        if !c.caps.iter().any(|cap| cap == "message-tags") || denied(&c.isupport, "draft/react") {
            return Err(Error::Invalid(
                "This IRC server does not pass reactions on.".into(),
            ));
        }
        let target = conv.model.name.clone();
        let line = Message::new("TAGMSG")
            .tag("+draft/react", reaction)
            .tag("+draft/reply", msgid)
            .param(&target)
            .build()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let echo = !c.caps.iter().any(|cap| cap == "echo-message");
        let (nick, handle) = (c.nick.clone(), c.handle.clone());
        handle.request(irc::Request::Send(line.clone())).await;
        if echo {
            self.record(
                cid,
                Line::new(&target, Kind::Reaction, reaction)
                    .from(&nick)
                    .of(&line),
            )
            .await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::valid_reaction;

    #[test]
    fn reactions_are_short_and_printable() {
        assert!(valid_reaction("👍"));
        assert!(valid_reaction("👩‍👩‍👧"));
        assert!(valid_reaction("lol"));
        assert!(!valid_reaction(""));
        assert!(!valid_reaction("  "));
        assert!(!valid_reaction("a\u{7}"));
        assert!(!valid_reaction(&"x".repeat(65)));
    }
}
