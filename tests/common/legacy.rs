//! Generated homes of the servers `convos import` moves in from: Convos 4.08 (`dialogs`,
//! a numeric `uid`, bcrypt, logs without flags), Convos 8.x (`conversations`, a string
//! `uid`, argon2id, flags, `%2F` names, notifications, a client certificate, uploads) and
//! The Lounge 4.x (users JSON, text logs and the SQLite message store, overlapping), with
//! hostile cases: bad UTF-8, a 10 MB line, a missing month, a line without a nick,
//! e-mails differing only in case, a symlink out of the tree. Each generator returns what
//! the import must produce, line by line.
//!
//! Written by code (not copied files) so every byte is visible here; also used by
//! `bench/import.rs` for the 1 M-line home.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The password of every generated account.
pub const PASSWORD: &str = "correct horse battery";

/// One message as the API must show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Unix ms.
    pub ts: i64,
    /// API type: `private`, `action`, `notice`, `server`, `join`, ...
    pub kind: String,
    pub from: String,
    pub text: String,
    pub highlight: bool,
}

/// What an import of a generated home must store: per (user e-mail, connection,
/// conversation id), the messages in order.
#[derive(Debug, Default)]
pub struct Expected {
    pub conversations: BTreeMap<(String, String, String), Vec<Line>>,
}

impl Expected {
    fn add(&mut self, user: &str, conn: &str, conv: &str, line: Line) {
        self.conversations
            .entry((user.into(), conn.into(), conv.into()))
            .or_default()
            .push(line);
    }

