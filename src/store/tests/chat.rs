//! Connections and conversations: their rows, per-connection retention, client certificates.

use super::*;

#[tokio::test]
async fn connections_and_conversations() {
    let (_dir, store, user) = setup().await;
    let c = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(c.url.expose(), "irc://nick:hunter2@irc.example:6697?tls=1");
    assert!(!format!("{c:?}").contains("hunter2"), "secrets in Debug");
    store
        .save_connection(Connection {
            nick: "clark".into(),
            wanted_state: WantedState::Disconnected,
            retention_days: 0,
            client_cert: None,
            ignore: Vec::new(),
            sts: None,
            name: None,
            state: json!({"state": "queued"}),
            ..c.clone()
        })
        .await
        .expect("update");
    let c2 = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(c2.nick, "clark");
    assert_eq!(c2.wanted_state, WantedState::Disconnected);
    assert_eq!(c2.state, json!({"state": "queued"}));
    assert_eq!(store.connections(user).await.expect("list").len(), 2);

    let mut conv = Conversation::new(user, "irc-libera", "#convos", "#Convos");
    conv.key = Some(Secret::new("sekrit"));
    conv.topic = "Convos rocks".into();
    let saved = store.save_conversation(conv.clone()).await.expect("save");
    assert_eq!(saved.name, "#Convos");
    assert_eq!(saved.kind, ConversationKind::Channel);
    let mut server = Conversation::new(user, "irc-libera", "", "irc.libera.chat");
    server.frozen = Some("Not connected".into());
    store.save_conversation(server).await.expect("server conv");
    append_n(&store, user, "#convos", 3).await;
    conv.frozen = Some("Banned".into());
    conv.wanted = false;
    let updated = store.save_conversation(conv).await.expect("update");
    assert_eq!(updated.frozen.as_deref(), Some("Banned"));
    assert!(!updated.wanted);
    assert_eq!(updated.unread, 3, "read state survives an update");
    let all = store.conversations(user).await.expect("list");
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec!["", "#convos"]
    );

    assert!(matches!(
        store
            .save_conversation(Conversation::new(user, "irc-nope", "#x", "#x"))
            .await,
        Err(Error::NotFound("connection"))
    ));
    let err = store
        .append(NewEntry {
            connection_id: "irc-nope".into(),
            ..msg(user, "#x", "lost?")
        })
        .await
        .expect_err("no connection");
    assert!(matches!(err, Error::NotFound("connection")));

    assert!(store
        .delete_conversation(user, "irc-libera", "#convos")
        .await
        .expect("delete"));
    assert!(store
        .conversation(user, "irc-libera", "#convos")
        .await
        .expect("get")
        .is_none());
    // Appending again recreates it, with a fresh history.
    append_n(&store, user, "#convos", 1).await;
    let page = store
        .history(user, "irc-libera", "#convos", Page::latest())
        .await
        .expect("history");
    assert_eq!(page.messages.len(), 1);

    assert!(store
        .delete_connection(user, "irc-libera")
        .await
        .expect("delete"));
    assert!(store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .is_none());
    assert!(store
        .messages_after_id(user, MessageId(0), 100)
        .await
        .expect("after")
        .is_empty());
}

#[tokio::test]
async fn retention_setting_per_connection() {
    let (_dir, store, user) = setup().await;
    let day = 86_400_000;
    // Ten messages a day apart on each connection; only irc-libera keeps 3 days.
    let entries = (0..10)
        .flat_map(|i| {
            ["irc-libera", "irc-oftc"].map(|c| NewEntry {
                connection_id: c.into(),
                time: 1_700_000_000_000 + i * day,
                ..msg(user, "#convos", &format!("day {i}"))
            })
        })
        .collect();
    store.append_many(entries).await.expect("append");
    let mut libera = store
        .connection(user, "irc-libera")
        .await
        .expect("get")
        .expect("some");
    libera.retention_days = 3;
    store.save_connection(libera).await.expect("save");
    assert_eq!(
        store
            .connection(user, "irc-libera")
            .await
            .expect("get")
            .expect("some")
            .retention_days,
        3
    );
    // "Now" is half a day after the last message: days 7, 8 and 9 are younger than 3 days.
    let now = 1_700_000_000_000 + 9 * day + day / 2;
    assert_eq!(store.apply_retention(now).await.expect("sweep"), 7);
    assert_eq!(store.apply_retention(now).await.expect("again"), 0);
    for (conn, want) in [("irc-libera", 3), ("irc-oftc", 10)] {
        let page = store
            .history(user, conn, "#convos", Page::latest())
            .await
            .expect("history");
        assert_eq!(page.messages.len(), want, "{conn}");
    }
}

#[tokio::test]
async fn client_certificates_are_stored_apart_from_state() {
    let (dir, store, user) = setup().await;
    let mut c = store
        .connections(user)
        .await
        .expect("connections")
        .remove(0);
    c.client_cert = Some(ClientCert {
        cert: "CERT".into(),
        key: Secret::new("KEY"),
    });
    c.state = json!({"other": 1});
    c.ignore = vec!["troll!*@*".into()];
    c.sts = Some(crate::model::Sts {
        host: "irc.example".into(),
        port: 6697,
        until: 1_900_000_000_000,
    });
    store.save_connection(c.clone()).await.expect("save");
    drop(store);
    let store = open_in(dir.path(), opts()).expect("reopen");
    let back = store
        .connections(user)
        .await
        .expect("connections")
        .into_iter()
        .find(|b| b.id == c.id)
        .expect("connection");
    assert_eq!(back.client_cert, c.client_cert);
    assert_eq!((&back.ignore, &back.sts), (&c.ignore, &c.sts));
    assert_eq!(
        back.state,
        json!({"other": 1}),
        "no secret in the state value"
    );
    // The column keeps the format older versions wrote.
    if on_postgres() {
        return;
    }
    let raw: String = rusqlite::Connection::open(dir.path().join(FILE_NAME))
        .expect("raw")
        .query_row(
            "SELECT state FROM connections WHERE id = ?1",
            [&c.id],
            |r| r.get(0),
        )
        .expect("state column");
    let raw: serde_json::Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(raw["client_cert"]["key"], "KEY");
}
