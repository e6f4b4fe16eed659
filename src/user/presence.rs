//! Who is away, logged in and online on one connection, from what the server says about
//! other people: `AWAY` (away-notify), `ACCOUNT` (account-notify), extended-join, the
//! `account` tag, WHOX replies to the `WHO` we send after joining, `RPL_AWAY`, and MONITOR
//! or ISON for the nicks of private conversations.
//! <https://ircv3.net/specs/extensions/away-notify>, <https://ircv3.net/specs/extensions/account-notify>,
//! <https://ircv3.net/specs/extensions/extended-join>, <https://ircv3.net/specs/extensions/monitor>.
//!
//! Pure: a line in, the people whose presence changed out; the actor publishes them. Only
//! people who carry something (away, an account, watched) have an entry, so a big channel
//! of present, anonymous members costs nothing here.

use std::collections::HashMap;

use compact_str::CompactString;
use irc_proto::{numeric, ISupport, Message};

use crate::wire;

/// People one connection keeps, most; more from a hostile server are not tracked.
const MAX_PEOPLE: usize = 20_000;
/// The WHOX token of the `WHO` we send after joining (`%tnfa`), to tell its replies from
/// a `/who` the user typed.
pub(super) const WHOX_TOKEN: &str = "529";
/// Channels bigger than this get no `WHO` after joining (away-notify still updates them).
pub(super) const WHO_MAX_MEMBERS: usize = 500;

/// What we know about one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Person {
    /// As last seen.
    nick: CompactString,
    /// Away, with the message (`""` when the server did not say it).
    away: Option<CompactString>,
    account: Option<CompactString>,
    /// Watched (a private conversation): whether they are on the network, once known.
    online: Option<bool>,
    watched: bool,
}

impl Person {
    fn is_empty(&self) -> bool {
        self.away.is_none() && self.account.is_none() && !self.watched
    }

    fn wire(&self) -> wire::Presence {
        wire::Presence {
            nick: self.nick.to_string(),
            away: self.away.as_ref().map(|a| a.to_string()),
            account: self.account.as_ref().map(|a| a.to_string()),
            online: self.online,
        }
    }
}

/// The presence of the people on one connection, by casefolded nick.
#[derive(Debug, Default)]
pub(super) struct People {
    map: HashMap<CompactString, Person>,
    /// Nicks asked with ISON and not answered yet (ISON answers only the online ones).
    ison: Vec<CompactString>,
}

impl People {
    /// Away message and account of `nick`, for a participant.
    pub fn of(&self, isupport: &ISupport, nick: &str) -> (Option<String>, Option<String>) {
        match self.map.get(isupport.fold(nick).as_ref()) {
            Some(p) => (
                p.away.as_ref().map(|a| a.to_string()),
                p.account.as_ref().map(|a| a.to_string()),
            ),
            None => (None, None),
        }
    }

    /// What we know about `nick`, when anything.
    pub fn get(&self, isupport: &ISupport, nick: &str) -> Option<wire::Presence> {
        self.map.get(isupport.fold(nick).as_ref()).map(Person::wire)
    }

    /// Forgets everything but who is watched (a new IRC session starts unknown).
    pub fn reset(&mut self) {
        self.map.retain(|_, p| p.watched);
        for p in self.map.values_mut() {
            p.away = None;
            p.account = None;
            p.online = None;
        }
        self.ison.clear();
    }

    /// Starts or stops watching `nick` (a private conversation opened or closed). Returns
    /// whether anything changed.
    pub fn watch(&mut self, isupport: &ISupport, nick: &str, on: bool) -> bool {
        let key = CompactString::from(isupport.fold(nick).as_ref());
        if on {
            if self.map.len() >= MAX_PEOPLE && !self.map.contains_key(&key) {
                return false;
            }
            let p = self.map.entry(key).or_insert_with(|| Person {
                nick: nick.into(),
                ..Person::default()
            });
            !std::mem::replace(&mut p.watched, true)
        } else if let Some(p) = self.map.get_mut(&key) {
            let was = std::mem::replace(&mut p.watched, false);
            p.online = None;
            if p.is_empty() {
                self.map.remove(&key);
            }
            was
        } else {
            false
        }
    }

