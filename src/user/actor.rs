//! The user actor's task: its state, its loop, and the requests that change connections.
//! IRC traffic is handled in `incoming`, typed commands in `outgoing`, API objects in `view`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use compact_str::CompactString;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use irc_proto::ISupport;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

use super::{hub::Hub, view, ConnectionChanges, Error, Handle, Request};
use crate::irc;
use crate::model::{
    Connection, Conversation, ConversationKind, Kind, MessageId, NewEntry, User, WantedState,
};
use crate::store::{Appended, Store};
use crate::wire::{self, Event, State};

/// Events waiting for their appends to commit, most. Past this the actor stops reading
/// IRC until the store catches up (backpressure instead of unbounded memory).
const MAX_PENDING: usize = 4096;
/// Conversations one connection may have; more from a hostile server go to the server
/// conversation.
pub(super) const MAX_CONVERSATIONS: usize = 1000;

/// How often to ask ISON for the nicks of private conversations, on networks without
/// MONITOR (once a minute is what polite clients do).
const ISON_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Live state of one connection.
pub(super) type ConnState = wire::ConnectionState;

/// A channel member. Nicks and prefixes fit in a `CompactString` (inline up to 24 bytes),
/// so a member costs no heap allocation: users see thousands of them.
#[derive(Debug, Clone)]
pub(super) struct Participant {
    pub nick: CompactString,
    /// Prefix characters, highest first (`@+`).
    pub prefix: CompactString,
}

pub(super) struct Conv {
    pub model: Conversation,
    /// By casefolded nick.
    pub participants: BTreeMap<CompactString, Participant>,
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
    pub channel_list: Option<super::listing::ChannelList>,
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
    /// Publish the stored message (and a notification when it is a highlight).
    Message,
}

type Pending = BoxFuture<'static, (Option<Result<Appended, crate::store::Error>>, After)>;

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
    pub calls: super::calls::Calls,
    pending: FuturesOrdered<Pending>,
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
}

/// A name the user gives a connection: trimmed, one line of at most 64 characters;
/// empty means none.
fn connection_name(name: &str) -> Result<Option<String>, Error> {
    let name = name.trim();
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(
            "A connection name is one line of at most 64 characters.".into(),
        ));
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

/// Sleeps until `at`, or forever when `None`.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// On-connect commands as stored: blank lines dropped.
fn commands(lines: Vec<String>) -> Vec<crate::model::Secret> {
    lines
        .into_iter()
        .filter(|c| !c.trim().is_empty())
        .map(Into::into)
        .collect()
}

/// Starts a user's actor: loads its connections and conversations, connects those the
/// user wants up, and serves requests until `shutdown`.
pub fn spawn(
    user: User,
    store: Store,
    irc_opts: irc::Options,
    max_connections: usize,
    away_minute: std::time::Duration,
    push: Option<crate::push::Handle>,
    shutdown: CancellationToken,
) -> Handle {
    let (tx, rx) = mpsc::channel(256);
    let (irc_tx, irc_rx) = mpsc::channel(1024);
    let hub = Arc::new(Hub::default());
    let handle = Handle {
        user_id: user.id,
        tx,
        hub: hub.clone(),
    };
    let span = tracing::info_span!("user", id = %user.id);
    let active_browsers = hub.active_browsers();
    let actor = Actor {
        active_browsers,
        away_at: None,
        auto_away: false,
        reply_to: None,
        away_minute,
        push,
        user,
        store,
        hub,
        irc_opts,
        max_connections,
        irc_tx,
        shutdown,
        conns: BTreeMap::new(),
        calls: Default::default(),
        pending: FuturesOrdered::new(),
    };
    tokio::spawn(actor.run(rx, irc_rx).instrument(span));
    handle
}

