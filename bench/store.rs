//! Store benchmark: `cargo bench --bench store` (N = 1 M messages; `STORE_BENCH_N=10000000`
//! for 10 M; `STORE_BENCH_DIR` to keep the database). Prints the figures recorded in
//! BENCHMARKS.md ("Store").
//!
//! Generates realistic history (20 users, 200 conversations, Zipf-distributed words,
//! varied lengths, nicks, URLs, code, several scripts), then on the same run measures:
//! ingest through the real append path (with search indexing) against a raw batched insert
//! of the same rows without an index; cold open + first page and RSS (in a fresh process);
//! history page and search latencies; database size per message; and, as the evidence for
//! the tokenizer choice, unicode61 vs trigram indexing on the same rows.
//!
//! Raw SQLite (rusqlite) is used only for the two baselines: the app itself goes through
//! `convos::store`.

use convos::model::{Connection, Kind, MessageId, NewEntry, Secret, UserId, WantedState};
use convos::store::{Cursor, Options, Page, SearchQuery, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USERS: usize = 20;
const CONVS_PER_USER: usize = 10; // 200 conversations
const COMMON: &[&str] = &[
    "the", "to", "i", "a", "and", "is", "it", "you", "that", "in", "of", "for", "on", "this",
    "have", "but", "be", "not", "with", "just", "so", "if", "we", "can", "what", "there", "do",
    "no", "yes", "lol", "ok", "think", "know", "like", "get", "would", "about", "one", "all",
    "build", "error", "server", "code", "rust", "irc", "client", "video", "call", "test", "bug",
];
const SCRIPTS: &[&str] = &[
    "привет всем, как дела сегодня",
    "東京都に住んでいます、よろしくお願いします",
    "我们明天开会讨论这个问题",
    "مرحبا بالجميع في القناة",
    "Καλημέρα σε όλους τους φίλους",
    "안녕하세요 반갑습니다 오늘 날씨",
    "Grüße aus Köln, schönes Wochenende",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Roughly Zipf over 0..n: small indexes much more likely.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

/// A pseudo-word vocabulary: 50 common words then 50 000 generated ones.
fn vocabulary(rng: &mut Rng) -> Vec<String> {
    let mut v: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
    let syll = [
        "ka", "lo", "mi", "ren", "tor", "vex", "qu", "sa", "ne", "bri", "dol", "fa",
    ];
    while v.len() < 50_050 {
        let n = 2 + rng.below(3);
        v.push((0..n).map(|_| syll[rng.below(syll.len())]).collect());
    }
    v
}

fn text(rng: &mut Rng, vocab: &[String], nicks: &[String]) -> String {
    match rng.below(100) {
        0..=2 => format!(
            "see https://github.com/convos-chat/convos/{}/{}",
            vocab[rng.zipf(vocab.len())],
            rng.below(5000)
        ),
        3..=4 => format!(
            "try `let {} = {}::new({});` in src/{}.rs",
            vocab[rng.zipf(vocab.len())],
            vocab[rng.zipf(vocab.len())],
            rng.below(100),
            vocab[rng.zipf(vocab.len())]
        ),
        5..=9 => SCRIPTS[rng.below(SCRIPTS.len())].to_string(),
        _ => {
            // Mostly short lines, some long ones.
            let words = if rng.below(10) == 0 {
                10 + rng.below(60)
            } else {
                1 + rng.below(12)
            };
            let mut s = String::new();
            if rng.below(8) == 0 {
                s.push_str(&nicks[rng.below(nicks.len())]);
                s.push_str(": ");
            }
            for i in 0..words {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&vocab[rng.zipf(vocab.len())]);
            }
            s
        }
    }
}

struct Gen {
    rng: Rng,
    vocab: Vec<String>,
    nicks: Vec<String>,
    time: i64,
}

impl Gen {
    fn new() -> Gen {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let vocab = vocabulary(&mut rng);
        let nicks = (0..2000)
            .map(|i| format!("{}{}", vocab[50 + rng.below(5000)], i % 97))
            .collect();
        Gen {
            rng,
            vocab,
            nicks,
            time: 1_600_000_000_000,
        }
    }

    fn entry(&mut self) -> NewEntry {
        let user = self.rng.below(USERS);
        let conv = self.rng.zipf(CONVS_PER_USER);
        self.time += self.rng.below(300) as i64;
        let nick = self.nicks[(conv * 37 + self.rng.zipf(200)) % self.nicks.len()].clone();
        let kind = match self.rng.below(100) {
            0..=84 => Kind::Privmsg,
            85..=89 => Kind::Action,
            90..=92 => Kind::Notice,
            93..=95 => Kind::Join,
            96..=97 => Kind::Part,
            _ => Kind::Quit,
        };
        let text = text(&mut self.rng, &self.vocab, &self.nicks);
        NewEntry {
            user_id: UserId(user as i64 + 1),
            connection_id: format!("irc-net{}", conv % 2),
            conversation_id: format!("#chan{conv}"),
            time: self.time,
            kind,
            source: Some(format!("{nick}!~{nick}@host{}.example", conv)),
            from: nick,
            highlight: text.contains("convos") && self.rng.below(4) == 0,
            text,
            msgid: None,
            account: None,
            reply_to: None,
            backfill: false,
        }
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds used so far by each thread of this process, summed by thread name.
fn thread_cpu() -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // After the name (in parentheses): fields 14 and 15 are utime and stime, in ticks.
        let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") "))
        else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = [11, 12]
            .iter()
            .filter_map(|&i| f.get(i)?.parse::<f64>().ok())
            .sum();
        // Tokio's workers and blocking threads have numbered names.
        let name = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        *out.entry(name.to_string()).or_insert(0.0) += ticks / 100.0;
    }
    out
}