    /// The nicks watched, as last seen.
    pub fn watched(&self) -> Vec<String> {
        self.map
            .values()
            .filter(|p| p.watched)
            .map(|p| p.nick.to_string())
            .collect()
    }

    /// Remembers that an ISON for `nicks` is out (see [`Self::apply`] for the answer).
    pub fn asked_ison(&mut self, nicks: &[String]) {
        self.ison = nicks.iter().map(|n| n.as_str().into()).collect();
    }

    /// Applies one line from the server; returns the people whose presence changed.
    /// `me` is our nick (our own presence is not tracked here).
    pub fn apply(&mut self, isupport: &ISupport, me: &str, msg: &Message) -> Vec<wire::Presence> {
        let mut out = Changes::default();
        let nick = msg.source_nick().unwrap_or("");
        match msg.command() {
            "AWAY" => {
                let away = msg.param(0).map(CompactString::from);
                self.update(isupport, me, nick, &mut out, |p| p.away = away);
            }
            "ACCOUNT" => {
                let account = account(msg.param(0));
                self.update(isupport, me, nick, &mut out, |p| p.account = account);
            }
            // extended-join: `JOIN #chan account :realname`.
            "JOIN" if msg.param(1).is_some() => {
                let account = account(msg.param(1));
                self.update(isupport, me, nick, &mut out, |p| p.account = account);
            }
            "QUIT" => {
                let key = isupport.fold(nick);
                if let Some(p) = self.map.get_mut(key.as_ref()) {
                    let before = p.clone();
                    p.away = None;
                    p.account = None;
                    if p.watched {
                        p.online = Some(false);
                    }
                    if *p != before {
                        out.push(p.wire());
                    }
                    if p.is_empty() {
                        self.map.remove(key.as_ref());
                    }
                }
            }
            "NICK" => {
                let new = msg.param(0).unwrap_or("");
                let old_key = CompactString::from(isupport.fold(nick).as_ref());
                let new_key = CompactString::from(isupport.fold(new).as_ref());
                if old_key == new_key {
                    if let Some(p) = self.map.get_mut(&old_key) {
                        p.nick = new.into();
                    }
                    return out.0;
                }
                let mut moved = Person {
                    nick: new.into(),
                    ..Person::default()
                };
                if let Some(p) = self.map.remove(&old_key) {
                    // The old nick is gone, but may still be someone we watch.
                    if p.watched {
                        let gone = Person {
                            nick: p.nick.clone(),
                            watched: true,
                            online: Some(false),
                            ..Person::default()
                        };
                        out.push(gone.wire());
                        self.map.insert(old_key, gone);
                    }
                    moved.away = p.away;
                    moved.account = p.account;
                }
                if let Some(w) = self.map.remove(&new_key) {
                    moved.watched = w.watched;
                    moved.online = w.watched.then_some(true);
                }
                if !moved.is_empty() {
                    out.push(moved.wire());
                    self.map.insert(new_key, moved);
                }
            }
            // A message's `account` tag says who is logged in, without account-notify.
            "PRIVMSG" | "NOTICE" | "TAGMSG" => {
                if let Some(a) = msg.tag_value("account") {
                    let a = CompactString::from(a);
                    self.update(isupport, me, nick, &mut out, |p| p.account = Some(a));
                }
            }
            // `301 me nick :message`: whois or a message to someone away.
            numeric::RPL_AWAY => {
                let who = msg.param(1).unwrap_or("");
                let away = Some(CompactString::from(msg.param(2).unwrap_or("")));
                self.update(isupport, me, who, &mut out, |p| p.away = away);
            }
            // Our WHO after joining: `354 me TOKEN nick flags account`.
            numeric::RPL_WHOSPCRPL if msg.param(1) == Some(WHOX_TOKEN) => {
                let who = msg.param(2).unwrap_or("");
                let gone = msg.param(3).is_some_and(|f| f.starts_with('G'));
                let account = account(msg.param(4).filter(|a| *a != "0"));
                self.update(isupport, me, who, &mut out, |p| {
                    p.account = account;
                    match (gone, &p.away) {
                        (true, None) => p.away = Some(CompactString::default()),
                        (false, Some(_)) => p.away = None,
                        _ => {}
                    }
                });
            }
            // MONITOR: `730 me :nick!user@host,...` online, `731 me :nick,...` offline.
            numeric::RPL_MONONLINE | numeric::RPL_MONOFFLINE => {
                let online = msg.command() == numeric::RPL_MONONLINE;
                for target in msg.last_param().unwrap_or("").split(',').take(1000) {
                    let who = target.split('!').next().unwrap_or("");
                    self.seen(isupport, who, online, &mut out);
                }
            }
            // `303 me :nick nick`: the ones asked and online; the others are not.
            numeric::RPL_ISON => {
                let listed: Vec<&str> = msg.last_param().unwrap_or("").split(' ').collect();
                for asked in std::mem::take(&mut self.ison) {
                    let online = listed.iter().any(|n| isupport.eq(n, &asked));
                    self.seen(isupport, &asked, online, &mut out);
                }
            }
            _ => {}
        }
        out.0
    }

