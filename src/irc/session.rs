//! The registration and protocol-upkeep state machine of one IRC connection, sans IO:
//! `CAP LS 302`, `CAP REQ`, SASL PLAIN/EXTERNAL, `PASS`/`NICK`/`USER`, ISUPPORT, PING,
//! nick collisions during registration, `cap-notify`. It takes parsed lines and returns
//! lines to send and what the owner must know; it never blocks and has no clock.
//!
//! Specs: <https://modern.ircdocs.horse/#connection-registration>,
//! <https://ircv3.net/specs/extensions/capability-negotiation>, <https://ircv3.net/specs/extensions/sasl-3.1>.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use irc_proto::{numeric, ISupport, Message};

use super::url::{Config, SaslMech};

/// Capabilities we ask for when the server offers them.
pub const WANTED_CAPS: &[&str] = &[
    "server-time",
    "message-tags",
    "echo-message",
    "batch",
    "labeled-response",
    "away-notify",
    "account-notify",
    "account-tag",
    "extended-join",
    "multi-prefix",
    "userhost-in-names",
    "chghost",
    "setname",
    "invite-notify",
    "cap-notify",
    "sasl",
    "draft/chathistory",
    "chathistory",
    "draft/read-marker",
];

/// What the owner of a session must do or know after a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write this line.
    Send(String),
    /// Registration finished (001): we are `nick`.
    Registered { nick: String },
    /// The line is for the user (chat, numerics, joins, ...).
    Forward,
    /// Our nick changed after registration.
    NickChanged { old: String, new: String },
    /// An `RPL_ISUPPORT` line changed what the server supports: forward the line with
    /// the whole new set (this session is the one place ISUPPORT is applied).
    ISupport,
    /// A permanent failure: do not reconnect until the user changes something.
    Fatal(String),
    /// After registration, the enabled capabilities changed (`cap-notify`: `CAP NEW` then
    /// `ACK`, or `CAP DEL`); this is the whole new set.
    CapsChanged(Vec<String>),
    /// STS on a plaintext connection: close it and connect with TLS to `port` instead
    /// (<https://ircv3.net/specs/extensions/sts>).
    Upgrade { port: u16 },
    /// STS on a TLS connection: only TLS to this server on `port` for `duration` seconds
    /// from now (0: forget the policy).
    StsPolicy { port: u16, duration: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for `CAP LS` to complete.
    CapLs,
    /// `CAP REQ` sent, waiting for ACK/NAK.
    CapReq,
    /// SASL in progress.
    Sasl,
    /// `CAP END` sent (or no CAP): waiting for 001.
    Registering,
    Registered,
}

/// One connection's protocol state.
#[derive(Debug)]
pub struct Session {
    config: Config,
    phase: Phase,
    offered: BTreeMap<String, Option<String>>,
    enabled: BTreeSet<String>,
    pending_req: usize,
    nick: String,
    nick_attempt: u32,
    isupport: ISupport,
}

impl Session {
    /// A session for `config`; call [`Session::start`] once the socket is open.
    pub fn new(config: Config) -> Session {
        Session {
            nick: config.nick.clone(),
            config,
            phase: Phase::CapLs,
            offered: BTreeMap::new(),
            enabled: BTreeSet::new(),
            pending_req: 0,
            nick_attempt: 0,
            isupport: ISupport::default(),
        }
    }

    /// The first lines to send.
    pub fn start(&mut self) -> Vec<String> {
        let mut out = vec!["CAP LS 302".to_string()];
        if self.config.sasl.is_none() && !self.config.password.expose().is_empty() {
            out.push(
                Message::new("PASS")
                    .trailing(self.config.password.expose())
                    .to_string(),
            );
        }
        out.push(Message::new("NICK").param(&self.nick).to_string());
        out.push(
            Message::new("USER")
                .params([self.config.username.as_str(), "0", "*"])
                .trailing(&self.config.realname)
                .to_string(),
        );
        out
    }

    /// Our current nick (the one we registered with, or are trying).
    pub fn nick(&self) -> &str {
        &self.nick
    }

