//! Import benchmark: `cargo bench --bench import` generates a Convos home with 1 M log
//! lines (`IMPORT_BENCH_N` changes it; 4 users, 6 conversations each, ten years of monthly
//! files, generator in `tests/common/legacy.rs`) and imports it through the same code as
//! `convos import convos`, into a fresh database and into one with live messages; prints
//! messages/s for the dry run, each import and a second (idempotent) run. The figures are
//! in BENCHMARKS.md ("Import").
//! `IMPORT_BENCH_DIR=path` keeps the generated home and database there.

#[path = "../tests/common/legacy.rs"]
mod legacy;

use convos::config::{ImportArgs, ImportFrom};
use std::time::Instant;

fn main() {
    // `cargo test --benches` runs this as a test: keep it tiny then.
    let default = if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        20_000
    };
    let n: usize = std::env::var("IMPORT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = std::env::var_os("IMPORT_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    let src = base.join("convos-home");
    let home = base.join("convos-new");
    let _ = std::fs::remove_dir_all(&src);
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&src).expect("mkdir");

    let t = Instant::now();
    legacy::convos_big(&src, n);
    let bytes: u64 = walk(&src);
    println!(
        "generated {n} lines ({:.1} MiB) in {:.1} s",
        bytes as f64 / (1024.0 * 1024.0),
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let args = |home: &std::path::Path, dry_run| ImportArgs {
        from: ImportFrom::Convos { path: src.clone() },
        home: Some(home.to_owned()),
        dry_run,
    };
    let run = |label: &str, home: &std::path::Path, dry: bool| {
        let t = Instant::now();
        let summary = rt
            .block_on(convos::import::import(args(home, dry)))
            .expect("import");
        let secs = t.elapsed().as_secs_f64();
        let msgs = summary.messages();
        println!(
            "{label:<34} {msgs:>9} messages in {secs:>6.2} s = {:>8.0} msg/s",
            msgs as f64 / secs
        );
        msgs
    };
    run("dry run", &home, true);
    // Into a fresh database (the search index built in deferred batches), then into one
    // that already has a live message newer than every imported line (each imported row
    // is then below the index mark: the indexer is told of it through `fts_pending`).
    let live = base.join("convos-live");
    let _ = std::fs::remove_dir_all(&live);
    rt.block_on(seed_live(&live));
    for (label, dir) in [
        ("import, fresh database", &home),
        ("import, beside live messages", &live),
    ] {
        assert_eq!(
            run(label, dir, false) as usize,
            n,
            "every generated line imported"
        );
        assert_eq!(run("  again (idempotent)", dir, false), 0, "nothing twice");
        let db: u64 = ["convos.db", "search.db"]
            .iter()
            .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "  database {:.1} MiB ({:.0} B/msg)",
            db as f64 / (1024.0 * 1024.0),
            db as f64 / n.max(1) as f64
        );
    }
}

/// A database with one user, one connection and one live (indexed) message of now.
async fn seed_live(dir: &std::path::Path) {
    use convos::model::{Connection, Kind, NewEntry, Secret, WantedState};
    let store = convos::store::Store::open(dir, convos::store::Options::default()).expect("open");
    let user = store
        .create_user("live@example.com", Secret::new("x"), true)
        .await
        .expect("user");
    store
        .save_connection(Connection {
            user_id: user.id,
            id: "irc-live".into(),
            url: Secret::new("irc://127.0.0.1:1?tls=0"),
            nick: "live".into(),
            on_connect_commands: vec![],
            wanted_state: WantedState::Disconnected,
            retention_days: 0,
            client_cert: None,
            ignore: Vec::new(),
            sts: None,
            name: None,
            state: serde_json::json!({}),
        })
        .await
        .expect("connection");
    store
        .append(NewEntry {
            user_id: user.id,
            connection_id: "irc-live".into(),
            conversation_id: "#now".into(),
            time: convos::time::now_ms(),
            kind: Kind::Privmsg,
            from: "live".into(),
            source: None,
            text: "a live message".into(),
            msgid: None,
            account: None,
            reply_to: None,
            highlight: false,
            backfill: false,
        })
        .await
        .expect("append");
    store.index_pending().await.expect("index");
}

fn walk(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                total += walk(&p);
            } else if let Ok(m) = e.metadata() {
                total += m.len();
            }
        }
    }
    total
}
