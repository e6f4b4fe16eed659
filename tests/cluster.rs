//! Several daemons on one PostgreSQL database and one real InspIRCd (`crate::cluster`):
//! 50 users spread over three daemons, each connected exactly once (InspIRCd's own user
//! count, polled all along, never shows a connection twice); a browser signed in on one
//! daemon is served by the daemon that runs its user (HTTP and the event stream); kill -9
//! of that daemon mid-traffic: its users come back on the others, nothing the browser saw
//! is lost or doubled, and its stream goes on through the daemon it uses; a drain hands a
//! daemon's users over and the daemon exits. And a daemon cut off from the database (a
//! relay that goes silent) closes its users' connections before another takes them.
//!
//! Needs `CONVOS_TEST_PG_ADMIN` and InspIRCd (see `tests/postgres.rs`); fails without them
//! under `CI=true`.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::browser::Browser;
use common::ircd::{self, Client, Ircd};
use common::pg::database;
use common::Daemon;
use serde_json::json;

const USERS: usize = 50;
/// The test's own IRC clients: the counter and the talker.
const OURS: usize = 2;

/// Polls InspIRCd's user count (LUSERS) until stopped; remembers the latest and the most.
struct Census {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Census {
    fn start(port: u16) -> Census {
        let (now, most, stop) = (Arc::default(), Arc::default(), Arc::default());
        let (n, m, s): (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicBool>) =
            (Arc::clone(&now), Arc::clone(&most), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut c = Client::connect(port, "census");
            // Bounded: the test ends it; 20 min at most.
            for _ in 0..(20 * 60 * 20) {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                c.send("LUSERS");
                // ":srv 251 census :There are 3 users and 0 invisible on 1 servers"
                let line = c.wait_for(|l| l.contains(" 251 "));
                let words: Vec<&str> = line.split_whitespace().collect();
                let num = |w: &str| words.iter().position(|x| *x == w);
                let total = match (num("are"), num("and")) {
                    (Some(a), Some(b)) => {
                        words[a + 1].parse::<usize>().unwrap_or(0)
                            + words[b + 1].parse::<usize>().unwrap_or(0)
                    }
                    _ => 0,
                };
                n.store(total, Ordering::Relaxed);
                m.fetch_max(total, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Census {
            now,
            most,
            stop,
            thread: Some(thread),
        }
    }

    /// Waits (≤ 90 s) until InspIRCd counts `n` users; returns how long it took.
    async fn until(&self, n: usize) -> Duration {
        let t = Instant::now();
        while self.now.load(Ordering::Relaxed) != n {
            assert!(
                t.elapsed() < Duration::from_secs(90),
                "InspIRCd counts {} users, not {n}",
                self.now.load(Ordering::Relaxed)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        t.elapsed()
    }

    /// Waits (≤ 30 s) until InspIRCd counts fewer than `n` users.
    async fn below(&self, n: usize) {
        let t = Instant::now();
        while self.now.load(Ordering::Relaxed) >= n {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "nobody left InspIRCd"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::Relaxed)
    }
}

impl Drop for Census {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// SQL on the test's database (from a thread: the driver is blocking).
fn sql(db: &str, q: &str, arg: &str) -> Vec<(String, i64)> {
    let (db, q, arg) = (db.to_owned(), q.to_owned(), arg.to_owned());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
        c.query(q.as_str(), &[&arg])
            .expect("query")
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect()
    })
    .join()
    .expect("thread")
}

/// The URL of the daemon that holds `email`'s lease.
fn owner(db: &str, email: &str) -> Option<String> {
    sql(
        db,
        "SELECT d.url, l.user_id FROM user_leases l JOIN daemons d ON d.id = l.daemon_id \
         JOIN users u ON u.id = l.user_id WHERE u.email = $1 \
         AND l.expires_ms > (extract(epoch from clock_timestamp()) * 1000)::bigint",
        email,
    )
    .pop()
    .map(|(url, _)| url)
}

/// Users per daemon URL (unexpired leases), but the daemon at `except`.
fn spread(db: &str, except: &str) -> BTreeMap<String, i64> {
    sql(
        db,
        "SELECT d.url, count(l.user_id) FROM daemons d \
         JOIN user_leases l ON l.daemon_id = d.id AND d.url <> $1 \
         AND l.expires_ms > (extract(epoch from clock_timestamp()) * 1000)::bigint \
         GROUP BY d.url",
        except,
    )
    .into_iter()
    .collect()
}

/// `convos cluster ARGS` on the database.
fn cluster_cli(db: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .arg("cluster")
        .args(args)
        .env("CONVOS_DATABASE", db)
        .output()
        .expect("convos cluster");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The talker's lines stored for user `email`, in the record's order (by id), as "m<k>"
/// numbers.
fn said(db: &str, email: &str) -> Vec<u64> {
    sql(
        db,
        "SELECT m.text, m.id FROM messages m JOIN users u ON u.id = m.user_id \
         WHERE u.email = $1 AND m.nick = 'talker' ORDER BY m.id",
        email,
    )
    .into_iter()
    .filter_map(|(t, _)| t.strip_prefix('m')?.parse().ok())
    .collect()
}

/// The talker's lines of `#c` a browser gets from the API (the newest page).
async fn page(b: &Browser, cid: &str) -> Vec<u64> {
    let (st, page) = b
        .get(&format!("/api/connection/{cid}/conversation/%23c/messages"))
        .await;
    assert_eq!(st, 200, "{page}");
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == "talker")
        .filter_map(|m| m["message"].as_str()?.strip_prefix('m')?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_daemons_share_users_fail_over_and_drain() {
    let Some(db) = database("cluster") else {
        return;
    };
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let port = ircd.port;
    let env = [
        ("CONVOS_DATABASE", db.as_str()),
        ("CONVOS_OPEN_TO_PUBLIC", "1"),
        ("CONVOS_CLUSTER_LEASE", "10"),
        ("CONVOS_IRC_ALLOW", "127.0.0.1"),
    ];
    let mut ds = Vec::new();
    for _ in 0..3 {
        ds.push(Some(Daemon::start_env_listening(&env).await));
    }
    let census = Census::start(port);
    census.until(1).await;
    let talking = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicUsize::new(0));
    let talker = {
        let (talking, sent) = (talking.clone(), sent.clone());
        std::thread::spawn(move || {
            let mut c = Client::connect(port, "talker");
            c.send("JOIN #c");
            c.wait_for(|l| l.contains(" 366 "));
            // Bounded: 20 lines a second for at most 10 minutes.
            for k in 0..12_000 {
                if !talking.load(Ordering::Relaxed) {
                    break;
                }
                c.send(&format!("PRIVMSG #c :m{k}"));
                sent.store(k + 1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    // 50 users sign up, each on the next daemon, and connect: each runs on one daemon.
    let mut users: Vec<(Browser, String)> = Vec::new();
    for i in 0..USERS {
        let d = ds[i % 3].as_ref().expect("running");
        let b = Browser::register(d, &format!("u{i:02}@example.com")).await;
        let url = format!("irc://127.0.0.1:{port}/%23c?tls=0&nick=u{i:02}");
        let (st, conn) = b.post("/api/connections", json!({ "url": url })).await;
        assert_eq!(st, 200, "u{i:02}: {conn}");
        let cid = conn["connection_id"].as_str().expect("id").to_string();
        users.push((b, cid));
    }
    census.until(USERS + OURS).await;
    let by_daemon = spread(&db, "");
    assert_eq!(by_daemon.len(), 3, "{by_daemon:?}");
    assert_eq!(by_daemon.values().sum::<i64>(), USERS as i64);
    assert!(by_daemon.values().all(|n| *n >= 5), "spread: {by_daemon:?}");
    let (ok, status) = cluster_cli(&db, &["status"]);
    assert!(ok && status.lines().count() == 3, "{status}");

    // u00's browser talks to a daemon that does not run u00: served by the one that does.
    let home = owner(&db, "u00@example.com").expect("u00 runs somewhere");
    let victim = ds
        .iter()
        .position(|d| d.as_ref().is_some_and(|d| d.url("") == home))
        .expect("owner is one of ours");
    let via = (victim + 1) % 3;
    let third = (victim + 2) % 3;
    let (b0, cid0) = &users[0];
    let b0 = b0.on(ds[via].as_ref().expect("running"));
    let (st, me) = b0.get("/api/user").await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["email"], "u00@example.com");
    // Forwarding trusts the daemons' shared key, nothing a client says: a guessed key
    // is dropped and the request forwarded as any other.
    let forged = b0
        .http
        .get(ds[via].as_ref().expect("running").url("/api/user"))
        .header("x-convos-cluster-key", "guess")
        .header("x-convos-cluster-client", "10.9.8.7")
        .send()
        .await
        .expect("GET");
    assert_eq!(forged.status(), 200);
    // Each session is its own user through any daemon; an anonymous client is refused.
    let anon = reqwest::get(ds[via].as_ref().expect("running").url("/api/user"))
        .await
        .expect("GET");
    assert_eq!(anon.status(), 401);
    let other = users[1].0.on(ds[via].as_ref().expect("running"));
    let (st, them) = other.get("/api/user").await;
    assert_eq!((st, &them["email"]), (200, &json!("u01@example.com")));
    let mut events = b0.events().await;
    let mut seen: Vec<u64> = Vec::new();
    while seen.len() < 20 {
        let v = events
            .wait(|v| v["event"] == "message" && v["from"] == "talker")
            .await;
        if let Some(k) = v["message"].as_str().and_then(|m| m[1..].parse().ok()) {
            seen.push(k);
        }
    }

    // kill -9 the daemon running u00, mid-traffic.
    let killed_at = Instant::now();
    let mut dead = ds[victim].take().expect("running");
    dead.child.kill().expect("kill -9");
    let _ = dead.child.wait();
    // Whatever the socket still delivers was committed before the kill.
    while let Ok(Some(v)) = tokio::time::timeout(Duration::from_secs(2), events.next_value()).await
    {
        if v["event"] == "message" && v["from"] == "talker" {
            if let Some(k) = v["message"].as_str().and_then(|m| m[1..].parse().ok()) {
                seen.push(k);
            }
        }
    }
    census.below(USERS + OURS).await;
    let mut taken = None;
    while census.now.load(Ordering::Relaxed) != USERS + OURS {
        if taken.is_none() && spread(&db, &home).values().sum::<i64>() == USERS as i64 {
            taken = Some(killed_at.elapsed());
        }
        assert!(killed_at.elapsed() < Duration::from_secs(90), "no takeover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "takeover (lease 10 s): every lease taken {:.1} s and every user connected again \
         {:.1} s after the kill",
        taken.unwrap_or_default().as_secs_f64(),
        killed_at.elapsed().as_secs_f64()
    );
    let by_daemon = spread(&db, "");
    assert_eq!(
        by_daemon.values().sum::<i64>(),
        USERS as i64,
        "{by_daemon:?}"
    );

    // The browser's stream goes on through the same daemon, from u00's new one.
    let mut events = loop {
        let (st, _) = b0.get("/api/user").await;
        if st == 200 {
            break b0.events().await;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(60),
            "u00 never came back: {st}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let after = events
        .wait(|v| v["event"] == "message" && v["from"] == "talker")
        .await;
    let first_after: u64 = after["message"].as_str().expect("text")[1..]
        .parse()
        .expect("number");
    assert!(first_after > *seen.last().expect("seen"));
    // The API answers through the daemon the browser uses.
    let shown = page(&b0, cid0).await;
    assert!(shown.contains(&first_after), "{shown:?}");
    // Everything the browser saw before the kill is stored once, in order.
    let stored = said(&db, "u00@example.com");
    let stored_set: HashSet<u64> = stored.iter().copied().collect();
    assert_eq!(stored_set.len(), stored.len(), "no line twice: {stored:?}");
    for k in &seen {
        assert!(
            stored_set.contains(k),
            "m{k} was shown, then lost: {stored:?}"
        );
    }
    assert!(
        stored.windows(2).all(|w| w[0] < w[1]),
        "the record keeps the order across daemons: {stored:?}"
    );

    // A drain hands the third daemon's users to the one left, then it exits.
    let moved_email = (0..USERS)
        .map(|i| format!("u{i:02}@example.com"))
        .find(|e| {
            owner(&db, e).as_deref() == Some(ds[third].as_ref().expect("running").url("").as_str())
        })
        .expect("the third daemon runs someone");
    let moved = moved_email[1..3].parse::<usize>().expect("index");
    let before = said(&db, &moved_email);
    let id = sql(
        &db,
        "SELECT id, slot::bigint FROM daemons WHERE url = $1",
        &ds[third].as_ref().expect("running").url(""),
    )
    .pop()
    .expect("third daemon's row")
    .0;
    let (ok, out) = cluster_cli(&db, &["drain", &id]);
    assert!(ok, "{out}");
    let status = ds[third]
        .as_mut()
        .expect("running")
        .child
        .wait()
        .expect("drained daemon exits");
    assert!(status.success(), "{status:?}");
    ds[third] = None;
    census.below(USERS + OURS).await;
    census.until(USERS + OURS).await;
    let by_daemon = spread(&db, "");
    assert_eq!(by_daemon.len(), 1, "{by_daemon:?}");
    assert_eq!(by_daemon.values().sum::<i64>(), USERS as i64);
    let mut after = said(&db, &moved_email);
    for _ in 0..100 {
        if after.len() > before.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = said(&db, &moved_email);
    }
    let (bm, cidm) = &users[moved];
    let shown = page(&bm.on(ds[via].as_ref().expect("running")), cidm).await;
    let stored: HashSet<u64> = said(&db, &moved_email).into_iter().collect();
    assert!(shown.iter().all(|k| stored.contains(k)), "{shown:?}");
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "nothing stored was lost: {before:?} then {after:?}"
    );
    assert!(after.len() > before.len(), "lines arrive after the drain");
    assert!(
        after.windows(2).all(|w| w[0] < w[1]),
        "once each, in order: {after:?}"
    );

    talking.store(false, Ordering::Relaxed);
    let _ = talker.join();
    assert!(
        census.most() <= USERS + OURS,
        "a user was connected twice at some moment: {} > {}",
        census.most(),
        USERS + OURS
    );
    eprintln!(
        "{} lines said; InspIRCd counted at most {} users",
        sent.load(Ordering::Relaxed),
        census.most()
    );
    for d in ds.into_iter().flatten() {
        d.stop().await;
    }
}

/// A TCP relay to PostgreSQL that can be cut: from then on it passes nothing in either
/// direction and keeps every socket open (a network cut the driver cannot notice).
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: u16) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let c = cut.clone();
        let task = tokio::spawn(async move {
            // Bounded by the test: aborted when the relay is dropped.
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(Self::pipe(cr, sw, c.clone()));
                tokio::spawn(Self::pipe(sr, cw, c.clone()));
            }
        });
        Relay { port, cut, task }
    }

    async fn pipe(
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
        cut: Arc<AtomicBool>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if cut.load(Ordering::Relaxed) {
                // Hold both sockets open, silent, until the test ends (≤ 10 min).
                tokio::time::sleep(Duration::from_secs(600)).await;
                return;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_cut_off_from_the_database_stops_its_users_first() {
    const N: usize = 10;
    let Some(db) = database("cut") else {
        return;
    };
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let port = ircd.port;
    let census = Census::start(port);
    census.until(1).await;
    let mut via_relay = url::Url::parse(&db).expect("url");
    let relay = Relay::start(via_relay.port().expect("port")).await;
    via_relay.set_port(Some(relay.port)).expect("port");
    let env = |db: &str| {
        vec![
            ("CONVOS_DATABASE", db.to_owned()),
            ("CONVOS_OPEN_TO_PUBLIC", "1".to_owned()),
            ("CONVOS_CLUSTER_LEASE", "10".to_owned()),
            ("CONVOS_IRC_ALLOW", "127.0.0.1".to_owned()),
        ]
    };
    let pairs = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let a_env = pairs(&env(via_relay.as_str()));
    let a_env: Vec<(&str, &str)> = a_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = Daemon::start_env_listening(&a_env).await;
    let mut users = Vec::new();
    for i in 0..N {
        let b = Browser::register(&a, &format!("c{i}@example.com")).await;
        let url = format!("irc://127.0.0.1:{port}/%23cut?tls=0&nick=c{i}");
        let (st, conn) = b.post("/api/connections", json!({ "url": url })).await;
        assert_eq!(st, 200, "c{i}: {conn}");
        users.push(b);
    }
    census.until(N + 1).await;
    let b_env = pairs(&env(&db));
    let b_env: Vec<(&str, &str)> = b_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let b = Daemon::start_env_listening(&b_env).await;
    assert_eq!(spread(&db, "").get(&a.url("")), Some(&(N as i64)));

    // Cut A off: its renewals hang. It must close its users' connections itself, before
    // their leases run out and B takes them; InspIRCd never sees a user twice.
    relay.cut.store(true, Ordering::Relaxed);
    census.below(N + 1).await;
    census.until(1).await;
    census.until(N + 1).await;
    assert_eq!(spread(&db, &a.url("")).get(&b.url("")), Some(&(N as i64)));
    assert!(
        census.most() <= N + 1,
        "a user was connected twice: {} > {}",
        census.most(),
        N + 1
    );
    // Browsers go on through B.
    let (st, me) = users[0].on(&b).get("/api/user").await;
    assert_eq!((st, &me["email"]), (200, &json!("c0@example.com")));
    b.stop().await;
    drop(a);
}
