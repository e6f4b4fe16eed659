//! [`ISupport`]: what a server advertises in `RPL_ISUPPORT` (005) lines, with defaults
//! for what it leaves out.
//!
//! Spec: <https://modern.ircdocs.horse/#rplisupport-005> and the parameter list at
//! <https://modern.ircdocs.horse/#rplisupport-parameters>. Only reading lives here; the
//! session decides when to apply a line.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::casemap::CaseMapping;
use crate::message::Message;
use crate::numeric::RPL_ISUPPORT;

/// Channel mode letters by kind, from `CHANMODES=A,B,C,D`
/// (<https://modern.ircdocs.horse/#chanmodes-parameter>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChanModes {
    /// Type A: list modes (`b`, `e`, `I`); always take a parameter.
    pub list: String,
    /// Type B: always take a parameter (`k`).
    pub always_arg: String,
    /// Type C: take a parameter only when set (`l`).
    pub set_arg: String,
    /// Type D: never take a parameter (`i`, `m`, `n`, …).
    pub no_arg: String,
}

impl Default for ChanModes {
    fn default() -> Self {
        ChanModes {
            list: "beI".into(),
            always_arg: "k".into(),
            set_arg: "l".into(),
            no_arg: "imnpst".into(),
        }
    }
}

/// Server features from ISUPPORT, updated by [`ISupport::apply`] for each 005 line.
///
/// Typed accessors cover the parameters the product uses; [`ISupport::get`] reads any
/// other. A fresh value (`ISupport::default()`) holds the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ISupport {
    tokens: BTreeMap<String, Option<String>>,
    casemapping: CaseMapping,
    chantypes: String,
    prefix: Vec<(char, char)>,
    chanmodes: ChanModes,
    targmax: Vec<(String, Option<u32>)>,
    nicklen: Option<usize>,
    linelen: usize,
    msgreftypes: Vec<String>,
}

const DEFAULT_CHANTYPES: &str = "#&";
const DEFAULT_PREFIX: [(char, char); 2] = [('o', '@'), ('v', '+')];

impl Default for ISupport {
    fn default() -> Self {
        ISupport {
            tokens: BTreeMap::new(),
            casemapping: CaseMapping::default(),
            chantypes: DEFAULT_CHANTYPES.into(),
            prefix: DEFAULT_PREFIX.to_vec(),
            chanmodes: ChanModes::default(),
            targmax: Vec::new(),
            nicklen: None,
            linelen: 512,
            msgreftypes: Vec::new(),
        }
    }
}

