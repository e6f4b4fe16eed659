//! Plain data shared by the whole app: ids, stored messages ([`Entry`]), their kinds, and
//! the records the store keeps (users, connections, conversations, notifications).
//!
//! This module depends on nothing else in the crate and does no IO. Types that hold secrets
//! (IRC passwords inside connection URLs, channel keys, password hashes) wrap them in
//! [`Secret`], whose `Debug` never prints the value.

mod account;

pub use account::{
    AutoAway, Clock, Density, Membership, Prefs, PreviewMode, SignInMethod, TokenScope, User,
};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user's id: the `users` row id, stable for the life of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A stored message's id: monotonic per database, never reused (also after deletes), so
/// "everything after id N" is a complete and gap-free answer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A value that must never reach a log: `Debug` prints `Secret(***)`.
///
/// It serializes as the plain string because its owner's code paths (the user editing
/// their own connection) do need the value; never serialize it anywhere else.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value; call only where it is really needed (connecting, storing).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// What a stored message is. The numeric codes are stored in the database: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Privmsg = 0,
    Action = 1,
    Notice = 2,
    Join = 3,
    Part = 4,
    Quit = 5,
    Kick = 6,
    Nick = 7,
    Mode = 8,
    Topic = 9,
    Server = 10,
    Error = 11,
    /// A reaction (`+draft/react`) to the message whose msgid is in `reply_to`; the text is
    /// the reaction (an emoji). Not searched, not unread: shown on that message.
    Reaction = 12,
    /// A call's log line (issue 25): started, ended, missed (`src/user/calllog.rs`).
    Call = 13,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Privmsg,
        Kind::Action,
        Kind::Notice,
        Kind::Join,
        Kind::Part,
        Kind::Quit,
        Kind::Kick,
        Kind::Nick,
        Kind::Mode,
        Kind::Topic,
        Kind::Server,
        Kind::Error,
        Kind::Reaction,
        Kind::Call,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The kind for a stored code, `None` for an unknown one.
    pub fn from_code(code: i64) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Lowercase name, as in the JSON API: `privmsg`, `action`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Privmsg => "privmsg",
            Kind::Action => "action",
            Kind::Notice => "notice",
            Kind::Join => "join",
            Kind::Part => "part",
            Kind::Quit => "quit",
            Kind::Kick => "kick",
            Kind::Nick => "nick",
            Kind::Mode => "mode",
            Kind::Topic => "topic",
            Kind::Server => "server",
            Kind::Error => "error",
            Kind::Reaction => "reaction",
            Kind::Call => "call",
        }
    }

    /// Whether a message of this kind counts as unread (something someone said).
    pub fn counts_as_unread(self) -> bool {
        matches!(self, Kind::Privmsg | Kind::Action | Kind::Notice)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to store: an [`Entry`] before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub user_id: UserId,
    /// The connection's id, e.g. `irc-libera`.
    pub connection_id: String,
    /// The conversation's id: its name casefolded by the caller (`#convos`), `""` for the
    /// server conversation.
    pub conversation_id: String,
    /// Unix time in milliseconds: the `server-time` tag when present, else local time.
    pub time: i64,
    pub kind: Kind,
    /// The sender's nick (empty for server messages without one).
    pub from: String,
    /// `nick!user@host` when known.
    pub source: Option<String>,
    /// The text as received; never truncated by the store.
    pub text: String,
    /// IRCv3 `msgid` tag: appends with a msgid already stored in the conversation are
    /// deduplicated (chathistory replays).
    pub msgid: Option<String>,
    /// IRCv3 `account` tag.
    pub account: Option<String>,
    /// The msgid of the message this one answers or reacts to (`+draft/reply`).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Whether the message mentions the user (their nick or a highlight keyword).
    pub highlight: bool,
    /// The line arrived late (a chathistory replay, an import): it takes its place among
    /// the stored lines by `time` instead of after them. Live lines (`false`) keep the
    /// order they arrived in.
    #[serde(default)]
    pub backfill: bool,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: MessageId,
    pub user_id: UserId,
    pub connection_id: String,
    pub conversation_id: String,
    /// Unix time in milliseconds.
    pub time: i64,
    pub kind: Kind,
    pub from: String,
    pub source: Option<String>,
    pub text: String,
    pub msgid: Option<String>,
    pub account: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    pub highlight: bool,
}

impl Entry {
    /// The stored form of `new` under `id`.
    pub fn from_new(id: MessageId, new: NewEntry) -> Entry {
        Entry {
            id,
            user_id: new.user_id,
            connection_id: new.connection_id,
            conversation_id: new.conversation_id,
            time: new.time,
            kind: new.kind,
            from: new.from,
            source: new.source,
            text: new.text,
            msgid: new.msgid,
            account: new.account,
            reply_to: new.reply_to,
            highlight: new.highlight,
        }
    }
}

/// Whether the user wants a connection to be up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum WantedState {
    Connected,
    Disconnected,
}

