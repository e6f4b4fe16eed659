//! What crosses the browser boundary, as Rust types: the API's objects, the WebSocket's
//! events, the browser's request frames and the replies to them. serde makes them the JSON
//! of docs/api.md; only `web/` (and the event hub, which serializes each event once) turn
//! them into JSON. The frontend's TypeScript types (`frontend/src/lib/wire.ts`) are
//! generated from these by a test that fails when the committed file is stale, so the two
//! sides cannot drift: `UPDATE_WIRE=1 cargo test --lib wire` rewrites it.
//!
//! Plain data: depends on `model` (and `input`'s command list) only, does no IO.

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
}

/// A channel member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Participant {
    pub nick: String,
    /// Prefix characters, highest first (`@+`).
    pub mode: String,
}

/// An event the server pushes on the WebSocket (with a `seq`, see [`Stamped`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A stored message.
    Message(Message),
    /// A stored message that mentions the user (sent after its `message`).
    Notification(Message),
    /// Something about a connection or a conversation changed.
    State(State),
    /// Call signalling (docs/rtcz.md).
    Rtc(Rtc),
}

/// The `state` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum State {
    Connection {
        connection_id: String,
        state: ConnectionState,
        message: String,
    },
    /// The user's nick on a connection.
    Me {
        connection_id: String,
        nick: String,
    },
    ConnectionAdded {
        connection_id: String,
        connection: Box<Connection>,
    },
    ConnectionUpdate {
        connection_id: String,
        connection: Box<Connection>,
    },
    ConnectionRemoved {
        connection_id: String,
    },
    /// A conversation was added or changed.
    Conversation {
        connection_id: String,
        conversation: Conversation,
    },
    /// Closed: hidden until joined again (its history is kept).
    ConversationRemoved {
        connection_id: String,
        conversation_id: String,
    },
    /// Its history was deleted (`/clear history`).
    Cleared {
        connection_id: String,
        conversation_id: String,
    },
    Join {
        connection_id: String,
        conversation_id: String,
        nick: String,
    },
    Part {
        connection_id: String,
        conversation_id: String,
        nick: String,
        message: String,
    },
    Kick {
        connection_id: String,
        conversation_id: String,
        nick: String,
        message: String,
    },
    Quit {
        connection_id: String,
        nick: String,
        message: String,
    },
    NickChange {
        connection_id: String,
        old_nick: String,
        new_nick: String,
    },
    Topic {
        connection_id: String,
        conversation_id: String,
        topic: String,
    },
    /// Why the user is not in the channel; `""`: in it again.
    Frozen {
        connection_id: String,
        conversation_id: String,
        frozen: String,
    },
    /// The whole member list of a channel.
    Participants {
        connection_id: String,
        conversation_id: String,
        participants: Vec<Participant>,
    },
    /// The read marker moved (in this or another browser).
    Read {
        connection_id: String,
        conversation_id: String,
        last_read: i64,
        unread: u64,
        notifications: u64,
        /// The user's unread notifications after this read (the badge).
        unread_notifications: u64,
    },
    /// Something went wrong that belongs to no conversation.
    Error {
        message: String,
    },
}

/// A call signal from someone on IRC, for the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Rtc {
    pub connection_id: String,
    pub conversation_id: String,
    /// The sender's nick.
    pub from: String,
    pub ts: String,
    #[serde(flatten)]
    pub kind: RtcKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RtcKind {
    /// Someone started or joined a call.
    Call,
    /// Someone left the call.
    Hangup,
    Signal(Signal),
}

/// An SDP offer or answer, or an ICE candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(untagged)]
pub enum Signal {
    Offer {
        offer: String,
    },
    Answer {
        answer: String,
    },
    Ice {
        ice: String,
        #[serde(rename = "sdpMid", default)]
        sdp_mid: Option<String>,
        #[serde(rename = "sdpMLineIndex", default)]
        sdp_mline_index: Option<u16>,
    },
}

/// An event with its `seq`, as it goes out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Stamped<'a> {
    pub seq: u64,
    #[serde(flatten)]
    pub event: &'a Event,
}

impl Event {
    /// The frame a browser receives: the event's JSON with `seq`.
    pub fn frame(&self, seq: u64) -> String {
        serde_json::to_string(&Stamped { seq, event: self }).unwrap_or_default()
    }
}

/// A browser's request on the WebSocket: `{"id": 1, "method": "...", ...}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ClientFrame {
    /// Repeated in the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub id: Option<u64>,
    #[serde(flatten)]
    pub request: ClientRequest,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientRequest {
    Ping,
    /// The user, their connections and conversations (reply: `load`).
    Load,
    /// Text or a slash command typed in a conversation (reply: `sent`).
    Send {
        connection_id: String,
        #[serde(default)]
        conversation_id: String,
        message: String,
    },
    /// Call signalling (reply: `rtc`).
    Rtc(RtcRequest),
}

/// A browser's call signal, for IRC.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RtcRequest {
    pub connection_id: String,
    pub conversation_id: String,
    #[serde(flatten)]
    pub action: RtcAction,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RtcAction {
    /// Start or join the conversation's call.
    Call,
    Hangup,
    /// To one participant.
    Signal {
        target: String,
        #[serde(flatten)]
        signal: Signal,
    },
}

/// The answer to a [`ClientFrame`]: its `id` and what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Reply {
    pub id: Option<u64>,
    #[serde(flatten)]
    pub body: ReplyBody,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReplyBody {
    Pong { ts: String },
    Load { user: Box<User> },
    Sent(Sent),
    Rtc,
}

/// What `send` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Sent {
    pub connection_id: String,
    pub conversation_id: String,
    pub message: String,
}

/// A refused request (HTTP error body, or a WebSocket reply with the request's `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Errors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub id: Option<u64>,
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ErrorItem {
    /// For the user.
    pub message: String,
    /// JSON pointer of the field it is about, `/` for the whole request.
    pub path: String,
}

/// Sent instead of missed events that are no longer kept: refetch, then follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Reload {
    pub event: ReloadTag,
    /// The newest seq now.
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReloadTag {
    Reload,
}

/// Every frame the server sends on the WebSocket (for the TypeScript side).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(untagged)]
pub enum ServerFrame<'a> {
    Event(Stamped<'a>),
    Reply(Box<Reply>),
    Errors(Errors),
    Reload(Reload),
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
    pub users: Vec<User>,
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

#[cfg(test)]
mod tests;