/// Unescapes an ISUPPORT value: `\xHH` stands for byte HH
/// (<https://modern.ircdocs.horse/#rplisupport-005>).
pub fn unescape_value(raw: &str) -> Cow<'_, str> {
    if !raw.contains("\\x") {
        return Cow::Borrowed(raw);
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            let hex = raw
                .get(i + 2..i + 4)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn parse_prefix(v: &str) -> Option<Vec<(char, char)>> {
    if v.is_empty() {
        return Some(Vec::new());
    }
    let (modes, prefixes) = v.strip_prefix('(')?.split_once(')')?;
    if modes.chars().count() != prefixes.chars().count() {
        return None;
    }
    Some(modes.chars().zip(prefixes.chars()).collect())
}

fn parse_chanmodes(v: &str) -> ChanModes {
    let mut groups = v.split(',').map(str::to_owned);
    ChanModes {
        list: groups.next().unwrap_or_default(),
        always_arg: groups.next().unwrap_or_default(),
        set_arg: groups.next().unwrap_or_default(),
        no_arg: groups.next().unwrap_or_default(),
    }
}

fn parse_targmax(v: &str) -> Vec<(String, Option<u32>)> {
    v.split(',')
        .filter_map(|item| {
            let (cmd, n) = item.split_once(':')?;
            Some((cmd.to_ascii_uppercase(), n.parse().ok()))
        })
        .collect()
}

impl ISupport {
    /// Reads one `RPL_ISUPPORT` (005) message: every parameter between the nick and the
    /// closing text is a token. Returns `false`, changing nothing, for any other command.
    pub fn apply(&mut self, msg: &Message) -> bool {
        if msg.command() != RPL_ISUPPORT {
            return false;
        }
        // Tokens never hold a literal space (it is sent as \x20); the closing
        // "are supported by this server" always does.
        for token in msg.params().skip(1).filter(|p| !p.contains(' ')) {
            self.apply_token(token);
        }
        true
    }

    /// Reads one token: `KEY`, `KEY=`, `KEY=value` sets it; `-KEY` removes it and brings
    /// back its default (<https://modern.ircdocs.horse/#rplisupport-005>).
    pub fn apply_token(&mut self, token: &str) {
        if let Some(key) = token.strip_prefix('-') {
            if !key.is_empty() {
                self.tokens.remove(key);
                self.update(key, None);
            }
            return;
        }
        let (key, value) = match token.split_once('=') {
            Some((k, v)) => (k, Some(unescape_value(v).into_owned())),
            None => (token, None),
        };
        if key.is_empty() {
            return;
        }
        self.update(key, Some(value.as_deref().unwrap_or("")));
        self.tokens.insert(key.to_owned(), value);
    }

    /// Refreshes the typed field for `key`; `None` means removed, back to the default.
    fn update(&mut self, key: &str, value: Option<&str>) {
        let d = ISupport::default();
        match key {
            "CASEMAPPING" => {
                self.casemapping = value.and_then(CaseMapping::from_name).unwrap_or_default()
            }
            "CHANTYPES" => self.chantypes = value.unwrap_or(DEFAULT_CHANTYPES).to_owned(),
            "PREFIX" => self.prefix = value.and_then(parse_prefix).unwrap_or(d.prefix),
            "CHANMODES" => self.chanmodes = value.map_or(d.chanmodes, parse_chanmodes),
            "TARGMAX" => self.targmax = value.map(parse_targmax).unwrap_or_default(),
            "NICKLEN" => self.nicklen = value.and_then(|v| v.parse().ok()),
            "LINELEN" => self.linelen = value.and_then(|v| v.parse().ok()).unwrap_or(d.linelen),
            "MSGREFTYPES" => {
                self.msgreftypes = value
                    .unwrap_or("")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => {}
        }
    }

    /// Any token by name: `None` when not advertised, `Some(None)` when advertised
    /// without `=`, else its unescaped value.
    pub fn get(&self, key: &str) -> Option<Option<&str>> {
        self.tokens.get(key).map(Option::as_deref)
    }

    /// Whether `key` is advertised (e.g. `WHOX`, `UTF8ONLY`).
    pub fn has(&self, key: &str) -> bool {
        self.tokens.contains_key(key)
    }

    /// All advertised tokens, sorted by name.
    pub fn tokens(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.tokens.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    /// `CASEMAPPING`, default `rfc1459`
    /// (<https://modern.ircdocs.horse/#casemapping-parameter>).
    pub fn casemapping(&self) -> CaseMapping {
        self.casemapping
    }

    /// `CHANTYPES`, default `#&` (<https://modern.ircdocs.horse/#chantypes-parameter>).
    pub fn chantypes(&self) -> &str {
        &self.chantypes
    }

    /// `PREFIX` as `(mode, prefix)` pairs from highest rank, default `(ov)@+`
    /// (<https://modern.ircdocs.horse/#prefix-parameter>).
    pub fn prefix(&self) -> &[(char, char)] {
        &self.prefix
    }

    /// `NETWORK`, the network's name, if advertised.
    pub fn network(&self) -> Option<&str> {
        self.get("NETWORK").flatten().filter(|n| !n.is_empty())
    }

    /// `CHANMODES`, default `beI,k,l,imnpst`
    /// (<https://modern.ircdocs.horse/#chanmodes-parameter>).
    pub fn chanmodes(&self) -> &ChanModes {
        &self.chanmodes
    }

    /// `TARGMAX` limit for `command`: `Some(n)` when the server caps it at `n` targets,
    /// `None` when it advertises no limit for it
    /// (<https://modern.ircdocs.horse/#targmax-parameter>).
    pub fn targmax(&self, command: &str) -> Option<u32> {
        self.targmax
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(command))
            .and_then(|(_, n)| *n)
    }

    /// `NICKLEN`, if advertised (<https://modern.ircdocs.horse/#nicklen-parameter>).
    pub fn nicklen(&self) -> Option<usize> {
        self.nicklen
    }

    /// `LINELEN`, the line length limit in bytes including CRLF, default 512.
    pub fn linelen(&self) -> usize {
        self.linelen
    }

    /// `MSGREFTYPES` in the server's order of preference, empty when not advertised
    /// (<https://ircv3.net/specs/extensions/chathistory#isupport-tokens>).
    pub fn msgreftypes(&self) -> &[String] {
        &self.msgreftypes
    }

    /// Whether `name` is a channel name: it starts with one of [`ISupport::chantypes`].
    pub fn is_channel(&self, name: &str) -> bool {
        name.chars()
            .next()
            .is_some_and(|c| self.chantypes.contains(c))
    }

    /// The prefix character (`@`) for a membership mode (`o`).
    pub fn prefix_for_mode(&self, mode: char) -> Option<char> {
        self.prefix.iter().find(|p| p.0 == mode).map(|p| p.1)
    }

    /// The membership mode (`o`) for a prefix character (`@`).
    pub fn mode_for_prefix(&self, prefix: char) -> Option<char> {
        self.prefix.iter().find(|p| p.1 == prefix).map(|p| p.0)
    }

    /// Splits a `NAMES` entry into its membership prefixes and the rest, e.g. `"@+bob"`
    /// into `("@+", "bob")` (several with `multi-prefix`).
    pub fn split_prefixes<'a>(&self, entry: &'a str) -> (&'a str, &'a str) {
        let n = entry
            .char_indices()
            .find(|&(_, c)| self.mode_for_prefix(c).is_none())
            .map_or(entry.len(), |(i, _)| i);
        entry.split_at(n)
    }

    /// Whether channel mode `mode` takes a parameter when set (`adding`) or unset:
    /// membership and list modes always, type B always, type C only when set.
    pub fn mode_takes_arg(&self, mode: char, adding: bool) -> bool {
        let m = &self.chanmodes;
        self.prefix_for_mode(mode).is_some()
            || m.list.contains(mode)
            || m.always_arg.contains(mode)
            || (adding && m.set_arg.contains(mode))
    }

    /// `a` and `b` compared under the server's case mapping.
    pub fn eq(&self, a: &str, b: &str) -> bool {
        self.casemapping.eq(a, b)
    }

    /// `name` folded under the server's case mapping, for use as a map key.
    pub fn fold<'a>(&self, name: &'a str) -> Cow<'a, str> {
        self.casemapping.fold(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(lines: &[&str]) -> ISupport {
        let mut is = ISupport::default();
        for l in lines {
            assert!(is.apply(&Message::parse(l).expect("parses")));
        }
        is
    }

    #[test]
    fn defaults() {
        let is = ISupport::default();
        assert_eq!(is.casemapping(), CaseMapping::Rfc1459);
        assert_eq!(is.chantypes(), "#&");
        assert_eq!(is.prefix(), [('o', '@'), ('v', '+')]);
        assert_eq!(is.network(), None);
        assert_eq!(is.linelen(), 512);
        assert!(is.mode_takes_arg('k', false));
        assert!(is.mode_takes_arg('l', true));
        assert!(!is.mode_takes_arg('l', false));
        assert!(!is.mode_takes_arg('n', true));
    }

    /// Lines captured from Libera.Chat (Solanum).
    #[test]
    fn solanum() {
        let is = apply(&[
            ":tantalum.libera.chat 005 me WHOX KNOCK MONITOR=100 ETRACE FNC SAFELIST ELIST=CMNTU CALLERID=g CHANTYPES=# EXCEPTS INVEX CHANMODES=eIbq,k,flj,CFLMPQRSTcgimnprstuz :are supported by this server",
            ":tantalum.libera.chat 005 me CHANLIMIT=#:250 PREFIX=(ov)@+ MAXLIST=bqeI:100 MODES=4 NETWORK=Libera.Chat STATUSMSG=@+ CASEMAPPING=rfc1459 NICKLEN=16 MAXNICKLEN=16 CHANNELLEN=50 TOPICLEN=390 DEAF=D :are supported by this server",
            ":tantalum.libera.chat 005 me TARGMAX=NAMES:1,LIST:1,KICK:1,WHOIS:1,PRIVMSG:4,NOTICE:4,ACCEPT:,MONITOR: EXTBAN=$,agjrxz :are supported by this server",
        ]);
        assert_eq!(is.network(), Some("Libera.Chat"));
        assert_eq!(is.chantypes(), "#");
        assert!(is.is_channel("##rust") && !is.is_channel("&x") && !is.is_channel(""));
        assert_eq!(is.nicklen(), Some(16));
        assert_eq!(is.targmax("privmsg"), Some(4));
        assert_eq!(is.targmax("MONITOR"), None);
        assert_eq!(is.chanmodes().list, "eIbq");
        assert!(is.mode_takes_arg('q', false));
        assert!(is.mode_takes_arg('f', true) && !is.mode_takes_arg('f', false));
        assert_eq!(is.get("WHOX"), Some(None));
        assert_eq!(is.get("MONITOR"), Some(Some("100")));
        assert_eq!(is.get("are"), None);
    }

    /// Lines captured from Ergo and InspIRCd.
    #[test]
    fn ergo_and_inspircd() {
        let mut is = apply(&[
            ":ergo.test 005 me AWAYLEN=390 BOT=B CASEMAPPING=ascii CHANLIMIT=#:100 CHANMODES=Ibe,k,fl,CEMRUimnstu CHANNELLEN=64 CHANTYPES=# ELIST=U EXCEPTS EXTBAN=,m FORWARD=f INVEX KICKLEN=390 :are supported by this server",
            ":ergo.test 005 me MAXLIST=beI:100 MAXTARGETS=4 MODES MONITOR=100 NETWORK=ErgoTest NICKLEN=32 PREFIX=(qaohv)~&@%+ STATUSMSG=~&@%+ TARGMAX=NAMES:1,LIST:1,KICK:,WHOIS:1,USERHOST:10,PRIVMSG:4,TAGMSG:4,NOTICE:4,MONITOR:100 TOPICLEN=390 UTF8ONLY WHOX :are supported by this server",
            ":ergo.test 005 me CHATHISTORY=1000 MSGREFTYPES=msgid,timestamp LINELEN=2048 NETWORK=Ergo\\x20Test\\x3D :are supported by this server",
        ]);
        assert_eq!(is.casemapping(), CaseMapping::Ascii);
        assert_eq!(is.prefix().len(), 5);
        assert_eq!(is.prefix_for_mode('h'), Some('%'));
        assert_eq!(is.mode_for_prefix('~'), Some('q'));
        assert_eq!(is.split_prefixes("~@bob"), ("~@", "bob"));
        assert_eq!(is.split_prefixes("bob"), ("", "bob"));
        assert_eq!(is.msgreftypes(), ["msgid", "timestamp"]);
        assert_eq!(is.linelen(), 2048);
        assert_eq!(is.network(), Some("Ergo Test="));
        assert!(is.has("UTF8ONLY"));
        // A later line withdraws tokens.
        assert!(is.apply(
            &Message::parse(
                ":ergo.test 005 me -UTF8ONLY -PREFIX -LINELEN :are supported by this server"
            )
            .expect("parses")
        ));
        assert!(!is.has("UTF8ONLY"));
        assert_eq!(is.prefix(), [('o', '@'), ('v', '+')]);
        assert_eq!(is.linelen(), 512);
        // InspIRCd
        is.apply_token("CASEMAPPING=rfc1459-strict");
        assert_eq!(is.casemapping(), CaseMapping::Rfc1459Strict);
        assert!(is.eq("Foo[]", "foo{}"));
        assert_eq!(is.fold("A~"), "a~");
        is.apply_token("PREFIX=(Yqaohv)!~&@%+");
        assert_eq!(is.prefix_for_mode('Y'), Some('!'));
        is.apply_token("PREFIX=");
        assert!(is.prefix().is_empty());
        is.apply_token("PREFIX=garbage");
        assert_eq!(is.prefix().len(), 2);
    }

    #[test]
    fn ignores_other_commands() {
        let mut is = ISupport::default();
        let m = Message::parse(":s 004 me s v i o").expect("parses");
        assert!(!is.apply(&m));
        assert_eq!(is, ISupport::default());
    }

    #[test]
    fn unescape_table() {
        assert_eq!(unescape_value("a\\x20b"), "a b");
        assert_eq!(unescape_value("a\\x5Cb"), "a\\b");
        assert_eq!(unescape_value("a\\xZZ"), "a\\xZZ");
        assert_eq!(unescape_value("a\\x"), "a\\x");
        assert_eq!(unescape_value("a\\x+F"), "a\\x+F");
        assert_eq!(unescape_value("\\xC3\\xA9"), "é");
    }
}
