//! Plain data shared by the whole app: ids, stored messages ([`Entry`]), their kinds, and
//! the records the store keeps (users, connections, conversations, notifications).
//!
//! This module depends on nothing else in the crate and does no IO. Types that hold secrets
//! (IRC passwords inside connection URLs, channel keys, password hashes) wrap them in
//! [`Secret`], whose `Debug` never prints the value.

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
}

impl Kind {
    pub const ALL: [Kind; 13] = [
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

/// A user account. The password hash is an argon2id PHC string made by the web layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: Secret,
    pub admin: bool,
    pub highlight_keywords: Vec<String>,
    /// Free-form per-user settings (JSON object).
    pub settings: serde_json::Value,
    /// Unix time in milliseconds.
    pub created_at: i64,
}

impl User {
    /// The user's auto-away choice (kept in `settings`; off when absent or unreadable).
    pub fn auto_away(&self) -> AutoAway {
        self.settings
            .get("auto_away")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The user's quiet hours (off when absent or unreadable).
    pub fn quiet_hours(&self) -> crate::notify::QuietHours {
        self.settings
            .get("quiet_hours")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// `settings` with `quiet_hours` replaced.
    pub fn settings_with_quiet_hours(&self, q: &crate::notify::QuietHours) -> serde_json::Value {
        self.settings_with("quiet_hours", serde_json::to_value(q).unwrap_or_default())
    }

    /// `settings` with `auto_away` replaced.
    pub fn settings_with_auto_away(&self, a: &AutoAway) -> serde_json::Value {
        self.settings_with("auto_away", serde_json::to_value(a).unwrap_or_default())
    }

    /// The user's display and input preferences (defaults when absent or unreadable;
    /// fields missing from an older record take their defaults).
    pub fn prefs(&self) -> Prefs {
        self.settings
            .get("prefs")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// `settings` with `prefs` replaced.
    pub fn settings_with_prefs(&self, p: &Prefs) -> serde_json::Value {
        self.settings_with("prefs", serde_json::to_value(p).unwrap_or_default())
    }

    fn settings_with(&self, key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut s = match &self.settings {
            serde_json::Value::Object(o) => o.clone(),
            _ => serde_json::Map::new(),
        };
        s.insert(key.into(), value);
        serde_json::Value::Object(s)
    }
}

/// How join, part, quit and nick lines show in conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Membership {
    /// Runs of them folded into one summary line.
    #[default]
    Condensed,
    Shown,
    Hidden,
}

/// How times of day are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Clock {
    /// As the browser's language does.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// 13:05
    #[serde(rename = "24h")]
    H24,
    /// 1:05 PM
    #[serde(rename = "12h")]
    H12,
}

/// Space between lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Density {
    #[default]
    Comfortable,
    Compact,
}

/// Which link previews are shown under messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum PreviewMode {
    /// Pages and images.
    #[default]
    On,
    Images,
    Off,
}

/// A user's display and input preferences, the same on all their devices (stored with
/// the account, pushed to every open browser when changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct Prefs {
    pub membership: Membership,
    pub clock: Clock,
    /// Times with seconds.
    pub clock_seconds: bool,
    /// Nicks in their own colour (else all in the text colour).
    pub nick_colors: bool,
    pub density: Density,
    /// Base font size in CSS pixels, 12 to 22.
    pub font_size: u8,
    /// Tell others when the user is typing.
    pub send_typing: bool,
    /// Offer "Send as a paste?" above this many lines (0: never), at most 1000.
    pub paste_lines: u16,
    pub previews: PreviewMode,
    /// Conversations (`connection_id/conversation_id`) whose previews are hidden whatever
    /// `previews` says; at most 500.
    pub previews_hidden: Vec<String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            membership: Membership::Condensed,
            clock: Clock::Auto,
            clock_seconds: false,
            nick_colors: true,
            density: Density::Comfortable,
            font_size: 15,
            send_typing: true,
            paste_lines: 3,
            previews: PreviewMode::On,
            previews_hidden: Vec::new(),
        }
    }
}

