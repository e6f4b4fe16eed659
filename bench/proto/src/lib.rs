//! A realistic, deterministic corpus of IRC lines for the `irc-proto` benchmarks.
//!
//! The mix follows a busy client's inbound traffic: mostly channel messages (half with
//! IRCv3 tags `time`, `msgid`, `account`), joins, parts, quits, and the numerics of a
//! connect burst (NAMES, TOPIC, MOTD, ISUPPORT).

/// A small xorshift generator so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NICKS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "eve",
    "mallory",
    "jess",
    "Sigyn",
    "ChanServ",
    "tomaw",
    "ilbelkyr",
    "kline_fan",
    "xx[away]xx",
    "rustacean42",
    "perlmonk",
];
const HOSTS: &[&str] = &[
    "user/alice",
    "2001:db8::1",
    "gateway/web/irccloud.com/x-abcdefghijkl",
    "192-0-2-1.dyn.example.net",
    "libera/staff/jess",
    "unaffiliated/bob",
    "127.0.0.1",
];
const CHANNELS: &[&str] = &["#rust", "#libera", "#convos", "##linux", "#perl", "&local"];
const WORDS: &[&str] = &[
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "borrow",
    "checker",
    "lifetime",
    "async",
    "tokio",
    "🦀",
    "naïve",
    "café",
    "ok",
    "lol",
    "https://example.com/a?b=c",
    "\x02bold\x02",
    "\x0304red\x03",
    "::colon",
    "semi;colon",
    "back\\slash",
];

fn text(rng: &mut Rng) -> String {
    let n = 1 + rng.below(30);
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(WORDS));
    }
    out
}

fn tags(rng: &mut Rng, i: usize, nick: &str) -> String {
    let ms = rng.below(1000);
    let mut t = format!(
        "@time=2024-03-{:02}T{:02}:{:02}:{:02}.{ms:03}Z;msgid={:016x}",
        1 + i % 28,
        i % 24,
        i % 60,
        (i * 7) % 60,
        rng.next()
    );
    if rng.below(2) == 0 {
        t.push_str(";account=");
        t.push_str(nick);
    }
    if rng.below(8) == 0 {
        t.push_str(";+draft/reply=abc\\sdef;+example.com/flag");
    }
    t.push(' ');
    t
}

/// `n` lines without CRLF, the same on every call.
pub fn corpus(n: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let nick = rng.pick(NICKS);
        let host = rng.pick(HOSTS);
        let chan = rng.pick(CHANNELS);
        let src = format!(":{nick}!~{}@{host}", &nick[..nick.len().min(9)]);
        let tagged = rng.below(2) == 0;
        let t = if tagged {
            tags(&mut rng, i, nick)
        } else {
            String::new()
        };
        let line = match rng.below(100) {
            0..=54 => format!("{t}{src} PRIVMSG {chan} :{}", text(&mut rng)),
            55..=59 => format!("{t}{src} NOTICE {nick} :{}", text(&mut rng)),
            60..=67 => format!("{t}{src} JOIN {chan} {nick} :{} {}", rng.pick(WORDS), rng.pick(WORDS)),
            68..=72 => format!("{t}{src} PART {chan} :{}", text(&mut rng)),
            73..=77 => format!("{t}{src} QUIT :Quit: {}", text(&mut rng)),
            78..=80 => format!("{t}{src} MODE {chan} +ov {nick} {nick}"),
            81..=82 => format!("{t}{src} NICK :{nick}_"),
            83 => format!("{t}{src} TAGMSG {chan}"),
            84..=87 => format!(
                ":tantalum.libera.chat 353 convos = {chan} :{}",
                (0..12).map(|_| format!("@{}", rng.pick(NICKS))).collect::<Vec<_>>().join(" ")
            ),
            88..=89 => format!(":tantalum.libera.chat 332 convos {chan} :{}", text(&mut rng)),
            90..=91 => format!(":tantalum.libera.chat 333 convos {chan} {nick}!~u@{host} 1709294400"),
            92..=94 => format!(":tantalum.libera.chat 372 convos :- {}", text(&mut rng)),
            95..=96 => ":tantalum.libera.chat 005 convos CHANTYPES=# EXCEPTS INVEX CHANMODES=eIbq,k,flj,CFLMPQRSTcgimnprstuz CHANLIMIT=#:250 PREFIX=(ov)@+ MAXLIST=bqeI:100 MODES=4 NETWORK=Libera.Chat STATUSMSG=@+ CASEMAPPING=rfc1459 :are supported by this server".to_owned(),
            97 => format!(":tantalum.libera.chat 366 convos {chan} :End of /NAMES list."),
            _ => "PING :tantalum.libera.chat".to_owned(),
        };
        out.push(line);
    }
    out
}
