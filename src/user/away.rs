//! Auto-away: when none of the user's browsers has been active (visible and used lately,
//! as each says on its WebSocket) for the minutes the user chose, the user is marked away
//! with their message on every network, and back as soon as one is active again. A
//! network where the user set `/away` themselves is left alone.

use irc_proto::Message;
use tokio::time::Instant;

use super::state::{Actor, ConnState};
use crate::irc;

impl Actor {
    /// The number of active browsers changed, or the user's choice did: schedule, keep or
    /// cancel the auto-away, or come back.
    pub(super) async fn activity_changed(&mut self) {
        let active = *self.active_browsers.borrow_and_update() > 0;
        let choice = self.user.auto_away();
        if active || choice.message.is_empty() {
            self.away_at = None;
            if self.auto_away {
                self.auto_away = false;
                self.send_away(None).await;
            }
        } else if !self.auto_away && self.away_at.is_none() {
            let wait = self.away_minute * choice.minutes;
            self.away_at = Some(Instant::now() + wait);
        }
    }

    /// Nobody came back in time: away on every network.
    pub(super) async fn go_away(&mut self) {
        self.away_at = None;
        let message = self.user.auto_away().message;
        if message.is_empty() || self.auto_away {
            return;
        }
        self.auto_away = true;
        self.send_away(Some(&message)).await;
    }

    /// After (re)registering on a network: away again if the user is.
    pub(super) async fn away_after_connect(&mut self, cid: &str) {
        if !self.auto_away {
            return;
        }
        let message = self.user.auto_away().message;
        if let Some(c) = self.conns.get(cid) {
            if let Some(line) = away_line(Some(&message)) {
                c.handle.request(irc::Request::Send(line)).await;
            }
        }
    }

    async fn send_away(&mut self, message: Option<&str>) {
        let Some(line) = away_line(message) else {
            return;
        };
        for c in self.conns.values() {
            if c.state == ConnState::Connected && !c.manual_away {
                c.handle.request(irc::Request::Send(line.clone())).await;
            }
        }
    }
}

/// `AWAY :message`, or `AWAY` to come back.
fn away_line(message: Option<&str>) -> Option<Message> {
    match message {
        Some(m) => Message::new("AWAY").trailing(m).build().ok(),
        None => Message::new("AWAY").build().ok(),
    }
}
