//! Commit benchmark: `cargo bench --bench commit` (`COMMIT_BENCH_N`, default 20 000). The
//! live path stores each IRC line as its own write job, and at chat rates most group
//! commits hold one or two lines (issue 22), so the fixed cost of a job and of a commit
//! is most of what a stored line costs. Measures, through `convos::store` on a fresh
//! database (1 user, 5 channels, 70-byte lines, search indexing on):
//!
//! - `one per commit`: each append awaited before the next (a quiet channel);
//! - `pipelined`: appends queued as the user actor queues a flood (up to 256 in flight,
//!   `append_in(…, true)`), so the writer's batches grow by themselves;
//! - `paced R/s`: appends queued at a steady R lines a second (2 000 and 200, 4 s each)
//!   by a thread of their own, each awaited by a task as the actor awaits its acks: what
//!   the group-commit window trades (lines per commit against append→ack latency).
//!
//! `COMMIT_BENCH_INLINE=0` turns off committing a lone append on the caller's thread.
//!
//! Prints CPU µs per message (process user+system: the writer thread and the runtime),
//! wall µs per message and messages per commit, and for one per commit the time from
//! append to acknowledgment (p50/p99/max: checkpoints show in the tail). Figures in BENCHMARKS.md (issue 22).

use convos::model::{Connection, Kind, NewEntry, Secret, UserId, WantedState};
use convos::store::{Options, Store};
use futures_util::stream::{FuturesOrdered, StreamExt};
use std::time::Instant;

#[path = "proc_cpu.rs"]
mod proc_cpu;

const CHANNELS: usize = 5;

/// Group commits so far, from the process's metrics.
fn commits() -> u64 {
    let text = convos::metrics::encode(Default::default());
    text.lines()
        .find_map(|l| l.strip_prefix("convos_store_commit_seconds_count "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn entry(user: UserId, i: usize) -> NewEntry {
    let nick = format!("bot{}", i % 4);
    NewEntry {
        user_id: user,
        connection_id: "irc-bench".into(),
        conversation_id: format!("#t{}", i % CHANNELS),
        time: convos::time::now_ms(),
        kind: Kind::Privmsg,
        source: Some(format!("{nick}!~{nick}@127.0.0.1")),
        from: nick,
        highlight: false,
        text: format!("s2 n={i} t=1764900000000000000 the quick brown fox jumps over the lazy dog"),
        msgid: Some(format!("{i:016x}")),
        account: None,
        reply_to: None,
        backfill: false,
    }
}

/// Queues `n` appends at `rate` a second from a blocking thread (precise sleeps), each
/// awaited by a task of its own; returns each one's append→ack time in ms.
async fn paced(store: &Store, user: UserId, from: usize, n: usize, rate: f64) -> Vec<f64> {
    let store = store.clone();
    let rt = tokio::runtime::Handle::current();
    let tasks = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let mut tasks = Vec::with_capacity(n);
        for k in 0..n {
            let due = t0 + std::time::Duration::from_secs_f64(k as f64 / rate);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            let t = Instant::now();
            let place = rt.block_on(store.reserve()).expect("reserve");
            let acked = place.append(vec![entry(user, from + k)]);
            tasks.push(rt.spawn(async move {
                acked.await.expect("append");
                t.elapsed().as_secs_f64() * 1e3
            }));
        }
        tasks
    })
    .await
    .expect("producer");
    let mut lat = Vec::with_capacity(n);
    for t in tasks {
        lat.push(t.await.expect("task"));
    }
    lat
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks benches to list tests
    }
    let n: usize = std::env::var("COMMIT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        // `COMMIT_BENCH_INLINE=0`: every append through the writer thread, to compare.
        let inline_commit = std::env::var("COMMIT_BENCH_INLINE").map_or(true, |v| v != "0");
        let opts = Options {
            inline_commit,
            ..Options::default()
        };
        println!("inline commit: {inline_commit}");
        let store = Store::open(tmp.path(), opts).expect("open");
        let user = store
            .create_user("bench@example.com", Secret::new("x"), false)
            .await
            .expect("user");
        store
            .save_connection(Connection {
                user_id: user.id,
                id: "irc-bench".into(),
                url: Secret::new("irc://127.0.0.1"),
                nick: "tp".into(),
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
        // Warm up: create the conversations, fill the caches.
        for i in 0..1000 {
            store.append(entry(user.id, i)).await.expect("append");
        }
        let mut next = 1000;
        for mode in ["one per commit", "pipelined", "paced 2000/s", "paced 200/s"] {
            let mut lat = Vec::with_capacity(n);
            let (c0, k0, t0) = (proc_cpu::cpu_secs("self"), commits(), Instant::now());
            let mut n = n;
            if let Some(rate) = mode.strip_prefix("paced ") {
                let rate: f64 = rate.trim_end_matches("/s").parse().expect("rate");
                n = (rate * 4.0) as usize;
                lat = paced(&store, user.id, next, n, rate).await;
            } else if mode == "pipelined" {
                let mut pending = FuturesOrdered::new();
                for i in next..next + n {
                    if pending.len() >= 256 {
                        pending.next().await;
                    }
                    let place = store.reserve().await.expect("reserve");
                    // A flood: the caller knows more lines follow (as the actor does).
                    pending.push_back(place.append_in(vec![entry(user.id, i)], true));
                }
                while pending.next().await.is_some() {}
            } else {
                for i in next..next + n {
                    let t = Instant::now();
                    store.append(entry(user.id, i)).await.expect("append");
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            next += n;
            let wall = t0.elapsed().as_secs_f64();
            let cpu = proc_cpu::cpu_secs("self") - c0;
            let k = commits().saturating_sub(k0).max(1);
            lat.sort_by(f64::total_cmp);
            let q = |p: f64| lat.get(((lat.len() as f64 - 1.0) * p) as usize).copied();
            let acks = match (q(0.5), q(0.99), lat.last()) {
                (Some(a), Some(b), Some(c)) => {
                    format!("; append→ack p50 {a:.3} p99 {b:.3} max {c:.1} ms")
                }
                _ => String::new(),
            };
            println!(
                "{:16} {:6.1} µs CPU/msg {:6.1} µs wall/msg {:6.2} msgs/commit{acks}",
                mode,
                cpu * 1e6 / n as f64,
                wall * 1e6 / n as f64,
                n as f64 / k as f64
            );
        }
    });
}
