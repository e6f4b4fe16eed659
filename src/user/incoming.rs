//! IRC → the user's state: connection events and every line the session forwards become
//! stored messages, participant and topic changes, and events for the browsers.

use std::sync::Arc;

use irc_proto::{numeric, Message};

use super::state::{Actor, ConnState, Line};
use super::view;
use crate::irc;
use crate::model::Kind;
use crate::wire::{Event, State};

impl Actor {
    pub(super) async fn irc_event(&mut self, ev: irc::Tagged) {
        let cid = ev.connection.to_string();
        if !self.conns.contains_key(&cid) {
            return; // a deleted connection's last words
        }
        match ev.event {
            irc::Event::Connecting => self.set_state(&cid, ConnState::Connecting, "Connecting…"),
            irc::Event::Registered { nick, caps } => self.registered(&cid, nick, caps).await,
            irc::Event::Disconnected { reason, retry_in } => {
                let text = match retry_in {
                    Some(d) => format!("{reason} Reconnecting in {}s.", d.as_secs().max(1)),
                    None => reason,
                };
                self.left_all(&cid);
                self.calls.forget(&cid);
                self.calls_lost(Some(&cid)).await;
                self.set_state(&cid, ConnState::Disconnected, &text);
            }
            irc::Event::Failed(reason) => {
                self.left_all(&cid);
                self.calls.forget(&cid);
                self.calls_lost(Some(&cid)).await;
                self.set_state(&cid, ConnState::Disconnected, &reason);
                self.record(&cid, Line::new("", Kind::Error, &reason)).await;
            }
            irc::Event::NickChanged { new, .. } => {
                if let Some(c) = self.conns.get_mut(&cid) {
                    c.nick = new.clone();
                }
                self.publish(vec![Event::State(State::Me {
                    connection_id: cid.clone(),
                    nick: new,
                })]);
            }
            irc::Event::Message(msg) => self.irc_message(&cid, msg).await,
            irc::Event::ISupport { isupport, msg } => self.isupport(&cid, *isupport, &msg).await,
            irc::Event::Caps(caps) => {
                if let Some(c) = self.conns.get_mut(&cid) {
                    c.caps = caps;
                }
            }
            irc::Event::Sts { port, duration } => self.sts(&cid, port, duration).await,
        }
    }

    /// What the server supports changed (an `RPL_ISUPPORT` line, `msg`): `NETWORK=` names
    /// the connection and `CASEMAPPING=` says how browsers compare names, and a `NICKLEN` shorter than the wanted nick is explained once.
    async fn isupport(&mut self, cid: &str, isupport: irc_proto::ISupport, msg: &Message) {
        let mut renamed = None;
        let mut too_long = None;
        if let Some(c) = self.conns.get_mut(cid) {
            let before = std::mem::replace(&mut c.isupport, isupport);
            if c.isupport.network() != before.network()
                || c.isupport.casemapping() != before.casemapping()
            {
                renamed = Some(view::connection(c));
            }
            let wanted = c.config.nick.chars().count();
            too_long = c
                .isupport
                .nicklen()
                .filter(|n| before.nicklen() != Some(*n) && wanted > *n)
                .map(|n| {
                    format!(
                        "This network allows nicks of at most {n} characters: \
                         \"{}\" is too long, so you are {}. Choose a shorter nick \
                         in the connection settings.",
                        c.config.nick, c.nick
                    )
                });
        }
        if let Some(text) = too_long {
            self.record(cid, Line::new("", Kind::Error, &text)).await;
        }
        if let Some(conn) = renamed {
            self.publish(vec![Event::State(State::ConnectionUpdate {
                connection_id: cid.to_string(),
                connection: Box::new(conn),
            })]);
        }
        self.server_line(cid, msg).await;
    }

