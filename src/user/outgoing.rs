//! What the user typed → IRC lines and local effects, through [`crate::input`].
//! Every message the user sends appears once: the server's echo with `echo-message`,
//! otherwise an echo made here.

use super::incoming::is_service;
use super::state::{Actor, Line};
use super::{view, Error};
use crate::input::{self, Command};
use crate::irc;
use crate::model::{Kind, WantedState};
use crate::wire::{self, Event, State};
use irc_proto::Message;

impl Actor {
    /// Runs text typed in `conv_id` of connection `cid`.
    pub(super) async fn send(
        &mut self,
        cid: &str,
        conv_id: &str,
        text: &str,
    ) -> Result<wire::Sent, Error> {
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        let conv_name = if conv_id.is_empty() {
            String::new()
        } else {
            let conv = conn.convs.get(conv_id).ok_or(Error::NoConversation)?;
            conv.model.name.clone()
        };
        let is_channel = conn.is_channel(&conv_name);
        let mut lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            return Err(Error::Invalid("Nothing to send.".into()));
        }
        // A pasted block is sent line by line; a command is only the first line.
        if text.starts_with('/') && !text.starts_with("//") {
            lines.truncate(1);
        }
        if lines.len() > 100 {
            return Err(Error::Invalid(
                "Too many lines at once (at most 100).".into(),
            ));
        }
        for line in lines {
            let ctx = input::Context {
                conversation: &conv_name,
                is_channel,
            };
            let cmd = input::parse(line, ctx).map_err(|e| Error::Invalid(e.0))?;
            self.execute(cid, &conv_name, cmd).await?;
        }
        Ok(wire::Sent {
            connection_id: cid.to_string(),
            conversation_id: conv_id.to_string(),
            message: text.to_string(),
        })
    }

    async fn execute(&mut self, cid: &str, here: &str, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::Say(text) => self.say(cid, here, "PRIVMSG", &text, false).await,
            Command::Action(text) => self.say(cid, here, "PRIVMSG", &text, true).await,
            Command::Msg { target, text } => {
                if !is_service(&target) {
                    self.ensure_conversation(cid, &target).await;
                }
                self.say(cid, &target, "PRIVMSG", &text, false).await
            }
            Command::Query { target, text } => {
                self.ensure_conversation(cid, &target)
                    .await
                    .ok_or(Error::Invalid("Too many conversations.".into()))?;
                match text {
                    Some(t) => self.say(cid, &target, "PRIVMSG", &t, false).await,
                    None => Ok(()),
                }
            }
            Command::Join { channel, key } => {
                let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
                let folded = conn.fold(&channel);
                conn.join_keys.insert(folded, key.clone());
                let mut line = Message::new("JOIN").param(&channel);
                if !key.is_empty() {
                    line = line.param(&key);
                }
                self.raw(cid, line).await
            }
            Command::Part { channel, reason } => {
                self.close(cid, &channel).await;
                self.raw(cid, Message::new("PART").param(&channel).trailing(&reason))
                    .await
                    .or(Ok(()))
            }
            Command::Close { target } => {
                let is_channel = self.conns.get(cid).is_some_and(|c| c.is_channel(&target));
                self.close(cid, &target).await;
                if is_channel {
                    let _ = self.raw(cid, Message::new("PART").param(&target)).await;
                }
                Ok(())
            }
            Command::Topic {
                channel,
                topic: None,
            } => self.raw(cid, Message::new("TOPIC").param(&channel)).await,
            Command::Topic {
                channel,
                topic: Some(t),
            } => {
                let line = Message::new("TOPIC").param(&channel).trailing(&t);
                self.raw(cid, line).await
            }
            Command::Names { channel } => {
                self.raw(cid, Message::new("NAMES").param(&channel)).await
            }
            Command::Whois { nick } => {
                let mut label = None;
                if let Some(c) = self.conns.get_mut(cid) {
                    if c.asked.len() == super::state::MAX_ASKED {
                        c.asked.pop_front();
                    }
                    label = c.label();
                    c.asked.push_back(super::state::Asked {
                        nick: c.fold(&nick),
                        conv: c.fold(here),
                        at: tokio::time::Instant::now(),
                        label: label.clone(),
                    });
                }
                let line = Message::new("WHOIS")
                    .tag_opt("label", label.as_deref())
                    .param(&nick);
                self.raw(cid, line).await
            }
            Command::Nick { nick } => {
                if !irc::url::valid_nick(&nick) {
                    return Err(Error::Invalid("Invalid nick.".into()));
                }
                self.raw(cid, Message::new("NICK").param(&nick)).await
            }
            Command::Mode { target, args } => {
                let line = Message::new("MODE")
                    .param(&target)
                    .params(args.split_whitespace());
                self.raw(cid, line).await
            }
            Command::Kick {
                channel,
                nick,
                reason,
            } => {
                let line = Message::new("KICK")
                    .params([&channel, &nick])
                    .trailing(&reason);
                self.raw(cid, line).await
            }
            Command::Invite { nick, channel } => {
                let line = Message::new("INVITE").params([&nick, &channel]);
                self.raw(cid, line).await
            }
            Command::Away { message: Some(m) } => {
                self.raw(cid, Message::new("AWAY").trailing(&m)).await?;
                if let Some(c) = self.conns.get_mut(cid) {
                    c.manual_away = true;
                }
                Ok(())
            }
            Command::Away { message: None } => {
                self.raw(cid, Message::new("AWAY")).await?;
                if let Some(c) = self.conns.get_mut(cid) {
                    c.manual_away = false;
                }
                Ok(())
            }
            Command::List { args } => {
                let line = Message::new("LIST").params(args.split_whitespace());
                self.raw(cid, line).await?;
                self.list_started(cid);
                Ok(())
            }
            Command::Raw(line) => {
                let m = Message::parse(&line)
                    .map_err(|e| Error::Invalid(format!("Invalid IRC line: {e}")))?;
                self.send_line(cid, m).await
            }
            Command::Ison { nicks } => {
                let line = Message::new("ISON").params(nicks.split_whitespace());
                self.raw(cid, line).await
            }
            Command::ClearHistory { name } => {
                let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
                let key = conn.fold(name.as_deref().unwrap_or(here));
                if !conn.convs.contains_key(&key) {
                    return Err(Error::NoConversation);
                }
                self.store
                    .clear_history(self.user.id, cid, &key)
                    .await
                    .map_err(|e| Error::Store(e.to_string()))?;
                self.publish(vec![Event::State(State::Cleared {
                    connection_id: cid.to_string(),
                    conversation_id: key,
                })]);
                Ok(())
            }
            Command::Notice { target, text } => {
                self.say(cid, &target, "NOTICE", &text, false).await
            }
            Command::Ctcp {
                target,
                command,
                args,
            } => {
                let body = if args.is_empty() {
                    command
                } else {
                    format!("{command} {args}")
                };
                let line = Message::new("PRIVMSG")
                    .param(&target)
                    .trailing(&format!("\u{1}{body}\u{1}"));
                self.raw(cid, line).await
            }
            Command::Oper { name, password } => {
                self.raw(cid, Message::new("OPER").params([&name, &password]))
                    .await
            }
            Command::Ignore { mask: None } => {
                let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
                let text = if conn.model.ignore.is_empty() {
                    "Nobody is ignored on this network.".to_string()
                } else {
                    format!("Ignored on this network: {}.", conn.model.ignore.join(", "))
                };
                self.record(cid, Line::new(here, Kind::Server, &text)).await;
                Ok(())
            }
            Command::Ignore { mask: Some(mask) } => self.ignore(cid, here, &mask, true).await,
            Command::Unignore { mask } => self.ignore(cid, here, &mask, false).await,
            Command::Reconnect => self.want(cid, WantedState::Connected, true).await,
            Command::Connect => self.want(cid, WantedState::Connected, false).await,
            Command::Disconnect { reason } | Command::Quit { reason } => {
                self.want(cid, WantedState::Disconnected, false).await?;
                let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
                let reason = if reason.is_empty() {
                    "Bye".to_string()
                } else {
                    reason
                };
                conn.handle.request(irc::Request::Disconnect(reason)).await;
                Ok(())
            }
        }
    }

    /// `/ignore mask` (`on`) or `/unignore mask`: changes the connection's list, saves it,
    /// tells the browsers and says so where it was typed.
    async fn ignore(&mut self, cid: &str, here: &str, mask: &str, on: bool) -> Result<(), Error> {
        let norm = super::ignore::normalize(mask)
            .ok_or_else(|| Error::Invalid(format!("Not a nick or mask: {mask}")))?;
        let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        let known = conn
            .model
            .ignore
            .iter()
            .position(|m| conn.isupport.eq(m, &norm));
        let text = match (on, known) {
            (true, Some(_)) => format!("Already ignoring {norm}."),
            (false, None) => format!("{norm} was not ignored."),
            (true, None) => {
                if conn.model.ignore.len() >= super::ignore::MAX_MASKS {
                    return Err(Error::Invalid(format!(
                        "At most {} ignore masks per connection.",
                        super::ignore::MAX_MASKS
                    )));
                }
                conn.model.ignore.push(norm.clone());
                format!("Ignoring {norm}: their messages, notices, invites and calls are dropped.")
            }
            (false, Some(i)) => {
                conn.model.ignore.remove(i);
                format!("No longer ignoring {norm}.")
            }
        };
        if on != known.is_some() {
            let model = conn.model.clone();
            self.store
                .save_connection(model)
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
            let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
            self.publish(vec![Event::State(State::ConnectionUpdate {
                connection_id: cid.to_string(),
                connection: Box::new(view::connection(conn)),
            })]);
        }
        self.record(cid, Line::new(here, Kind::Server, &text)).await;
        Ok(())
    }

    async fn want(&mut self, cid: &str, wanted: WantedState, restart: bool) -> Result<(), Error> {
        let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        if conn.model.wanted_state != wanted {
            conn.model.wanted_state = wanted;
            let model = conn.model.clone();
            self.store
                .save_connection(model)
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
        }
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if wanted == WantedState::Connected {
            conn.handle.request(irc::Request::Connect { restart }).await;
        }
        let connection = view::connection(conn);
        self.publish(vec![Event::State(State::ConnectionUpdate {
            connection_id: cid.to_string(),
            connection: Box::new(connection),
        })]);
        Ok(())
    }

    /// Hides a conversation (history is kept; it comes back on rejoin or a new message).
    async fn close(&mut self, cid: &str, name: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(name);
        let Some(conv) = conn.convs.get_mut(&key) else {
            return;
        };
        conv.model.wanted = false;
        conv.joined = false;
        conv.participants.clear();
        let model = conv.model.clone();
        let _ = self.store.save_conversation(model).await;
        self.watch(cid, name, false).await;
        self.publish(vec![Event::State(State::ConversationRemoved {
            connection_id: cid.to_string(),
            conversation_id: key,
        })]);
    }

    /// Builds a line (a parameter the user typed may not fit IRC's grammar: a clear
    /// error, nothing sent) and queues it, if connected.
    async fn raw(&mut self, cid: &str, line: irc_proto::Builder) -> Result<(), Error> {
        let line = line
            .build()
            .map_err(|e| Error::Invalid(format!("Cannot send that: {e}.")))?;
        self.send_line(cid, line).await
    }

    /// Queues a line, if connected.
    async fn send_line(&mut self, cid: &str, line: Message) -> Result<(), Error> {
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if conn.state != super::state::ConnState::Connected {
            return Err(Error::NotConnected);
        }
        conn.handle.request(irc::Request::Send(line)).await;
        Ok(())
    }

    /// PRIVMSG/NOTICE text (or an ACTION) to `target`, split to fit, echoed when the
    /// server does not echo.
    pub(super) async fn say(
        &mut self,
        cid: &str,
        target: &str,
        command: &str,
        text: &str,
        action: bool,
    ) -> Result<(), Error> {
        if target.is_empty() {
            return Err(Error::Invalid(
                "Cannot send a message to the server conversation.".into(),
            ));
        }
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if conn.state != super::state::ConnState::Connected {
            return Err(Error::NotConnected);
        }
        let payload = if action {
            irc_proto::ctcp::action(text)
        } else {
            text.to_string()
        };
        let source_len = irc_proto::split::source_len(
            conn.nick.len().max(irc_proto::split::WORST_NICK_LEN),
            irc_proto::split::WORST_USER_LEN,
            irc_proto::split::WORST_HOST_LEN,
        );
        let lines = irc_proto::split::split_message(command, target, &payload, source_len);
        let echo = !conn.caps.iter().any(|c| c == "echo-message");
        // A reply (typed as one in this conversation) carries what it answers, where the
        // server passes client tags on.
        let reply_to = self
            .reply_to
            .as_ref()
            .filter(|(conv, _)| *conv == conn.fold(target))
            .filter(|_| {
                conn.caps.iter().any(|c| c == "message-tags")
                    && !super::typing::denied(&conn.isupport, "draft/reply")
            })
            .map(|(_, id)| id.clone());
        let lines: Vec<String> = match &reply_to {
            None => lines,
            Some(id) => lines
                .iter()
                .filter_map(|l| {
                    let m = Message::parse(l).ok()?;
                    Message::new(m.command())
                        .tag("+draft/reply", id)
                        .param(m.param(0)?)
                        .param(m.param(1)?)
                        .build()
                        .ok()
                        .map(|m| m.to_string())
                })
                .collect(),
        };
        let nick = conn.nick.clone();
        let handle = conn.handle.clone();
        for line in &lines {
            // Lines the splitter made always parse; one that did not would not be sent.
            if let Ok(m) = Message::parse(line) {
                handle.request(irc::Request::Send(m)).await;
            }
        }
        if echo && !is_service(target) {
            let kind = if action {
                Kind::Action
            } else if command == "NOTICE" {
                Kind::Notice
            } else {
                Kind::Privmsg
            };
            for line in lines {
                // Each piece as it went out, so history shows what others saw.
                let Ok(m) = irc_proto::Message::parse(&line) else {
                    continue;
                };
                let piece = m.param(1).unwrap_or("");
                let piece = if action {
                    irc_proto::Ctcp::parse(piece)
                        .map(|c| c.params.to_string())
                        .unwrap_or_default()
                } else {
                    piece.to_string()
                };
                self.record(cid, Line::new(target, kind, &piece).from(&nick).of(&m))
                    .await;
            }
        }
        Ok(())
    }
}