impl Actor {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Request>,
        mut irc_rx: mpsc::Receiver<irc::Tagged>,
    ) {
        if let Err(e) = self.load().await {
            warn!(error = %e, "cannot load the user's connections");
        }
        let mut ison = tokio::time::interval(ISON_EVERY);
        ison.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.activity_changed().await;
        loop {
            let away_at = self.away_at;
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                Some((appended, after)) = self.pending.next(), if !self.pending.is_empty() => {
                    self.published(appended, after);
                }
                r = rx.recv() => match r {
                    Some(r) => self.request(r).await,
                    None => break,
                },
                _ = ison.tick() => self.poll_all_ison().await,
                r = self.active_browsers.changed() => {
                    if r.is_ok() {
                        self.activity_changed().await;
                    }
                }
                _ = sleep_until_some(away_at) => self.go_away().await,
                Some(ev) = irc_rx.recv(), if self.pending.len() < MAX_PENDING => {
                    self.irc_event(ev).await;
                }
            }
        }
        // Whatever was appended is committed or failed; let browsers see the rest.
        self.settle().await;
        debug!("user actor stopped");
    }

    async fn load(&mut self) -> Result<(), crate::store::Error> {
        let conns = self.store.connections(self.user.id).await?;
        let convs = self.store.conversations(self.user.id).await?;
        // Unreadable settings: no connection is trusted beyond the daemon's policy.
        let settings = self.settings().await.unwrap_or_else(|e| {
            warn!(error = %e, "cannot load the server settings");
            crate::account::settings::Settings::load_defaults(false)
        });
        for c in conns {
            if let Err(e) = self.open_connection(c, &settings) {
                warn!(error = %e, "stored connection is invalid");
            }
        }
        for model in convs {
            if let Some(conn) = self.conns.get_mut(&model.connection_id) {
                let key = model.id.clone();
                conn.convs.insert(
                    key,
                    Conv {
                        model,
                        participants: BTreeMap::new(),
                        joined: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Starts the task of a connection (connecting when wanted) and tracks it.
    fn open_connection(
        &mut self,
        model: Connection,
        settings: &crate::account::settings::Settings,
    ) -> Result<(), Error> {
        let mut config = irc::Config::parse(model.url.expose(), &model.nick)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        config.client_cert = model.client_cert.clone();
        if let Some(sts) = &model.sts {
            sts.apply(&mut config, crate::time::now_ms());
        }
        let connect = model.wanted_state == WantedState::Connected;
        let opts = irc::Options {
            access: self.access(&config, settings),
            ..self.irc_opts.clone()
        };
        let handle = irc::spawn(
            Arc::from(model.id.as_str()),
            config.clone(),
            opts,
            connect,
            self.irc_tx.clone(),
            self.shutdown.child_token(),
        );
        let conn = Conn {
            nick: config.nick.clone(),
            model,
            config,
            handle,
            state: if connect {
                ConnState::Connecting
            } else {
                ConnState::Disconnected
            },
            message: String::new(),
            caps: Vec::new(),
            isupport: ISupport::default(),
            convs: HashMap::new(),
            names: HashMap::new(),
            join_keys: HashMap::new(),
            last_ctcp_reply: None,
            history_batches: Default::default(),
            asked: Default::default(),
            label_batches: HashMap::new(),
            last_label: 0,
            channel_list: None,
            people: Default::default(),
            who_pending: Default::default(),
            monitoring: false,
            ison_pending: false,
            typing_sent: HashMap::new(),
            manual_away: false,
            targets_since: None,
            whois: HashMap::new(),
            older: Vec::new(),
            batch_targets: HashMap::new(),
            history_done: Default::default(),
        };
        self.conns.insert(conn.model.id.clone(), conn);
        Ok(())
    }

    /// Queues events to publish after everything queued before them.
    pub(super) fn publish(&mut self, events: Vec<Event>) {
        if self.pending.is_empty() {
            for e in &events {
                self.hub.publish(e);
            }
            return;
        }
        self.pending
            .push_back(Box::pin(async move { (None, After::Events(events)) }));
    }

    /// Waits until every queued append has committed (and its events are published), for
    /// the rare step that must read what came before it from the store.
    pub(super) async fn settle(&mut self) {
        while let Some((appended, after)) = self.pending.next().await {
            self.published(appended, after);
        }
    }

    /// Appends `entry` and publishes it once committed. The append is queued to the store
    /// before this returns, so lines are stored (and published) in the order this is called,
    /// which is the order each connection's task read them from its socket. Waits while the
    /// store's queue is full (backpressure on IRC reading).
    pub(super) async fn append(&mut self, entry: NewEntry) {
        let queued = match self.store.reserve().await {
            Ok(place) => place.append(vec![entry]),
            Err(e) => {
                self.pending
                    .push_back(Box::pin(async move { (Some(Err(e)), After::Message) }));
                return;
            }
        };
        self.pending.push_back(Box::pin(async move {
            let appended = queued
                .await
                .and_then(|mut v| v.pop().ok_or(crate::store::Error::Write("nothing".into())));
            (Some(appended), After::Message)
        }));
    }

    fn published(&mut self, appended: Option<Result<Appended, crate::store::Error>>, after: After) {
        match (appended, after) {
            (_, After::Events(events)) => {
                for e in &events {
                    self.hub.publish(e);
                }
            }
            (Some(Ok(a)), After::Message) => {
                if a.duplicate {
                    return;
                }
                let entry = a.entry;
                let own_nick = self
                    .conns
                    .get(&entry.connection_id)
                    .map(|c| c.nick.clone())
                    .unwrap_or_default();
                let mine = !entry.from.is_empty() && entry.from.eq_ignore_ascii_case(&own_nick);
                if let Some(conv) = self
                    .conns
                    .get_mut(&entry.connection_id)
                    .and_then(|c| c.convs.get_mut(&entry.conversation_id))
                {
                    if entry.kind.counts_as_unread() && !mine {
                        conv.model.unread += 1;
                    }
                    if entry.highlight {
                        conv.model.highlights += 1;
                    }
                }
                self.push_message(&entry, mine);
                let msg = wire::Message::new(&entry, &own_nick);
                if entry.highlight {
                    self.hub.publish(&Event::Message(msg.clone()));
                    self.hub.publish(&Event::Notification(msg));
                } else {
                    self.hub.publish(&Event::Message(msg));
                }
            }
            (Some(Err(e)), After::Message) => {
                warn!(error = %e, "message could not be stored");
                self.hub.publish(&Event::State(State::Error {
                    message: format!("A message could not be stored: {e}"),
                }));
            }
            (None, After::Message) => {}
        }
    }

    async fn request(&mut self, r: Request) {
        match r {
            Request::Send {
                connection_id,
                conversation_id,
                message,
                reply_to,
                reply,
            } => {
                self.reply_to = reply_to
                    .filter(|id| valid_msgid(id))
                    .map(|id| (conversation_id.clone(), id));
                let res = self.send(&connection_id, &conversation_id, &message).await;
                self.reply_to = None;
                let _ = reply.send(res);
            }
            Request::React {
                connection_id,
                conversation_id,
                msgid,
                reaction,
                reply,
            } => {
                let res = self
                    .react(&connection_id, &conversation_id, &msgid, &reaction)
                    .await;
                let _ = reply.send(res);
            }
            Request::Connections { reply } => {
                let list = self.conns.values().map(view::connection).collect();
                let _ = reply.send(Ok(list));
            }
            Request::Conversations { reply } => {
                let mut list = vec![];
                for conn in self.conns.values() {
                    for conv in conn.convs.values().filter(|c| visible(&c.model)) {
                        list.push(view::conversation(&conn.people, &conn.isupport, conv));
                    }
                }
                let _ = reply.send(Ok(list));
            }
            Request::AddConnection { changes, reply } => {
                let _ = reply.send(self.add_connection(changes).await);
            }
            Request::UpdateConnection {
                connection_id,
                changes,
                reply,
            } => {
                let res = self.update_connection(&connection_id, changes).await;
                let _ = reply.send(res);
            }
            Request::DeleteConnection {
                connection_id,
                reply,
            } => {
                let res = self.delete_connection(&connection_id).await;
                let _ = reply.send(res);
            }
            Request::MarkRead {
                connection_id,
                conversation_id,
                last_read,
                reply,
            } => {
                let res = self
                    .read_up_to(&connection_id, &conversation_id, last_read, true)
                    .await;
                let _ = reply.send(res);
            }
            Request::SetNotify {
                connection_id,
                conversation_id,
                notify,
                reply,
            } => {
                let res = self
                    .set_notify(&connection_id, &conversation_id, notify)
                    .await;
                let _ = reply.send(res);
            }
            Request::Participants {
                connection_id,
                conversation_id,
                reply,
            } => {
                let res = self
                    .conns
                    .get(&connection_id)
                    .ok_or(Error::NoConnection)
                    .and_then(|c| {
                        c.convs
                            .get(&c.fold(&conversation_id))
                            .ok_or(Error::NoConversation)
                            .map(|conv| view::participants(&c.people, &c.isupport, conv))
                    });
                let _ = reply.send(res);
            }
            Request::Channels {
                connection_id,
                query,
                reply,
            } => {
                let _ = reply.send(self.channels(&connection_id, &query));
            }
            Request::FetchOlder {
                connection_id,
                conversation_id,
                before,
                reply,
            } => {
                self.fetch_older(&connection_id, &conversation_id, before, reply)
                    .await
            }
            Request::ClientCertificate {
                connection_id,
                renew,
                reply,
            } => {
                let res = self.client_certificate(&connection_id, renew).await;
                let _ = reply.send(res);
            }
            Request::HasConversation {
                connection_id,
                conversation_id,
                reply,
            } => {
                let has = self.conns.get(&connection_id).is_some_and(|c| {
                    conversation_id.is_empty() || c.convs.contains_key(&conversation_id)
                });
                let _ = reply.send(Ok(has));
            }
            Request::UserChanged(user) => {
                let admin_changed = user.admin != self.user.admin;
                let prefs = user.prefs();
                if prefs != self.user.prefs() {
                    self.publish(vec![Event::State(State::Prefs { prefs })]);
                }
                self.user = *user;
                if admin_changed {
                    self.refresh_access().await;
                }
                // The auto-away choice may have changed: start again from now.
                self.away_at = None;
                self.activity_changed().await;
            }
            Request::Rtc { request, reply } => {
                let res = self.rtc_request(request).await;
                let _ = reply.send(res);
            }
            Request::Typing {
                connection_id,
                conversation_id,
                state,
            } => {
                self.typing_out(&connection_id, &conversation_id, state)
                    .await
            }
        }
    }

    async fn add_connection(
        &mut self,
        changes: ConnectionChanges,
    ) -> Result<wire::Connection, Error> {
        let url = changes
            .url
            .or_else(|| changes.server.as_ref().map(irc::url::Fields::url))
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| Error::Invalid("Missing URL.".into()))?;
        let default_nick = default_nick(&self.user.email);
        let config =
            irc::Config::parse(&url, &default_nick).map_err(|e| Error::Invalid(e.to_string()))?;
        self.check_count()?;
        let settings = self.settings().await?;
        self.check_url(&config, &settings)?;
        let base = irc::url::connection_id(&config.host);
        let mut id = base.clone();
        let mut n = 2;
        while self.conns.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let model = Connection {
            user_id: self.user.id,
            id: id.clone(),
            url: url.trim().into(),
            nick: config.nick.clone(),
            on_connect_commands: commands(changes.on_connect_commands.unwrap_or_default()),
            wanted_state: changes.wanted_state.unwrap_or(WantedState::Connected),
            retention_days: changes.retention_days.unwrap_or(0),
            client_cert: None,
            ignore: super::ignore::normalize_all(changes.ignore.as_deref().unwrap_or_default())
                .map_err(Error::Invalid)?,
            sts: None,
            name: match &changes.name {
                Some(n) => connection_name(n)?,
                None => None,
            },
            state: Connection::empty_state(),
        };
        self.store
            .save_connection(model.clone())
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        // The server conversation exists from the start, and channels in the URL are wanted.
        let mut convs = vec![Conversation::new(self.user.id, &id, "", &config.host)];
        for (name, key) in &config.channels {
            let mut c = Conversation::new(self.user.id, &id, &name.to_lowercase(), name);
            c.key = (!key.is_empty()).then(|| key.as_str().into());
            convs.push(c);
        }
        self.open_connection(model, &settings)?;
        for c in convs {
            let saved = self
                .store
                .save_conversation(c)
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.convs.insert(
                    saved.id.clone(),
                    Conv {
                        model: saved,
                        participants: BTreeMap::new(),
                        joined: false,
                    },
                );
            }
        }
        let conn = self.conns.get(&id).ok_or(Error::NoConnection)?;
        let connection = view::connection(conn);
        let mut events = vec![Event::State(State::ConnectionAdded {
            connection_id: id.clone(),
            connection: Box::new(connection.clone()),
        })];
        for conv in conn.convs.values() {
            events.push(view::conversation_event(
                &id,
                &conn.people,
                &conn.isupport,
                conv,
            ));
        }
        self.publish(events);
        info!(connection = %id, "connection added");
        Ok(connection)
    }

    async fn update_connection(
        &mut self,
        id: &str,
        changes: ConnectionChanges,
    ) -> Result<wire::Connection, Error> {
        let mut model = self.conns.get(id).ok_or(Error::NoConnection)?.model.clone();
        let mut new_config = None;
        // The API shows the password as ********: sent back unchanged, it means "keep it".
        let url = changes
            .url
            .map(|u| irc::url::unredact(&u, model.url.expose()))
            .or_else(|| {
                let fields = changes.server.as_ref()?;
                Some(fields.merge_into(model.url.expose()))
            });
        // A URL that says the same as the current one (fields sent back unchanged, or the
        // same URL written differently) changes nothing and does not reconnect.
        let current = irc::Config::parse(model.url.expose(), &model.nick).ok();
        let url = url.filter(|u| {
            u.trim() != model.url.expose()
                && current
                    .as_ref()
                    .is_none_or(|c| irc::Config::parse(u, &model.nick).ok().as_ref() != Some(c))
        });
        if let Some(url) = url {
            let config =
                irc::Config::parse(&url, &model.nick).map_err(|e| Error::Invalid(e.to_string()))?;
            let settings = self.settings().await?;
            self.check_url(&config, &settings)?;
            let access = self.access(&config, &settings);
            model.nick = config.nick.clone();
            model.url = url.trim().into();
            new_config = Some((config, access));
        }
        let conn = self.conns.get_mut(id).ok_or(Error::NoConnection)?;
        if let Some(c) = changes.on_connect_commands {
            // Shown masked: a command sent back masked keeps its stored secret.
            model.on_connect_commands =
                commands(super::redact::restore(c, &model.on_connect_commands));
        }
        if let Some(w) = changes.wanted_state {
            model.wanted_state = w;
        }
        if let Some(days) = changes.retention_days {
            model.retention_days = days;
        }
        if let Some(list) = &changes.ignore {
            model.ignore = super::ignore::normalize_all(list).map_err(Error::Invalid)?;
        }
        if let Some(name) = &changes.name {
            model.name = connection_name(name)?;
        }
        self.store
            .save_connection(model.clone())
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        let was = conn.model.wanted_state;
        conn.model = model;
        if let Some((mut config, access)) = new_config {
            config.client_cert = conn.model.client_cert.clone();
            if let Some(sts) = &conn.model.sts {
                sts.apply(&mut config, crate::time::now_ms());
            }
            conn.config = config.clone();
            conn.handle.request(irc::Request::Access(access)).await;
            conn.handle
                .request(irc::Request::Configure(Box::new(config)))
                .await;
            if conn.model.wanted_state == WantedState::Connected {
                conn.handle
                    .request(irc::Request::Connect { restart: true })
                    .await;
            }
        } else if was != conn.model.wanted_state {
            match conn.model.wanted_state {
                WantedState::Connected => {
                    conn.handle
                        .request(irc::Request::Connect { restart: false })
                        .await
                }
                WantedState::Disconnected => {
                    conn.handle
                        .request(irc::Request::Disconnect("Bye".into()))
                        .await
                }
            };
        }
        let connection = view::connection(conn);
        self.publish(vec![Event::State(State::ConnectionUpdate {
            connection_id: id.to_string(),
            connection: Box::new(connection.clone()),
        })]);
        Ok(connection)
    }

    /// Makes (or with `renew`, remakes) the connection's client certificate for SASL
    /// EXTERNAL; answers its fingerprint. It is used from the next connect on.
    async fn client_certificate(
        &mut self,
        id: &str,
        renew: bool,
    ) -> Result<wire::Connection, Error> {
        let conn = self.conns.get_mut(id).ok_or(Error::NoConnection)?;
        if renew || conn.model.client_cert.is_none() {
            let cert = irc::url::generate_client_cert(&conn.nick).map_err(Error::Invalid)?;
            let mut model = conn.model.clone();
            model.client_cert = Some(cert);
            self.store
                .save_connection(model.clone())
                .await
                .map_err(|e| Error::Store(e.to_string()))?;
            conn.model = model;
            conn.config.client_cert = conn.model.client_cert.clone();
            conn.handle
                .request(irc::Request::Configure(Box::new(conn.config.clone())))
                .await;
        }
        Ok(view::connection(conn))
    }

    async fn delete_connection(&mut self, id: &str) -> Result<(), Error> {
        let conn = self.conns.remove(id).ok_or(Error::NoConnection)?;
        conn.handle
            .request(irc::Request::Disconnect("Bye".into()))
            .await;
        drop(conn);
        self.store
            .delete_connection(self.user.id, id)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        self.publish(vec![Event::State(State::ConnectionRemoved {
            connection_id: id.to_string(),
        })]);
        Ok(())
    }

    /// Moves the read marker of a conversation (`None`: to its newest message), tells the
    /// browsers and, with `tell_server`, the IRC server (read-marker).
    pub(super) async fn read_up_to(
        &mut self,
        cid: &str,
        conv_id: &str,
        last_read: Option<MessageId>,
        tell_server: bool,
    ) -> Result<wire::Conversation, Error> {
        let conn = self.conns.get(cid).ok_or(Error::NoConnection)?;
        if !conn.convs.contains_key(conv_id) {
            return Err(Error::NoConversation);
        }
        let last = match last_read {
            Some(id) => id,
            // "Everything": the newest message of the conversation.
            None => self
                .store
                .history(
                    self.user.id,
                    cid,
                    conv_id,
                    crate::store::Page::latest().limit(1),
                )
                .await
                .map_err(|e| Error::Store(e.to_string()))?
                .messages
                .last()
                .map(|m| m.id)
                .unwrap_or_default(),
        };
        let updated = self
            .store
            .set_last_read(self.user.id, cid, conv_id, last)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        let conn = self.conns.get_mut(cid).ok_or(Error::NoConnection)?;
        let conv = conn.convs.get_mut(conv_id).ok_or(Error::NoConversation)?;
        conv.model.last_read = updated.last_read;
        conv.model.unread = updated.unread;
        conv.model.highlights = updated.highlights;
        let conversation = view::conversation(&conn.people, &conn.isupport, conv);
        // The user's unread notifications (the badge), after this read.
        let unread_notifications = self
            .store
            .unread_notifications(self.user.id)
            .await
            .map_err(|e| Error::Store(e.to_string()))?;
        self.publish(vec![Event::State(State::Read {
            connection_id: cid.to_string(),
            conversation_id: conv_id.to_string(),
            last_read: updated.last_read.0,
            unread: updated.unread,
            notifications: updated.highlights,
            unread_notifications,
        })]);
        if tell_server {
            self.markread_out(cid, conv_id, updated.last_read).await;
        }
        Ok(conversation)
    }

    /// Makes sure a conversation exists (saving new ones) and returns its key.
    pub(super) async fn ensure_conversation(&mut self, cid: &str, name: &str) -> Option<String> {
        let key = self.open_conversation(cid, name).await?;
        // A private conversation: watch whether the other side is online.
        self.watch(cid, name, true).await;
        Some(key)
    }

    async fn open_conversation(&mut self, cid: &str, name: &str) -> Option<String> {
        let user_id = self.user.id;
        let conn = self.conns.get_mut(cid)?;
        let key = if name.is_empty() {
            String::new()
        } else {
            conn.fold(name)
        };
        if let Some(conv) = conn.convs.get_mut(&key) {
            if conv.model.wanted || conv.model.kind == ConversationKind::Server {
                return Some(key);
            }
            conv.model.wanted = true;
            let model = conv.model.clone();
            if let Err(e) = self.store.save_conversation(model).await {
                warn!(error = %e, "cannot save conversation");
            }
            let event = self.conns.get(cid).and_then(|c| {
                c.convs
                    .get(&key)
                    .map(|conv| view::conversation_event(cid, &c.people, &c.isupport, conv))
            });
            if let Some(event) = event {
                self.publish(vec![event]);
            }
            return Some(key);
        }
        if conn.convs.len() >= MAX_CONVERSATIONS {
            return None;
        }
        let model = Conversation::new(
            user_id,
            cid,
            &key,
            if name.is_empty() {
                &conn.config.host
            } else {
                name
            },
        );
        let saved = match self.store.save_conversation(model).await {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "cannot save conversation");
                return None;
            }
        };
        let conn = self.conns.get_mut(cid)?;
        let conv = Conv {
            model: saved,
            participants: BTreeMap::new(),
            joined: false,
        };
        let event = view::conversation_event(cid, &conn.people, &conn.isupport, &conv);
        conn.convs.insert(key.clone(), conv);
        self.publish(vec![event]);
        Some(key)
    }

    /// Stores a line in a conversation (creating it when needed) and publishes it.
    pub(super) async fn record(&mut self, cid: &str, line: Line<'_>) {
        let Line {
            conversation: conv_name,
            kind,
            from,
            text,
            msg,
            highlight,
        } = line;
        let Some(key) = self.ensure_conversation(cid, conv_name).await else {
            // Too many conversations: keep the line, in the server conversation.
            if !conv_name.is_empty() {
                let text = format!("[{conv_name}] {text}");
                let line = Line {
                    conversation: "",
                    text: &text,
                    ..line
                };
                Box::pin(self.record(cid, line)).await;
            }
            return;
        };
        // Lines of a chathistory batch were said earlier: placed by their time.
        let backfill = msg
            .and_then(|m| m.tag_value("batch"))
            .zip(self.conns.get(cid))
            .is_some_and(|(b, c)| c.history_batches.contains(b));
        let time = msg
            .and_then(|m| m.tag_value("time"))
            .and_then(crate::time::parse_rfc3339)
            .unwrap_or_else(crate::time::now_ms);
        let entry = NewEntry {
            user_id: self.user.id,
            connection_id: cid.to_string(),
            conversation_id: key,
            time,
            kind,
            from: from.to_string(),
            source: msg.and_then(|m| m.source()).map(str::to_string),
            text: text.to_string(),
            msgid: msg.and_then(|m| m.tag_value("msgid")).map(str::to_string),
            account: msg.and_then(|m| m.tag_value("account")).map(str::to_string),
            reply_to: msg
                .and_then(|m| m.tag_value("+draft/reply"))
                .filter(|id| valid_msgid(id))
                .map(str::to_string),
            highlight,
            backfill,
        };
        self.append(entry).await;
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

/// A nick from an e-mail address: its local part, cleaned (`jane.doe@x` → `jane_doe`).
pub fn default_nick(email: &str) -> String {
    let local = email.split('@').next().unwrap_or("");
    let mut nick: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_[]\\^{}|`".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(15)
        .collect();
    if nick.is_empty() || nick.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        nick.insert_str(0, "convos_");
    }
    nick
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_nicks() {
        assert_eq!(super::default_nick("jane.doe@example.com"), "jane_doe");
        assert_eq!(super::default_nick("42@x"), "convos_42");
        assert_eq!(super::default_nick(""), "convos_");
    }
}
