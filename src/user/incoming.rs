//! IRC → the user's state: connection events and every line the session forwards become
//! stored messages, participant and topic changes, and events for the browsers.

use std::sync::Arc;

use irc_proto::{numeric, Ctcp, Message};
use tracing::{debug, info};

use super::actor::{Actor, ConnState, Line, Participant};
use super::view;
use crate::irc;
use crate::model::Kind;
use crate::wire::{Event, State};
use compact_str::CompactString;

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
                self.set_state(&cid, ConnState::Disconnected, &text);
            }
            irc::Event::Failed(reason) => {
                self.left_all(&cid);
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
            irc::Event::Caps(caps) => {
                if let Some(c) = self.conns.get_mut(&cid) {
                    c.caps = caps;
                }
            }
            irc::Event::Sts { port, duration } => self.sts(&cid, port, duration).await,
        }
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
            numeric::RPL_ISUPPORT => {
                let mut renamed = None;
                let mut too_long = None;
                if let Some(c) = self.conns.get_mut(cid) {
                    let before = c.isupport.network().map(str::to_string);
                    let nicklen_before = c.isupport.nicklen();
                    c.isupport.apply(&msg);
                    // NETWORK= names the connection: tell the browsers.
                    if c.isupport.network() != before.as_deref() {
                        renamed = Some(view::connection(c));
                    }
                    // The wanted nick does not fit: the server cut it. Say so once.
                    let wanted = c.config.nick.chars().count();
                    too_long = c
                        .isupport
                        .nicklen()
                        .filter(|n| nicklen_before != Some(*n) && wanted > *n)
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
                self.server_line(cid, &msg).await;
            }
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

    /// A reply to a `/whois` the user typed: gathered into a card, which is shown and
    /// recorded (as one line) where it was asked at `RPL_ENDOFWHOIS`. `false` for anything
    /// else (a WHOIS nobody asked for here stays lines in the server conversation).
    async fn whois_line(&mut self, cid: &str, msg: &Message) -> bool {
        let command = msg.command();
        if !super::whois::is_reply(command) && command != numeric::ERR_NOSUCHNICK {
            return false;
        }
        let Some(c) = self.conns.get_mut(cid) else {
            return false;
        };
        let subject = msg.param(1).unwrap_or("");
        // Labeled: only the replies to our own command (a bouncer may pass on others'),
        // whatever nick they are about. Else by the nick asked about.
        let label = c.label_of(msg);
        let found = match &label {
            Some(l) => c.asked.iter().position(|a| a.label.as_ref() == Some(l)),
            None => {
                let nick = c.fold(subject);
                c.asked
                    .iter()
                    .position(|a| a.label.is_none() && a.nick == nick)
            }
        };
        let Some(i) = found else {
            // A reply to a labeled WHOIS of ours always carries its label: an unlabeled one
            // about the same nick is someone else's, and stays a server line.
            return false;
        };
        let key = match &label {
            Some(l) => format!("label {l}"),
            None => c.fold(subject),
        };
        let card = c
            .whois
            .entry(key.clone())
            .or_insert_with(|| super::whois::new(subject));
        super::whois::apply(card, msg);
        if command != numeric::RPL_ENDOFWHOIS {
            return true;
        }
        let asked_in = c.asked.remove(i).map(|a| a.conv).unwrap_or_default();
        let Some(card) = c.whois.remove(&key) else {
            return true;
        };
        let conv = if c.convs.contains_key(&asked_in) {
            asked_in
        } else {
            String::new()
        };
        let text = super::whois::summary(&card);
        self.record(cid, Line::new(&conv, Kind::Server, &text).of(msg))
            .await;
        self.publish(vec![Event::State(State::Whois {
            connection_id: cid.to_string(),
            conversation_id: conv,
            whois: card,
        })]);
        true
    }

    /// Numerics and other server lines go to the server conversation.
    async fn server_line(&mut self, cid: &str, msg: &Message) {
        let params: Vec<&str> = msg.params().collect();
        // The first parameter of a numeric is our own nick: leave it out.
        let shown = if irc_proto::numeric::is_numeric(msg.command()) && params.len() > 1 {
            &params[1..]
        } else {
            &params[..]
        };
        let text = shown.join(" ");
        if text.trim().is_empty() {
            return;
        }
        let kind = if irc_proto::numeric::is_error(msg.command()) {
            Kind::Error
        } else {
            Kind::Server
        };
        let from = msg.source_nick().unwrap_or("").to_string();
        let conv = self.reply_place(cid, msg);
        self.record(cid, Line::new(&conv, kind, &text).from(&from).of(msg))
            .await;
    }

    /// Where a numeric reply belongs: WHOIS replies in the conversation `/whois` was typed
    /// in, a reply about a conversation the user has (`482 me #chan :You're not channel
    /// operator`) in that conversation, anything else in the server conversation (`""`).
    fn reply_place(&mut self, cid: &str, msg: &Message) -> String {
        const WHOIS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
        let (Some(c), Some(subject)) = (self.conns.get_mut(cid), msg.param(1)) else {
            return String::new();
        };
        if !numeric::is_numeric(msg.command()) || subject.is_empty() {
            return String::new();
        }
        let key = c.fold(subject);
        let now = tokio::time::Instant::now();
        c.asked.retain(|a| now.duration_since(a.at) < WHOIS_TIMEOUT);
        if super::whois::is_reply(msg.command()) {
            if let Some(i) = c
                .asked
                .iter()
                .position(|a| a.label.is_none() && a.nick == key)
            {
                let conv = c.asked[i].conv.clone();
                if msg.command() == numeric::RPL_ENDOFWHOIS {
                    c.asked.remove(i);
                }
                if conv.is_empty() || c.convs.contains_key(&conv) {
                    return conv;
                }
            }
        }
        if c.convs.contains_key(&key) {
            return subject.to_string();
        }
        String::new()
    }

    async fn on_privmsg(&mut self, cid: &str, msg: &Message, nick: &str, notice: bool) {
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
            msg.source_parts().is_none_or(|s| s.is_server()) || !conn_registered(conn);
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

    async fn on_join(&mut self, cid: &str, msg: &Message, nick: &str) {
        let Some(chan) = msg.param(0).map(str::to_string) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let conv_id = conn.fold(&chan);
        if conn.is_me(nick) {
            let key = conn.fold(&chan);
            let join_key = conn.join_keys.remove(&key);
            let Some(key) = self.ensure_conversation(cid, &chan).await else {
                return;
            };
            let Some(conn) = self.conns.get_mut(cid) else {
                return;
            };
            if let Some(conv) = conn.convs.get_mut(&key) {
                conv.joined = true;
                conv.participants.clear();
                let mut changed = conv.model.frozen.take().is_some() || conv.model.name != chan;
                conv.model.name = chan.clone();
                if let Some(k) = join_key.filter(|k| !k.is_empty()) {
                    conv.model.key = Some(k.into());
                    changed = true;
                }
                if changed {
                    let model = conv.model.clone();
                    let event = view::conversation_event(cid, &conn.people, &conn.isupport, conv);
                    let _ = self.store.save_conversation(model).await;
                    self.publish(vec![event]);
                }
            }
            info!(channel = %chan, "joined");
        } else {
            let key = conn.fold(&chan);
            let folded_nick = conn.fold(nick);
            if let Some(conv) = conn.convs.get_mut(&key) {
                conv.participants.insert(
                    folded_nick.into(),
                    Participant {
                        nick: nick.into(),
                        prefix: CompactString::default(),
                    },
                );
            }
        }
        self.publish(vec![Event::State(State::Join {
            connection_id: cid.to_string(),
            conversation_id: conv_id,
            nick: nick.to_string(),
        })]);
        let text = format!("{nick} joined.");
        self.record_if_exists(cid, &chan, Kind::Join, nick, &text, msg)
            .await;
    }

    async fn on_leave(
        &mut self,
        cid: &str,
        chan: &str,
        nick: &str,
        kind: Kind,
        reason: &str,
        msg: &Message,
    ) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let me = conn.is_me(nick);
        let folded_nick = conn.fold(nick);
        let text = reason.to_string();
        if let Some(conv) = conn.convs.get_mut(&key) {
            conv.participants.remove(folded_nick.as_str());
            if me {
                conv.joined = false;
                conv.participants.clear();
            }
        }
        let (connection_id, conversation_id) = (cid.to_string(), key.clone());
        let (nick_s, message) = (nick.to_string(), reason.to_string());
        self.publish(vec![Event::State(if kind == Kind::Kick {
            State::Kick {
                connection_id,
                conversation_id,
                nick: nick_s,
                message,
            }
        } else {
            State::Part {
                connection_id,
                conversation_id,
                nick: nick_s,
                message,
            }
        })]);
        self.record_if_exists(cid, chan, kind, nick, &text, msg)
            .await;
        if me && kind == Kind::Kick {
            self.freeze(cid, chan, &text).await;
        } else if me {
            // Parted (not closed: /close removes the conversation before the PART): the
            // channel stays, marked as left, until joined again.
            self.freeze(cid, chan, &format!("You left {chan}.")).await;
        }
    }

    async fn on_quit(&mut self, cid: &str, nick: &str, reason: &str, msg: &Message) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let folded = conn.fold(nick);
        let mut chans = vec![];
        for conv in conn.convs.values_mut() {
            if conv.participants.remove(folded.as_str()).is_some() {
                chans.push(conv.model.name.clone());
            }
        }
        self.publish(vec![Event::State(State::Quit {
            connection_id: cid.to_string(),
            nick: nick.to_string(),
            message: reason.to_string(),
        })]);
        let text = if reason.is_empty() {
            format!("{nick} quit.")
        } else {
            format!("{nick} quit: {reason}")
        };
        for chan in chans {
            self.record(cid, Line::new(&chan, Kind::Quit, &text).from(nick).of(msg))
                .await;
        }
    }

    async fn on_nick(&mut self, cid: &str, old: &str, new: &str, msg: &Message) {
        if new.is_empty() {
            return;
        }
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let (fold_old, fold_new) = (conn.fold(old), conn.fold(new));
        let mut chans = vec![];
        for conv in conn.convs.values_mut() {
            if let Some(mut p) = conv.participants.remove(fold_old.as_str()) {
                p.nick = new.into();
                conv.participants.insert(fold_new.as_str().into(), p);
                chans.push(conv.model.name.clone());
            }
        }
        self.publish(vec![Event::State(State::NickChange {
            connection_id: cid.to_string(),
            old_nick: old.to_string(),
            new_nick: new.to_string(),
        })]);
        let text = format!("{old} is now known as {new}.");
        for chan in chans {
            self.record(cid, Line::new(&chan, Kind::Nick, &text).from(old).of(msg))
                .await;
        }
    }

    async fn on_mode(&mut self, cid: &str, msg: &Message, nick: &str) {
        let target = msg.param(0).unwrap_or("").to_string();
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        if !conn.is_channel(&target) {
            return; // user modes are of no interest to the UI
        }
        let args: Vec<&str> = msg.params().skip(1).collect();
        let key = conn.fold(&target);
        // Participant prefixes: +o bob → "@".
        if let (Some(modes), Some(conv)) = (args.first(), conn.convs.get_mut(&key)) {
            let mut adding = true;
            let mut next_arg = 1;
            for m in modes.chars() {
                match m {
                    '+' => adding = true,
                    '-' => adding = false,
                    _ => {
                        let takes = conn.isupport.mode_takes_arg(m, adding);
                        let arg = if takes {
                            args.get(next_arg).copied()
                        } else {
                            None
                        };
                        if takes {
                            next_arg += 1;
                        }
                        if let (Some(prefix), Some(who)) = (conn.isupport.prefix_for_mode(m), arg) {
                            let folded = conn.isupport.fold(who).into_owned();
                            if let Some(p) = conv.participants.get_mut(folded.as_str()) {
                                p.prefix.retain(|c| c != prefix);
                                if adding {
                                    p.prefix.push(prefix);
                                    let order: Vec<char> =
                                        conn.isupport.prefix().iter().map(|(_, p)| *p).collect();
                                    let mut chars: Vec<char> = p.prefix.chars().collect();
                                    chars.sort_by_key(|c| {
                                        order.iter().position(|o| o == c).unwrap_or(usize::MAX)
                                    });
                                    p.prefix = chars.into_iter().collect();
                                }
                            }
                        }
                    }
                }
            }
            let ev = view::participants_event(cid, &conn.people, &conn.isupport, conv);
            self.publish(vec![ev]);
        }
        let text = args.join(" ");
        self.record_if_exists(cid, &target, Kind::Mode, nick, &text, msg)
            .await;
    }

    fn on_names(&mut self, cid: &str, msg: &Message) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let chan = msg.param(2).unwrap_or("");
        let key = conn.fold(chan);
        if !conn.convs.contains_key(&key) {
            return; // /names of a channel we are not in: shown nowhere
        }
        let mut list = vec![];
        for entry in msg
            .last_param()
            .unwrap_or("")
            .split_whitespace()
            .take(10_000)
        {
            let (prefix, rest) = conn.isupport.split_prefixes(entry);
            let nick = rest.split('!').next().unwrap_or(rest);
            list.push(Participant {
                nick: nick.into(),
                prefix: prefix.into(),
            });
        }
        let buf = conn.names.entry(key).or_default();
        if buf.len() < 100_000 {
            buf.extend(list);
        }
    }

    /// Publishes the gathered member list; returns its size.
    fn end_of_names(&mut self, cid: &str, chan: &str) -> Option<usize> {
        let conn = self.conns.get_mut(cid)?;
        let key = conn.fold(chan);
        let list = conn.names.remove(&key)?;
        let folded: Vec<(CompactString, Participant)> = list
            .into_iter()
            .map(|p| (conn.fold(&p.nick).into(), p))
            .collect();
        if let Some(conv) = conn.convs.get_mut(&key) {
            conv.participants = folded.into_iter().collect();
            let members = conv.participants.len();
            let ev = view::participants_event(cid, &conn.people, &conn.isupport, conv);
            self.publish(vec![ev]);
            return Some(members);
        }
        None
    }

    async fn set_topic(&mut self, cid: &str, chan: &str, topic: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let Some(conv) = conn.convs.get_mut(&key) else {
            return;
        };
        if conv.model.topic == topic {
            return;
        }
        conv.model.topic = topic.to_string();
        let model = conv.model.clone();
        let _ = self.store.save_conversation(model).await;
        self.publish(vec![Event::State(State::Topic {
            connection_id: cid.to_string(),
            conversation_id: key,
            topic: topic.to_string(),
        })]);
    }

    pub(super) async fn freeze(&mut self, cid: &str, chan: &str, reason: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let Some(conv) = conn.convs.get_mut(&key) else {
            return;
        };
        conv.model.frozen = Some(reason.to_string());
        conv.joined = false;
        let model = conv.model.clone();
        let _ = self.store.save_conversation(model).await;
        self.publish(vec![Event::State(State::Frozen {
            connection_id: cid.to_string(),
            conversation_id: key,
            frozen: reason.to_string(),
        })]);
    }

    /// Stores a channel event only in a conversation that exists and is open (no
    /// conversation is created for a stranger's JOIN).
    async fn record_if_exists(
        &mut self,
        cid: &str,
        chan: &str,
        kind: Kind,
        nick: &str,
        text: &str,
        msg: &Message,
    ) {
        // A closed conversation stays closed: the PART that follows /close, and whatever
        // else the channel says, is not recorded (recording would reopen it).
        let exists = self
            .conns
            .get(cid)
            .is_some_and(|c| c.convs.get(&c.fold(chan)).is_some_and(|v| v.model.wanted));
        if exists {
            self.record(cid, Line::new(chan, kind, text).from(nick).of(msg))
                .await;
        }
    }
}

fn conn_registered(c: &super::actor::Conn) -> bool {
    c.state == ConnState::Connected
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
    fn words() {
        assert!(contains_word("hey superman, hi", "Superman"));
        assert!(contains_word("superman: hi", "superman"));
        assert!(!contains_word("supermanx hi", "superman"));
        assert!(!contains_word("xsuperman", "superman"));
        assert!(contains_word("ääh rust!", "RUST"));
        assert!(contains_word("a rustacean and rust", "rust"));
        assert!(!contains_word("", "rust"));
    }

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
