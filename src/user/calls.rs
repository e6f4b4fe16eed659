//! Call signalling between the user's browsers and IRC, in RTCZ (see `crate::rtc` and
//! docs/rtcz.md). The server keeps no call state: it checks, encodes, relays and reassembles.
//!
//! Accepted from IRC (docs/rtcz.md §2.5, D3, D6): CALL/HANGUP only in a NOTICE to a channel we
//! are in (from a member) or to our own nick (from someone we already have a private
//! conversation with); OFR/ANS/ICE only to our own nick. RTCZ never creates a
//! conversation and is never stored as chat history.

use std::time::Instant;

use irc_proto::Message;
use serde_json::{json, Value};
use tracing::debug;

use super::actor::{Actor, ConnState};
use super::Error;
use crate::irc;
use crate::rtc::{self, Body, Broadcast, Candidate, Key, Signal};

/// Call state the actor keeps: only partial incoming messages.
pub(super) struct Calls {
    reassembler: rtc::Reassembler,
}

impl Default for Calls {
    fn default() -> Self {
        Calls {
            reassembler: rtc::Reassembler::new(rtc::Limits::default()),
        }
    }
}

impl Calls {
    /// Forgets partial messages of a connection that went away.
    pub(super) fn forget(&mut self, cid: &str) {
        self.reassembler.remove_connection(cid);
    }
}

fn field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Actor {
    /// A browser's `rtc` request: `event` is `call`, `hangup` or `signal` (with `target`
    /// and one of `offer`, `answer`, `ice`).
    pub(super) async fn rtc_request(&mut self, req: Value) -> Result<Value, Error> {
        let cid = field(&req, "connection_id")
            .ok_or(Error::NoConnection)?
            .to_string();
        let conv_id = req
            .get("conversation_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase();
        let conn = self.conns.get(&cid).ok_or(Error::NoConnection)?;
        let event = field(&req, "event")
            .ok_or_else(|| Error::Invalid("Missing property: event.".into()))?;
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
        let name = conv.model.name.clone();
        let prefix_len = rtc::fallback_prefix_len(&conn.nick);
        let lines: Vec<String> = match event {
            "call" | "hangup" => {
                let b = if event == "call" {
                    Broadcast::Call
                } else {
                    Broadcast::Hangup
                };
                vec![rtc::broadcast(b, &name, prefix_len)
                    .map_err(|e| Error::Invalid(e.to_string()))?
                    .line()]
            }
            "signal" => {
                let target = field(&req, "target")
                    .ok_or_else(|| Error::Invalid("Missing property: target.".into()))?;
                let is_channel = conn.is_channel(&name);
                let known = if is_channel {
                    conv.participants.contains_key(conn.fold(target).as_str())
                } else {
                    conn.isupport.eq(target, &name)
                };
                if !known {
                    return Err(Error::Invalid(format!(
                        "{target} is not in this conversation."
                    )));
                }
                let signal = if let Some(sdp) = field(&req, "offer") {
                    Signal::Offer {
                        sdp: sdp.to_string(),
                    }
                } else if let Some(sdp) = field(&req, "answer") {
                    Signal::Answer {
                        sdp: sdp.to_string(),
                    }
                } else if let Some(ice) = field(&req, "ice") {
                    let index = req.get("sdpMLineIndex").and_then(|v| {
                        v.as_u64()
                            .map(|n| n as u16)
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    });
                    Signal::Ice(Candidate {
                        candidate: ice.to_string(),
                        sdp_mid: field(&req, "sdpMid").map(str::to_string),
                        sdp_mline_index: index,
                    })
                } else {
                    return Err(Error::Invalid("Missing property: answer/ice/offer.".into()));
                };
                rtc::encode(&signal, &name, target, prefix_len)
                    .map_err(|e| Error::Invalid(e.to_string()))?
                    .into_iter()
                    .map(|n| n.line())
                    .collect()
            }
            other => return Err(Error::Invalid(format!("Unknown rtc event: {other}."))),
        };
        let handle = conn.handle.clone();
        for line in lines {
            handle.request(irc::Request::Send(line)).await;
        }
        Ok(json!({"event": "rtc"}))
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
            Ok(Some(b)) => b,
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
                    .filter(|c| c.joined && c.participants.contains_key(sender.as_str()))
                    .map(|_| key)
            } else {
                None
            }
        };
        let (conv, payload) = match body {
            Body::Call | Body::Hangup => {
                let Some(conv) = conv_for(target) else { return };
                let kind = if matches!(body, Body::Call) {
                    "call"
                } else {
                    "hangup"
                };
                (conv, json!({"type": kind}))
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
                let payload = match signal {
                    Signal::Offer { sdp } => json!({"type": "signal", "offer": sdp}),
                    Signal::Answer { sdp } => json!({"type": "signal", "answer": sdp}),
                    Signal::Ice(c) => {
                        json!({"type": "signal", "ice": c.candidate, "sdpMid": c.sdp_mid, "sdpMLineIndex": c.sdp_mline_index})
                    }
                };
                (conv, payload)
            }
        };
        let mut ev = payload;
        ev["event"] = "rtc".into();
        ev["connection_id"] = cid.into();
        ev["conversation_id"] = conv.into();
        ev["from"] = from.into();
        ev["ts"] = crate::time::format_ms(crate::time::now_ms()).into();
        self.publish(vec![ev]);
    }
}
