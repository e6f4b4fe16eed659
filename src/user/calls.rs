//! Call signalling between the user's browsers and IRC, in RTCZ (see `crate::rtc` and
//! docs/rtcz.md). The server keeps no call state: it checks, encodes, relays and reassembles.
//!
//! Accepted from IRC (docs/rtcz.md §2.5, D3, D6): CALL/HANGUP only in a NOTICE to a channel we
//! are in (from a member) or to our own nick (from someone we already have a private
//! conversation with); OFR/ANS/ICE only to our own nick. RTCZ never creates a
//! conversation and is never stored as chat history; who joins and leaves feeds the
//! conversation's call log (`super::calllog`: started, ended, missed).

use std::time::Instant;

use irc_proto::Message;
use tracing::debug;

use super::calllog::Note;
use super::state::{Actor, ConnState, Line};
use super::Error;
use crate::irc;
use crate::model::Kind;
use crate::rtc::{self, Body, Broadcast, Candidate, Key, Signal};
use crate::wire::{self, Event, RtcAction, RtcKind};

/// A required text field of a browser's signal.
fn required<'a>(value: &'a str, name: &str) -> Result<&'a str, Error> {
    if value.is_empty() {
        return Err(Error::Invalid(format!("Missing property: {name}.")));
    }
    Ok(value)
}

impl Actor {
    /// A browser's `rtc` request: `call`, `hangup` or `signal` (to one `target`).
    pub(super) async fn rtc_request(&mut self, req: wire::RtcRequest) -> Result<(), Error> {
        let cid = req.connection_id;
        let conv_id = req.conversation_id;
        let conn = self.conns.get(&cid).ok_or(Error::NoConnection)?;
        let conv = conn
            .convs
            .get(&conn.fold(&conv_id))
            .ok_or(Error::NoConversation)?;
        if conv_id.is_empty() {
            return Err(Error::NoConversation);
        }
        if conn.state != ConnState::Connected {
            return Err(Error::NotConnected);
        }
        crate::metrics::get().rtc_signals.inc();
        let name = conv.model.name.clone();
        // For the call log: joined (`Some(true)`) or left (`Some(false)`).
        let joined = match req.action {
            RtcAction::Call => Some(true),
            RtcAction::Hangup => Some(false),
            RtcAction::Signal { .. } => None,
        };
        let prefix_len = rtc::fallback_prefix_len(&conn.nick);
        let lines: Vec<irc_proto::Builder> = match req.action {
            RtcAction::Call | RtcAction::Hangup => {
                let b = if req.action == RtcAction::Call {
                    Broadcast::Call
                } else {
                    Broadcast::Hangup
                };
                vec![rtc::broadcast(b, &name, prefix_len)
                    .map_err(|e| Error::Invalid(e.to_string()))?
                    .message()]
            }
            RtcAction::Signal { target, signal } => {
                let target = required(&target, "target")?;
                let is_channel = conn.is_channel(&name);
                let known = if is_channel {
                    conv.participants.contains(&conn.fold(target))
                } else {
                    conn.isupport.eq(target, &name)
                };
                if !known {
                    return Err(Error::Invalid(format!(
                        "{target} is not in this conversation."
                    )));
                }
                let signal = match signal {
                    wire::Signal::Offer { offer } => Signal::Offer {
                        sdp: required(&offer, "offer")?.to_string(),
                    },
                    wire::Signal::Answer { answer } => Signal::Answer {
                        sdp: required(&answer, "answer")?.to_string(),
                    },
                    wire::Signal::Ice {
                        ice,
                        sdp_mid,
                        sdp_mline_index,
                    } => Signal::Ice(Candidate {
                        candidate: required(&ice, "ice")?.to_string(),
                        sdp_mid: sdp_mid.filter(|s| !s.is_empty()),
                        sdp_mline_index,
                    }),
                };
                rtc::encode(&signal, &name, target, prefix_len)
                    .map_err(|e| Error::Invalid(e.to_string()))?
                    .into_iter()
                    .map(|n| n.message())
                    .collect()
            }
        };
        let handle = conn.handle.clone();
        let (nick, me, key) = (
            conn.nick.clone(),
            conn.fold(&conn.nick),
            conn.fold(&conv_id),
        );
        for line in lines {
            let line = line.build().map_err(|e| Error::Invalid(e.to_string()))?;
            handle.request(irc::Request::Send(line)).await;
        }
        match joined {
            Some(true) => self.call_joined(&cid, &key, &nick, &me, true).await,
            Some(false) => self.call_left(&cid, Some(&key), &me).await,
            None => {}
        }
        Ok(())
    }

    /// Someone joined a call (their CALL, or our own): the first one starts it in the log.
    async fn call_joined(&mut self, cid: &str, conv: &str, nick: &str, key: &str, me: bool) {
        let now = crate::time::now_ms();
        for note in self.calls.log.call(cid, conv, nick, key, me, now) {
            let text = note.text();
            self.record(cid, Line::new(conv, Kind::Call, &text).from(nick))
                .await;
        }
    }