/// What each thread used between two [`thread_cpu`] readings, per million rows.
fn cpu_split(
    before: &std::collections::BTreeMap<String, f64>,
    after: &std::collections::BTreeMap<String, f64>,
    rows: usize,
) -> String {
    after
        .iter()
        .map(|(k, v)| (k, v - before.get(k).copied().unwrap_or(0.0)))
        .filter(|(_, d)| *d >= 0.05)
        .map(|(k, d)| format!("{k} {:.1} s ({:.2} µs/row)", d, d * 1e6 / rows as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pct(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn file_size(dir: &Path) -> u64 {
    ["convos.db", "convos.db-wal", "search.db", "search.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

async fn setup_users(store: &Store) {
    for u in 0..USERS {
        let user = store
            .create_user(&format!("user{u}@example.com"), Secret::new("x"), false)
            .await
            .expect("user");
        for c in 0..2 {
            store
                .save_connection(Connection {
                    user_id: user.id,
                    id: format!("irc-net{c}"),
                    url: Secret::new("irc://irc.example"),
                    nick: format!("user{u}"),
                    on_connect_commands: Vec::new(),
                    wanted_state: WantedState::Connected,
                    retention_days: 0,
                    client_cert: None,
                    ignore: Vec::new(),
                    sts: None,
                    name: None,
                    state: serde_json::json!({}),
                })
                .await
                .expect("connection");
        }
    }
}

/// Ingest through `append_many` (an import) or single appends from 20 tasks (live).
async fn ingest(store: &Store, rows: Vec<NewEntry>, live: bool) -> Vec<(NewEntry, MessageId)> {
    let tasks = USERS;
    let mut per: Vec<Vec<NewEntry>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, r) in rows.into_iter().enumerate() {
        per[i % tasks].push(r);
    }
    let mut handles = Vec::new();
    for rows in per {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(rows.len());
            if live {
                for r in rows {
                    let a = store.append(r.clone()).await.expect("append");
                    out.push((r, a.entry.id));
                }
            } else {
                let mut it = rows.into_iter().peekable();
                while it.peek().is_some() {
                    let chunk: Vec<NewEntry> = it.by_ref().take(500).collect();
                    let stored = store.append_many(chunk.clone()).await.expect("append");
                    out.extend(
                        chunk
                            .into_iter()
                            .zip(stored.into_iter().map(|a| a.entry.id)),
                    );
                }
            }
            out
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("task"));
    }
    all
}

fn raw_baseline(dir: &Path, rows: &[NewEntry]) -> (f64, u64) {
    let path = dir.join("convos.db");
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        .expect("pragma");
    let cids: std::collections::HashMap<(i64, String, String), i64> = {
        let mut stmt = conn
            .prepare("SELECT user_id, connection_id, id, cid FROM conversations")
            .expect("prep");
        stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
            .expect("q")
            .collect::<rusqlite::Result<_>>()
            .expect("cids")
    };
    let t = Instant::now();
    for chunk in rows.chunks(10_000) {
        conn.execute_batch("BEGIN").expect("begin");
        {
            let mut ins = conn
                .prepare_cached(
                    "INSERT INTO messages (conv, user_id, time, kind, nick, source, text, msgid, account, highlight) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .expect("prep");
            for e in chunk {
                let key = (
                    e.user_id.0,
                    e.connection_id.clone(),
                    e.conversation_id.clone(),
                );
                ins.execute(rusqlite::params![
                    cids[&key],
                    e.user_id.0,
                    e.time,
                    e.kind.code(),
                    e.from,
                    e.source,
                    e.text,
                    e.msgid,
                    e.account,
                    e.highlight
                ])
                .expect("insert");
            }
        }
        conn.execute_batch("COMMIT").expect("commit");
    }
    let rate = rows.len() as f64 / t.elapsed().as_secs_f64();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("ckpt");
    (rate, std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
}

/// unicode61 vs trigram: batched indexing rate, size and query times on the same rows.
fn tokenizer_comparison(dir: &Path, rows: &[NewEntry]) {
    println!(
        "\ntokenizer comparison on {} rows (contentless FTS5, 8192-row transactions):",
        rows.len()
    );
    for tok in [
        "unicode61 remove_diacritics 2",
        "trigram remove_diacritics 1",
    ] {
        let path = dir.join(format!("fts-{}.db", tok.split(' ').next().unwrap_or("x")));
        let _ = std::fs::remove_file(&path);
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE VIRTUAL TABLE f USING fts5(text, content='', contentless_delete=1, tokenize='{tok}');"
        ))
        .expect("create");
        let t = Instant::now();
        for (c, chunk) in rows.chunks(8192).enumerate() {
            conn.execute_batch("BEGIN").expect("begin");
            {
                let mut ins = conn
                    .prepare_cached("INSERT INTO f(rowid, text) VALUES (?1, ?2)")
                    .expect("prep");
                for (i, e) in chunk.iter().enumerate() {
                    ins.execute(rusqlite::params![(c * 8192 + i + 1) as i64, e.text])
                        .expect("ins");
                }
            }
            conn.execute_batch("COMMIT").expect("commit");
        }
        let rate = rows.len() as f64 / t.elapsed().as_secs_f64();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("ckpt");
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let q = |m: &str| {
            let t = Instant::now();
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM (SELECT rowid FROM f WHERE f MATCH ?1 ORDER BY rowid DESC LIMIT 50)",
                    [m],
                    |r| r.get(0),
                )
                .unwrap_or(-1);
            format!("{m}: {n} in {:.2} ms", t.elapsed().as_secs_f64() * 1000.0)
        };
        let queries = [
            q("\"the\""),
            q("\"kalomi\""),
            q("\"github\""),
            q("\"東京\""),
        ];
        println!(
            "  {tok:32} {rate:>8.0} rows/s  {:>5} B/row  [{}]",
            size / rows.len() as u64,
            queries.join("; ")
        );
    }
}

/// Cold open + first page + RSS in a fresh process.
fn cold_open(dir: &Path) {
    let rss0 = rss_kib();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let t = Instant::now();
        let store = Store::open(dir, Options::default()).expect("open");
        let open = t.elapsed();
        let page = store
            .history(UserId(1), "irc-net0", "#chan0", Page::latest())
            .await
            .expect("page");
        let first = t.elapsed();
        println!(
            "COLD open_ms={:.1} open_plus_first_page_ms={:.1} page_len={} rss_before_kib={} rss_after_kib={}",
            open.as_secs_f64() * 1000.0,
            first.as_secs_f64() * 1000.0,
            page.messages.len(),
            rss0,
            rss_kib()
        );
    });
}

/// `Options::default()`, with `STORE_BENCH_BATCH`, `STORE_BENCH_INDEX_BATCH`, `STORE_BENCH_INDEX_DELAY_MS`,
/// `STORE_BENCH_INDEX_CHUNK`, `STORE_BENCH_CACHE_KIB` overrides for tuning runs.
fn bench_options() -> Options {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let mut o = Options::default();
    if let Some(v) = env("STORE_BENCH_BATCH") {
        o.max_batch_rows = v;
    }
    if let Some(v) = env("STORE_BENCH_INDEX_BATCH") {
        o.index_batch = v;
    }
    if let Some(v) = env("STORE_BENCH_INDEX_CHUNK") {
        o.index_chunk = v;
    }
    if let Some(v) = env("STORE_BENCH_INDEX_DELAY_MS") {
        o.index_delay = Duration::from_millis(v as u64);
    }
    if let Some(v) = env("STORE_BENCH_CACHE_KIB") {
        o.cache_kib = v as i64;
    }
    o
}

/// Makes one random search query of a kind.
type MakeQuery<'a> = Box<dyn Fn(&mut Rng) -> String + 'a>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--cold-open") {
        let dir = PathBuf::from(&args[i + 1]);
        cold_open(&dir);
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return; // `cargo test --benches` asks benches to list tests
    }
    if std::env::var_os("STORE_BENCH_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(std::env::var("STORE_BENCH_LOG").unwrap_or_default())
            .init();
    }
    let n: usize = std::env::var("STORE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let keep = std::env::var("STORE_BENCH_DIR").ok().map(PathBuf::from);
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = keep.unwrap_or_else(|| tmp.path().to_owned());
    let (real_dir, raw_dir) = (base.join("real"), base.join("raw"));
    // STORE_BENCH_REUSE=1 with STORE_BENCH_DIR: measure pages and searches on the database
    // a previous run left there (no generation, no ingest): for query-side iterations.
    // With STORE_BENCH_POSTGRES too, the database `convos_bench` a previous run filled.
    let postgres_admin = std::env::var("STORE_BENCH_POSTGRES").ok();
    let reuse = std::env::var_os("STORE_BENCH_REUSE").is_some()
        && match &postgres_admin {
            Some(admin) => postgres_bench_filled(admin),
            None => real_dir.join("convos.db").exists(),
        };
    if !reuse {
        for d in [&real_dir, &raw_dir] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");

    let t = Instant::now();
    let mut gen = Gen::new();
    let rows: Vec<NewEntry> = (0..if reuse { 0 } else { n })
        .map(|_| gen.entry())
        .collect();
    println!(
        "store bench: {n} messages, {USERS} users, {} conversations",
        USERS * CONVS_PER_USER
    );
    println!("generated in {:.1} s", t.elapsed().as_secs_f64());

    // STORE_BENCH_POSTGRES=URL (a role that may create databases): the same run on
    // PostgreSQL, in a fresh database `convos_bench`; the SQLite-only parts are left out.
    let postgres = postgres_admin.map(|admin| {
        let a = admin.clone();
        std::thread::spawn(move || {
            if reuse {
                return;
            }
            let mut c = postgres::Client::connect(&a, postgres::NoTls).expect("postgres");
            // Two statements: CREATE DATABASE cannot run inside the implicit transaction
            // of a multi-statement query.
            c.batch_execute("DROP DATABASE IF EXISTS convos_bench")
                .expect("drop convos_bench");
            c.batch_execute("CREATE DATABASE convos_bench")
                .expect("create convos_bench");
        })
        .join()
        .expect("thread");
        let mut u = url::Url::parse(&admin).expect("url");
        u.set_path("convos_bench");
        u.to_string()
    });
    if let Some(url) = &postgres {
        println!(
            "on PostgreSQL: {}",
            url.split('@').next_back().unwrap_or("")
        );
    }
    // Raw baseline: same schema and indexes, no search index, 10k-row transactions.
    if postgres.is_none() && !reuse {
        let store = Store::open(&raw_dir, Options::default()).expect("open raw");
        rt.block_on(async {
            setup_users(&store).await;
            // Create the 200 conversations so the raw insert can look up their keys.
            let mut seen = std::collections::HashSet::new();
            for r in &rows {
                if seen.insert((
                    r.user_id,
                    r.connection_id.clone(),
                    r.conversation_id.clone(),
                )) {
                    let c = convos::model::Conversation::new(
                        r.user_id,
                        &r.connection_id,
                        &r.conversation_id,
                        &r.conversation_id,
                    );
                    store.save_conversation(c).await.expect("conv");
                }
            }
        });
        drop(store);
        std::thread::sleep(Duration::from_millis(100));
        let (rate, size) = raw_baseline(&raw_dir, &rows);
        println!(
            "raw batched insert, no search index: {rate:.0} msg/s, {} B/msg",
            size / n as u64
        );
    }

    // The real append path, with deferred search indexing.
    let opts = bench_options();
    println!(
        "options: max_batch_rows {} index_batch {} index_chunk {} cache {} KiB",
        opts.max_batch_rows, opts.index_batch, opts.index_chunk, opts.cache_kib
    );
    let t = Instant::now();
    let store = match &postgres {
        Some(url) => Store::open_postgres(url, opts).expect("open postgres"),
        None => Store::open(&real_dir, opts).expect("open"),
    };
    let open_time = t.elapsed();
    let live_n = (n / 10).min(200_000);
    if reuse {
        drop(rows);
        let stored = match &postgres {
            Some(url) => stored_rows_pg(url),
            None => stored_rows(&real_dir),
        };
        println!("reusing {} stored messages", stored.len());
        // An older database is migrated by the open, and its search index may be rebuilt
        // in the background (as after an upgrade): wait for it before measuring.
        let t = Instant::now();
        rt.block_on(store.index_pending()).expect("index");
        println!(
            "opened in {:.0} ms; index caught up {:.1} s later",
            open_time.as_secs_f64() * 1000.0,
            t.elapsed().as_secs_f64()
        );
        let total = stored.len();
        return queries(
            &rt,
            store,
            stored,
            total,
            &real_dir,
            &args,
            &base,
            postgres.is_some(),
        );
    }
    let (stored, live_rate, import_rate, drain) = rt.block_on(async {
        setup_users(&store).await;
        let mut rows = rows;
        let live_rows: Vec<NewEntry> = rows.drain(..live_n).collect();
        let t = Instant::now();
        let mut stored = ingest(&store, live_rows, true).await;
        store.index_pending().await.expect("index");
        let live_rate = live_n as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let import_n = rows.len();
        let cpu = thread_cpu();
        stored.extend(ingest(&store, rows, false).await);
        let t_drain = Instant::now();
        store.index_pending().await.expect("index");
        let drain = t_drain.elapsed();
        let import_rate = import_n as f64 / t.elapsed().as_secs_f64();
        println!(
            "import CPU by thread: {}",
            cpu_split(&cpu, &thread_cpu(), import_n)
        );
        (stored, live_rate, import_rate, drain)
    });
    println!(
        "append path, 20 tasks x single append (live): {live_rate:.0} msg/s incl. indexing ({live_n} msgs)"
    );
    println!(
        "append path, 20 tasks x append_many(500) (import): {import_rate:.0} msg/s incl. indexing; backlog at end indexed in {:.0} ms",
        drain.as_secs_f64() * 1000.0
    );

    // On PostgreSQL, the planner's statistics as autovacuum would have them a while after
    // a bulk load (right after it, a search plans on the empty table's numbers).
    if let Some(url) = &postgres {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("postgres");
            c.batch_execute("ANALYZE").expect("analyze");
        })
        .join()
        .expect("thread");
    }

    // Search freshness under load: a probe message appended during an import, polled.
    let lag = rt.block_on(async {
        let mut gen = Gen::new();
        gen.time = 1_700_000_000_000;
        let extra: Vec<NewEntry> = (0..200_000).map(|_| gen.entry()).collect();
        let bg = {
            let store = store.clone();
            tokio::spawn(async move { ingest(&store, extra, false).await.len() })
        };
        let mut lags = Vec::new();
        for k in 0..8 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let word = format!("probeword{k}");
            let mut e = stored[0].0.clone();
            e.text = format!("{word} searchable");
            e.msgid = None;
            store.append(e.clone()).await.expect("probe");
            let t = Instant::now();
            loop {
                let hits = store
                    .search(e.user_id, SearchQuery::parse(&word))
                    .await
                    .expect("search");
                if !hits.messages.is_empty() || t.elapsed() > Duration::from_secs(10) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            lags.push(t.elapsed());
        }
        bg.await.expect("bg");
        store.index_pending().await.expect("index");
        lags
    });
    let mut lag = lag;
    let each: Vec<String> = lag.iter().map(|d| format!("{}", d.as_millis())).collect();
    println!(
        "search freshness during a 200k import: p50 {:.0} ms, max {:.0} ms (each: {} ms)",
        pct(&mut lag, 0.5),
        pct(&mut lag, 1.0),
        each.join(", ")
    );

    let total = stored.len() + 200_008;
    queries(
        &rt,
        store,
        stored,
        total,
        &real_dir,
        &args,
        &base,
        postgres.is_some(),
    );
}

