//! The user actor's task: its loop, loading its connections, and the ordered append
//! then publish of what happens. State is in `state`, IRC traffic in `incoming`, typed
//! commands in `outgoing`, connection requests in `connections`, API objects in `view`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use irc_proto::ISupport;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn, Instrument};

use super::hub::Hub;
use super::state::{valid_msgid, visible, Actor, After, Conn, ConnState, Conv};
use super::{view, Error, Handle, Request};
use crate::irc;
use crate::metrics::latency::{self, Stage};
use crate::model::{Connection, NewEntry, User, WantedState};
use crate::store::{Appended, Store};
use crate::wire::{self, Event, State};

/// Events waiting for their appends to commit, most. Past this the actor stops reading
/// IRC until the store catches up (backpressure instead of unbounded memory).
const MAX_PENDING: usize = 4096;

/// IRC events waiting behind the one being handled from which its lines go to the store's
/// writer thread to be committed together, instead of one commit each on this thread.
/// A line committed alone here costs about 27 µs of CPU, one in a writer's batch 13 µs
/// plus a shared 60 µs of thread hand-over (`cargo bench --bench commit`): batches pay
/// from about four lines.
const FLOOD: usize = 4;

/// How often to ask ISON for the nicks of private conversations, on networks without
/// MONITOR (once a minute is what polite clients do).
const ISON_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Sleeps until `at`, or forever when `None`.
async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
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
        arrived: None,
        flood: false,
        published_id: None,
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
                    self.arrived = ev.arrived;
                    self.flood = irc_rx.len() >= FLOOD;
                    self.irc_event(ev).await;
                    self.arrived = None;
                }
            }
        }
        // Calls going on end here, as far as their log can tell (a restart starts anew).
        self.calls_lost(None).await;
        // Whatever was appended is committed or failed; let browsers see the rest.
        self.settle().await;
        // Wait (bounded) until every IRC task has closed its socket: their event senders
        // go with them. Another daemon taking this user over must not meet this one's
        // connections still open (see `crate::cluster`).
        self.irc_tx = mpsc::channel(1).0;
        self.conns.clear();
        let gone = async { while irc_rx.recv().await.is_some() {} };
        if tokio::time::timeout(std::time::Duration::from_secs(5), gone)
            .await
            .is_err()
        {
            warn!("IRC connections took over 5 s to close");
        }
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
                        participants: Default::default(),
                        joined: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Starts the task of a connection (connecting when wanted) and tracks it.
    pub(super) fn open_connection(
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

    /// The visible conversations of every connection, as the API shows them.
    fn conversation_views(&self) -> Vec<wire::Conversation> {
        let mut list = vec![];
        for conn in self.conns.values() {
            for conv in conn.convs.values().filter(|c| visible(&c.model)) {
                list.push(view::conversation(&conn.people, &conn.isupport, conv));
            }
        }
        list
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
        let arrived = self.arrived;
        let queued = match self.store.reserve().await {
            Ok(place) => place.append_in(vec![entry], self.flood),
            Err(e) => {
                self.pending.push_back(Box::pin(
                    async move { (Some(Err(e)), After::Message(arrived)) },
                ));
                return;
            }
        };
        latency::observe(Stage::Actor, arrived);
        self.pending.push_back(Box::pin(async move {
            let appended = queued
                .await
                .and_then(|mut v| v.pop().ok_or(crate::store::Error::Write("nothing".into())));
            (Some(appended), After::Message(arrived))
        }));
    }

    fn published(&mut self, appended: Option<Result<Appended, crate::store::Error>>, after: After) {
        match (appended, after) {
            (_, After::Events(events)) => {
                for e in &events {
                    self.hub.publish(e);
                }
            }
            (Some(Ok(a)), After::Message(arrived)) => {
                latency::observe(Stage::Commit, arrived);
                if a.duplicate {
                    return;
                }
                let entry = a.entry;
                self.published_id = self.published_id.max(Some(entry.id));
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
                    self.hub
                        .publish_traced(&Event::Message(msg.clone()), arrived);
                    self.hub.publish(&Event::Notification(msg));
                } else {
                    self.hub.publish_traced(&Event::Message(msg), arrived);
                }
            }
            (Some(Err(e)), After::Message(_)) => {
                warn!(error = %e, "message could not be stored");
                self.hub.publish(&Event::State(State::Error {
                    message: format!("A message could not be stored: {e}"),
                }));
            }
            (None, After::Message(_)) => {}
        }
    }

    async fn request(&mut self, mut r: Request) {
        // Ids are folded with the network's case mapping, whatever case a browser sent.
        if let Some((cid, conv)) = r.conversation_mut() {
            if let Some(c) = self.conns.get(cid) {
                if let std::borrow::Cow::Owned(folded) = c.isupport.fold(conv) {
                    *conv = folded;
                }
            }
        }
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
            Request::Nick {
                connection_id,
                reply,
            } => {
                let nick = self.conns.get(&connection_id).map(|c| c.nick.to_string());
                let _ = reply.send(Ok(nick.unwrap_or_default()));
            }
            Request::Conversations { reply } => {
                let _ = reply.send(Ok(self.conversation_views()));
            }
            Request::Snapshot { reply } => {
                let _ = reply.send(Ok(super::Snapshot {
                    connections: self.conns.values().map(view::connection).collect(),
                    conversations: self.conversation_views(),
                    seq: self.hub.next_seq().saturating_sub(1),
                    published_id: self.published_id,
                }));
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
}
