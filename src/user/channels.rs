//! Channel lines → the user's state: joins, parts, kicks, quits, nick changes and modes
//! change the members (see `members`, where the rules are) and are stored as lines of
//! the channels they touch; topics and "you left" are kept with the conversation.

use irc_proto::Message;
use tracing::info;

use super::members;
use super::state::{Actor, Line};
use super::view;
use crate::model::Kind;
use crate::wire::{Event, State};

impl Actor {
    pub(super) async fn on_join(&mut self, cid: &str, msg: &Message, nick: &str) {
        let Some(chan) = msg.param(0).map(str::to_string) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let conv_id = conn.fold(&chan);
        if conn.is_me(nick) {
            let key = conn.fold(&chan);
            let join_key = conn.join_keys.remove(&key);
            let Some(key) = self.ensure_conversation(cid, &chan).await else {
                return;
            };
            let Some(conn) = self.conns.get_mut(cid) else {
                return;
            };
            if let Some(conv) = conn.convs.get_mut(&key) {
                conv.joined = true;
                conv.participants.clear();
                let mut changed = conv.model.frozen.take().is_some() || conv.model.name != chan;
                conv.model.name = chan.clone();
                if let Some(k) = join_key.filter(|k| !k.is_empty()) {
                    conv.model.key = Some(k.into());
                    changed = true;
                }
                if changed {
                    let model = conv.model.clone();
                    let event = view::conversation_event(cid, &conn.people, &conn.isupport, conv);
                    let _ = self.store.save_conversation(model).await;
                    self.publish(vec![event]);
                }
            }
            info!(channel = %chan, "joined");
        } else {
            let key = conn.fold(&chan);
            if let Some(conv) = conn.convs.get_mut(&key) {
                conv.participants.join(&conn.isupport, nick);
            }
        }
        self.publish(vec![Event::State(State::Join {
            connection_id: cid.to_string(),
            conversation_id: conv_id,
            nick: nick.to_string(),
        })]);
        let text = format!("{nick} joined.");
        self.record_if_exists(cid, &chan, Kind::Join, nick, &text, msg)
            .await;
    }

