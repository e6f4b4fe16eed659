//! One actor per user: owns that user's IRC connections, conversations and live state
//! (participants, topics, unread counts), appends what happens to the store and only then
//! tells the user's browsers. It is the only writer of a user's chat state.
//!
//! Shape: [`Handle`] (cloneable) sends a [`Request`]; replies come back in a oneshot;
//! events ([`crate::wire::Event`]) go out through the user's [`Hub`], each with a `seq`.

mod actor;
mod away;
mod calllog;
mod calls;
mod channels;
mod connections;
mod conversations;
mod guard;
mod history;
mod hub;
mod ignore;
mod incoming;
mod listing;
mod markers;
mod members;
mod outgoing;
mod presence;
mod privmsg;
mod push;
mod reactions;
mod redact;
mod registry;
mod replies;
mod state;
mod sts;
mod typing;
mod view;
mod watch;
mod whois;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::model::{MessageId, UserId, WantedState};
use crate::wire;
pub use connections::default_nick;
pub use guard::DEFAULT_MAX_CONNECTIONS;
pub use hub::{Activity, Frame, Gone, Hub};
pub use listing::{ChannelQuery, Sort as ChannelSort};
pub use registry::Registry;

/// The settings of a connection a request sets: `None` keeps the current value (update)
/// or takes the default (add: connected, no commands, history kept forever).
#[derive(Debug, Clone, Default)]
pub struct ConnectionChanges {
    pub url: Option<String>,
    /// Instead of `url`: the fields of a form. A new connection gets their URL; an edit
    /// changes them in the current URL and keeps the rest of it.
    pub server: Option<crate::irc::url::Fields>,
    pub on_connect_commands: Option<Vec<String>>,
    pub wanted_state: Option<WantedState>,
    /// Delete messages older than this many days; 0 keeps everything.
    pub retention_days: Option<u32>,
    /// The whole list of ignore masks.
    pub ignore: Option<Vec<String>>,
    /// The name the user gives it; `""` goes back to the network's own.
    pub name: Option<String>,
}

/// A request the user actor can refuse; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("Connection not found.")]
    NoConnection,
    #[error("Conversation not found.")]
    NoConversation,
    #[error("Not connected.")]
    NotConnected,
    #[error("{0}")]
    Invalid(String),
    /// The user may not do this (e.g. another server than the forced default).
    #[error("{0}")]
    Forbidden(String),
    #[error("Could not save: {0}")]
    Store(String),
    #[error("The user is not running.")]
    Gone,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// The user's connections and visible conversations, taken in one step of the actor, and
/// the seq of the newest event published by then: every event up to `seq` is reflected in
/// them, none after it (the actor changes its state and publishes in the same step), so a
/// browser following `/events?since=seq` misses nothing and counts nothing twice.
#[derive(Debug)]
pub struct Snapshot {
    pub connections: Vec<wire::Connection>,
    pub conversations: Vec<wire::Conversation>,
    pub seq: u64,
    /// The newest message published by then (`None`: none since the actor started):
    /// store counts up to it match `seq`.
    pub published_id: Option<crate::model::MessageId>,
}