    pub fn get(&self, user: &str, conn: &str, conv: &str) -> &[Line] {
        self.conversations
            .get(&(user.into(), conn.into(), conv.into()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        self.conversations.values().map(Vec::len).sum()
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of unix ms (UTC), as Convos writes it.
pub fn ts(ms: i64) -> String {
    convos::time::format_ms(ms)[..19].to_owned()
}

/// Unix ms of an RFC 3339 time.
pub fn ms(rfc3339: &str) -> i64 {
    convos::time::parse_rfc3339(rfc3339).expect("time")
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, bytes).expect("write");
}

fn append(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(bytes).expect("append");
}

/// A Convos 4.x bcrypt hash (`$2a$`, cost 8 as Convos 4.08 made them; 4 keeps tests fast).
pub fn bcrypt_2a(password: &str) -> String {
    bcrypt::hash_with_salt(password, 4, [42; 16])
        .expect("bcrypt")
        .format_for_version(bcrypt::Version::TwoA)
}

/// A Convos 8.x argon2id hash: `$argon2id$v=19$m=65536,t=3,p=1$...`.
pub fn argon2id_convos(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(65536, 3, 1, Some(32)).expect("params");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(&[9; 16]).expect("salt");
    a.hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// A Convos log line and what it becomes.
fn convos_line(
    out: &mut Vec<u8>,
    exp: &mut Expected,
    at: (&str, &str, &str),
    t: i64,
    flag: Option<u8>,
    message: &str,
) {
    out.extend_from_slice(ts(t).as_bytes());
    out.push(b' ');
    if let Some(f) = flag {
        out.push(b'0' + f);
        out.push(b' ');
    }
    out.extend_from_slice(message.as_bytes());
    out.push(b'\n');
    let (kind, from, text) = if let Some(rest) = message.strip_prefix('<').and_then(|r| {
        let (nick, text) = r.split_once("> ")?;
        (!nick.is_empty() && !nick.contains(' ')).then_some((nick, text))
    }) {
        ("private", rest.0, rest.1)
    } else if let Some((nick, text)) = message.strip_prefix("* ").and_then(|r| r.split_once(' ')) {
        ("action", nick, text)
    } else if let Some((nick, text)) = message
        .strip_prefix('-')
        .filter(|r| !r.starts_with("!- "))
        .and_then(|r| r.split_once("- "))
    {
        ("notice", nick, text)
    } else {
        (
            "server",
            "",
            message.strip_prefix("-!- ").unwrap_or(message),
        )
    };
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t,
            kind: kind.into(),
            from: from.into(),
            text: text.into(),
            highlight: flag.is_some_and(|f| f & 1 == 1),
        },
    );
}

/// A Convos 4.08 home: `settings.json`; alice (admin, bcrypt, numeric uid) with a
/// connection whose `dialogs` hold `#Convos` (key, topic, last_read) and a private
/// conversation; logs without flags over 2019-05 and 2019-07 (2019-06 missing), with a
/// Latin-1 line, a 10 MB line, a line without a nick, a malformed line, a server log;
/// `notifications.log` marking one line; and `Alice@Example.com`, a second directory
/// differing only in case, whose connection is merged into alice's account.
pub fn convos_408(root: &Path) -> Expected {
    let mut exp = Expected::default();
    write(
        &root.join("settings.json"),
        serde_json::json!({
            "organization_name": "Old Convos",
            "contact": "mailto:admin@old.example",
            "open_to_public": false,
            "forced_connection": false,
            "default_connection": "irc://irc.old.example:6697/%23lobby",
            "local_secret": "s3cr3t",
            "session_secrets": ["abc"]
        })
        .to_string(),
    );
    let alice = root.join("alice@example.com");
    write(
        &alice.join("user.json"),
        serde_json::json!({
            "email": "alice@example.com",
            "password": bcrypt_2a(PASSWORD),
            "roles": ["admin"],
            "highlight_keywords": ["zebra", " "],
            "registered": "2015-02-03T04:05:06Z",
            "uid": 1,
            "unread": 0
        })
        .to_string(),
    );
    let conn = alice.join("irc-localhost");
    write(
        &conn.join("connection.json"),
        serde_json::json!({
            "name": "localhost",
            "protocol": "irc",
            "connection_id": "irc-localhost",
            "wanted_state": "disconnected",
            "on_connect_commands": ["/msg NickServ identify s3cret"],
            "url": "irc://alice:srvpass@127.0.0.1:1/%23convos?nick=alice&tls=0",
            "dialogs": [
                {"name": "#Convos", "dialog_id": "#convos", "topic": "Old topic", "frozen": "",
                 "password": "chankey", "last_active": "2019-07-02T00:00:00Z",
                 "last_read": "2019-07-01T10:00:01Z", "unread": 0},
                {"name": "Bob", "dialog_id": "bob", "topic": "", "frozen": ""}
            ]
        })
        .to_string(),
    );
    let at = ("alice@example.com", "irc-localhost", "#convos");
    let base = ms("2019-05-01T10:00:00Z");
    let mut may = Vec::new();
    convos_line(
        &mut may,
        &mut exp,
        at,
        base,
        None,
        "<bob> hello from 2019, zebracorn",
    );
    convos_line(&mut may, &mut exp, at, base + 1000, None, "* bob waves");
    convos_line(
        &mut may,
        &mut exp,
        at,
        base + 1000,
        None,
        "<bob> same second, second line",
    );
    convos_line(
        &mut may,
        &mut exp,
        at,
        base + 2000,
        None,
        "-NickServ- a notice",
    );
    convos_line(
        &mut may,
        &mut exp,
        at,
        base + 3000,
        None,
        "-!- bob parted. Bye",
    );
    convos_line(
        &mut may,
        &mut exp,
        at,
        base + 4000,
        None,
        "<> a line without a nick",
    );
    // Highlighted through notifications.log (old logs had no flags).
    convos_line(
        &mut may,
        &mut exp,
        at,
        base + 5000,
        None,
        "<bob> alice: ping",
    );
    if let Some(l) = exp
        .conversations
        .get_mut(&(at.0.into(), at.1.into(), at.2.into()))
    {
        if let Some(last) = l.last_mut() {
            last.highlight = true;
        }
    }
    // Latin-1 (not UTF-8): decoded as CP1252.
    may.extend_from_slice(ts(base + 6000).as_bytes());
    may.extend_from_slice(b" <bob> caf\xe9 cr\xe8me \x80\n");
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: base + 6000,
            kind: "private".into(),
            from: "bob".into(),
            text: "café crème €".into(),
            highlight: false,
        },
    );
    // Malformed: no timestamp. Not imported, counted.
    may.extend_from_slice(b"this line has no timestamp\n");
    // 10 MB on one line: imported cut to the IRC line limit.
    may.extend_from_slice(ts(base + 7000).as_bytes());
    may.extend_from_slice(b" <bob> ");
    may.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    may.push(b'\n');
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: base + 7000,
            kind: "private".into(),
            from: "bob".into(),
            text: "A".repeat(8703 - "2019-05-01T10:00:07 <bob> ".len()),
            highlight: false,
        },
    );
    write(&conn.join("2019/05/#convos.log"), &may);
    // 2019/06 is missing; July goes on.
    let july = ms("2019-07-01T10:00:00Z");
    let mut jul = Vec::new();
    for i in 0..150 {
        convos_line(
            &mut jul,
            &mut exp,
            at,
            july + i * 1000,
            None,
            &format!("<carl> july line {i}"),
        );
    }
    write(&conn.join("2019/07/#convos.log"), &jul);
    let mut bob = Vec::new();
    convos_line(
        &mut bob,
        &mut exp,
        ("alice@example.com", "irc-localhost", "bob"),
        base,
        None,
        "<bob> psst, private",
    );
    convos_line(
        &mut bob,
        &mut exp,
        ("alice@example.com", "irc-localhost", "bob"),
        base + 10_000,
        None,
        "<alice> hi bob",
    );
    write(&conn.join("2019/05/bob.log"), &bob);
    let mut server = Vec::new();
    convos_line(
        &mut server,
        &mut exp,
        ("alice@example.com", "irc-localhost", ""),
        base,
        None,
        "-irc-localhost- Connected to 127.0.0.1.",
    );
    write(&conn.join("2019/05.log"), &server);
    write(
        &alice.join("notifications.log"),
        format!(
            "{} irc-localhost #convos <bob> alice: ping\n",
            ts(base + 5000)
        ),
    );
    // The same person with the e-mail in other case: merged, its connection kept.
    let upper = root.join("Alice@Example.com");
    write(
        &upper.join("user.json"),
        serde_json::json!({
            "email": "Alice@Example.com", "password": bcrypt_2a("another password"),
            "roles": [], "registered": "2016-01-01T00:00:00Z", "uid": 7
        })
        .to_string(),
    );
    let other = upper.join("irc-other");
    write(
        &other.join("connection.json"),
        serde_json::json!({
            "connection_id": "irc-other", "wanted_state": "disconnected",
            "url": "irc://127.0.0.1:1?nick=alice2&tls=0", "dialogs": []
        })
        .to_string(),
    );
    let mut o = Vec::new();
    convos_line(
        &mut o,
        &mut exp,
        ("alice@example.com", "irc-other", "#other"),
        ms("2016-03-03T03:03:03Z"),
        None,
        "<x> from the other directory",
    );
    write(&other.join("2016/03/#other.log"), &o);
    exp
}