    /// The nick the user wants.
    pub fn wanted_nick(&self) -> &str {
        &self.config.nick
    }

    /// Whether registration (001) is done.
    pub fn is_registered(&self) -> bool {
        self.phase == Phase::Registered
    }

    /// What the server advertised in 005.
    pub fn isupport(&self) -> &ISupport {
        &self.isupport
    }

    /// Whether a capability was acknowledged.
    pub fn has_cap(&self, cap: &str) -> bool {
        self.enabled.contains(cap)
    }

    /// Enabled capabilities.
    pub fn caps(&self) -> impl Iterator<Item = &str> {
        self.enabled.iter().map(|s| s.as_str())
    }

    /// `NICK wanted` when we registered with an alternate nick, for the periodic regain.
    pub fn regain(&self) -> Option<String> {
        (self.is_registered() && !self.isupport.eq(&self.nick, &self.config.nick))
            .then(|| Message::new("NICK").param(&self.config.nick).to_string())
    }

    /// Feeds one line from the server.
    pub fn handle(&mut self, msg: &Message) -> Vec<Action> {
        let cmd = msg.command();
        match cmd {
            "PING" => {
                let token = msg.param(0).unwrap_or("");
                vec![Action::Send(
                    Message::new("PONG").trailing(token).to_string(),
                )]
            }
            "PONG" => vec![],
            "CAP" => self.on_cap(msg),
            "AUTHENTICATE" => self.on_authenticate(msg),
            numeric::RPL_WELCOME => {
                if let Some(n) = msg.param(0) {
                    self.nick = n.to_string();
                }
                let first = self.phase != Phase::Registered;
                self.phase = Phase::Registered;
                let mut out = vec![];
                if first {
                    out.push(Action::Registered {
                        nick: self.nick.clone(),
                    });
                }
                out.push(Action::Forward);
                out
            }
            numeric::RPL_ISUPPORT => {
                self.isupport.apply(msg);
                vec![Action::ISupport]
            }
            numeric::RPL_SASLSUCCESS | numeric::ERR_SASLALREADY => self.cap_end(),
            numeric::ERR_SASLFAIL | numeric::ERR_SASLTOOLONG | numeric::ERR_SASLABORTED => {
                // Servers usually say it themselves ("SASL authentication failed").
                let said = msg.last_param().unwrap_or("").trim();
                let text = if said.to_ascii_lowercase().contains("sasl") {
                    let stop = if said.ends_with('.') { "" } else { "." };
                    format!("{said}{stop}")
                } else {
                    format!("SASL authentication failed: {said}")
                };
                vec![Action::Fatal(text)]
            }
            numeric::RPL_LOGGEDIN | numeric::RPL_LOGGEDOUT => vec![Action::Forward],
            numeric::ERR_NICKLOCKED => vec![Action::Fatal("SASL: the account is locked".into())],
            numeric::ERR_PASSWDMISMATCH => vec![Action::Fatal("Invalid server password.".into())],
            numeric::ERR_YOUREBANNEDCREEP => vec![Action::Fatal(format!(
                "Banned from the server: {}",
                msg.last_param().unwrap_or("")
            ))],
            numeric::ERR_NICKNAMEINUSE
            | numeric::ERR_ERRONEUSNICKNAME
            | numeric::ERR_NICKCOLLISION
                if self.phase != Phase::Registered =>
            {
                self.nick_attempt += 1;
                if self.nick_attempt > 8 {
                    return vec![Action::Fatal(
                        "No usable nick: all alternatives are taken.".into(),
                    )];
                }
                self.nick = alternate_nick(
                    &self.config.nick,
                    self.nick_attempt,
                    self.isupport.nicklen(),
                );
                vec![
                    Action::Send(Message::new("NICK").param(&self.nick).to_string()),
                    Action::Forward,
                ]
            }
            "NICK" => {
                let from = msg.source_nick().unwrap_or("");
                let new = msg.param(0).unwrap_or("");
                if !new.is_empty() && self.isupport.eq(from, &self.nick) {
                    let old = std::mem::replace(&mut self.nick, new.to_string());
                    vec![
                        Action::NickChanged {
                            old,
                            new: new.to_string(),
                        },
                        Action::Forward,
                    ]
                } else {
                    vec![Action::Forward]
                }
            }
            // Servers without CAP answer 421 to it: carry on with plain registration.
            numeric::ERR_UNKNOWNCOMMAND if msg.param(1) == Some("CAP") => {
                if self.config.sasl.is_some() {
                    return vec![Action::Fatal("The server does not support SASL.".into())];
                }
                self.phase = Phase::Registering;
                vec![]
            }
            _ => vec![Action::Forward],
        }
    }

