//! The call log of a conversation (issue 25): "alice started a call", "Call ended — 12
//! min, 3 participants", and "Missed call from alice" for a user who was rung and never
//! joined. Calls have no server state on the wire (docs/rtcz.md), so this follows who is in
//! each call from what passes anyway: RTCZ CALL and HANGUP from others, our own `call`
//! and `hangup` requests, and PART, KICK and QUIT. Pure: fed events, answers the lines to
//! store. Bounded: at most [`MAX_ROOMS`] calls and [`MAX_PEOPLE`] participants each.

use std::collections::{BTreeSet, HashMap};

/// Calls followed at a time per user (more are not logged).
pub const MAX_ROOMS: usize = 64;
/// Participants remembered per call.
pub const MAX_PEOPLE: usize = 64;

/// A line for the conversation's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// `by` started a call.
    Started { by: String },
    /// The last participant left.
    Ended {
        ms: i64,
        participants: usize,
        /// Who started it, when the user never joined it (a missed call).
        missed_from: Option<String>,
    },
}

impl Note {
    /// The stored text.
    pub fn text(&self) -> String {
        match self {
            Note::Started { by } => format!("{by} started a call."),
            Note::Ended {
                ms,
                participants,
                missed_from,
            } => {
                let mins = (ms + 30_000) / 60_000;
                let took = if mins < 1 {
                    "less than a minute".to_string()
                } else {
                    format!("{mins} min")
                };
                let who = if *participants == 1 {
                    "1 participant".to_string()
                } else {
                    format!("{participants} participants")
                };
                match missed_from {
                    Some(by) => format!("Missed call from {by} — {took}, {who}."),
                    None => format!("Call ended — {took}, {who}."),
                }
            }
        }
    }
}

struct Room {
    started: i64,
    by: String,
    /// Folded nicks in the call now.
    present: BTreeSet<String>,
    /// Folded nicks that were in it at some time.
    ever: BTreeSet<String>,
    /// The user joined it (from any of their browsers).
    me: bool,
}

impl Room {
    /// The line that closes this call at `now`.
    fn end(self, now: i64) -> Note {
        Note::Ended {
            ms: (now - self.started).max(0),
            participants: self.ever.len(),
            missed_from: (!self.me).then_some(self.by),
        }
    }
}

/// Calls going on, by (connection, folded conversation name).
#[derive(Default)]
pub struct CallLog {
    rooms: HashMap<(String, String), Room>,
}

impl CallLog {
    /// `nick` (folded: `key`) joined the call in `conv`; `me` when it is the user.
    pub fn call(
        &mut self,
        cid: &str,
        conv: &str,
        nick: &str,
        key: &str,
        me: bool,
        now: i64,
    ) -> Vec<Note> {
        let id = (cid.to_string(), conv.to_string());
        let mut out = vec![];
        if !self.rooms.contains_key(&id) {
            if self.rooms.len() >= MAX_ROOMS {
                return out;
            }
            self.rooms.insert(
                id.clone(),
                Room {
                    started: now,
                    by: nick.to_string(),
                    present: BTreeSet::new(),
                    ever: BTreeSet::new(),
                    me: false,
                },
            );
            out.push(Note::Started {
                by: nick.to_string(),
            });
        }
        if let Some(room) = self.rooms.get_mut(&id) {
            room.me |= me;
            if room.ever.len() < MAX_PEOPLE || room.ever.contains(key) {
                room.present.insert(key.to_string());
                room.ever.insert(key.to_string());
            }
        }
        out
    }

