//! Users, sessions and login tokens, server settings.

use super::*;

#[tokio::test]
async fn users_crud() {
    let (_dir, store, user) = setup().await;
    let err = store
        .create_user("SUPERMAN@example.com", Secret::new("x"), false)
        .await
        .expect_err("duplicate email");
    assert!(matches!(err, Error::Conflict("user")));
    let u = store
        .user_by_email("Superman@Example.com")
        .await
        .expect("get")
        .expect("some");
    assert_eq!(u.id, user);
    assert!(
        !format!("{u:?}").contains("argon2"),
        "hash must not be in Debug"
    );
    store.set_admin(user, true).await.expect("admin");
    store
        .set_password_hash(user, Secret::new("$argon2id$new"))
        .await
        .expect("password");
    store
        .set_highlight_keywords(user, vec!["kryptonite".into()])
        .await
        .expect("keywords");
    store
        .set_user_settings(user, json!({"theme": "dark"}))
        .await
        .expect("settings");
    let u = store.user(user).await.expect("get").expect("some");
    assert!(u.admin);
    assert_eq!(u.password_hash.expose(), "$argon2id$new");
    assert_eq!(u.highlight_keywords, vec!["kryptonite".to_string()]);
    assert_eq!(u.settings, json!({"theme": "dark"}));
    let other = add_user(&store, "batman@example.com").await;
    assert_eq!(store.users().await.expect("list").len(), 2);
    assert!(matches!(
        store.set_admin(UserId(999), true).await,
        Err(Error::NotFound("user"))
    ));

    append_n(&store, user, "#convos", 5).await;
    append_n(&store, other, "#convos", 2).await;
    store
        .create_session("h1", user, i64::MAX, &Default::default())
        .await
        .expect("session");
    assert!(store.delete_user(user).await.expect("delete"));
    assert!(!store.delete_user(user).await.expect("delete again"));
    assert!(store.user(user).await.expect("get").is_none());
    assert!(store.session_user("h1").await.expect("session").is_none());
    assert!(store.connections(user).await.expect("conns").is_empty());
    assert!(store.conversations(user).await.expect("convs").is_empty());
    let left = store
        .messages_after_id(other, MessageId(0), 100)
        .await
        .expect("other");
    assert_eq!(left.len(), 2, "other users keep their messages");
    store.index_pending().await.expect("index");
    let hits = store
        .search(other, SearchQuery::parse("message"))
        .await
        .expect("search");
    assert_eq!(hits.messages.len(), 2);
}

#[tokio::test]
async fn sessions_and_tokens() {
    let (_dir, store, user) = setup().await;
    let now = now_ms();
    store
        .create_session("live", user, now + 60_000, &Default::default())
        .await
        .expect("s");
    store
        .create_session("old", user, now - 1, &Default::default())
        .await
        .expect("s");
    store
        .create_session("other", user, now + 60_000, &Default::default())
        .await
        .expect("s");
    assert_eq!(store.session_user("live").await.expect("get"), Some(user));
    assert_eq!(store.session_user("old").await.expect("get"), None);
    assert_eq!(store.session_user("nope").await.expect("get"), None);
    let (u, _) = store
        .session_with_user("live")
        .await
        .expect("get")
        .expect("live session");
    assert_eq!(Some(u), store.user(user).await.expect("user"));
    assert!(store.session_with_user("old").await.expect("get").is_none());
    assert!(store
        .session_with_user("nope")
        .await
        .expect("get")
        .is_none());
    assert!(store.delete_session("live").await.expect("del"));
    assert_eq!(store.session_user("live").await.expect("get"), None);
    assert!(matches!(
        store
            .create_session("x", UserId(999), now + 1, &Default::default())
            .await,
        Err(Error::NotFound("user"))
    ));
    assert_eq!(store.purge_expired().await.expect("purge"), 1);

    // listed with their device, named by a hash prefix, ended one by one
    let device = crate::store::SessionDevice {
        user_agent: "Firefox".into(),
        address: "192.0.2.1".into(),
    };
    let phone = "a".repeat(64);
    store
        .create_session(&phone, user, now + 60_000, &device)
        .await
        .expect("s");
    let list = store.sessions_of(user).await.expect("list");
    assert_eq!(list.len(), 2);
    let mine = list.iter().find(|s| s.token_hash == phone).expect("listed");
    assert_eq!(mine.device, device);
    assert!(mine.last_seen >= now);
    assert!(store
        .sessions_of(UserId(999))
        .await
        .expect("none")
        .is_empty());
    let id = &phone[..crate::store::SESSION_ID_LEN];
    // not by another user, not by a malformed id, not by a short prefix
    assert_eq!(
        store.delete_session_of(UserId(999), id).await.expect("x"),
        None
    );
    assert_eq!(
        store.delete_session_of(user, "aaaa").await.expect("x"),
        None
    );
    assert_eq!(
        store
            .delete_session_of(user, "%%%%%%%%%%%%%%%%")
            .await
            .expect("x"),
        None
    );
    assert_eq!(
        store.delete_session_of(user, id).await.expect("end"),
        Some(phone.clone())
    );
    assert_eq!(store.session_user(&phone).await.expect("get"), None);
    assert_eq!(store.delete_sessions_of(user).await.expect("all"), 1);

    store
        .create_token(TokenPurpose::Invite, "t1", "new@example.com", now + 60_000)
        .await
        .expect("token");
    store
        .create_token(
            TokenPurpose::PasswordReset,
            "t2",
            "old@example.com",
            now - 1,
        )
        .await
        .expect("token");
    assert_eq!(
        store
            .consume_token(TokenPurpose::PasswordReset, "t1")
            .await
            .expect("wrong purpose"),
        None
    );
    let (a, b) = tokio::join!(
        store.consume_token(TokenPurpose::Invite, "t1"),
        store.consume_token(TokenPurpose::Invite, "t1")
    );
    let winners: Vec<_> = [a.expect("a"), b.expect("b")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(winners, vec!["new@example.com".to_string()]);
    assert_eq!(
        store
            .consume_token(TokenPurpose::PasswordReset, "t2")
            .await
            .expect("expired"),
        None
    );
}

#[tokio::test]
async fn server_settings() {
    let (_dir, store, _user) = setup().await;
    assert_eq!(store.setting("open_to_public").await.expect("get"), None);
    store
        .set_setting("open_to_public", json!(true))
        .await
        .expect("set");
    store
        .set_setting("organization", json!({"name": "Convos"}))
        .await
        .expect("set");
    assert_eq!(
        store.setting("open_to_public").await.expect("get"),
        Some(json!(true))
    );
    store
        .set_setting("open_to_public", serde_json::Value::Null)
        .await
        .expect("del");
    assert_eq!(store.setting("open_to_public").await.expect("get"), None);
}