/// What the user actor can be asked.
#[derive(Debug)]
pub enum Request {
    /// Text or a slash command typed in a conversation.
    Send {
        connection_id: String,
        conversation_id: String,
        message: String,
        /// The msgid it answers (`+draft/reply`).
        reply_to: Option<String>,
        reply: Reply<wire::Sent>,
    },
    /// A reaction to the message `msgid` of a conversation.
    React {
        connection_id: String,
        conversation_id: String,
        msgid: String,
        reaction: String,
        reply: Reply<()>,
    },
    /// The user's connections.
    Connections { reply: Reply<Vec<wire::Connection>> },
    /// The user's nick on a connection (empty when there is no such connection).
    Nick {
        connection_id: String,
        reply: Reply<String>,
    },
    /// The user's visible conversations.
    Conversations {
        reply: Reply<Vec<wire::Conversation>>,
    },
    /// Connections and conversations as of one event seq (what a browser starts from).
    Snapshot { reply: Reply<Snapshot> },
    /// Add a connection from an `irc://` URL (`changes.url` or `changes.server` is required).
    AddConnection {
        changes: ConnectionChanges,
        reply: Reply<wire::Connection>,
    },
    /// Change a connection.
    UpdateConnection {
        connection_id: String,
        changes: ConnectionChanges,
        reply: Reply<wire::Connection>,
    },
    DeleteConnection {
        connection_id: String,
        reply: Reply<()>,
    },
    /// Move the last-read marker (`None`: to the newest message).
    MarkRead {
        connection_id: String,
        conversation_id: String,
        last_read: Option<MessageId>,
        reply: Reply<wire::Conversation>,
    },
    /// Sets a conversation's notification choices (stored, and sent to every browser).
    SetNotify {
        connection_id: String,
        conversation_id: String,
        notify: crate::notify::Notify,
        reply: Reply<wire::Conversation>,
    },
    /// A channel's participants.
    Participants {
        connection_id: String,
        conversation_id: String,
        reply: Reply<Vec<wire::Participant>>,
    },
    /// A page of the connection's channel list (from the last `/list`).
    Channels {
        connection_id: String,
        query: ChannelQuery,
        reply: Reply<wire::ChannelPage>,
    },
    /// The store has nothing older than `before` (unix ms) in a conversation: ask the
    /// server (chathistory) for what was said before it. Answers, once the replay is
    /// stored, whether anything came; `false` at once without chathistory or when the
    /// server had nothing the last time.
    FetchOlder {
        connection_id: String,
        conversation_id: String,
        before: i64,
        reply: Reply<bool>,
    },
    /// Make a client certificate for SASL EXTERNAL; answers the connection with its
    /// `certificate.fingerprint`.
    ClientCertificate {
        connection_id: String,
        renew: bool,
        reply: Reply<wire::Connection>,
    },
    /// Whether a conversation exists for this user (for API access checks).
    HasConversation {
        connection_id: String,
        conversation_id: String,
        reply: Reply<bool>,
    },
    /// Highlight keywords or other account data changed.
    UserChanged(Box<crate::model::User>),
    /// Call signalling from a browser (see `crate::rtc`).
    Rtc {
        request: wire::RtcRequest,
        reply: Reply<()>,
    },
    /// The user is typing in a conversation (no answer: it is a hint).
    Typing {
        connection_id: String,
        conversation_id: String,
        state: wire::Typing,
    },
}

impl Request {
    /// The connection and conversation a request names, for the actor to fold the id
    /// with that network's case mapping (a browser may send any case).
    fn conversation_mut(&mut self) -> Option<(&str, &mut String)> {
        match self {
            Request::Send {
                connection_id,
                conversation_id,
                ..
            }
            | Request::React {
                connection_id,
                conversation_id,
                ..
            }
            | Request::MarkRead {
                connection_id,
                conversation_id,
                ..
            }
            | Request::SetNotify {
                connection_id,
                conversation_id,
                ..
            }
            | Request::Participants {
                connection_id,
                conversation_id,
                ..
            }
            | Request::FetchOlder {
                connection_id,
                conversation_id,
                ..
            }
            | Request::HasConversation {
                connection_id,
                conversation_id,
                ..
            }
            | Request::Typing {
                connection_id,
                conversation_id,
                ..
            } => Some((connection_id.as_str(), conversation_id)),
            Request::Rtc { request, .. } => {
                Some((request.connection_id.as_str(), &mut request.conversation_id))
            }
            _ => None,
        }
    }
}

/// Talks to one user's actor; cheap to clone.
#[derive(Debug, Clone)]
pub struct Handle {
    pub user_id: UserId,
    tx: mpsc::Sender<Request>,
    /// The user's event stream.
    pub hub: Arc<Hub>,
}

impl Handle {
    /// Waits until the actor has ended (and with it its IRC connections).
    pub async fn closed(&self) {
        self.tx.closed().await;
    }

    /// Sends a request built around a reply channel and waits for the answer.
    pub async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).await.map_err(|_| Error::Gone)?;
        rx.await.map_err(|_| Error::Gone)?
    }

    /// Sends a request that has no answer.
    pub async fn tell(&self, request: Request) {
        let _ = self.tx.send(request).await;
    }
}