/// Every stored message (user, conversation, text) with its id, read back from a database
/// a previous run left (`STORE_BENCH_REUSE`).
fn stored_rows(dir: &Path) -> Vec<(NewEntry, MessageId)> {
    let conn = rusqlite::Connection::open(dir.join("convos.db")).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT m.id, m.user_id, c.connection_id, c.id, m.text FROM messages m \
             JOIN conversations c ON c.cid = m.conv ORDER BY m.id",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok((
            NewEntry {
                user_id: UserId(r.get(1)?),
                connection_id: r.get(2)?,
                conversation_id: r.get(3)?,
                time: 0,
                kind: Kind::Privmsg,
                source: None,
                from: String::new(),
                highlight: false,
                text: r.get(4)?,
                msgid: None,
                account: None,
                reply_to: None,
                backfill: false,
            },
            MessageId(r.get(0)?),
        ))
    })
    .expect("query")
    .collect::<rusqlite::Result<_>>()
    .expect("rows")
}

/// Whether `convos_bench` exists on the server `admin` names and holds messages.
fn postgres_bench_filled(admin: &str) -> bool {
    let mut u = url::Url::parse(admin).expect("url");
    u.set_path("convos_bench");
    let url = u.to_string();
    std::thread::spawn(move || {
        let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) else {
            return false;
        };
        c.query_one("SELECT EXISTS (SELECT 1 FROM messages)", &[])
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false)
    })
    .join()
    .expect("thread")
}

