//! The floor of the live path on this machine: `cargo bench --bench floor`. What does it
//! cost, at the rates of issue 22's targets, just to wake up for a line, read it from one
//! socket and write it to another, and to commit it to SQLite on the way? No IRC parsing,
//! no JSON, no WebSocket framing, no search index, no checkpoints: each mode is a lower
//! bound for the daemon's CPU per line at that rate.
//!
//! The bench re-runs itself as a child process (the relay) and measures the child's CPU
//! (utime + stime) while this process sends `FLOOR_BENCH_LINES` lines (default: 20 s of
//! each rate) at 200 and 2 000 lines a second on a 1 ms tick, as the bots of
//! `scripts/bench` do, and reads them back. Relays:
//!
//! - `blocking`: one thread, a blocking read and write per line;
//! - `tokio`: a multi-thread runtime, one task reading lines and handing each to a task
//!   that writes it (the daemon's IRC task → actor → socket task, in miniature);
//! - `… + commit`: before handing a line on, `BEGIN IMMEDIATE`, an `INSERT` into a table
//!   with two indexes, the conversation's unread count, `COMMIT` (WAL,
//!   `synchronous = NORMAL`, cached statements): one commit per line, as a line that is
//!   shown only once it is stored needs at these rates.
//!
//! Prints CPU µs per line and CPU-s per 10 k lines. Figures in BENCHMARKS.md (issue 22).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[path = "proc_cpu.rs"]
mod proc_cpu;

const LINE: &[u8] =
    b":nick!~nick@127.0.0.1 PRIVMSG #chan :s2 n=1 the quick brown fox jumps over the lazy dog\r\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--relay") {
        relay(&args[i + 1], &args[i + 2]);
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs this as a test: a few lines through each relay.
        for mode in MODES {
            run(mode, 500, 50);
        }
        return;
    }
    let secs: usize = std::env::var("FLOOR_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    println!("floor: CPU of a relay process per line (utime + stime, 10 ms ticks)");
    for rate in [200, 2000] {
        for mode in MODES {
            let (cpu, n) = run(mode, rate, rate * secs);
            println!(
                "  {rate:>5} lines/s  {mode:<16} {:>6.1} µs a line  {:.3} CPU-s per 10 k",
                cpu * 1e6 / n as f64,
                cpu * 1e4 / n as f64
            );
        }
    }
}

const MODES: [&str; 4] = ["blocking", "tokio", "blocking+commit", "tokio+commit"];

/// Runs the relay `mode` as a child and sends it `total` lines at `rate` a second;
/// returns its CPU seconds over the sending and the lines relayed.
fn run(mode: &str, rate: usize, total: usize) -> (f64, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let db = dir.path().join("floor.db");
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--relay", mode, &port])
        .env("FLOOR_DB", &db)
        .spawn()
        .expect("spawn the relay");
    // The relay connects twice: first where it writes to, then where it reads from.
    let (down, _) = listener.accept().expect("accept down");
    let (mut up, _) = listener.accept().expect("accept up");
    up.set_nodelay(true).expect("nodelay");
    let reader = std::thread::spawn(move || {
        let mut down = down;
        let mut buf = vec![0u8; 64 * 1024];
        let mut lines = 0;
        down.set_read_timeout(Some(Duration::from_secs(10))).ok();
        while lines < total {
            match down.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            }
        }
        lines
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id();
    let cpu0 = proc_cpu::cpu_secs(&pid.to_string());
    let start = Instant::now();
    let per_tick = rate as f64 / 1000.0;
    let (mut sent, mut owed, mut tick) = (0, 0.0, 0u64);
    let mut batch = Vec::new();
    while sent < total {
        owed += per_tick;
        let n = (owed as usize).min(total - sent);
        owed -= n as f64;
        if n > 0 {
            batch.clear();
            for _ in 0..n {
                batch.extend_from_slice(LINE);
            }
            up.write_all(&batch).expect("send");
            sent += n;
        }
        tick += 1;
        let next = start + Duration::from_millis(tick);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let got = reader.join().expect("reader");
    let cpu = proc_cpu::cpu_secs(&pid.to_string()) - cpu0;
    drop(up);
    let _ = child.wait();
    assert_eq!(got, total, "{mode}: every line relayed");
    (cpu, got)
}

fn open_db() -> rusqlite::Connection {
    let path = std::env::var("FLOOR_DB").expect("FLOOR_DB");
    let c = rusqlite::Connection::open(path).expect("open");
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192;
         CREATE TABLE messages (id INTEGER PRIMARY KEY, conv INTEGER NOT NULL,
           time INTEGER NOT NULL, nick TEXT NOT NULL, text TEXT NOT NULL);
         CREATE INDEX messages_conv ON messages(conv);
         CREATE INDEX messages_conv_time ON messages(conv, time);
         CREATE TABLE conversations (id INTEGER PRIMARY KEY, unread INTEGER NOT NULL);
         INSERT INTO conversations VALUES (1, 0);",
    )
    .expect("schema");
    c
}

fn commit(c: &rusqlite::Connection, id: i64, line: &[u8]) {
    let text = std::str::from_utf8(line).unwrap_or("");
    c.prepare_cached("BEGIN IMMEDIATE")
        .and_then(|mut s| s.execute([]))
        .expect("begin");
    c.prepare_cached("INSERT INTO messages VALUES (?1, 1, ?1, 'nick', ?2)")
        .and_then(|mut s| s.execute(rusqlite::params![id, text]))
        .expect("insert");
    c.prepare_cached("UPDATE conversations SET unread = unread + 1 WHERE id = 1")
        .and_then(|mut s| s.execute([]))
        .expect("update");
    c.prepare_cached("COMMIT")
        .and_then(|mut s| s.execute([]))
        .expect("commit");
}

/// The child: connects to `port` twice (down, then up) and relays lines up → down.
fn relay(mode: &str, port: &str) {
    let addr = format!("127.0.0.1:{port}");
    let down = TcpStream::connect(&addr).expect("connect down");
    std::thread::sleep(Duration::from_millis(50));
    let up = TcpStream::connect(&addr).expect("connect up");
    down.set_nodelay(true).expect("nodelay");
    let db = mode.ends_with("+commit").then(open_db);
    if mode.starts_with("blocking") {
        let mut up = BufReader::new(up);
        let mut down = down;
        let mut line = Vec::new();
        let mut id = 0;
        loop {
            line.clear();
            match up.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            id += 1;
            if let Some(c) = &db {
                commit(c, id, &line);
            }
            if down.write_all(&line).is_err() {
                return;
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        up.set_nonblocking(true).expect("nonblocking");
        down.set_nonblocking(true).expect("nonblocking");
        let up = tokio::net::TcpStream::from_std(up).expect("up");
        let mut down = tokio::net::TcpStream::from_std(down).expect("down");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        let reader = tokio::spawn(async move {
            let mut up = tokio::io::BufReader::new(up);
            let mut id = 0;
            loop {
                let mut line = Vec::new();
                match up.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                id += 1;
                if let Some(c) = &db {
                    commit(c, id, &line);
                }
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let writer = tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                if down.write_all(&line).await.is_err() {
                    return;
                }
            }
        });
        let _ = reader.await;
        let _ = writer.await;
    });
}
