//! The user actor's state: the actor itself, each connection's live state (`Conn`), its
//! conversations (`Conv`) and members, and the small types the actor's files share. Only
//! data and accessors: the behaviour is in `actor` (the loop), `incoming`, `outgoing`,
//! `connections` and the feature files, which all import this leaf.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use irc_proto::ISupport;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::hub::Hub;
use super::members::{Members, Participant};
use crate::irc;
use crate::model::{Connection, Conversation, ConversationKind, Kind, User};
use crate::rtc;
use crate::store::{Appended, Store};
use crate::wire::{self, ChannelInfo, Event};

/// Conversations one connection may have; more from a hostile server go to the server
/// conversation.
pub(super) const MAX_CONVERSATIONS: usize = 1000;

/// Live state of one connection.
pub(super) type ConnState = wire::ConnectionState;

pub(super) struct Conv {
    pub model: Conversation,
    /// Who is in the channel.
    pub participants: Members,
    /// Whether we are in the channel right now.
    pub joined: bool,
}

pub(super) struct Conn {
    pub model: Connection,
    pub config: irc::Config,
    pub handle: irc::Handle,
    pub state: ConnState,
    pub message: String,
    pub nick: String,
    pub caps: Vec<String>,
    pub isupport: ISupport,
    /// By casefolded conversation id.
    pub convs: HashMap<String, Conv>,
    /// NAMES replies being gathered, by casefolded channel.
    pub names: HashMap<String, Vec<Participant>>,
    /// Keys of channels we asked to join, until the JOIN arrives.
    pub join_keys: HashMap<String, String>,
    /// When we last answered a CTCP request (flood guard).
    pub last_ctcp_reply: Option<tokio::time::Instant>,
    /// Open `chathistory` batches (IRCv3 `batch`), by reference tag.
    pub history_batches: std::collections::HashSet<String>,
    /// Recent `/whois` requests, so the replies go where the question was asked. At most
    /// [`MAX_ASKED`].
    pub asked: std::collections::VecDeque<Asked>,
    /// Open `labeled-response` batches: reference → the label of the command they answer.
    pub label_batches: HashMap<String, String>,
    /// The last label given to a command of ours (`labeled-response`).
    pub last_label: u32,
    /// The answer to the last `/list`, while it is kept.
    pub channel_list: Option<ChannelList>,
    /// Presence of the people we see or watch.
    pub people: super::presence::People,
    /// Channels (casefolded) whose `WHO` after joining is out, oldest first.
    pub who_pending: std::collections::VecDeque<String>,
    /// The server keeps our MONITOR list (set after the MOTD, when it has MONITOR).
    pub monitoring: bool,
    /// An ISON of ours is out: its answer is not for the server conversation.
    pub ison_pending: bool,
    /// Older history asked of the server for a page the user scrolled to: by casefolded
    /// conversation, the replies waiting for its batch. At most [`MAX_OLDER`].
    pub older: Vec<(String, super::Reply<bool>)>,
    /// Open chathistory batches: reference → (casefolded target, lines in it so far).
    pub batch_targets: HashMap<String, (String, u32)>,
    /// Conversations whose older history the server said it has no more of.
    pub history_done: std::collections::HashSet<String>,
    /// `/whois` cards being gathered, by casefolded nick (only for nicks in `asked`).
    pub whois: HashMap<String, wire::Whois>,
    /// Since when our `CHATHISTORY TARGETS` asks (unix ms), while its answer may come.
    pub targets_since: Option<i64>,
    /// The user set `/away` here themselves: auto-away leaves this network alone.
    pub manual_away: bool,
    /// When we last sent `+typing=active`, by conversation (throttle; cleared on done).
    pub typing_sent: HashMap<String, tokio::time::Instant>,
}

/// Older-history requests one connection has out at once, most.
pub(super) const MAX_OLDER: usize = 8;

/// Outstanding `/whois` requests one connection remembers.
pub(super) const MAX_ASKED: usize = 16;

/// A `/whois` the user typed.
#[derive(Debug)]
pub struct Asked {
    /// Casefolded.
    pub nick: String,
    /// The conversation id it was typed in.
    pub conv: String,
    pub at: tokio::time::Instant,
    /// Its `label` when the server has `labeled-response`: then only replies carrying the
    /// label (or in a batch that does) belong to it, whatever else the server sends.
    pub label: Option<String>,
}

impl Conn {
    /// A new label for a command, when the server answers labeled commands.
    pub(super) fn label(&mut self) -> Option<String> {
        let caps = |name: &str| self.caps.iter().any(|c| c == name);
        if !(caps("labeled-response") && caps("batch")) {
            return None;
        }
        self.last_label = self.last_label.wrapping_add(1);
        Some(format!("cv{}", self.last_label))
    }

    /// The label a reply carries: its own `label` tag, or its batch's.
    pub(super) fn label_of(&self, msg: &irc_proto::Message) -> Option<String> {
        msg.tag_value("label").map(str::to_string).or_else(|| {
            msg.tag_value("batch")
                .and_then(|b| self.label_batches.get(b))
                .cloned()
        })
    }
}

