//! The daemon on PostgreSQL (`CONVOS_DATABASE`) through real sockets: a user registers,
//! connects to a real InspIRCd, a bot talks, and history, search and read state come from
//! PostgreSQL; a second daemon with a new, empty CONVOS_HOME on the same database finds the
//! account and everything said. Also: a URL that is not PostgreSQL and a database that
//! cannot be reached are clear errors at start.
//!
//! Needs `CONVOS_TEST_PG_ADMIN` (a role that may create databases), which `scripts/test`
//! sets with a throw-away cluster; without it the test is skipped, except under `CI=true`,
//! where it fails.

mod common;

use common::browser::Browser;
use common::ircd::{self, Client, Ircd};
use common::Daemon;
use serde_json::json;
use std::time::Duration;

use common::pg::database;

#[tokio::test]
async fn the_daemon_keeps_everything_in_postgres() {
    let Some(db) = database("daemon") else { return };
    if !ircd::available() {
        return;
    }
    let ircd = Ircd::start();
    let env = [
        ("CONVOS_DATABASE", db.as_str()),
        ("CONVOS_OPEN_TO_PUBLIC", "1"),
    ];
    let d = Daemon::start_env_listening(&env).await;
    let a = Browser::register(&d, "alice@example.com").await;
    let url = format!("irc://127.0.0.1:{}/%23pg?tls=0&nick=alice", ircd.port);
    let (st, conn) = a.post("/api/connections", json!({"url": url})).await;
    assert_eq!(st, 200, "{conn}");
    let cid = conn["connection_id"].as_str().expect("id").to_string();
    let mut events = a.events().await;
    events
        .wait(|v| v["type"] == "join" && v["nick"] == "alice")
        .await;

    let port = ircd.port;
    let bot = tokio::task::spawn_blocking(move || {
        let mut c = Client::connect(port, "bob");
        c.send("JOIN #pg");
        c.wait_for(|l| l.contains(" 366 "));
        for i in 0..50 {
            c.send(&format!("PRIVMSG #pg :line {i} about élan and pull/42"));
        }
        c.send("PRIVMSG #pg :alice: the last word");
        c
    });
    events
        .wait(|v| v["event"] == "message" && v["message"] == "alice: the last word")
        .await;
    let _bot = bot.await.expect("bot");

    let history = format!("/api/connection/{cid}/conversation/%23pg/messages");
    let (st, page) = a.get(&format!("{history}?limit=100")).await;
    assert_eq!(st, 200, "{page}");
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == "bob")
        .filter_map(|m| m["message"].as_str())
        .filter(|t| t.starts_with("line ") || t.starts_with("alice:"))
        .collect();
    assert_eq!(texts.len(), 51, "{texts:?}");
    assert_eq!(texts[0], "line 0 about élan and pull/42");
    assert_eq!(texts[50], "alice: the last word");

    // Search: accents folded, a path split into words, from: and in: filters.
    let mut found = 0;
    for _ in 0..100 {
        let (_, r) = a.get("/api/search?match=elan%20from:bob%20in:%23pg").await;
        found = r["messages"].as_array().map_or(0, Vec::len);
        if found == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found, 50, "indexed within a few seconds");
    let (_, r) = a.get("/api/search?match=%22pull%2F42%22").await;
    assert_eq!(r["messages"].as_array().map_or(0, Vec::len), 50);
    let (_, r) = a.get("/api/notifications").await;
    assert!(
        r["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["message"] == "alice: the last word")),
        "the highlight is a notification: {r}"
    );
    // Another user sees none of it.
    let b = Browser::register(&d, "bob@example.com").await;
    let (st, _) = b.get(&format!("{history}?limit=100")).await;
    assert_eq!(st, 404);
    let (_, r) = b.get("/api/search?match=elan").await;
    assert_eq!(r["messages"].as_array().map_or(0, Vec::len), 0);
    d.stop().await;

    // A new home (nothing on disk) on the same database: the account, its connection and
    // its history are there.
    let d2 = Daemon::start_env_listening(&env).await;
    let a2 = common::browser::Browser::login(&d2, "alice@example.com").await;
    let (st, page) = a2.get(&format!("{history}?limit=100")).await;
    assert_eq!(st, 200, "{page}");
    assert_eq!(
        page["messages"]
            .as_array()
            .map_or(0, |m| m.iter().filter(|m| m["from"] == "bob").count()),
        52,
        "51 lines and the join"
    );
    d2.stop().await;

    // The command line finds the same accounts through CONVOS_DATABASE.
    let home = tempfile::tempdir().expect("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
        .args(["user", "list"])
        .env("CONVOS_HOME", home.path().join("data"))
        .env("CONVOS_DATABASE", &db)
        .output()
        .expect("convos user list");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        listed.contains("alice@example.com") && listed.contains("bob@example.com"),
        "{listed}"
    );
}

