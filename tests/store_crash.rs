//! Crash test for the store: a child process appends under load and is killed with
//! SIGKILL at random moments, again and again. Every message it had acknowledged must be
//! in the database after reopening, and the database must pass its integrity checks.
//!
//! The child is this same test binary, re-executed with `CONVOS_STORE_CRASH_CHILD` set to
//! the data directory; it prints `ACK <id> <text>` for each acknowledged append.

use convos::model::{Connection, Kind, MessageId, NewEntry, Secret, UserId, WantedState};
use convos::store::{Options, SearchQuery, Store};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "CONVOS_STORE_CRASH_CHILD";
const ROUNDS: usize = 24;

#[test]
fn acknowledged_messages_survive_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(dir.as_ref());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary");
    let started = Instant::now();
    let mut rng = seed();
    let mut acked: HashMap<i64, String> = HashMap::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "acknowledged_messages_survive_sigkill",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD_ENV, dir.path())
            .env("CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ACK ") {
                    if let Some((id, text)) = rest.split_once(' ') {
                        if let Ok(id) = id.parse::<i64>() {
                            lines.push((id, text.to_owned()));
                        }
                    }
                }
            }
            lines
        });
        // Kill at a random moment: sometimes during open/migration/catch-up, mostly under load.
        let wait = 20 + next(&mut rng) % 400;
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let lines = reader.join().expect("reader");
        eprintln!(
            "round {round}: killed after {wait} ms, {} acks",
            lines.len()
        );
        acked.extend(lines);
    }
    assert!(
        acked.len() > 1000,
        "the child stored too little: {}",
        acked.len()
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = Store::open(dir.path(), Options::default()).expect("reopen after crashes");
        let problems = store.integrity_check().await.expect("integrity check");
        assert!(problems.is_empty(), "integrity: {problems:?}");
        let mut stored: HashMap<i64, String> = HashMap::new();
        let mut after = MessageId(0);
        loop {
            let page = store
                .messages_after_id(UserId(1), after, 1000)
                .await
                .expect("read back");
            let Some(last) = page.last() else { break };
            after = last.id;
            stored.extend(page.into_iter().map(|e| (e.id.0, e.text)));
        }
        let mut missing = 0;
        for (id, text) in &acked {
            match stored.get(id) {
                Some(t) => assert_eq!(t, text, "message {id} changed"),
                None => missing += 1,
            }
        }
        assert_eq!(
            missing,
            0,
            "{missing} of {} acknowledged messages lost",
            acked.len()
        );
        // The search index caught up with everything stored.
        store.index_pending().await.expect("index catch-up");
        let hits = store
            .search(UserId(1), SearchQuery::parse("crashproof"))
            .await
            .expect("search");
        assert!(!hits.messages.is_empty());
        eprintln!(
            "{} rounds, {} acknowledged, {} stored, {:?}",
            ROUNDS,
            acked.len(),
            stored.len(),
            started.elapsed()
        );
    });
}

/// The child: appends from several tasks as fast as it can until killed.
fn child(dir: &std::path::Path) {
    let round: usize = std::env::var("CRASH_ROUND")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let store = Store::open(dir, Options::default()).expect("child open");
        let user = match store.user_by_email("crash@example.com").await.expect("get") {
            Some(u) => u.id,
            None => {
                let u = store
                    .create_user("crash@example.com", Secret::new("x"), false)
                    .await
                    .expect("user");
                store
                    .save_connection(Connection {
                        user_id: u.id,
                        id: "irc-test".into(),
                        url: Secret::new("irc://localhost"),
                        nick: "crash".into(),
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
                u.id
            }
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
        for task in 0..6 {
            let (store, tx) = (store.clone(), tx.clone());
            tokio::spawn(async move {
                for seq in 0.. {
                    let new = |k: usize| NewEntry {
                        user_id: user,
                        connection_id: "irc-test".into(),
                        conversation_id: format!("#c{}", (task + k) % 4),
                        time: 1_700_000_000_000 + seq,
                        kind: Kind::Privmsg,
                        from: format!("nick{task}"),
                        source: None,
                        text: format!("r{round} t{task} s{seq} k{k} crashproof text"),
                        msgid: None,
                        account: None,
                        reply_to: None,
                        highlight: seq % 17 == 0,
                        backfill: false,
                    };
                    // Mix single appends with batches.
                    let entries: Vec<NewEntry> = if task % 2 == 0 {
                        vec![new(0)]
                    } else {
                        (0..50).map(new).collect()
                    };
                    let Ok(stored) = store.append_many(entries).await else {
                        continue;
                    };
                    for a in stored {
                        if tx.send((a.entry.id.0, a.entry.text)).is_err() {
                            return;
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut out = std::io::stdout().lock();
        while let Some((id, text)) = rx.recv().await {
            // Printed (and flushed) only after the append was acknowledged.
            let _ = writeln!(out, "ACK {id} {text}");
            let _ = out.flush();
        }
    });
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(1);
    nanos | 1
}

/// xorshift64: enough randomness for kill timing without a dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