    fn set_state(&mut self, cid: &str, state: ConnState, message: &str) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        c.state = state;
        c.message = message.to_string();
        self.publish(vec![Event::State(State::Connection {
            connection_id: cid.to_string(),
            state,
            message: message.to_string(),
        })]);
    }

    /// The connection dropped: we are in no channel any more.
    fn left_all(&mut self, cid: &str) {
        if let Some(c) = self.conns.get_mut(cid) {
            for conv in c.convs.values_mut() {
                conv.joined = false;
                conv.participants.clear();
            }
            c.names.clear();
            c.channel_list = None;
        }
    }

    async fn registered(&mut self, cid: &str, nick: String, caps: Vec<String>) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        c.nick = nick.clone();
        c.caps = caps;
        c.isupport = Default::default();
        c.history_batches.clear();
        c.people.reset();
        c.who_pending.clear();
        c.monitoring = false;
        c.ison_pending = false;
        c.manual_away = false;
        c.targets_since = None;
        c.older.clear();
        c.batch_targets.clear();
        let commands: Vec<String> = c
            .model
            .on_connect_commands
            .iter()
            .map(|s| s.expose().to_string())
            .collect();
        // Rejoin the channels the user wants, keyed ones with their keys.
        let mut chans: Vec<(String, String)> = c
            .convs
            .values()
            .filter(|v| v.model.kind == crate::model::ConversationKind::Channel && v.model.wanted)
            .map(|v| {
                (
                    v.model.name.clone(),
                    v.model
                        .key
                        .as_ref()
                        .map(|k| k.expose().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        chans.sort_by_key(|(_, k)| k.is_empty());
        let handle = c.handle.clone();
        self.set_state(cid, ConnState::Connected, "");
        self.publish(vec![Event::State(State::Me {
            connection_id: cid.to_string(),
            nick,
        })]);
        for cmd in commands {
            if let Err(e) = self.send(cid, "", &cmd).await {
                self.record(
                    cid,
                    Line::new("", Kind::Error, &format!("On-connect command failed: {e}")),
                )
                .await;
            }
        }
        for line in join_lines(&chans) {
            // A stored name that is not a valid parameter (hostile server) is skipped.
            if let Ok(line) = line.build() {
                handle.request(irc::Request::Send(line)).await;
            }
        }
        self.fetch_missed(cid, &chans).await;
        self.away_after_connect(cid).await;
    }

    async fn irc_message(&mut self, cid: &str, msg: Arc<Message>) {
        if self.presence_line(cid, &msg)
            || self.ignored(cid, &msg)
            || self.whois_line(cid, &msg).await
        {
            return;
        }
        if let Some(r) = msg.tag_value("batch") {
            if let Some((_, lines)) = self
                .conns
                .get_mut(cid)
                .and_then(|c| c.batch_targets.get_mut(r))
            {
                *lines += 1;
            }
        }
        let nick = msg.source_nick().unwrap_or("").to_string();
        let cmd = msg.command().to_string();
        match cmd.as_str() {
            "PRIVMSG" | "NOTICE" => self.on_privmsg(cid, &msg, &nick, cmd == "NOTICE").await,
            "JOIN" => self.on_join(cid, &msg, &nick).await,
            "PART" => {
                let chan = msg.param(0).unwrap_or("").to_string();
                let reason = msg.param(1).unwrap_or("").to_string();
                self.on_leave(cid, &chan, &nick, Kind::Part, &reason, &msg)
                    .await;
            }
            "KICK" => {
                let chan = msg.param(0).unwrap_or("").to_string();
                let target = msg.param(1).unwrap_or("").to_string();
                let reason = msg.param(2).unwrap_or("").to_string();
                let text = format!(
                    "{target} was kicked by {nick}{}",
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                );
                self.on_leave(cid, &chan, &target, Kind::Kick, &text, &msg)
                    .await;
            }
            "QUIT" => {
                self.on_quit(cid, &nick, msg.param(0).unwrap_or(""), &msg)
                    .await
            }
            "NICK" => {
                self.on_nick(cid, &nick, msg.param(0).unwrap_or(""), &msg)
                    .await
            }
            "TOPIC" => {
                let chan = msg.param(0).unwrap_or("").to_string();
                let topic = msg.param(1).unwrap_or("").to_string();
                self.set_topic(cid, &chan, &topic).await;
                let text = if topic.is_empty() {
                    format!("{nick} cleared the topic.")
                } else {
                    format!("{nick} changed the topic to: {topic}")
                };
                self.record(
                    cid,
                    Line::new(&chan, Kind::Topic, &text).from(&nick).of(&msg),
                )
                .await;
            }
            "MODE" => self.on_mode(cid, &msg, &nick).await,
            numeric::RPL_TOPIC => {
                let chan = msg.param(1).unwrap_or("").to_string();
                let topic = msg.param(2).unwrap_or("").to_string();
                self.set_topic(cid, &chan, &topic).await;
            }
            numeric::RPL_NOTOPIC => {
                let chan = msg.param(1).unwrap_or("").to_string();
                self.set_topic(cid, &chan, "").await;
            }
            numeric::RPL_TOPICWHOTIME => {}
            // The channel list goes to the browser's list, never into the record.
            numeric::RPL_LISTSTART | numeric::RPL_LIST | numeric::RPL_LISTEND => {
                self.on_list(cid, &msg)
            }
            numeric::RPL_NAMREPLY => self.on_names(cid, &msg),
            numeric::RPL_ENDOFNAMES => {
                let chan = msg.param(1).unwrap_or("").to_string();
                if let Some(members) = self.end_of_names(cid, &chan) {
                    self.who_after_join(cid, &chan, members).await;
                }
            }
            numeric::RPL_ENDOFMOTD | numeric::ERR_NOMOTD => {
                self.server_line(cid, &msg).await;
                self.start_watching(cid).await;
            }
            // Cannot join: the conversation is frozen with the reason.
            numeric::ERR_CHANNELISFULL
            | numeric::ERR_INVITEONLYCHAN
            | numeric::ERR_BANNEDFROMCHAN
            | numeric::ERR_BADCHANNELKEY
            | numeric::ERR_NEEDREGGEDNICK => {
                let chan = msg.param(1).unwrap_or("").to_string();
                let reason = msg.last_param().unwrap_or("Cannot join.").to_string();
                self.freeze(cid, &chan, &reason).await;
                self.record(
                    cid,
                    Line::new("", Kind::Error, &format!("{chan}: {reason}")).of(&msg),
                )
                .await;
            }
            "BATCH" => {
                if let Some((target, lines)) = self.on_batch(cid, &msg) {
                    self.older_answered(cid, &target, lines).await;
                }
            }
            "PING" | "PONG" | "CAP" | "AUTHENTICATE" | "AWAY" | "ACCOUNT" | "CHGHOST"
            | "SETNAME" => {}
            "INVITE" => self.on_invite(cid, &msg, &nick).await,
            // Client-only tags: +typing is shown and forgotten; a +draft/react is stored as a
            // reaction on its message; anything else is dropped.
            "TAGMSG" => {
                self.typing_in(cid, &msg, &nick);
                self.reaction_in(cid, &msg, &nick).await;
            }
            "ERROR" => {
                let text = msg.last_param().unwrap_or("").to_string();
                self.record(cid, Line::new("", Kind::Error, &text).of(&msg))
                    .await;
            }
            "FAIL" | "WARN" | "NOTE" => self.standard_reply(cid, &msg).await,
            "MARKREAD" => self.markread_in(cid, &msg).await,
            "CHATHISTORY" if msg.param(0) == Some("TARGETS") => {
                self.history_target(cid, &msg).await
            }
            _ => self.server_line(cid, &msg).await,
        }
    }

    /// Whether `msg` comes from someone the user ignores: their messages, notices (CTCPs
    /// and calls among them), typing and invites are dropped. Servers are never ignored.
    fn ignored(&self, cid: &str, msg: &Message) -> bool {
        if !matches!(msg.command(), "PRIVMSG" | "NOTICE" | "TAGMSG" | "INVITE") {
            return false;
        }
        let (Some(c), Some(source)) = (self.conns.get(cid), msg.source()) else {
            return false;
        };
        let server = !source.contains('!') && source.contains('.');
        let nick = msg.source_nick().unwrap_or("");
        !c.model.ignore.is_empty()
            && !server
            && !c.is_me(nick)
            && super::ignore::is_ignored(&c.model.ignore, &c.isupport, source)
    }

    /// IRCv3 standard replies (<https://ircv3.net/specs/extensions/standard-replies>):
    /// `FAIL|WARN|NOTE <command> <code> [<context>...] :<description>`. The description is
    /// what people read; it goes to the conversation a context parameter names when the user
    /// has it (`FAIL JOIN CHANNEL_FULL #full :…`), else to the server conversation. FAIL is
    /// an error, WARN and NOTE are server lines.
    async fn standard_reply(&mut self, cid: &str, msg: &Message) {
        let params: Vec<&str> = msg.params().collect();
        if params.len() < 3 {
            return self.server_line(cid, msg).await;
        }
        let description = params[params.len() - 1];
        let context = &params[2..params.len() - 1];
        let conv = self.conns.get(cid).and_then(|c| {
            context
                .iter()
                .find(|name| !name.is_empty() && c.convs.contains_key(&c.fold(name)))
                .map(|name| name.to_string())
        });
        let kind = if msg.command() == "FAIL" {
            Kind::Error
        } else {
            Kind::Server
        };
        let from = msg.source_nick().unwrap_or("").to_string();
        let conv = conv.unwrap_or_default();
        self.record(cid, Line::new(&conv, kind, description).from(&from).of(msg))
            .await;
    }

    /// An invitation to us is a highlight in the server conversation; with
    /// `invite-notify` the server also tells channel members about invitations of others:
    /// those are a plain line in that channel, never a highlight.
    async fn on_invite(&mut self, cid: &str, msg: &Message, nick: &str) {
        let target = msg.param(0).unwrap_or("");
        let chan = msg.param(1).unwrap_or("");
        let for_me = self.conns.get(cid).is_some_and(|c| c.is_me(target));
        if for_me {
            let text = format!("{nick} invited you to {chan}.");
            self.record(
                cid,
                Line::new("", Kind::Server, &text)
                    .from(nick)
                    .of(msg)
                    .highlight(true),
            )
            .await;
        } else {
            let text = format!("{nick} invited {target} to {chan}.");
            self.record_if_exists(cid, chan, Kind::Server, nick, &text, msg)
                .await;
        }
    }

    /// Tracks `chathistory` batches (<https://ircv3.net/specs/extensions/batch>): their
    /// lines are replays, stored by their time rather than after what is stored.
    /// `BATCH +ref chathistory target` / `BATCH -ref`. At the end of a chathistory
    /// batch, answers its target and how many lines it had.
    fn on_batch(&mut self, cid: &str, msg: &Message) -> Option<(String, u32)> {
        /// Open batches a server may keep at once; more are treated as live lines.
        const MAX_OPEN: usize = 64;
        let c = self.conns.get_mut(cid)?;
        let reference = msg.param(0).unwrap_or("");
        if let Some(r) = reference.strip_prefix('+') {
            let kind = msg.param(1).unwrap_or("");
            let history = kind == "chathistory" || kind == "draft/chathistory";
            if kind == "labeled-response" && !r.is_empty() && c.label_batches.len() < MAX_OPEN {
                if let Some(label) = msg.tag_value("label") {
                    c.label_batches.insert(r.to_string(), label.to_string());
                }
            }
            if history && !r.is_empty() && c.history_batches.len() < MAX_OPEN {
                c.history_batches.insert(r.to_string());
                let target = c.fold(msg.param(2).unwrap_or(""));
                c.batch_targets.insert(r.to_string(), (target, 0));
            }
            None
        } else if let Some(r) = reference.strip_prefix('-') {
            c.history_batches.remove(r);
            c.label_batches.remove(r);
            c.batch_targets.remove(r)
        } else {
            None
        }
    }
}

/// `NickServ`, `ChanServ`, ...: services, whose conversations hold passwords.
pub(super) fn is_service(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "nickserv"
            | "chanserv"
            | "memoserv"
            | "operserv"
            | "hostserv"
            | "botserv"
            | "saslserv"
            | "q"
            | "x"
    ) || (n.ends_with("serv") && !n.starts_with(['#', '&']))
}

/// `JOIN` lines for channels with keys (keyed first), each well under 512 bytes.
pub(super) fn join_lines(chans: &[(String, String)]) -> Vec<irc_proto::Builder> {
    let mut out = vec![];
    let (mut names, mut keys): (Vec<&str>, Vec<&str>) = (vec![], vec![]);
    let mut len = 0;
    for (name, key) in chans {
        if len + name.len() + key.len() + 2 > 400 && !names.is_empty() {
            out.push(join_line(&names, &keys));
            names.clear();
            keys.clear();
            len = 0;
        }
        names.push(name);
        if !key.is_empty() {
            keys.push(key);
        }
        len += name.len() + key.len() + 2;
    }
    if !names.is_empty() {
        out.push(join_line(&names, &keys));
    }
    out
}

fn join_line(names: &[&str], keys: &[&str]) -> irc_proto::Builder {
    let line = Message::new("JOIN").param(&names.join(","));
    if keys.is_empty() {
        line
    } else {
        line.param(&keys.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_keyed_first() {
        let chans = vec![
            ("#k".to_string(), "key".to_string()),
            ("#a".to_string(), String::new()),
        ];
        let text = |chans: &[(String, String)]| -> Vec<String> {
            join_lines(chans).iter().map(|l| l.to_string()).collect()
        };
        assert_eq!(text(&chans), vec!["JOIN #k,#a key"]);
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("#channel{i}"), String::new()))
            .collect();
        let lines = text(&many);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.len() < 450));
    }

    #[test]
    fn services() {
        assert!(is_service("NickServ"));
        assert!(!is_service("#nickserv"));
        assert!(!is_service("bob"));
    }
}