    /// A watched nick is (not) on the network.
    fn seen(&mut self, isupport: &ISupport, nick: &str, online: bool, out: &mut Changes) {
        if let Some(p) = self.map.get_mut(isupport.fold(nick).as_ref()) {
            if p.watched && p.online != Some(online) {
                p.online = Some(online);
                if !online {
                    p.away = None;
                }
                out.push(p.wire());
            }
        }
    }

    /// Changes `nick`'s entry (made when missing, dropped when empty); records a change.
    fn update(
        &mut self,
        isupport: &ISupport,
        me: &str,
        nick: &str,
        out: &mut Changes,
        change: impl FnOnce(&mut Person),
    ) {
        if nick.is_empty() || isupport.eq(nick, me) {
            return;
        }
        let key = isupport.fold(nick);
        let full = self.map.len() >= MAX_PEOPLE;
        let p = match self.map.get_mut(key.as_ref()) {
            Some(p) => p,
            None if full => return,
            None => self
                .map
                .entry(key.as_ref().into())
                .or_insert_with(|| Person {
                    nick: nick.into(),
                    ..Person::default()
                }),
        };
        let before = p.clone();
        change(p);
        p.nick = nick.into();
        if p.watched && p.online != Some(true) {
            p.online = Some(true); // someone who talks or changes is on the network
        }
        if (&p.away, &p.account, p.online) != (&before.away, &before.account, before.online) {
            out.push(p.wire());
        }
        if p.is_empty() {
            self.map.remove(key.as_ref());
        }
    }
}

#[derive(Default)]
struct Changes(Vec<wire::Presence>);

impl Changes {
    fn push(&mut self, p: wire::Presence) {
        self.0.push(p);
    }
}

