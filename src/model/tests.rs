//! Tests of the shared plain data: STS policies, redacting `Debug`, kind codes, conversation kinds.

use super::*;

#[test]
fn sts_policy_applies_to_its_host_until_it_expires() {
    let sts = Sts {
        host: "irc.example".into(),
        port: 6697,
        until: 1000,
    };
    let mut c =
        crate::irc::Config::parse("irc://IRC.example:6667?tls=0&tls_verify=0", "me").expect("url");
    assert!(!sts.apply(&mut c.clone(), 1000), "expired");
    assert!(sts.apply(&mut c, 999));
    assert_eq!((c.tls, c.tls_verify, c.port), (true, true, 6697));
    assert!(!sts.apply(&mut c, 999), "already obeyed");
    let mut other = crate::irc::Config::parse("irc://other.example:6667?tls=0", "me").expect("url");
    assert!(!sts.apply(&mut other, 0));
    assert!(!other.tls);
}

#[test]
fn connection_debug_hides_the_client_key() {
    let c = Connection {
        user_id: UserId(1),
        id: "irc-x".into(),
        url: Secret::new("irc://x"),
        nick: "n".into(),
        on_connect_commands: vec![],
        wanted_state: WantedState::Connected,
        retention_days: 0,
        client_cert: Some(ClientCert {
            cert: "C".into(),
            key: Secret::new("PRIVATE KEY"),
        }),
        ignore: vec![],
        sts: None,
        name: None,
        state: serde_json::json!({"other": "x"}),
    };
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("PRIVATE KEY") && shown.contains("client_cert"),
        "{shown}"
    );
}

#[test]
fn kind_codes_round_trip() {
    for k in Kind::ALL {
        assert_eq!(Kind::from_code(k.code()), Some(k));
    }
    assert_eq!(Kind::from_code(99), None);
    assert!(Kind::Action.counts_as_unread());
    assert!(!Kind::Join.counts_as_unread());
}

#[test]
fn secret_debug_redacts() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "Secret(***)");
    assert_eq!(s.expose(), "hunter2");
    assert_eq!(
        serde_json::to_string(&s).ok().as_deref(),
        Some("\"hunter2\"")
    );
}

#[test]
fn conversation_kind_guess() {
    let c = |id| Conversation::new(UserId(1), "irc-x", id, id).kind;
    assert_eq!(c(""), ConversationKind::Server);
    assert_eq!(c("#convos"), ConversationKind::Channel);
    assert_eq!(c("batman"), ConversationKind::Private);
}