    /// `key` (a folded nick) left the call in `conv` (HANGUP, PART, KICK), or every call
    /// of the connection when `conv` is `None` (QUIT).
    pub fn left(
        &mut self,
        cid: &str,
        conv: Option<&str>,
        key: &str,
        now: i64,
    ) -> Vec<(String, Note)> {
        let ids: Vec<(String, String)> = self
            .rooms
            .iter()
            .filter(|((c, v), r)| {
                c == cid && conv.is_none_or(|x| x == v) && r.present.contains(key)
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = vec![];
        for id in ids {
            let Some(room) = self.rooms.get_mut(&id) else {
                continue;
            };
            room.present.remove(key);
            if room.present.is_empty() {
                if let Some(room) = self.rooms.remove(&id) {
                    out.push((id.1, room.end(now)));
                }
            }
        }
        out
    }

    /// A nick change: the same person stays in their calls.
    pub fn renamed(&mut self, cid: &str, old: &str, new: &str) {
        for ((c, _), room) in self.rooms.iter_mut() {
            if c == cid && room.present.remove(old) {
                room.present.insert(new.to_string());
                room.ever.insert(new.to_string());
            }
        }
    }

    /// The user left the conversation: its call is no longer followed.
    pub fn forget_conv(&mut self, cid: &str, conv: &str) {
        self.rooms.remove(&(cid.to_string(), conv.to_string()));
    }

    /// The connection went away (`Some(cid)`), or the daemon is stopping (`None`): from
    /// now on nothing of those calls is seen, so each ends here, as far as the log knows
    /// (a call the user never joined is missed). The next CALL starts a new entry.
    /// Answers (connection, conversation, note), in a stable order.
    pub fn end_all(&mut self, cid: Option<&str>, now: i64) -> Vec<(String, String, Note)> {
        let mut ids: Vec<(String, String)> = self
            .rooms
            .keys()
            .filter(|(c, _)| cid.is_none_or(|x| x == c))
            .cloned()
            .collect();
        ids.sort();
        let mut out = vec![];
        for id in ids {
            if let Some(room) = self.rooms.remove(&id) {
                out.push((id.0, id.1, room.end(now)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_starts_and_ends_with_its_length_and_count() {
        let mut log = CallLog::default();
        let n = log.call("c", "#chan", "alice", "alice", false, 0);
        assert_eq!(n, vec![Note::Started { by: "alice".into() }]);
        assert_eq!(n[0].text(), "alice started a call.");
        assert!(log.call("c", "#chan", "Me", "me", true, 1_000).is_empty());
        assert!(log
            .call("c", "#chan", "bob", "bob", false, 2_000)
            .is_empty());
        assert!(log.left("c", Some("#chan"), "alice", 5_000).is_empty());
        assert!(log.left("c", Some("#chan"), "me", 6_000).is_empty());
        let end = log.left("c", Some("#chan"), "bob", 12 * 60_000);
        assert_eq!(end.len(), 1);
        assert_eq!(end[0].0, "#chan");
        assert_eq!(end[0].1.text(), "Call ended — 12 min, 3 participants.");
        assert!(matches!(
            end[0].1,
            Note::Ended {
                missed_from: None,
                ..
            }
        ));
        // Over: the next CALL starts a new one.
        assert_eq!(
            log.call("c", "#chan", "bob", "bob", false, 13 * 60_000)
                .len(),
            1
        );
    }

    #[test]
    fn a_call_the_user_never_joined_is_missed() {
        let mut log = CallLog::default();
        log.call("c", "#chan", "alice", "alice", false, 0);
        let end = log.left("c", Some("#chan"), "alice", 20_000);
        assert_eq!(
            end[0].1.text(),
            "Missed call from alice — less than a minute, 1 participant."
        );
        assert_eq!(
            end[0].1,
            Note::Ended {
                ms: 20_000,
                participants: 1,
                missed_from: Some("alice".into())
            }
        );
    }

    #[test]
    fn quit_leaves_every_call_of_the_connection_and_nick_changes_follow() {
        let mut log = CallLog::default();
        log.call("c", "#a", "alice", "alice", false, 0);
        log.call("c", "#b", "alice", "alice", false, 0);
        log.call("c", "#b", "bob", "bob", false, 0);
        log.call("d", "#a", "alice", "alice", false, 0);
        log.renamed("c", "bob", "bobby");
        let ended = log.left("c", None, "alice", 1_000);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].0, "#a");
        let ended = log.left("c", Some("#b"), "bobby", 2_000);
        assert_eq!(ended.len(), 1);
        // Another connection's call is untouched; a stranger leaving changes nothing.
        assert!(log.left("d", Some("#a"), "zed", 3_000).is_empty());
        log.end_all(Some("d"), 3_000);
        assert!(log.left("d", Some("#a"), "alice", 3_000).is_empty());
    }

    #[test]
    fn a_lost_connection_or_a_stop_ends_the_calls_it_followed() {
        let mut log = CallLog::default();
        log.call("c", "#a", "alice", "alice", false, 0);
        log.call("c", "#a", "Me", "me", true, 0);
        log.call("c", "#b", "bob", "bob", false, 60_000);
        log.call("d", "#a", "carol", "carol", false, 0);
        let ended = log.end_all(Some("c"), 3 * 60_000);
        let texts: Vec<_> = ended
            .iter()
            .map(|(c, v, n)| format!("{c} {v} {}", n.text()))
            .collect();
        assert_eq!(
            texts,
            [
                "c #a Call ended — 3 min, 2 participants.",
                "c #b Missed call from bob — 2 min, 1 participant."
            ]
        );
        // Gone: nobody leaving later logs it twice; the other connection's call stays.
        assert!(log.left("c", Some("#a"), "alice", 4 * 60_000).is_empty());
        assert!(log.end_all(Some("c"), 5 * 60_000).is_empty());
        let stop = log.end_all(None, 10 * 60_000);
        assert_eq!(stop.len(), 1);
        assert_eq!(stop[0].0, "d");
        assert!(log.rooms.is_empty());
    }

    #[test]
    fn bounded() {
        let mut log = CallLog::default();
        for i in 0..MAX_ROOMS + 5 {
            log.call("c", &format!("#{i}"), "a", "a", false, 0);
        }
        assert_eq!(log.rooms.len(), MAX_ROOMS);
        for i in 0..MAX_PEOPLE + 5 {
            log.call("c", "#0", &format!("n{i}"), &format!("n{i}"), false, 0);
        }
        let room = log.rooms.get(&("c".into(), "#0".into())).expect("room");
        assert_eq!(room.ever.len(), MAX_PEOPLE);
    }
}
