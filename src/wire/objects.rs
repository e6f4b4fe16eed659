//! The API's objects: what `/api` answers and accepts, and what events carry.

use serde::{Deserialize, Serialize};

use crate::model::{Kind, WantedState};

/// The `type` of a message (Convos calls PRIVMSG `private`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Private,
    Action,
    Notice,
    Join,
    Part,
    Quit,
    Kick,
    Nick,
    Mode,
    Topic,
    Server,
    Error,
    /// A reaction (the message is the emoji) to the message whose `msgid` is `reply_to`.
    Reaction,
    /// A call's log line: "alice started a call.", "Call ended — 12 min, 3 participants.",
    /// "Missed call from alice — …" (a highlight).
    Call,
}

impl From<Kind> for MessageType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Privmsg => MessageType::Private,
            Kind::Action => MessageType::Action,
            Kind::Notice => MessageType::Notice,
            Kind::Join => MessageType::Join,
            Kind::Part => MessageType::Part,
            Kind::Quit => MessageType::Quit,
            Kind::Kick => MessageType::Kick,
            Kind::Nick => MessageType::Nick,
            Kind::Mode => MessageType::Mode,
            Kind::Topic => MessageType::Topic,
            Kind::Server => MessageType::Server,
            Kind::Error => MessageType::Error,
            Kind::Reaction => MessageType::Reaction,
            Kind::Call => MessageType::Call,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Message {
    /// Orders the record: `(unix ms << 10) + n`, below 2^53.
    pub id: i64,
    pub connection_id: String,
    /// `""` is the connection's server conversation.
    pub conversation_id: String,
    /// RFC 3339, UTC, milliseconds.
    pub ts: String,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub from: String,
    pub message: String,
    pub highlight: bool,
    /// Sent by the user (their nick on that connection).
    #[serde(rename = "self")]
    pub own: bool,
    /// Notifications only: whether it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub read: Option<bool>,
    /// The IRC server's id of the message (IRCv3 `msgid`), when it gave one: what replies
    /// and reactions refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub msgid: Option<String>,
    /// The `msgid` of the message this one answers (a reply) or reacts to (a reaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub reply_to: Option<String>,
}

impl Message {
    /// The API object of a stored message; `own_nick` tells the user's own lines.
    pub fn new(e: &crate::model::Entry, own_nick: &str) -> Message {
        Message {
            id: e.id.0,
            connection_id: e.connection_id.clone(),
            conversation_id: e.conversation_id.clone(),
            ts: crate::time::format_ms(e.time),
            kind: e.kind.into(),
            from: e.from.clone(),
            message: e.text.clone(),
            highlight: e.highlight,
            own: !e.from.is_empty() && e.from.eq_ignore_ascii_case(own_nick),
            read: None,
            msgid: e.msgid.clone(),
            reply_to: e.reply_to.clone(),
        }
    }
}

/// Where a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    Connecting,
    Connected,
    Disconnected,
}

/// A connection to an IRC network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Connection {
    pub connection_id: String,
    /// The network's name (ISUPPORT `NETWORK`), else its host.
    pub name: String,
    /// The `irc://` URL, password shown as `********`.
    pub url: String,
    pub nick: String,
    pub me: Me,
    pub state: ConnectionState,
    pub wanted_state: WantedState,
    /// Why it is disconnected, or what it is waiting for.
    pub message: String,
    /// Secrets in them shown as `********`.
    pub on_connect_commands: Vec<String>,
    /// Messages older than this many days are deleted; 0 keeps everything.
    pub retention_days: u32,
    /// The TLS client certificate for SASL EXTERNAL.
    pub certificate: Certificate,
    /// What the URL says, parsed by the server (no secrets): forms show these.
    pub server: Server,
    /// Ignored senders (`nick!user@host` globs): nothing from them is stored or shown.
    pub ignore: Vec<String>,
    /// How the network compares nicks and channel names (ISUPPORT `CASEMAPPING`):
    /// `ascii`, `rfc1459`, `rfc1459-strict` or `rfc8265`. Conversation ids are already
    /// folded with it; a browser folds names it compares the same way
    /// (`proto/tests/data/casemapping.json` is the table both sides test against).
    pub casemapping: String,
}

/// A connection's server and identity as the server reads its URL; no passwords.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub nick: String,
    /// Channels joined on connect (keys not shown).
    pub channels: Vec<String>,
    /// SASL account (the URL's user part), `""` without.
    pub account: String,
    /// `plain`, `external` or `null`.
    pub sasl: Option<String>,
}