    fn on_cap(&mut self, msg: &Message) -> Vec<Action> {
        let sub = msg.param(1).unwrap_or("").to_ascii_uppercase();
        let more = msg.params().len() > 3 && msg.param(2) == Some("*");
        let mut sts = None;
        let list = msg.last_param().unwrap_or("");
        match sub.as_str() {
            "LS" => {
                for item in list.split_whitespace() {
                    let (k, v) = match item.split_once('=') {
                        Some((k, v)) => (k, Some(v.to_string())),
                        None => (item, None),
                    };
                    if k == "sts" && self.phase == Phase::CapLs {
                        if let Some(a) = self.sts(v.as_deref().unwrap_or("")) {
                            if matches!(a, Action::Upgrade { .. }) {
                                return vec![a]; // nothing more on plaintext
                            }
                            sts = Some(a);
                        }
                    }
                    self.offered.insert(k.to_string(), v);
                }
                if more || self.phase != Phase::CapLs {
                    return sts.into_iter().collect();
                }
                let mut out: Vec<Action> = sts.into_iter().collect();
                out.extend(self.request(self.wanted_offered()));
                out
            }
            "NEW" => {
                let mut new = vec![];
                for item in list.split_whitespace() {
                    let k = item.split('=').next().unwrap_or(item);
                    self.offered.insert(k.to_string(), None);
                    if WANTED_CAPS.contains(&k) && !self.enabled.contains(k) && k != "sasl" {
                        new.push(k.to_string());
                    }
                }
                if new.is_empty() {
                    return vec![];
                }
                vec![Action::Send(cap_req(&new.join(" ")))]
            }
            "DEL" => {
                let mut changed = false;
                for k in list.split_whitespace() {
                    self.offered.remove(k);
                    changed |= self.enabled.remove(k);
                }
                self.caps_changed(changed)
            }
            "ACK" => {
                let mut changed = false;
                for k in list.split_whitespace() {
                    changed |= match k.strip_prefix('-') {
                        Some(off) => self.enabled.remove(off),
                        None => self.enabled.insert(k.to_string()),
                    };
                }
                let mut actions = self.req_answered();
                actions.extend(self.caps_changed(changed));
                actions
            }
            "NAK" => self.req_answered(),
            _ => vec![],
        }
    }

    /// The `sts` capability's value (`port=6697,duration=86400`): on plaintext with a port,
    /// upgrade; on TLS with a duration, a policy to keep. Anything else is ignored, as the
    /// spec says.
    fn sts(&self, value: &str) -> Option<Action> {
        let mut port = None;
        let mut duration = None;
        for kv in value.split(',') {
            match kv.split_once('=') {
                Some(("port", p)) => port = p.parse::<u16>().ok().filter(|p| *p > 0),
                Some(("duration", d)) => duration = d.parse::<u64>().ok(),
                _ => {}
            }
        }
        if self.config.tls {
            duration.map(|duration| Action::StsPolicy {
                port: self.config.port,
                duration,
            })
        } else {
            port.map(|port| Action::Upgrade { port })
        }
    }

    /// Tells the owner about a change of capabilities once registered (before, the set
    /// comes with [`Action::Registered`]).
    fn caps_changed(&self, changed: bool) -> Vec<Action> {
        if !changed || self.phase != Phase::Registered {
            return vec![];
        }
        vec![Action::CapsChanged(
            self.caps().map(str::to_string).collect(),
        )]
    }

