//! The actor's side of presence (`presence` is the pure part): applies each line's news
//! and publishes it, asks `WHO` after joining a channel, keeps the server's MONITOR list
//! equal to the user's private conversations, and polls ISON where there is no MONITOR.

use irc_proto::{numeric, Message};
use tracing::warn;

use super::presence::{WHOX_TOKEN, WHO_MAX_MEMBERS};
use super::state::Actor;
use crate::irc;
use crate::model::ConversationKind;
use crate::wire::{Event, State};

/// `WHO` answers we wait for at once, most (a reconnect joins many channels).
const MAX_WHO_PENDING: usize = 64;
/// Nicks in one `MONITOR +`/`ISON` line, most (keeps lines far below 512 bytes).
const NICKS_PER_LINE: usize = 20;

impl Actor {
    /// Applies what `msg` says about people's presence and publishes the changes. Returns
    /// `true` when the line answers our own WHO, MONITOR or ISON: nothing to record.
    pub(super) fn presence_line(&mut self, cid: &str, msg: &Message) -> bool {
        let Some(c) = self.conns.get_mut(cid) else {
            return false;
        };
        let ours = match msg.command() {
            numeric::RPL_WHOSPCRPL => msg.param(1) == Some(WHOX_TOKEN),
            numeric::RPL_ENDOFWHO => {
                let chan = c.fold(msg.param(1).unwrap_or(""));
                match c.who_pending.iter().position(|p| *p == chan) {
                    Some(i) => {
                        c.who_pending.remove(i);
                        true
                    }
                    None => false,
                }
            }
            numeric::RPL_MONONLINE
            | numeric::RPL_MONOFFLINE
            | numeric::RPL_MONLIST
            | numeric::RPL_ENDOFMONLIST => true,
            numeric::ERR_MONLISTFULL => {
                warn!(connection = %cid, "the server's MONITOR list is full");
                true
            }
            numeric::RPL_ISON => std::mem::take(&mut c.ison_pending),
            _ => false,
        };
        let changes = c.people.apply(&c.isupport, &c.nick, msg);
        if !changes.is_empty() {
            let events = changes
                .into_iter()
                .map(|presence| {
                    Event::State(State::Presence {
                        connection_id: cid.to_string(),
                        presence,
                    })
                })
                .collect();
            self.publish(events);
        }
        ours
    }

    /// After the member list of a channel we joined: `WHO #chan %tnfa` (WHOX) tells who is
    /// away and logged in. Only where away-notify keeps that fresh, and not for big
    /// channels.
    pub(super) async fn who_after_join(&mut self, cid: &str, chan: &str, members: usize) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        let fresh = c.caps.iter().any(|c| c == "away-notify");
        if !fresh
            || !c.isupport.has("WHOX")
            || members > WHO_MAX_MEMBERS
            || c.who_pending.len() >= MAX_WHO_PENDING
        {
            return;
        }
        let Ok(line) = Message::new("WHO")
            .param(chan)
            .param(&format!("%tnfa,{WHOX_TOKEN}"))
            .build()
        else {
            return;
        };
        c.who_pending.push_back(c.fold(chan));
        c.handle.request(irc::Request::Send(line)).await;
    }

    /// After the MOTD (ISUPPORT is known): watches the nicks of the user's private
    /// conversations with MONITOR, or by ISON polling without it.
    pub(super) async fn start_watching(&mut self, cid: &str) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        let nicks: Vec<String> = c
            .convs
            .values()
            .filter(|v| v.model.kind == ConversationKind::Private && v.model.wanted)
            .map(|v| v.model.name.clone())
            .collect();
        for n in &nicks {
            c.people.watch(&c.isupport, n, true);
        }
        c.monitoring = c.isupport.has("MONITOR");
        if c.monitoring {
            let handle = c.handle.clone();
            for chunk in nicks.chunks(NICKS_PER_LINE) {
                if let Ok(line) = Message::new("MONITOR")
                    .param("+")
                    .param(&chunk.join(","))
                    .build()
                {
                    handle.request(irc::Request::Send(line)).await;
                }
            }
        } else {
            self.poll_ison(cid).await;
        }
    }

    /// A private conversation was opened (`on`) or closed: watch its nick, or stop.
    pub(super) async fn watch(&mut self, cid: &str, nick: &str, on: bool) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        if c.is_channel(nick) || nick.is_empty() {
            return;
        }
        if !c.people.watch(&c.isupport, nick, on) {
            return;
        }
        if c.monitoring {
            let line = Message::new("MONITOR")
                .param(if on { "+" } else { "-" })
                .param(nick)
                .build();
            if let Ok(line) = line {
                c.handle.request(irc::Request::Send(line)).await;
            }
        } else if on {
            self.poll_ison(cid).await;
        }
    }

    /// Asks `ISON` for the watched nicks of every registered connection without MONITOR
    /// (called every minute).
    pub(super) async fn poll_all_ison(&mut self) {
        let cids: Vec<String> = self
            .conns
            .iter()
            .filter(|(_, c)| c.state == super::state::ConnState::Connected && !c.monitoring)
            .map(|(id, _)| id.clone())
            .collect();
        for cid in cids {
            self.poll_ison(&cid).await;
        }
    }

    async fn poll_ison(&mut self, cid: &str) {
        let Some(c) = self.conns.get_mut(cid) else {
            return;
        };
        if c.state != super::state::ConnState::Connected || c.ison_pending {
            return;
        }
        let mut nicks = c.people.watched();
        nicks.truncate(NICKS_PER_LINE);
        if nicks.is_empty() {
            return;
        }
        let Ok(line) = Message::new("ISON").trailing(&nicks.join(" ")).build() else {
            return;
        };
        c.people.asked_ison(&nicks);
        c.ison_pending = true;
        c.handle.request(irc::Request::Send(line)).await;
    }
}