impl From<&crate::irc::url::Config> for Server {
    fn from(c: &crate::irc::url::Config) -> Self {
        use crate::irc::url::SaslMech;
        Server {
            host: c.host.clone(),
            port: c.port,
            tls: c.tls,
            nick: c.nick.clone(),
            channels: c.channels.iter().map(|(name, _)| name.clone()).collect(),
            account: c.account.clone(),
            sasl: c.sasl.map(|m| {
                match m {
                    SaslMech::Plain => "plain",
                    SaslMech::External => "external",
                }
                .to_string()
            }),
        }
    }
}

/// A connection as a form gives it, instead of a URL (`POST /api/connections`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ServerInput {
    pub host: String,
    /// Default: 6697 with TLS, else 6667.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub port: Option<u16>,
    /// Default: on.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub tls: Option<bool>,
    pub nick: String,
    /// `#chan` or `#chan key`; `#` is added when missing.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub channels: Option<Vec<String>>,
    /// SASL PLAIN account; with `password` it turns SASL on.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub account: Option<String>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub password: Option<String>,
}

/// `POST /api/connections` and `POST /api/connection/{cid}`: unset fields keep their value
/// (or the default). `url` or `server` says where to connect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectionRequest {
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub url: Option<String>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub server: Option<ServerInput>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub on_connect_commands: Option<Vec<String>>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub wanted_state: Option<WantedState>,
    /// Delete messages older than this many days; 0 keeps everything.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub retention_days: Option<u32>,
    /// The whole list of ignore masks (`nick`, `nick!user@host`, globs).
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub ignore: Option<Vec<String>>,
    /// The name shown for the connection (at most 64 characters); `""`: the network's own.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Me {
    pub nick: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Certificate {
    /// SHA-512 fingerprint (hex) of the certificate, when one was made.
    pub fingerprint: Option<String>,
}

/// A channel, a private conversation or a connection's server conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Conversation {
    pub connection_id: String,
    /// The name folded by the network's case mapping; `""` for the server conversation.
    pub conversation_id: String,
    pub name: String,
    pub topic: String,
    /// Why the user is not in it (`""` when joined or private).
    pub frozen: String,
    pub unread: u64,
    /// Unread highlights.
    pub notifications: u64,
    pub last_read: i64,
    pub is_private: bool,
    /// The user's notification choices (level, mute, sound), the same on every device.
    pub notify: crate::notify::Notify,
    /// A private conversation: the other side's presence, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub presence: Option<Presence>,
}

/// What the network says about someone: away (with the message), logged in, online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Presence {
    pub nick: String,
    /// Away, with the message (`""` when the server did not say it); absent when here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub away: Option<String>,
    /// The services account they are logged in to; absent when none or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub account: Option<String>,
    /// Someone of a private conversation: on the network (MONITOR or ISON); absent when
    /// unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub online: Option<bool>,
}

/// A channel member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Participant {
    pub nick: String,
    /// Prefix characters, highest first (`@+`).
    pub mode: String,
    /// Away, with the message (`""` when not said); absent when here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub away: Option<String>,
    /// The services account they are logged in to; absent when none or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub account: Option<String>,
}

/// The logged-in user (`GET /api/user`, the WebSocket's `load`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct User {
    pub email: String,
    pub uid: i64,
    /// `["admin"]` or `[]`.
    pub roles: Vec<String>,
    pub registered: String,
    pub highlight_keywords: Vec<String>,
    /// Away when no browser is active (empty message: off).
    pub auto_away: crate::model::AutoAway,
    /// Display and input preferences (the same on all devices).
    pub prefs: crate::model::Prefs,
    /// No pushes in these hours (calls may still ring).
    pub quiet_hours: crate::notify::QuietHours,
    /// Unread notifications.
    pub unread: u64,
    pub default_connection: String,
    pub forced_connection: bool,
    pub video_service: String,
    /// ICE servers for calls.
    pub rtc: RtcConfig,
    /// `default_connection` as fields, when it parses (the connect form starts from it).
    pub default_server: Option<Server>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub connections: Option<Vec<Connection>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub conversations: Option<Vec<Conversation>>,
    /// With connections or conversations: the seq of the newest event they reflect. Open
    /// `/events?since=seq` to follow on without a gap; events up to it are already in them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub seq: Option<u64>,
}