    fn wanted_offered(&self) -> Vec<String> {
        WANTED_CAPS
            .iter()
            .filter(|c| self.offered.contains_key(**c))
            .filter(|c| **c != "sasl" || self.config.sasl.is_some())
            // Both names of chathistory offered: take the ratified one.
            .filter(|c| !(**c == "draft/chathistory" && self.offered.contains_key("chathistory")))
            .map(|c| c.to_string())
            .collect()
    }

    fn request(&mut self, caps: Vec<String>) -> Vec<Action> {
        if self.config.sasl.is_some() && !caps.iter().any(|c| c == "sasl") {
            return vec![Action::Fatal("The server does not support SASL.".into())];
        }
        if caps.is_empty() {
            return self.cap_end();
        }
        self.phase = Phase::CapReq;
        // Keep each CAP REQ well under 512 bytes.
        let mut lines = vec![];
        let mut cur = String::new();
        for c in caps {
            if cur.len() + c.len() + 1 > 400 {
                lines.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(&c);
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        self.pending_req = lines.len();
        lines
            .into_iter()
            .map(|l| Action::Send(cap_req(&l)))
            .collect()
    }

    fn req_answered(&mut self) -> Vec<Action> {
        if self.phase != Phase::CapReq {
            return vec![];
        }
        self.pending_req = self.pending_req.saturating_sub(1);
        if self.pending_req > 0 {
            return vec![];
        }
        match self.config.sasl {
            Some(_) if !self.enabled.contains("sasl") => {
                vec![Action::Fatal("The server refused SASL.".into())]
            }
            Some(mech) => {
                self.phase = Phase::Sasl;
                let name = match mech {
                    SaslMech::Plain => "PLAIN",
                    SaslMech::External => "EXTERNAL",
                };
                vec![Action::Send(
                    Message::new("AUTHENTICATE").param(name).to_string(),
                )]
            }
            None => self.cap_end(),
        }
    }

    fn on_authenticate(&mut self, msg: &Message) -> Vec<Action> {
        if self.phase != Phase::Sasl || msg.param(0) != Some("+") {
            return vec![];
        }
        match self.config.sasl {
            Some(SaslMech::External) => vec![Action::Send("AUTHENTICATE +".into())],
            Some(SaslMech::Plain) => {
                let user = &self.config.account;
                let payload = format!("{user}\0{user}\0{}", self.config.password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
                sasl_chunks(&encoded)
                    .into_iter()
                    .map(Action::Send)
                    .collect()
            }
            None => vec![],
        }
    }

    fn cap_end(&mut self) -> Vec<Action> {
        if matches!(self.phase, Phase::Registering | Phase::Registered) {
            return vec![];
        }
        self.phase = Phase::Registering;
        vec![Action::Send("CAP END".into())]
    }
}

/// `CAP REQ :caps`.
fn cap_req(caps: &str) -> String {
    Message::new("CAP").param("REQ").trailing(caps).to_string()
}

/// `AUTHENTICATE` lines for a base64 payload: 400-byte chunks, and a `+` after a final
/// chunk of exactly 400 bytes (or for an empty payload).
pub fn sasl_chunks(encoded: &str) -> Vec<String> {
    let mut out: Vec<String> = encoded
        .as_bytes()
        .chunks(400)
        .map(|c| {
            Message::new("AUTHENTICATE")
                .param(&String::from_utf8_lossy(c))
                .to_string()
        })
        .collect();
    if encoded.is_empty() || encoded.len() % 400 == 0 {
        out.push("AUTHENTICATE +".into());
    }
    out
}

/// The n-th alternative to `nick`: `nick_`, `nick__`, then `nick` + digits, within `NICKLEN`.
pub fn alternate_nick(nick: &str, attempt: u32, nicklen: Option<usize>) -> String {
    let max = nicklen.unwrap_or(30).max(2);
    let suffix = match attempt {
        1 => "_".to_string(),
        2 => "__".to_string(),
        n => format!("{}", (n as u64 * 7919 + 13) % 1000),
    };
    let keep = max.saturating_sub(suffix.len());
    let base: String = nick.chars().take(keep).collect();
    format!("{base}{suffix}")
}

#[cfg(test)]
mod tests;