    pub(super) async fn on_leave(
        &mut self,
        cid: &str,
        chan: &str,
        nick: &str,
        kind: Kind,
        reason: &str,
        msg: &Message,
    ) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let me = conn.is_me(nick);
        let text = reason.to_string();
        if let Some(conv) = conn.convs.get_mut(&key) {
            conv.participants.remove(&conn.isupport, nick);
            if me {
                conv.joined = false;
                conv.participants.clear();
            }
        }
        let (connection_id, conversation_id) = (cid.to_string(), key.clone());
        let (nick_s, message) = (nick.to_string(), reason.to_string());
        self.publish(vec![Event::State(if kind == Kind::Kick {
            State::Kick {
                connection_id,
                conversation_id,
                nick: nick_s,
                message,
            }
        } else {
            State::Part {
                connection_id,
                conversation_id,
                nick: nick_s,
                message,
            }
        })]);
        self.record_if_exists(cid, chan, kind, nick, &text, msg)
            .await;
        let folded = self.conns.get(cid).map(|c| c.fold(nick));
        if let Some(folded) = folded {
            self.call_gone(cid, &key, &folded, me).await;
        }
        if me && kind == Kind::Kick {
            self.freeze(cid, chan, &text).await;
        } else if me {
            // Parted (not closed: /close removes the conversation before the PART): the
            // channel stays, marked as left, until joined again.
            self.freeze(cid, chan, &format!("You left {chan}.")).await;
        }
    }

    pub(super) async fn on_quit(&mut self, cid: &str, nick: &str, reason: &str, msg: &Message) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let mut chans = vec![];
        for conv in conn.convs.values_mut() {
            if conv.participants.remove(&conn.isupport, nick) {
                chans.push(conv.model.name.clone());
            }
        }
        self.publish(vec![Event::State(State::Quit {
            connection_id: cid.to_string(),
            nick: nick.to_string(),
            message: reason.to_string(),
        })]);
        let text = if reason.is_empty() {
            format!("{nick} quit.")
        } else {
            format!("{nick} quit: {reason}")
        };
        for chan in chans {
            self.record(cid, Line::new(&chan, Kind::Quit, &text).from(nick).of(msg))
                .await;
        }
        if let Some(folded) = self.conns.get(cid).map(|c| c.fold(nick)) {
            self.call_left(cid, None, &folded).await;
        }
    }

    pub(super) async fn on_nick(&mut self, cid: &str, old: &str, new: &str, msg: &Message) {
        if new.is_empty() {
            return;
        }
        if let Some((o, n)) = self.conns.get(cid).map(|c| (c.fold(old), c.fold(new))) {
            self.call_renamed(cid, &o, &n);
        }
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let mut chans = vec![];
        for conv in conn.convs.values_mut() {
            if conv.participants.rename(&conn.isupport, old, new) {
                chans.push(conv.model.name.clone());
            }
        }
        self.publish(vec![Event::State(State::NickChange {
            connection_id: cid.to_string(),
            old_nick: old.to_string(),
            new_nick: new.to_string(),
        })]);
        let text = format!("{old} is now known as {new}.");
        for chan in chans {
            self.record(cid, Line::new(&chan, Kind::Nick, &text).from(old).of(msg))
                .await;
        }
    }

    pub(super) async fn on_mode(&mut self, cid: &str, msg: &Message, nick: &str) {
        let target = msg.param(0).unwrap_or("").to_string();
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        if !conn.is_channel(&target) {
            return; // user modes are of no interest to the UI
        }
        let args: Vec<&str> = msg.params().skip(1).collect();
        let key = conn.fold(&target);
        // Participant prefixes: +o bob → "@".
        if let Some(conv) = conn.convs.get_mut(&key).filter(|_| !args.is_empty()) {
            conv.participants.apply_modes(&conn.isupport, &args);
            let ev = view::participants_event(cid, &conn.people, &conn.isupport, conv);
            self.publish(vec![ev]);
        }
        let text = args.join(" ");
        self.record_if_exists(cid, &target, Kind::Mode, nick, &text, msg)
            .await;
    }

    pub(super) fn on_names(&mut self, cid: &str, msg: &Message) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let chan = msg.param(2).unwrap_or("");
        let key = conn.fold(chan);
        if !conn.convs.contains_key(&key) {
            return; // /names of a channel we are not in: shown nowhere
        }
        let buf = conn.names.entry(key).or_default();
        members::gather_names(&conn.isupport, msg.last_param().unwrap_or(""), buf);
    }

    /// Publishes the gathered member list; returns its size.
    pub(super) fn end_of_names(&mut self, cid: &str, chan: &str) -> Option<usize> {
        let conn = self.conns.get_mut(cid)?;
        let key = conn.fold(chan);
        let list = conn.names.remove(&key)?;
        if let Some(conv) = conn.convs.get_mut(&key) {
            conv.participants.replace(&conn.isupport, list);
            let members = conv.participants.len();
            let ev = view::participants_event(cid, &conn.people, &conn.isupport, conv);
            self.publish(vec![ev]);
            return Some(members);
        }
        None
    }

    pub(super) async fn set_topic(&mut self, cid: &str, chan: &str, topic: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let Some(conv) = conn.convs.get_mut(&key) else {
            return;
        };
        if conv.model.topic == topic {
            return;
        }
        conv.model.topic = topic.to_string();
        let model = conv.model.clone();
        let _ = self.store.save_conversation(model).await;
        self.publish(vec![Event::State(State::Topic {
            connection_id: cid.to_string(),
            conversation_id: key,
            topic: topic.to_string(),
        })]);
    }

    pub(super) async fn freeze(&mut self, cid: &str, chan: &str, reason: &str) {
        let Some(conn) = self.conns.get_mut(cid) else {
            return;
        };
        let key = conn.fold(chan);
        let Some(conv) = conn.convs.get_mut(&key) else {
            return;
        };
        conv.model.frozen = Some(reason.to_string());
        conv.joined = false;
        let model = conv.model.clone();
        let _ = self.store.save_conversation(model).await;
        self.publish(vec![Event::State(State::Frozen {
            connection_id: cid.to_string(),
            conversation_id: key,
            frozen: reason.to_string(),
        })]);
    }

    /// Stores a channel event only in a conversation that exists and is open (no
    /// conversation is created for a stranger's JOIN).
    pub(super) async fn record_if_exists(
        &mut self,
        cid: &str,
        chan: &str,
        kind: Kind,
        nick: &str,
        text: &str,
        msg: &Message,
    ) {
        // A closed conversation stays closed: the PART that follows /close, and whatever
        // else the channel says, is not recorded (recording would reopen it).
        let exists = self
            .conns
            .get(cid)
            .is_some_and(|c| c.convs.get(&c.fold(chan)).is_some_and(|v| v.model.wanted));
        if exists {
            self.record(cid, Line::new(chan, kind, text).from(nick).of(msg))
                .await;
        }
    }
}
