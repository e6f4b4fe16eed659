//! History for the cold-start/search scenario, and the "all messages stored" check.
//!
//! `fill` writes `--n` generated PRIVMSG rows into our store (`--convos-db`: the
//! `messages` rows only; it removes the search index `search.db` beside it, which the daemon
//! then builds from the rows, as after a restored backup: the harness waits for that before
//! it measures) and the same rows into The Lounge's per-user SQLite (`--lounge-db`, optional). The conversations must
//! exist already (the harness lets the daemon join them once). The Lounge's rows are
//! shaped as it stores a PRIVMSG itself (its `msg` JSON without id, type and time). Text is ASCII on purpose:
//! the store's CJK spacing (`fts_text`) is then the identity, and both products hold
//! byte-identical lines. Deterministic (fixed seed).
//!
//! `count` polls `--sql` on `--db` until it returns at least `--expect` (or stalls).

use crate::Args;
use rusqlite::{params, Connection, OpenFlags};
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const COMMON: &[&str] = &[
    "the", "to", "i", "a", "and", "is", "it", "you", "that", "in", "of", "for", "on", "this",
    "have", "but", "be", "not", "with", "just", "so", "if", "we", "can", "what", "there", "do",
    "no", "yes", "lol", "ok", "think", "know", "like", "get", "would", "about", "one", "all",
    "build", "error", "server", "code", "rust", "irc", "client", "video", "call", "test", "bug",
];

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Roughly Zipf over 0..n.
    pub fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

/// 50 common words, then generated ones (20 050 in all).
pub fn vocabulary() -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut v: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
    let syll = [
        "ka", "lo", "mi", "ren", "tor", "vex", "qu", "sa", "ne", "bri", "dol", "fa",
    ];
    while v.len() < 20_050 {
        let n = 2 + rng.below(3);
        v.push((0..n).map(|_| syll[rng.below(syll.len())]).collect());
    }
    v
}

fn line(rng: &mut Rng, vocab: &[String]) -> String {
    let words = if rng.below(10) == 0 {
        10 + rng.below(40)
    } else {
        1 + rng.below(12)
    };
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&vocab[rng.zipf(vocab.len())]);
    }
    if rng.below(30) == 0 {
        let _ = write!(s, " https://example.com/{}", vocab[rng.zipf(vocab.len())]);
    }
    s
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

pub fn run(a: &Args) -> Result<(), String> {
    let e = |e: rusqlite::Error| e.to_string();
    let n = a.num("n", 1_000_000);
    let user_id = a.num("user-id", 1) as i64;
    let channels = a.list("channels");
    let convos_db = a.req("convos-db");
    let ours = Connection::open(&convos_db).map_err(e)?;
    // The user's only connection unless named.
    let connection_id = match a.0.get("connection-id") {
        Some(c) => c.clone(),
        None => ours
            .query_row(
                "SELECT id FROM connections WHERE user_id=?1",
                params![user_id],
                |r| r.get(0),
            )
            .map_err(|err| format!("connection of user {user_id}: {err}"))?,
    };
    ours.execute_batch(
        "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;",
    )
    .map_err(e)?;
    let mut cids = Vec::new();
    for c in &channels {
        let cid: i64 = ours
            .query_row(
                "SELECT cid FROM conversations WHERE user_id=?1 AND connection_id=?2 AND id=?3",
                params![user_id, connection_id, c.to_ascii_lowercase()],
                |r| r.get(0),
            )
            .map_err(|err| {
                format!("conversation {c} of user {user_id} on {connection_id}: {err}")
            })?;
        cids.push(cid);
    }
    let lounge = match a.0.get("lounge-db") {
        Some(p) if !p.is_empty() => {
            let l = Connection::open(p).map_err(e)?;
            l.execute_batch("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;")
                .map_err(e)?;
            Some(l)
        }
        _ => None,
    };
    let network = a.str("lounge-network", "");

    let vocab = vocabulary();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let nicks: Vec<String> = (0..60)
        .map(|i| format!("{}{}", vocab[50 + i * 7], i))
        .collect();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    // 10 ms apart, ending an hour ago.
    let t_first = now_ms - 3_600_000 - n as i64 * 10;
    let t0 = Instant::now();
    let chunk = 50_000u64;
    let mut done = 0u64;
    while done < n {
        let end = (done + chunk).min(n);
        let tx = ours.unchecked_transaction().map_err(e)?;
        let ltx = match &lounge {
            Some(l) => Some(l.unchecked_transaction().map_err(e)?),
            None => None,
        };
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO messages (conv, user_id, time, kind, nick, source, text, highlight) \
                     VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, 0)",
                )
                .map_err(e)?;
            let mut lins = match &ltx {
                Some(l) => Some(
                    l.prepare_cached(
                        "INSERT INTO messages (network, channel, time, type, msg) VALUES (?1, ?2, ?3, 'message', ?4)",
                    )
                    .map_err(e)?,
                ),
                None => None,
            };
            for i in done..end {
                let c = rng.below(cids.len());
                let who = rng.zipf(nicks.len());
                let text = line(&mut rng, &vocab);
                let time = t_first + i as i64 * 10;
                let nick = &nicks[who];
                let source = format!("{nick}!~{nick}@bench.host");
                ins.execute(params![cids[c], user_id, time, nick, source, text])
                    .map_err(e)?;
                if let Some(l) = lins.as_mut() {
                    let msg = format!(
                        "{{\"from\":{{\"mode\":\"\",\"nick\":{}}},\"text\":{},\"self\":false,\"highlight\":false,\"users\":[]}}",
                        json_str(nick),
                        json_str(&text)
                    );
                    l.execute(params![
                        network,
                        channels[c].to_ascii_lowercase(),
                        time,
                        msg
                    ])
                    .map_err(e)?;
                }
            }
        }
        tx.commit().map_err(e)?;
        if let Some(l) = ltx {
            l.commit().map_err(e)?;
        }
        done = end;
        if done % 1_000_000 == 0 {
            eprintln!(
                "fill: {done} rows, {:.0} rows/s",
                done as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    ours.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(e)?;
    // The daemon is stopped: its index is built again from every row at its next start.
    let db = std::path::Path::new(&convos_db);
    for name in ["search.db", "search.db-wal", "search.db-shm"] {
        let _ = std::fs::remove_file(db.with_file_name(name));
    }
    println!(
        "{{\"rows\":{n},\"secs\":{:.1}}}",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn count(a: &Args) -> Result<(), String> {
    let db = a.req("db");
    let sql = a.req("sql");
    let expect = a.num("expect", 0) as i64;
    let t0 = Instant::now();
    let deadline = t0 + a.secs("max-secs", 60);
    let stall = Duration::from_secs(a.num("stall-secs", 15));
    let mut n = -1;
    let mut changed = Instant::now();
    loop {
        if let Ok(c) = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY) {
            c.busy_timeout(Duration::from_secs(2)).ok();
            if let Ok(v) = c.query_row(&sql, [], |r| r.get::<_, i64>(0)) {
                if v != n {
                    changed = Instant::now();
                }
                n = v;
            }
        }
        // Done, out of time, or no new row for `--stall-secs`: what is missing is lost.
        if n >= expect || Instant::now() >= deadline || changed.elapsed() >= stall {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "{{\"count\":{n},\"expected\":{expect},\"secs\":{:.2}}}",
        t0.elapsed().as_secs_f64()
    );
    if n < expect {
        return Err(format!(
            "only {n} of {expect} stored after {:.0} s",
            t0.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}