#[tokio::test]
async fn a_bad_database_setting_is_a_clear_error_at_start() {
    for (value, want) in [
        ("/var/lib/convos.db", "must be a postgres:// URL"),
        (
            "postgres://nobody:wrong@127.0.0.1:1/none?connect_timeout=2",
            "cannot connect",
        ),
    ] {
        let home = tempfile::tempdir().expect("home");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
            .args(["daemon", "--listen", "http://127.0.0.1:0"])
            .env("CONVOS_HOME", home.path().join("data"))
            .env("CONVOS_DATABASE", value)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{value}: started");
        assert!(err.contains(want), "{value}: {err}");
        assert!(!err.contains("wrong"), "the password is not printed: {err}");
    }
}

#[tokio::test]
async fn migrate_store_copies_a_sqlite_home_and_resumes() {
    use convos::model::{Kind, NewEntry, UserId};
    let Some(db) = database("copy") else { return };
    // A SQLite home with an account made through the daemon (a real password hash), a
    // connection, and history written by the store itself.
    let d = Daemon::start(&[]).await;
    let a = Browser::register(&d, "alice@example.com").await;
    let (st, conn) = a
        .post(
            "/api/connections",
            json!({"url": "irc://127.0.0.1:1/%23old?tls=0&nick=alice", "wanted_state": "disconnected"}),
        )
        .await;
    assert_eq!(st, 200, "{conn}");
    let cid = conn["connection_id"].as_str().expect("id").to_string();
    let home = d.stop_keep_home().await;
    let data = home.path().join("data");
    {
        let store = convos::store::Store::open(&data, Default::default()).expect("sqlite");
        let lines: Vec<NewEntry> = (0..6_000)
            .map(|i| NewEntry {
                user_id: UserId(1),
                connection_id: cid.clone(),
                conversation_id: "#old".into(),
                time: 1_700_000_000_000 + i,
                kind: Kind::Privmsg,
                from: "bob".into(),
                source: None,
                text: format!("old line {i} naïve"),
                msgid: None,
                account: None,
                reply_to: None,
                highlight: i == 5_999,
                backfill: true,
            })
            .collect();
        store.append_many(lines).await.expect("append");
    }
    let migrate = |to: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
            .args(["migrate-store", "--to", to])
            .env("CONVOS_HOME", &data)
            .output()
            .expect("migrate-store")
    };
    let out = migrate(&db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("copied 6000 messages"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Again: nothing twice.
    let out = migrate(&db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("copied 6000 messages"));

    // The daemon on PostgreSQL, with an empty home: alice signs in with her password,
    // finds her history and its highlight, searches it; a new account gets a new id.
    let env = [
        ("CONVOS_DATABASE", db.as_str()),
        ("CONVOS_OPEN_TO_PUBLIC", "1"),
    ];
    let d = Daemon::start_env_listening(&env).await;
    let a = Browser::login(&d, "alice@example.com").await;
    let (st, page) = a
        .get(&format!(
            "/api/connection/{cid}/conversation/%23old/messages?limit=5"
        ))
        .await;
    assert_eq!(st, 200, "{page}");
    let last = page["messages"].as_array().and_then(|m| m.last()).cloned();
    assert_eq!(
        last.map(|m| m["message"].clone()),
        Some(json!("old line 5999 naïve"))
    );
    let (_, r) = a.get("/api/search?match=naive%20%22line%205998%22").await;
    assert_eq!(r["messages"].as_array().map_or(0, Vec::len), 1, "{r}");
    let (_, r) = a.get("/api/notifications").await;
    assert_eq!(r["messages"].as_array().map_or(0, Vec::len), 1, "{r}");
    let b = Browser::register(&d, "bob@example.com").await;
    let (_, me) = b.get("/api/user").await;
    assert_ne!(me["uid"], json!(1), "{me}");
    d.stop().await;

    // A database that holds someone else's store is refused.
    let other = database("other").expect("db");
    let d = Daemon::start_env_listening(&[("CONVOS_DATABASE", other.as_str())]).await;
    Browser::register(&d, "carol@example.com").await;
    d.stop().await;
    let out = migrate(&other);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn an_import_dry_run_reads_the_database_and_writes_nothing() {
    let Some(db) = database("dryrun") else {
        return;
    };
    let src = tempfile::tempdir().expect("src");
    let _ = common::legacy::thelounge(src.path());
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_convos"))
            .arg("import")
            .args(args)
            .env("CONVOS_HOME", home.path().join("data"))
            .env("CONVOS_DATABASE", &db)
            .output()
            .expect("convos import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let path = src.path().to_str().expect("utf-8 path");
    // Nothing in the database yet: every account would be new.
    let dry = run(&["thelounge", path, "--dry-run"]);
    assert!(
        dry.contains("erin@localhost: new (would be created)"),
        "{dry}"
    );
    run(&["thelounge", path]);
    // Now the dry run reads PostgreSQL (not an absent convos.db): nothing left to import.
    let dry = run(&["thelounge", path, "--dry-run"]);
    assert!(!dry.contains("would be created"), "{dry}");
    assert!(dry.contains("messages: 0 to import"), "{dry}");
    assert!(!home.path().join("data/convos.db").exists());
    // An old Convos home into the same database.
    let old = tempfile::tempdir().expect("convos home");
    let exp = common::legacy::convos_408(old.path());
    let path = old.path().to_str().expect("utf-8 path");
    let out = run(&["convos", path]);
    assert!(
        out.contains(&format!("messages: {} imported", exp.total())),
        "{out}"
    );
}