/// [`stored_rows`] from the PostgreSQL database `url`.
fn stored_rows_pg(url: &str) -> Vec<(NewEntry, MessageId)> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("postgres");
        c.query(
            "SELECT m.id, m.user_id, c.connection_id, c.id, m.text FROM messages m \
             JOIN conversations c ON c.cid = m.conv ORDER BY m.id",
            &[],
        )
        .expect("query")
        .into_iter()
        .map(|r| {
            (
                NewEntry {
                    user_id: UserId(r.get(1)),
                    connection_id: r.get(2),
                    conversation_id: r.get(3),
                    time: 0,
                    kind: Kind::Privmsg,
                    source: None,
                    from: String::new(),
                    highlight: false,
                    text: r.get(4),
                    msgid: None,
                    account: None,
                    reply_to: None,
                    backfill: false,
                },
                MessageId(r.get(0)),
            )
        })
        .collect()
    })
    .join()
    .expect("thread")
}

/// History pages, searches, size, cold open and the tokenizer comparison.
#[allow(clippy::too_many_arguments)]
fn queries(
    rt: &tokio::runtime::Runtime,
    store: Store,
    stored: Vec<(NewEntry, MessageId)>,
    total: usize,
    real_dir: &Path,
    args: &[String],
    base: &Path,
    postgres: bool,
) {
    // History pages.
    let stored = Arc::new(stored);
    let mut by_conv: std::collections::HashMap<(i64, String, String), Vec<MessageId>> =
        std::collections::HashMap::new();
    for (e, id) in stored.iter() {
        by_conv
            .entry((
                e.user_id.0,
                e.connection_id.clone(),
                e.conversation_id.clone(),
            ))
            .or_default()
            .push(*id);
    }
    let convs: Vec<_> = by_conv.into_iter().collect();
    let mut rng = Rng(42);
    let (mut latest, mut random, mut older100) = (Vec::new(), Vec::new(), Vec::new());
    rt.block_on(async {
        for i in 0..6000 {
            let ((u, c, v), ids) = &convs[rng.below(convs.len())];
            let page = match i % 3 {
                0 => Page::latest(),
                1 => Page::before(Cursor::Id(ids[rng.below(ids.len())])),
                // "Load 100 older messages" (issue 22's measure).
                _ => Page::before(Cursor::Id(ids[rng.below(ids.len())])).limit(100),
            };
            let t = Instant::now();
            store
                .history(UserId(*u), c, v, page)
                .await
                .expect("history");
            [&mut latest, &mut random, &mut older100][i % 3].push(t.elapsed());
        }
    });
    println!(
        "history page (60): latest p50 {:.2} ms p99 {:.2} ms; random position p50 {:.2} ms p99 {:.2} ms",
        pct(&mut latest, 0.5),
        pct(&mut latest, 0.99),
        pct(&mut random, 0.5),
        pct(&mut random, 0.99)
    );
    println!(
        "history page (100 older, random position): p50 {:.2} ms p99 {:.2} ms",
        pct(&mut older100, 0.5),
        pct(&mut older100, 0.99)
    );

    // Search.
    let vocab = Gen::new().vocab;
    let mut rng = Rng(7);
    let phrase = |rng: &mut Rng| loop {
        let (e, _) = &stored[rng.below(stored.len())];
        let w: Vec<&str> = e.text.split(' ').collect();
        if w.len() >= 3 && w.iter().all(|w| w.chars().all(char::is_alphanumeric)) {
            let i = rng.below(w.len() - 1);
            return format!("\"{} {}\"", w[i], w[i + 1]);
        }
    };
    let kinds: [(&str, MakeQuery); 6] = [
        (
            "common word",
            Box::new(|r: &mut Rng| COMMON[r.below(20)].to_string()),
        ),
        (
            "rare word",
            Box::new(|r: &mut Rng| vocab[40_000 + r.below(10_000)].clone()),
        ),
        (
            "nick filter only",
            Box::new(|r: &mut Rng| format!("from:{}", Gen::new().nicks[r.below(300)])),
        ),
        (
            "nick + common word",
            Box::new(|r: &mut Rng| format!("from:{} the", Gen::new().nicks[r.below(300)])),
        ),
        ("phrase", Box::new(phrase)),
        (
            "in:#chan + common word",
            Box::new(|r: &mut Rng| format!("in:#chan{} and", r.below(CONVS_PER_USER))),
        ),
    ];
    for (name, make) in kinds.iter() {
        let mut samples = Vec::new();
        let mut hits = 0;
        let mut over_budget = 0;
        let queries: Vec<(UserId, String)> = (0..300)
            .map(|_| (UserId(rng.below(USERS) as i64 + 1), make(&mut rng)))
            .collect();
        rt.block_on(async {
            for (user, q) in queries {
                let t = Instant::now();
                match store.search(user, SearchQuery::parse(&q)).await {
                    Ok(r) => hits += r.messages.len(),
                    // Past its time budget: answered 503; counted, timed as it went.
                    Err(convos::store::Error::Timeout) => over_budget += 1,
                    Err(e) => panic!("search: {e}"),
                }
                samples.push(t.elapsed());
            }
        });
        println!(
            "search {name:24} p50 {:6.2} ms  p99 {:6.2} ms  (avg {:.0} hits){}",
            pct(&mut samples, 0.5),
            pct(&mut samples, 0.99),
            hits as f64 / 300.0,
            match over_budget {
                0 => String::new(),
                n => format!("; {n} of 300 past the time budget"),
            }
        );
    }
    drop(store);
    if postgres {
        return;
    }
    std::thread::sleep(Duration::from_millis(300));
    println!(
        "database size: {} MiB, {} B/msg (with search index)",
        file_size(real_dir) >> 20,
        file_size(real_dir) / total as u64
    );

    // Cold open in a fresh process (page cache dropped if permitted).
    let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
    println!("page cache dropped before cold open: {dropped}");
    let out = std::process::Command::new(&args[0])
        .arg("--cold-open")
        .arg(real_dir)
        .output()
        .expect("cold open child");
    print!("{}", String::from_utf8_lossy(&out.stdout));

    let sample: Vec<NewEntry> = {
        let mut gen = Gen::new();
        (0..200_000).map(|_| gen.entry()).collect()
    };
    tokenizer_comparison(base, &sample);
}