    /// `key` (a folded nick) left the call in `conv`, or all calls of the connection
    /// (`None`: QUIT). The last one out ends the call in the log; a call the user never
    /// joined is logged as missed, as a highlight (a notification, and a push where on).
    pub(super) async fn call_left(&mut self, cid: &str, conv: Option<&str>, key: &str) {
        let now = crate::time::now_ms();
        let me = self.conns.get(cid).is_some_and(|c| c.is_me(key));
        if me && conv.is_none() {
            return;
        }
        for (conv, note) in self.calls.log.left(cid, conv, key, now) {
            self.record_end(cid, &conv, note).await;
        }
    }

    /// The connection `cid` went away (`Some`), or the daemon is stopping (`None`): the
    /// calls it followed can no longer be seen, so each gets its "call ended" (or missed
    /// call) line now rather than never.
    pub(super) async fn calls_lost(&mut self, cid: Option<&str>) {
        let now = crate::time::now_ms();
        for (cid, conv, note) in self.calls.log.end_all(cid, now) {
            self.record_end(&cid, &conv, note).await;
        }
    }

    /// Stores the line that ends a call; a missed call is a highlight (a notification,
    /// and a push where enabled).
    async fn record_end(&mut self, cid: &str, conv: &str, note: Note) {
        let missed = matches!(
            note,
            Note::Ended {
                missed_from: Some(_),
                ..
            }
        );
        let text = note.text();
        self.record(cid, Line::new(conv, Kind::Call, &text).highlight(missed))
            .await;
    }

    /// A PART or KICK: out of that conversation's call. When it is the user, whatever
    /// happens in the call from now is unseen: it is forgotten, not logged as ended.
    pub(super) async fn call_gone(&mut self, cid: &str, conv: &str, key: &str, me: bool) {
        if me {
            self.calls.log.forget_conv(cid, conv);
        } else {
            self.call_left(cid, Some(conv), key).await;
        }
    }

    /// A nick change: the same person stays in their calls.
    pub(super) fn call_renamed(&mut self, cid: &str, old: &str, new: &str) {
        self.calls.log.renamed(cid, old, new);
    }

    /// An RTCZ NOTICE from IRC: checked, reassembled, and pushed to the browsers.
    pub(super) async fn rtc_incoming(
        &mut self,
        cid: &str,
        msg: &Message,
        from: &str,
        target: &str,
    ) {
        let Some(text) = msg.param(1) else { return };
        let body = match rtc::parse(text) {
            Ok(Some(b)) => {
                crate::metrics::get().rtc_signals.inc();
                b
            }
            Ok(None) => return,
            Err(e) => {
                debug!(error = %e, from, "rtcz dropped");
                return;
            }
        };
        let Some(conn) = self.conns.get(cid) else {
            return;
        };
        let to_me = conn.is_me(target);
        let sender = conn.fold(from);
        // Which of our conversations this is about, if we accept it at all.
        let conv_for = |name: &str| -> Option<String> {
            if conn.is_me(name) || (to_me && conn.isupport.eq(name, from)) {
                // private: our conversation with the sender, which must exist
                let key = conn.fold(from);
                conn.convs.get(&key).filter(|c| c.model.wanted).map(|_| key)
            } else if conn.is_channel(name) {
                let key = conn.fold(name);
                conn.convs
                    .get(&key)
                    .filter(|c| c.joined && c.participants.contains(&sender))
                    .map(|_| key)
            } else {
                None
            }
        };
        let (conv, kind) = match body {
            Body::Call | Body::Hangup => {
                let Some(conv) = conv_for(target) else { return };
                let kind = if matches!(body, Body::Call) {
                    RtcKind::Call
                } else {
                    RtcKind::Hangup
                };
                (conv, kind)
            }
            Body::Chunk(chunk) => {
                if !to_me {
                    return;
                }
                let Some(conv) = conv_for(&chunk.conversation) else {
                    return;
                };
                let key = Key {
                    connection: cid,
                    sender: &sender,
                    conversation: &conv,
                };
                let now = Instant::now();
                self.calls.reassembler.expire(now);
                let signal = match self.calls.reassembler.push(key, chunk, now) {
                    Ok(Some(s)) => s,
                    Ok(None) => return,
                    Err(e) => {
                        debug!(error = %e, from, "rtcz chunk dropped");
                        return;
                    }
                };
                let signal = match signal {
                    Signal::Offer { sdp } => wire::Signal::Offer { offer: sdp },
                    Signal::Answer { sdp } => wire::Signal::Answer { answer: sdp },
                    Signal::Ice(c) => wire::Signal::Ice {
                        ice: c.candidate,
                        sdp_mid: c.sdp_mid,
                        sdp_mline_index: c.sdp_mline_index,
                    },
                };
                (conv, RtcKind::Signal(signal))
            }
        };
        // For the call log, once the browsers have the event.
        let joined = match kind {
            RtcKind::Call => Some(true),
            RtcKind::Hangup => Some(false),
            RtcKind::Signal(_) => None,
        };
        if joined == Some(true) {
            self.push_call(cid, &conv, from);
        }
        self.publish(vec![Event::Rtc(wire::Rtc {
            connection_id: cid.to_string(),
            conversation_id: conv.clone(),
            from: from.to_string(),
            ts: crate::time::format_ms(crate::time::now_ms()),
            kind,
        })]);
        match joined {
            Some(true) => self.call_joined(cid, &conv, from, &sender, false).await,
            Some(false) => self.call_left(cid, Some(&conv), &sender).await,
            None => {}
        }
    }
}