impl WantedState {
    pub fn as_str(self) -> &'static str {
        match self {
            WantedState::Connected => "connected",
            WantedState::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<WantedState> {
        match s {
            "connected" => Some(WantedState::Connected),
            "disconnected" => Some(WantedState::Disconnected),
            _ => None,
        }
    }
}

/// A client certificate for SASL EXTERNAL / CertFP: the PEM certificate and its private
/// key, which `Debug` never shows.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCert {
    pub cert: String,
    pub key: Secret,
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("cert", &format_args!("{} bytes", self.cert.len()))
            .field("key", &self.key)
            .finish()
    }
}

/// A user's IRC connection settings. `Debug` shows only the keys of `state`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub user_id: UserId,
    /// e.g. `irc-libera`.
    pub id: String,
    /// `irc://user:pass@host:port/?tls=1&sasl=plain...`: may hold passwords, hence `Secret`.
    pub url: Secret,
    pub nick: String,
    /// Commands sent after registration (`/msg NickServ ...`): may hold passwords.
    pub on_connect_commands: Vec<Secret>,
    pub wanted_state: WantedState,
    /// Messages older than this many days are deleted (hourly); 0 keeps everything.
    pub retention_days: u32,
    /// The client certificate made for this connection, if any.
    pub client_cert: Option<ClientCert>,
    /// Ignored senders (`nick!user@host` globs, see `user::ignore`).
    pub ignore: Vec<String>,
    /// The server's STS policy, once seen over TLS: only TLS to it until it expires.
    pub sts: Option<Sts>,
    /// The name the user gave it (else the network's `NETWORK=`, else the host).
    pub name: Option<String>,
    /// Arbitrary state the app keeps with the connection (JSON); no secrets.
    pub state: serde_json::Value,
}

impl Connection {
    /// The `state` of a new connection: nothing kept yet.
    pub fn empty_state() -> serde_json::Value {
        serde_json::Value::Object(Default::default())
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state_keys: Vec<&str> = self
            .state
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        f.debug_struct("Connection")
            .field("user_id", &self.user_id)
            .field("id", &self.id)
            .field("url", &self.url)
            .field("nick", &self.nick)
            .field("on_connect_commands", &self.on_connect_commands)
            .field("wanted_state", &self.wanted_state)
            .field("retention_days", &self.retention_days)
            .field("client_cert", &self.client_cert)
            .field("ignore", &self.ignore)
            .field("sts", &self.sts)
            .field("name", &self.name)
            .field("state_keys", &state_keys)
            .finish()
    }
}

/// An STS policy (<https://ircv3.net/specs/extensions/sts>): connect to `host` only with
/// verified TLS on `port` until `until` (unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sts {
    pub host: String,
    pub port: u16,
    pub until: i64,
}

impl Sts {
    /// Makes `config` obey the policy when it is for its host and not expired at `now`.
    pub fn apply(&self, config: &mut crate::irc::Config, now: i64) -> bool {
        if self.until <= now || !self.host.eq_ignore_ascii_case(&config.host) {
            return false;
        }
        let changed = !config.tls || config.port != self.port || !config.tls_verify;
        config.tls = true;
        config.tls_verify = true;
        config.port = self.port;
        changed
    }
}

/// What a conversation is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    /// The connection's own conversation (id `""`): MOTD, server notices, errors.
    Server = 0,
    Channel = 1,
    Private = 2,
}

impl ConversationKind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<ConversationKind> {
        match code {
            0 => Some(ConversationKind::Server),
            1 => Some(ConversationKind::Channel),
            2 => Some(ConversationKind::Private),
            _ => None,
        }
    }
}

/// A conversation as stored: what the user set up plus read state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub user_id: UserId,
    pub connection_id: String,
    /// Casefolded name (`#convos`), `""` for the server conversation.
    pub id: String,
    /// Display name (`#Convos`).
    pub name: String,
    pub kind: ConversationKind,
    /// Channel key for rejoining.
    pub key: Option<Secret>,
    pub topic: String,
    /// Whether the user wants to be in it (rejoin on connect).
    pub wanted: bool,
    /// Why the conversation is frozen (e.g. "Banned"), `None` when it is not.
    pub frozen: Option<String>,
    /// The last message the user has read (0: none).
    pub last_read: MessageId,
    /// Messages after `last_read` of a kind that [`Kind::counts_as_unread`].
    pub unread: u64,
    /// Highlighted messages after `last_read`.
    pub highlights: u64,
    /// The user's notification choices for it.
    pub notify: crate::notify::Notify,
}

impl Conversation {
    /// A new conversation with empty state; `kind` is guessed from the id (`""` → server,
    /// `#`/`&` → channel, else private).
    pub fn new(user_id: UserId, connection_id: &str, id: &str, name: &str) -> Conversation {
        let kind = if id.is_empty() {
            ConversationKind::Server
        } else if id.starts_with(['#', '&', '!', '+']) {
            ConversationKind::Channel
        } else {
            ConversationKind::Private
        };
        Conversation {
            user_id,
            connection_id: connection_id.to_owned(),
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            key: None,
            topic: String::new(),
            wanted: true,
            frozen: None,
            last_read: MessageId(0),
            unread: 0,
            highlights: 0,
            notify: crate::notify::Notify::default(),
        }
    }
}

/// A highlighted message in the user's notification list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub entry: Entry,
    pub read: bool,
}

#[cfg(test)]
mod tests;
