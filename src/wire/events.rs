//! The WebSocket: events the server pushes, the browser's request frames and the replies.

use serde::{Deserialize, Serialize};

use super::objects::{
    Connection, ConnectionState, Conversation, Message, Participant, Presence, User, Whois,
};

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
    /// Someone's away state, account or (for private conversations) being online changed.
    Presence {
        connection_id: String,
        presence: Presence,
    },
    /// The answer to a `/whois` typed in `conversation_id`, as a card (its summary is also
    /// recorded there as one line).
    Whois {
        connection_id: String,
        conversation_id: String,
        whois: Whois,
    },
    /// Someone is typing (never stored; an `active` lasts 6 s unless repeated).
    Typing {
        connection_id: String,
        conversation_id: String,
        nick: String,
        state: Typing,
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
    /// A `/list` answer is coming in (`done: false`) or complete: fetch it with
    /// `GET /api/connection/{cid}/channels`. It is never stored as messages.
    ChannelList {
        connection_id: String,
        /// Channels received so far.
        count: u64,
        done: bool,
    },
    /// The user's preferences changed (in this or another browser).
    Prefs {
        prefs: crate::model::Prefs,
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
    /// The frame a browser receives: the event's JSON with `seq`. A few hundred ns for a
    /// chat line, no more than the event alone (`cargo bench --bench events`).
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
        /// The `msgid` of the message this answers (sent as `+draft/reply`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        reply_to: Option<String>,
    },
    /// A reaction (an emoji) to the message `msgid` of a conversation (reply: `reacted`);
    /// sent as `+draft/react` where the server allows client tags, else refused.
    React {
        connection_id: String,
        conversation_id: String,
        msgid: String,
        reaction: String,
    },
    /// Call signalling (reply: `rtc`).
    Rtc(RtcRequest),
    /// Whether the user is active in this browser (page visible and used in the last
    /// minutes); reply: `activity`. With no active browser the user is away (auto-away).
    Activity {
        active: bool,
    },
    /// The user is typing in a conversation (reply: `typing`); sent to IRC as a `+typing`
    /// tag where the server allows client tags, at most every 3 s while active.
    Typing {
        connection_id: String,
        conversation_id: String,
        state: Typing,
    },
}

/// A typing notification's state (<https://ircv3.net/specs/client-tags/typing>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Typing {
    /// Typing now (repeated every 3 s while it lasts).
    Active,
    /// Stopped typing with text in the input.
    Paused,
    /// Cleared the input or sent it.
    Done,
}

impl Typing {
    pub fn as_str(self) -> &'static str {
        match self {
            Typing::Active => "active",
            Typing::Paused => "paused",
            Typing::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Typing> {
        match s {
            "active" => Some(Typing::Active),
            "paused" => Some(Typing::Paused),
            "done" => Some(Typing::Done),
            _ => None,
        }
    }
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
    Typing,
    Activity,
    Reacted,
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