impl Prefs {
    /// Checks what a user asked for against the limits above.
    pub fn check(&self) -> Result<(), &'static str> {
        if !(12..=22).contains(&self.font_size) {
            return Err("The font size is 12 to 22 pixels.");
        }
        if self.paste_lines > 1000 {
            return Err("Paste lines is 0 to 1000.");
        }
        if self.previews_hidden.len() > 500 || self.previews_hidden.iter().any(|c| c.len() > 300) {
            return Err("Too many conversations with hidden previews.");
        }
        Ok(())
    }
}

/// Auto-away: when none of the user's browsers has been active for `minutes`, the user is
/// marked away with `message` on every network (and back when one is active again).
/// An empty message turns it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AutoAway {
    pub message: String,
    pub minutes: u32,
}

impl Default for AutoAway {
    fn default() -> Self {
        AutoAway {
            message: String::new(),
            minutes: 10,
        }
    }
}

impl AutoAway {
    /// Checks what a user asked for: a message of one line (at most 300 characters) and
    /// 1 to 1440 minutes.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.message.chars().count() > 300 || self.message.contains(['\r', '\n', '\0']) {
            return Err("The away message must be one line of at most 300 characters.");
        }
        if !(1..=1440).contains(&self.minutes) {
            return Err("Auto-away waits 1 to 1440 minutes.");
        }
        Ok(())
    }
}

/// What an API token may do: `read` (GET requests, the event stream) or `send` (also
/// send messages and commands). No token may manage tokens, passwords or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Send,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Send => "send",
        }
    }

    /// The scope stored as `s`, if any.
    pub fn parse(s: &str) -> Option<TokenScope> {
        match s {
            "read" => Some(TokenScope::Read),
            "send" => Some(TokenScope::Send),
            _ => None,
        }
    }
}

/// How a user signed in (shown to admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SignInMethod {
    /// The local password.
    Password,
    /// An OpenID Connect provider.
    Oidc,
    /// The LDAP directory.
    Ldap,
    /// A trusted reverse proxy's header.
    Proxy,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Oidc => "oidc",
            SignInMethod::Ldap => "ldap",
            SignInMethod::Proxy => "proxy",
        }
    }

    /// The method stored as `s`, if any.
    pub fn parse(s: &str) -> Option<SignInMethod> {
        [
            SignInMethod::Password,
            SignInMethod::Oidc,
            SignInMethod::Ldap,
            SignInMethod::Proxy,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
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
mod tests {
    use super::*;

    #[test]
    fn sts_policy_applies_to_its_host_until_it_expires() {
        let sts = Sts {
            host: "irc.example".into(),
            port: 6697,
            until: 1000,
        };
        let mut c = crate::irc::Config::parse("irc://IRC.example:6667?tls=0&tls_verify=0", "me")
            .expect("url");
        assert!(!sts.apply(&mut c.clone(), 1000), "expired");
        assert!(sts.apply(&mut c, 999));
        assert_eq!((c.tls, c.tls_verify, c.port), (true, true, 6697));
        assert!(!sts.apply(&mut c, 999), "already obeyed");
        let mut other =
            crate::irc::Config::parse("irc://other.example:6667?tls=0", "me").expect("url");
        assert!(!sts.apply(&mut other, 0));
        assert!(!other.tls);
    }

    #[test]
    fn connection_debug_hides_the_client_key() {
        let c = Connection {
            user_id: UserId(1),
            id: "irc-x".into(),
            url: Secret::new("irc://x"),
            nick: "n".into(),
            on_connect_commands: vec![],
            wanted_state: WantedState::Connected,
            retention_days: 0,
            client_cert: Some(ClientCert {
                cert: "C".into(),
                key: Secret::new("PRIVATE KEY"),
            }),
            ignore: vec![],
            sts: None,
            name: None,
            state: serde_json::json!({"other": "x"}),
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("PRIVATE KEY") && shown.contains("client_cert"),
            "{shown}"
        );
    }

    #[test]
    fn kind_codes_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::from_code(99), None);
        assert!(Kind::Action.counts_as_unread());
        assert!(!Kind::Join.counts_as_unread());
    }

    #[test]
    fn secret_debug_redacts() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"hunter2\"")
        );
    }

    #[test]
    fn conversation_kind_guess() {
        let c = |id| Conversation::new(UserId(1), "irc-x", id, id).kind;
        assert_eq!(c(""), ConversationKind::Server);
        assert_eq!(c("#convos"), ConversationKind::Channel);
        assert_eq!(c("batman"), ConversationKind::Private);
    }
}