impl Conn {
    pub(super) fn fold(&self, name: &str) -> String {
        self.isupport.fold(name).into_owned()
    }

    pub(super) fn is_me(&self, nick: &str) -> bool {
        self.isupport.eq(nick, &self.nick)
    }

    pub(super) fn is_channel(&self, name: &str) -> bool {
        self.isupport.is_channel(name)
    }
}

/// A line to store in a conversation of a connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    /// The conversation's name; `""` is the connection's server conversation.
    pub conversation: &'a str,
    pub kind: Kind,
    /// The sender's nick; `""` for the server.
    pub from: &'a str,
    pub text: &'a str,
    /// The IRC message it came from: its `time`, `msgid`, `account` and `batch` tags.
    pub msg: Option<&'a irc_proto::Message>,
    /// It mentions the user.
    pub highlight: bool,
}

impl<'a> Line<'a> {
    pub(super) fn new(conversation: &'a str, kind: Kind, text: &'a str) -> Self {
        Line {
            conversation,
            kind,
            from: "",
            text,
            msg: None,
            highlight: false,
        }
    }

    pub(super) fn from(self, from: &'a str) -> Self {
        Line { from, ..self }
    }

    pub(super) fn of(self, msg: &'a irc_proto::Message) -> Self {
        Line {
            msg: Some(msg),
            ..self
        }
    }

    pub(super) fn highlight(self, highlight: bool) -> Self {
        Line { highlight, ..self }
    }
}

/// What to publish once the append before it (if any) has committed.
pub(super) enum After {
    /// Publish these events.
    Events(Vec<Event>),
    /// Publish the stored message (and a notification when it is a highlight); with the
    /// arrival stamp of its line under the latency trace.
    Message(Option<std::time::Instant>),
}

pub(super) type Pending =
    BoxFuture<'static, (Option<Result<Appended, crate::store::Error>>, After)>;

pub(super) struct Actor {
    pub user: User,
    pub store: Store,
    pub hub: Arc<Hub>,
    pub irc_opts: irc::Options,
    /// Connections this user may have.
    pub max_connections: usize,
    pub irc_tx: mpsc::Sender<irc::Tagged>,
    pub shutdown: CancellationToken,
    pub conns: BTreeMap<String, Conn>,
    pub calls: Calls,
    pub pending: FuturesOrdered<Pending>,
    /// How many browsers are active (see `away`).
    pub active_browsers: tokio::sync::watch::Receiver<usize>,
    /// When auto-away starts, while no browser is active.
    pub away_at: Option<tokio::time::Instant>,
    /// We marked the user away (auto-away).
    pub auto_away: bool,
    /// While a `Send` runs: its conversation id and the msgid its messages there answer
    /// (`+draft/reply`).
    pub reply_to: Option<(String, String)>,
    /// How long a minute of the auto-away delay is (shorter in tests).
    pub away_minute: std::time::Duration,
    /// Where pushes go when no browser is active (see `push`).
    pub push: Option<crate::push::Handle>,
    /// When the IRC line being handled was read (latency trace only, see
    /// `crate::metrics::latency`).
    pub arrived: Option<std::time::Instant>,
    /// IRC events already waiting behind the one being handled: a flood, whose lines
    /// the store's writer thread should gather into one commit (see `actor::append`).
    pub flood: bool,
    /// The newest stored message this actor has published (ids are given in the order
    /// lines are published): bounds counts read from the store for a [`super::Snapshot`].
    /// `None` until the first one.
    pub published_id: Option<crate::model::MessageId>,
}

/// Call state the actor keeps: only partial incoming messages.
pub(super) struct Calls {
    pub reassembler: rtc::Reassembler,
    /// Who is in which call, for the call log (`super::calllog`).
    pub log: super::calllog::CallLog,
}

impl Default for Calls {
    fn default() -> Self {
        Calls {
            reassembler: rtc::Reassembler::new(rtc::Limits::default()),
            log: Default::default(),
        }
    }
}

impl Calls {
    /// Forgets partial messages of a connection that went away (its calls are ended in
    /// the log by `Actor::calls_lost`).
    pub(super) fn forget(&mut self, cid: &str) {
        self.reassembler.remove_connection(cid);
    }
}

/// One connection's channel list.
#[derive(Debug)]
pub(super) struct ChannelList {
    pub entries: Vec<ChannelInfo>,
    /// Bytes of names and topics in `entries`.
    pub bytes: usize,
    pub done: bool,
    pub asked: Instant,
}

impl ChannelList {
    pub(super) fn new(now: Instant) -> Self {
        ChannelList {
            entries: Vec::new(),
            bytes: 0,
            done: false,
            asked: now,
        }
    }
}

/// A msgid worth keeping as a reference: 1 to 128 printable characters without spaces.
pub(super) fn valid_msgid(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Conversations shown in lists: the server one, and those the user has not closed.
pub(super) fn visible(c: &Conversation) -> bool {
    c.kind == ConversationKind::Server || c.wanted
}
