//! Who is in a channel, as IRC lines change it: the `NAMES` list gathered and swapped in
//! at its end, joins, parts, kicks, quits, nick changes and prefix modes (`+o bob` → `@`).
//! Pure: no I/O, no clock, no runtime; the network's ISUPPORT (case mapping, prefixes,
//! which modes take an argument) is passed in. The actor applies a line here and then
//! stores and publishes what it means; the tables at the end are IRC lines in, members out.

use std::collections::BTreeMap;

use compact_str::CompactString;
use irc_proto::ISupport;

/// Names one `NAMES` reply may add, and one channel's gathered list may hold, most (a
/// hostile server cannot grow a user's memory without bound).
const MAX_PER_REPLY: usize = 10_000;
const MAX_GATHERED: usize = 100_000;

/// A channel member. Nicks and prefixes fit in a `CompactString` (inline up to 24 bytes),
/// so a member costs no heap allocation: users see thousands of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Participant {
    pub nick: CompactString,
    /// Prefix characters, highest first (`@+`).
    pub prefix: CompactString,
}

/// The members of one channel, by casefolded nick.
#[derive(Debug, Default)]
pub(super) struct Members(BTreeMap<CompactString, Participant>);

impl Members {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Whether `folded` (a casefolded nick) is a member.
    pub fn contains(&self, folded: &str) -> bool {
        self.0.contains_key(folded)
    }

    /// The members, in the order of their casefolded nicks.
    pub fn iter(&self) -> impl Iterator<Item = &Participant> {
        self.0.values()
    }

    /// `nick` joined (without a prefix).
    pub fn join(&mut self, is: &ISupport, nick: &str) {
        self.0.insert(
            is.fold(nick).as_ref().into(),
            Participant {
                nick: nick.into(),
                prefix: CompactString::default(),
            },
        );
    }

    /// `nick` left (part, kick or quit); whether it was a member.
    pub fn remove(&mut self, is: &ISupport, nick: &str) -> bool {
        self.0.remove(is.fold(nick).as_ref()).is_some()
    }

    /// `old` is now `new`, keeping the prefix; whether `old` was a member.
    pub fn rename(&mut self, is: &ISupport, old: &str, new: &str) -> bool {
        let Some(mut p) = self.0.remove(is.fold(old).as_ref()) else {
            return false;
        };
        p.nick = new.into();
        self.0.insert(is.fold(new).as_ref().into(), p);
        true
    }

    /// Applies a channel `MODE`'s arguments (`["+ov-v", "bob", "carol", "dan"]`) to the
    /// members' prefixes; other modes only use up their arguments.
    pub fn apply_modes(&mut self, is: &ISupport, args: &[&str]) {
        let Some(modes) = args.first() else {
            return;
        };
        let order: Vec<char> = is.prefix().iter().map(|(_, p)| *p).collect();
        let rank = |c: &char| order.iter().position(|o| o == c).unwrap_or(usize::MAX);
        let mut adding = true;
        let mut next_arg = 1;
        for m in modes.chars() {
            match m {
                '+' => adding = true,
                '-' => adding = false,
                _ => {
                    let arg = if is.mode_takes_arg(m, adding) {
                        next_arg += 1;
                        args.get(next_arg - 1).copied()
                    } else {
                        None
                    };
                    let (Some(prefix), Some(who)) = (is.prefix_for_mode(m), arg) else {
                        continue;
                    };
                    let Some(p) = self.0.get_mut(is.fold(who).as_ref()) else {
                        continue;
                    };
                    p.prefix.retain(|c| c != prefix);
                    if adding {
                        p.prefix.push(prefix);
                        let mut chars: Vec<char> = p.prefix.chars().collect();
                        chars.sort_by_key(rank);
                        p.prefix = chars.into_iter().collect();
                    }
                }
            }
        }
    }

    /// The members become `list` (a finished `NAMES`).
    pub fn replace(&mut self, is: &ISupport, list: Vec<Participant>) {
        self.0 = list
            .into_iter()
            .map(|p| (is.fold(&p.nick).as_ref().into(), p))
            .collect();
    }
}