/// A Convos 8.x home: carol (argon2id, string uid) with `conversations`, logs with flags
/// (a highlight, a preformatted line), a `%2F` conversation name, `notifications.log` with
/// one highlight whose log month is missing (imported from the notification), a client
/// certificate, an upload, a connection profile, a symlink out of the tree, names that
/// try to climb out of it, and a user without a password.
pub fn convos_8(root: &Path, outside: &Path) -> Expected {
    let mut exp = Expected::default();
    write(
        &root.join("settings.json"),
        serde_json::json!({
            "organization_name": "Convos Eight", "organization_url": "https://eight.example",
            "open_to_public": true, "base_url": "https://chat.eight.example/",
            "video_service": "https://meet.jit.si/"
        })
        .to_string(),
    );
    write(
        &root.join("settings/connections/irc-libera.json"),
        serde_json::json!({"id": "irc-libera", "url": "irc://irc.libera.chat:6697/%23convos",
            "max_message_length": 512, "service_accounts": ["chanserv", "nickserv"]})
        .to_string(),
    );
    let carol = root.join("carol@example.com");
    write(
        &carol.join("user.json"),
        serde_json::json!({
            "email": "carol@example.com", "password": argon2id_convos(PASSWORD),
            "roles": [], "highlight_keywords": [], "registered": "2020-01-01T00:00:00Z",
            "uid": "3", "remote_address": "127.0.0.1", "unread": 1
        })
        .to_string(),
    );
    let conn = carol.join("irc-libera");
    write(
        &conn.join("connection.json"),
        serde_json::json!({
            "connection_id": "irc-libera", "name": "libera", "wanted_state": "connected",
            "url": "irc://127.0.0.1:1?nick=carol&tls=0", "on_connect_commands": [],
            "info": {"nick": "carol"}, "service_accounts": ["chanserv", "nickserv"],
            "conversations": [
                {"connection_id": "irc-libera", "conversation_id": "#rust/lang", "name": "#Rust/Lang",
                 "topic": "slashes", "frozen": "", "unread": 1, "notifications": 1, "info": {}},
                {"connection_id": "irc-libera", "conversation_id": "#gone", "name": "#gone",
                 "topic": "", "frozen": "Banned", "unread": 0}
            ]
        })
        .to_string(),
    );
    write(
        &conn.join("irc-libera.cert"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    write(
        &conn.join("irc-libera.key"),
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    );
    let at = ("carol@example.com", "irc-libera", "#rust/lang");
    let t = ms("2020-01-05T00:00:00Z");
    let mut log = Vec::new();
    convos_line(
        &mut log,
        &mut exp,
        at,
        t,
        Some(0),
        "<dave> a channel with a slash",
    );
    convos_line(
        &mut log,
        &mut exp,
        at,
        t + 1000,
        Some(1),
        "<dave> carol: you are mentioned",
    );
    convos_line(
        &mut log,
        &mut exp,
        at,
        t + 2000,
        Some(2),
        "<dave> preformatted text",
    );
    convos_line(&mut log, &mut exp, at, t + 3000, Some(0), "* dave is done");
    write(&conn.join("2020/01/#rust%2Flang.log"), &log);
    // A symlink to outside the tree: never read.
    std::fs::create_dir_all(conn.join("2020/02")).expect("mkdir");
    write(
        &outside.join("secret.log"),
        format!("{} 0 <eve> must not be imported\n", ts(t)),
    );
    std::os::unix::fs::symlink(outside.join("secret.log"), conn.join("2020/02/#leak.log"))
        .expect("symlink");
    // Path traversal in names: a conversation file `..%2F..%2Fescape.log` and a connection
    // whose id says `../../evil`. The file is refused; the connection gets an id of ours.
    write(
        &conn.join("2020/01/..%2F..%2Fescape.log"),
        format!("{} 0 <eve> traversal\n", ts(t)),
    );
    let evil = carol.join("irc-evil");
    write(
        &evil.join("connection.json"),
        serde_json::json!({"connection_id": "../../evil", "wanted_state": "disconnected",
            "url": "irc://127.0.0.1:2?nick=carol&tls=0", "conversations": []})
        .to_string(),
    );
    let gone = ms("2020-03-03T03:03:03Z");
    write(
        &carol.join("notifications.log"),
        format!(
            "{} irc-libera #rust/lang <dave> carol: you are mentioned\n{} irc-libera #gone <frank> carol: this month's log is lost\n",
            ts(t + 1000),
            ts(gone)
        ),
    );
    exp.add(
        "carol@example.com",
        "irc-libera",
        "#gone",
        Line {
            ts: gone,
            kind: "private".into(),
            from: "frank".into(),
            text: "carol: this month's log is lost".into(),
            highlight: true,
        },
    );
    // Signed in through a proxy or OIDC in Convos: no password to carry over.
    write(
        &root.join("frank@example.com/user.json"),
        serde_json::json!({"email": "frank@example.com", "password": "", "roles": [],
            "registered": "2021-01-01T00:00:00Z", "uid": "4"})
        .to_string(),
    );
    write(
        &carol.join("upload/1577836800-cat.json"),
        r#"{"filename":"cat.png","id":"1577836800-cat"}"#,
    );
    write(&carol.join("upload/1577836800-cat.data"), b"\x89PNG");
    exp
}

/// A Convos home with `n` log lines over a few users, connections and conversations,
/// one month per file, for the benchmark.
pub fn convos_big(root: &Path, n: usize) {
    let users = 4;
    let convs = ["#rust", "#convos", "#linux", "#music", "bob", "alice"];
    let words = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "rust", "irc", "log",
        "import", "zebra", "hello", "world",
    ];
    let per_user = n.div_ceil(users);
    let start = ms("2012-01-01T00:00:00Z");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for u in 0..users {
        let email = format!("user{u}@example.com");
        let dir = root.join(&email);
        write(
            &dir.join("user.json"),
            serde_json::json!({"email": email, "password": bcrypt_2a(PASSWORD), "roles": [],
                "registered": "2012-01-01T00:00:00Z", "uid": u})
            .to_string(),
        );
        let conn = dir.join("irc-libera");
        write(
            &conn.join("connection.json"),
            serde_json::json!({"connection_id": "irc-libera", "wanted_state": "disconnected",
                "url": "irc://127.0.0.1:1?tls=0", "conversations": []})
            .to_string(),
        );
        // Ten years: spread the lines evenly, a file per conversation and month.
        let span = 10 * 365 * 86_400_000i64;
        let step = span / per_user as i64;
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for i in 0..per_user {
            let t = start + i as i64 * step;
            let conv = convs[(rnd() % convs.len() as u64) as usize];
            let stamp = ts(t);
            let key = format!("{}/{}/{}.log", &stamp[..4], &stamp[5..7], conv);
            let buf = files.entry(key.clone()).or_default();
            let nwords = 3 + (rnd() % 15) as usize;
            let text: Vec<&str> = (0..nwords)
                .map(|_| words[(rnd() % words.len() as u64) as usize])
                .collect();
            let line = format!("{stamp} 0 <nick{}> {}\n", rnd() % 50, text.join(" "));
            buf.extend_from_slice(line.as_bytes());
            if buf.len() > 1 << 20 {
                append(&conn.join(&key), buf);
                buf.clear();
            }
        }
        for (key, buf) in files {
            append(&conn.join(&key), &buf);
        }
    }
}

/// The Lounge 4.x: users/erin.json (bcrypt cost 11 as The Lounge makes them; 4 here) with
/// one network (SASL, channels with a key, a query, on-connect commands), the SQLite
/// message store and the text logs of the same network, overlapping: the two messages in
/// both are imported once, the one only in the text log (its row cleaned away) and the
/// one only in SQLite (a type the text log does not keep) are imported too.
pub fn thelounge(root: &Path) -> Expected {
    let mut exp = Expected::default();
    let uuid = "5f1c0a5e-2b6c-4b5e-9c8d-1234567890ab";
    let hash = bcrypt::hash_with_salt(PASSWORD, 4, [5; 16])
        .expect("bcrypt")
        .format_for_version(bcrypt::Version::TwoB);
    write(
        &root.join("config.js"),
        "\"use strict\";\nmodule.exports = { public: false };\n",
    );
    write(
        &root.join("users/erin.json"),
        serde_json::json!({
            "password": hash,
            "log": true,
            "awayMessage": "",
            "networks": [{
                "uuid": uuid, "name": "Libera Chat", "host": "127.0.0.1", "port": 1,
                "tls": false, "userDisconnected": true, "rejectUnauthorized": true,
                "password": "", "nick": "erin", "username": "erin", "realname": "Erin E",
                "leaveMessage": "bye", "sasl": "plain", "saslAccount": "erin",
                "saslPassword": "saslpw", "commands": ["/msg NickServ hi"], "ignoreList": [],
                "proxyEnabled": false,
                "channels": [
                    {"name": "#Lounge", "key": "loungekey", "muted": false},
                    {"name": "fred", "type": "query", "muted": false}
                ]
            }],
            "sessions": {"tok": {"lastUse": 1, "ip": "127.0.0.1", "agent": "x"}},
            "clientSettings": {"highlights": "tea, coffee"},
            "browser": {"language": "en"}
        })
        .to_string(),
    );
    let db = root.join("logs/erin.sqlite3");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let conn = rusqlite::Connection::open(&db).expect("sqlite");
    conn.execute_batch(
        "CREATE TABLE options (name TEXT, value TEXT, CONSTRAINT name_unique UNIQUE (name));
         INSERT INTO options VALUES ('schema_version', '1703322560448');
         CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, network TEXT, channel TEXT,
           time INTEGER, type TEXT, msg TEXT);
         CREATE INDEX network_channel ON messages (network, channel);
         CREATE INDEX time ON messages (time);",
    )
    .expect("schema");
    let t0 = ms("2019-08-08T08:08:08.123Z");
    let rows: [(i64, &str, serde_json::Value); 4] = [
        (
            t0,
            "message",
            serde_json::json!({"from": {"mode": "@", "nick": "fred"}, "text": "in both stores, tea time in 2019", "self": false, "highlight": true}),
        ),
        (
            t0 + 1,
            "join",
            serde_json::json!({"from": {"mode": "", "nick": "gina"}, "hostmask": "gina@host", "self": false}),
        ),
        (
            t0 + 2,
            "action",
            serde_json::json!({"from": {"mode": "", "nick": "fred"}, "text": "multi\nline", "self": false}),
        ),
        (
            t0 + 3,
            "ctcp_request",
            serde_json::json!({"from": {"mode": "", "nick": "gina"}, "ctcpMessage": "VERSION", "text": "VERSION", "self": false}),
        ),
    ];
    for (t, kind, msg) in &rows {
        conn.execute(
            "INSERT INTO messages (network, channel, time, type, msg) VALUES (?1, '#lounge', ?2, ?3, ?4)",
            rusqlite::params![uuid, t, kind, msg.to_string()],
        )
        .expect("row");
    }
    let at = ("erin@localhost", "irc-127-0-0-1", "#lounge");
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0,
            kind: "private".into(),
            from: "fred".into(),
            text: "in both stores, tea time in 2019".into(),
            highlight: true,
        },
    );
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0 + 1,
            kind: "join".into(),
            from: "gina".into(),
            text: "gina joined.".into(),
            highlight: false,
        },
    );
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0 + 2,
            kind: "action".into(),
            from: "fred".into(),
            text: "multi\nline".into(),
            highlight: false,
        },
    );
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0 + 3,
            kind: "server".into(),
            from: "gina".into(),
            text: "VERSION".into(),
            highlight: false,
        },
    );
    // The text log: the network folder is its name (23 chars at most, lowercase) and the
    // rest of its uuid; the channel file its lowercase name.
    let folder = format!("libera-chat-{}", &uuid["Libera Chat".len() + 1..]);
    let iso = |t: i64| convos::time::format_ms(t);
    let text = format!(
        "[{a}] <@fred> in both stores, tea time in 2019\n[{b}] *** gina (gina@host) joined\n[{c}] * fred multi\n[{c}] | line\n[{d}] -harry- only in the text log\n[{e}] *** harry changed topic to 'new topic'\n",
        a = iso(t0),
        b = iso(t0 + 1),
        c = iso(t0 + 2),
        d = iso(t0 + 10),
        e = iso(t0 + 11),
    );
    write(&root.join(format!("logs/erin/{folder}/#lounge.log")), text);
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0 + 10,
            kind: "notice".into(),
            from: "harry".into(),
            text: "only in the text log".into(),
            highlight: false,
        },
    );
    exp.add(
        at.0,
        at.1,
        at.2,
        Line {
            ts: t0 + 11,
            kind: "topic".into(),
            from: "harry".into(),
            text: "harry changed the topic to: new topic".into(),
            highlight: false,
        },
    );
    // A query only in the text log.
    write(
        &root.join(format!("logs/erin/{folder}/fred.log")),
        format!("[{}] <fred> a private word\n", iso(t0 + 20)),
    );
    exp.add(
        at.0,
        at.1,
        "fred",
        Line {
            ts: t0 + 20,
            kind: "private".into(),
            from: "fred".into(),
            text: "a private word".into(),
            highlight: false,
        },
    );
    exp
}
