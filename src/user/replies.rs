//! Where the server's answers go: `/whois` replies gathered into a card for the
//! conversation it was typed in (by its label when the server has `labeled-response`),
//! replies about a conversation into that conversation, and every other numeric or
//! unknown line into the server conversation.

use irc_proto::{numeric, Message};

use super::state::{Actor, Line};
use super::whois;
use crate::model::Kind;
use crate::wire::{Event, State};

impl Actor {
    /// A reply to a `/whois` the user typed: gathered into a card, which is shown and
    /// recorded (as one line) where it was asked at `RPL_ENDOFWHOIS`. `false` for anything
    /// else (a WHOIS nobody asked for here stays lines in the server conversation).
    pub(super) async fn whois_line(&mut self, cid: &str, msg: &Message) -> bool {
        let command = msg.command();
        if !whois::is_reply(command) && command != numeric::ERR_NOSUCHNICK {
            return false;
        }
        let Some(c) = self.conns.get_mut(cid) else {
            return false;
        };
        let subject = msg.param(1).unwrap_or("");
        // Labeled: only the replies to our own command (a bouncer may pass on others'),
        // whatever nick they are about. Else by the nick asked about.
        let label = c.label_of(msg);
        let found = match &label {
            Some(l) => c.asked.iter().position(|a| a.label.as_ref() == Some(l)),
            None => {
                let nick = c.fold(subject);
                c.asked
                    .iter()
                    .position(|a| a.label.is_none() && a.nick == nick)
            }
        };
        let Some(i) = found else {
            // A reply to a labeled WHOIS of ours always carries its label: an unlabeled one
            // about the same nick is someone else's, and stays a server line.
            return false;
        };
        let key = match &label {
            Some(l) => format!("label {l}"),
            None => c.fold(subject),
        };
        let card = c
            .whois
            .entry(key.clone())
            .or_insert_with(|| whois::new(subject));
        whois::apply(card, msg);
        if command != numeric::RPL_ENDOFWHOIS {
            return true;
        }
        let asked_in = c.asked.remove(i).map(|a| a.conv).unwrap_or_default();
        let Some(card) = c.whois.remove(&key) else {
            return true;
        };
        let conv = if c.convs.contains_key(&asked_in) {
            asked_in
        } else {
            String::new()
        };
        let text = whois::summary(&card);
        self.record(cid, Line::new(&conv, Kind::Server, &text).of(msg))
            .await;
        self.publish(vec![Event::State(State::Whois {
            connection_id: cid.to_string(),
            conversation_id: conv,
            whois: card,
        })]);
        true
    }

    /// Numerics and other server lines go to the server conversation.
    pub(super) async fn server_line(&mut self, cid: &str, msg: &Message) {
        let params: Vec<&str> = msg.params().collect();
        // The first parameter of a numeric is our own nick: leave it out.
        let shown = if irc_proto::numeric::is_numeric(msg.command()) && params.len() > 1 {
            &params[1..]
        } else {
            &params[..]
        };
        let text = shown.join(" ");
        if text.trim().is_empty() {
            return;
        }
        let kind = if irc_proto::numeric::is_error(msg.command()) {
            Kind::Error
        } else {
            Kind::Server
        };
        let from = msg.source_nick().unwrap_or("").to_string();
        let conv = self.reply_place(cid, msg);
        self.record(cid, Line::new(&conv, kind, &text).from(&from).of(msg))
            .await;
    }

    /// Where a numeric reply belongs: WHOIS replies in the conversation `/whois` was typed
    /// in, a reply about a conversation the user has (`482 me #chan :You're not channel
    /// operator`) in that conversation, anything else in the server conversation (`""`).
    fn reply_place(&mut self, cid: &str, msg: &Message) -> String {
        const WHOIS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
        let (Some(c), Some(subject)) = (self.conns.get_mut(cid), msg.param(1)) else {
            return String::new();
        };
        if !numeric::is_numeric(msg.command()) || subject.is_empty() {
            return String::new();
        }
        let key = c.fold(subject);
        let now = tokio::time::Instant::now();
        c.asked.retain(|a| now.duration_since(a.at) < WHOIS_TIMEOUT);
        if whois::is_reply(msg.command()) {
            if let Some(i) = c
                .asked
                .iter()
                .position(|a| a.label.is_none() && a.nick == key)
            {
                let conv = c.asked[i].conv.clone();
                if msg.command() == numeric::RPL_ENDOFWHOIS {
                    c.asked.remove(i);
                }
                if conv.is_empty() || c.convs.contains_key(&conv) {
                    return conv;
                }
            }
        }
        if c.convs.contains_key(&key) {
            return subject.to_string();
        }
        String::new()
    }
}