/// The members one `RPL_NAMREPLY` names (`@bob +carol dan!d@host`), added to `gathered`
/// within the bounds.
pub(super) fn gather_names(is: &ISupport, text: &str, gathered: &mut Vec<Participant>) {
    if gathered.len() >= MAX_GATHERED {
        return;
    }
    for entry in text.split_whitespace().take(MAX_PER_REPLY) {
        let (prefix, rest) = is.split_prefixes(entry);
        let nick = rest.split('!').next().unwrap_or(rest);
        gathered.push(Participant {
            nick: nick.into(),
            prefix: prefix.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use irc_proto::Message;

    /// A network whose ISUPPORT is `tokens` (`PREFIX=(qaohv)~&@%+` and so on).
    fn network(tokens: &str) -> ISupport {
        let mut is = ISupport::default();
        let line = format!(":irc.example 005 me {tokens} :are supported by this server");
        is.apply(&Message::parse(&line).expect("005"));
        is
    }

    fn members(m: &Members) -> Vec<String> {
        m.iter()
            .map(|p| format!("{}{}", p.prefix, p.nick))
            .collect()
    }

    /// Lines in, members out: each row applies one line's worth to the list before it.
    #[test]
    fn lines_change_the_members() {
        let is = network("PREFIX=(qaohv)~&@%+ CHANMODES=beI,k,l,imnpst CASEMAPPING=rfc1459");
        let mut m = Members::default();
        let mut names = vec![];
        gather_names(&is, "@Bob +carol dan!d@host ~&eve", &mut names);
        gather_names(&is, "", &mut names);
        m.replace(&is, names);
        assert_eq!(members(&m), ["@Bob", "+carol", "dan", "~&eve"]);

        type Step = (&'static str, &'static [&'static str]);
        let steps: &[Step] = &[
            ("JOIN frank", &["@Bob", "+carol", "dan", "~&eve", "frank"]),
            (
                "MODE +o-v+l frank carol 10",
                &["@Bob", "carol", "dan", "~&eve", "@frank"],
            ),
            (
                "MODE +vh frank frank",
                &["@Bob", "carol", "dan", "~&eve", "@%+frank"],
            ),
            (
                "MODE +b-o *!*@x frank",
                &["@Bob", "carol", "dan", "~&eve", "%+frank"],
            ),
            (
                "MODE +k-q key eve",
                &["@Bob", "carol", "dan", "&eve", "%+frank"],
            ),
            (
                "NICK BOB bobby",
                &["@bobby", "carol", "dan", "&eve", "%+frank"],
            ),
            ("PART CAROL", &["@bobby", "dan", "&eve", "%+frank"]),
            ("PART nobody", &["@bobby", "dan", "&eve", "%+frank"]),
            ("NICK nobody x", &["@bobby", "dan", "&eve", "%+frank"]),
            ("MODE +o ghost", &["@bobby", "dan", "&eve", "%+frank"]),
            ("MODE +o", &["@bobby", "dan", "&eve", "%+frank"]),
        ];
        for (line, want) in steps {
            let mut words = line.split(' ');
            match words.next() {
                Some("JOIN") => m.join(&is, words.next().unwrap_or("")),
                Some("PART") => {
                    m.remove(&is, words.next().unwrap_or(""));
                }
                Some("NICK") => {
                    let (old, new) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                    m.rename(&is, old, new);
                }
                Some("MODE") => m.apply_modes(&is, &words.collect::<Vec<_>>()),
                _ => unreachable!(),
            }
            assert_eq!(members(&m), *want, "after {line}");
        }
        // rfc1459: [ is the upper case of {
        m.join(&is, "a[b");
        assert!(m.contains(is.fold("A{B").as_ref()));
        assert!(m.remove(&is, "a{b"));
        assert_eq!(m.len(), 4);
    }

    /// A hostile server cannot grow a list without bound.
    #[test]
    fn names_are_bounded() {
        let is = ISupport::default();
        let many: String = (0..MAX_PER_REPLY + 5).map(|i| format!("n{i} ")).collect();
        let mut names = vec![];
        gather_names(&is, &many, &mut names);
        assert_eq!(names.len(), MAX_PER_REPLY);
        for _ in 0..20 {
            gather_names(&is, &many, &mut names);
        }
        assert!(names.len() <= MAX_GATHERED + MAX_PER_REPLY);
    }
}