/// What a browser needs to make calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RtcConfig {
    pub ice_servers: Vec<IceServer>,
    /// `relay` when only TURN relays may be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub ice_transport_policy: Option<String>,
}

/// One `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IceServer {
    pub urls: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub credential: Option<String>,
}

/// `GET /api/connections`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectionList {
    pub connections: Vec<Connection>,
}

/// `GET /api/conversations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConversationList {
    pub conversations: Vec<Conversation>,
}

/// `GET .../participants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ParticipantList {
    pub participants: Vec<Participant>,
}

/// Messages in id order: a page of history, search results or notifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Nothing more in the direction asked.
    pub end: bool,
    /// The id to page back from; `null` at the oldest message (always in search results
    /// and notifications, which page with `before` = the last id shown).
    pub before: Option<i64>,
    /// The id to page forward from; `null` at the newest message.
    pub after: Option<i64>,
}

/// A reply with nothing to say: `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Empty {}

/// `GET /api/users` (admin).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UserList {
    pub users: Vec<super::AdminUser>,
}

/// An invitation or password-reset link (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Invite {
    pub url: String,
    pub expires: String,
    /// The account exists: the link resets its password.
    pub existing: bool,
}

/// What the login and register pages need (`GET /api/settings/public`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PublicSettings {
    pub organization_name: String,
    pub organization_url: String,
    pub contact: String,
    pub open_to_public: bool,
    /// Nobody has registered yet: the first user becomes admin.
    pub first_user: bool,
    pub default_connection: String,
    pub forced_connection: bool,
    /// OpenID Connect providers to offer as "Sign in with ..." buttons.
    pub oidc: Vec<super::OidcProvider>,
    /// The e-mail and password form is offered (false in "OIDC only" mode).
    pub password_login: bool,
}

/// The server settings as the admin sees them (`GET`/`POST /api/settings`): what can be
/// changed, and, read-only, what the daemon noticed at start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AdminSettings {
    #[serde(flatten)]
    pub settings: crate::account::Settings,
    /// An old Convos home not imported yet; sent back in a `POST`, it is ignored.
    pub pending_import: Option<PendingImport>,
}

/// An old Convos home the daemon found at start (in `CONVOS_HOME` or `~/.convos`) that
/// `convos import` has not taken yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PendingImport {
    /// What it comes from: `convos`.
    pub source: String,
    pub path: String,
    /// User directories found in it.
    pub users: u32,
    /// What to run, with the daemon stopped.
    pub command: String,
}

/// A slash command (`GET /api/commands`, and the browser's completion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Command {
    pub name: String,
    /// Other names that run it.
    pub aliases: Vec<String>,
    pub usage: String,
    pub help: String,
}

impl From<&crate::input::Help> for Command {
    fn from(h: &crate::input::Help) -> Self {
        Command {
            name: h.name.into(),
            aliases: h.aliases.iter().map(|a| a.to_string()).collect(),
            usage: h.usage.into(),
            help: h.help.into(),
        }
    }
}

/// A channel as `/list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChannelInfo {
    pub name: String,
    pub users: u32,
    pub topic: String,
}

/// `GET /api/connection/{cid}/channels`: the network's channel list from the last `/list`
/// (kept in memory for a while, never stored), filtered and sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChannelPage {
    pub channels: Vec<ChannelInfo>,
    /// Channels that match, of which `channels` are the first.
    pub total: u64,
    /// The server finished the list.
    pub done: bool,
    /// A list was asked for recently (else: send `/list`).
    pub listed: bool,
}

/// `GET /api/commands`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandList {
    pub commands: Vec<Command>,
}

impl CommandList {
    /// Every command the server understands.
    pub fn all() -> CommandList {
        CommandList {
            commands: crate::input::COMMANDS.iter().map(Command::from).collect(),
        }
    }
}

/// A `/whois` answer as a card (the numerics between the first reply and the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Whois {
    pub nick: String,
    pub user: String,
    pub host: String,
    pub realname: String,
    /// The server they are connected to, and its description.
    pub server: String,
    pub server_info: String,
    pub account: Option<String>,
    /// With their prefixes (`@#ops`).
    pub channels: Vec<String>,
    pub idle_secs: Option<u64>,
    /// When they connected (unix ms).
    pub signon: Option<i64>,
    /// Connected with TLS.
    pub secure: bool,
    /// An IRC operator.
    pub operator: bool,
    pub away: Option<String>,
    /// `false`: no such nick.
    pub found: bool,
}