/// An account parameter: `*` (and WHOX `0`) means none.
fn account(param: Option<&str>) -> Option<CompactString> {
    param
        .filter(|a| !a.is_empty() && *a != "*")
        .map(CompactString::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(people: &mut People, lines: &[&str]) -> Vec<String> {
        let isupport = ISupport::default();
        let mut out = vec![];
        for l in lines {
            let msg = Message::parse(l).expect("test line parses");
            for p in people.apply(&isupport, "me", &msg) {
                out.push(format!(
                    "{} away={:?} account={:?} online={:?}",
                    p.nick, p.away, p.account, p.online
                ));
            }
        }
        out
    }

    #[test]
    fn away_and_back() {
        let mut p = People::default();
        let out = run(
            &mut p,
            &[
                ":bob!b@h AWAY :gone fishing",
                ":bob!b@h AWAY :gone fishing",
                ":bob!b@h AWAY",
                ":me!m@h AWAY :self is not tracked",
            ],
        );
        assert_eq!(
            out,
            [
                "bob away=Some(\"gone fishing\") account=None online=None",
                "bob away=None account=None online=None",
            ]
        );
        assert!(
            p.map.is_empty(),
            "nothing kept for someone present and anonymous"
        );
    }

    #[test]
    fn accounts_from_every_source() {
        let mut p = People::default();
        let out = run(
            &mut p,
            &[
                ":bob!b@h JOIN #c bobacct :Bob B",
                ":eve!e@h JOIN #c * :Eve",
                ":eve!e@h ACCOUNT eveacct",
                "@account=carol :carol!c@h PRIVMSG #c :hi",
                ":bob!b@h ACCOUNT *",
                ":srv 354 me 529 dan G danacct",
                ":srv 354 me 529 fay H 0",
                ":srv 354 me 999 gus G gusacct",
            ],
        );
        assert_eq!(
            out,
            [
                "bob away=None account=Some(\"bobacct\") online=None",
                "eve away=None account=Some(\"eveacct\") online=None",
                "carol away=None account=Some(\"carol\") online=None",
                "bob away=None account=None online=None",
                "dan away=Some(\"\") account=Some(\"danacct\") online=None",
            ]
        );
    }

    #[test]
    fn quit_and_nick_move_what_is_known() {
        let mut p = People::default();
        let isupport = ISupport::default();
        let out = run(
            &mut p,
            &[
                ":bob!b@h AWAY :lunch",
                ":bob!b@h NICK Bobby",
                ":Bobby!b@h QUIT :bye",
            ],
        );
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[1],
            "Bobby away=Some(\"lunch\") account=None online=None"
        );
        assert_eq!(out[2], "Bobby away=None account=None online=None");
        assert!(p.get(&isupport, "bobby").is_none());
    }

    #[test]
    fn watched_nicks_go_online_and_offline() {
        let mut p = People::default();
        let isupport = ISupport::default();
        assert!(p.watch(&isupport, "Bob", true));
        assert!(!p.watch(&isupport, "bob", true));
        let out = run(
            &mut p,
            &[
                ":srv 730 me :Bob!b@h,other!o@h",
                ":srv 730 me :Bob!b@h",
                ":bob!b@h AWAY :brb",
                ":srv 731 me :Bob",
            ],
        );
        assert_eq!(
            out,
            [
                "Bob away=None account=None online=Some(true)",
                "bob away=Some(\"brb\") account=None online=Some(true)",
                "bob away=None account=None online=Some(false)",
            ]
        );
        p.asked_ison(&["bob".into(), "zed".into()]);
        assert!(p.watch(&isupport, "zed", true));
        let out = run(&mut p, &[":srv 303 me :BOB"]);
        assert_eq!(
            out,
            [
                "bob away=None account=None online=Some(true)",
                "zed away=None account=None online=Some(false)",
            ]
        );
        assert_eq!(p.watched().len(), 2);
        assert!(p.watch(&isupport, "zed", false));
        assert_eq!(p.watched(), ["bob"]);
        let out = run(&mut p, &[":bob!b@h NICK robert", ":robert!b@h NICK bob"]);
        assert_eq!(
            out,
            [
                "bob away=None account=None online=Some(false)",
                "bob away=None account=None online=Some(true)",
            ]
        );
    }

    #[test]
    fn hostile_floods_are_bounded() {
        let mut p = People::default();
        let isupport = ISupport::default();
        for i in 0..(MAX_PEOPLE + 50) {
            let msg = Message::parse(&format!(":n{i}!u@h AWAY :x")).expect("parses");
            p.apply(&isupport, "me", &msg);
        }
        assert_eq!(p.map.len(), MAX_PEOPLE);
        let msg = Message::parse(":srv 730 me :,,,!,!!").expect("parses");
        assert!(p.apply(&isupport, "me", &msg).is_empty());
    }
}
