use super::*;
use crate::model::WantedState;
use serde::Serialize;

/// Every type the frontend uses, in the order they are written to `wire.ts`.
fn declarations() -> Vec<String> {
    use ts_rs::{Config, TS};
    let cfg = Config::new().with_large_int("number");
    vec![
        MessageType::decl(&cfg),
        Message::decl(&cfg),
        ConnectionState::decl(&cfg),
        WantedState::decl(&cfg),
        crate::model::AutoAway::decl(&cfg),
        crate::model::Prefs::decl(&cfg),
        crate::model::Membership::decl(&cfg),
        crate::model::Clock::decl(&cfg),
        crate::model::Density::decl(&cfg),
        crate::model::PreviewMode::decl(&cfg),
        Connection::decl(&cfg),
        Me::decl(&cfg),
        Certificate::decl(&cfg),
        Conversation::decl(&cfg),
        Participant::decl(&cfg),
        Presence::decl(&cfg),
        Whois::decl(&cfg),
        Event::decl(&cfg),
        State::decl(&cfg),
        Rtc::decl(&cfg),
        RtcKind::decl(&cfg),
        Signal::decl(&cfg),
        Stamped::decl(&cfg),
        ClientFrame::decl(&cfg),
        ClientRequest::decl(&cfg),
        RtcRequest::decl(&cfg),
        RtcAction::decl(&cfg),
        Reply::decl(&cfg),
        ReplyBody::decl(&cfg),
        Sent::decl(&cfg),
        Typing::decl(&cfg),
        Errors::decl(&cfg),
        ErrorItem::decl(&cfg),
        Reload::decl(&cfg),
        ReloadTag::decl(&cfg),
        ServerFrame::decl(&cfg),
        User::decl(&cfg),
        RtcConfig::decl(&cfg),
        IceServer::decl(&cfg),
        ConnectionList::decl(&cfg),
        ConversationList::decl(&cfg),
        ParticipantList::decl(&cfg),
        MessagePage::decl(&cfg),
        Empty::decl(&cfg),
        UserList::decl(&cfg),
        Invite::decl(&cfg),
        PublicSettings::decl(&cfg),
        crate::account::Settings::decl(&cfg),
        AdminSettings::decl(&cfg),
        PendingImport::decl(&cfg),
        Command::decl(&cfg),
        ChannelInfo::decl(&cfg),
        ChannelPage::decl(&cfg),
        Server::decl(&cfg),
        ServerInput::decl(&cfg),
        ConnectionRequest::decl(&cfg),
        CommandList::decl(&cfg),
        File::decl(&cfg),
        FileList::decl(&cfg),
        LinkPreview::decl(&cfg),
        crate::model::TokenScope::decl(&cfg),
        ApiToken::decl(&cfg),
        ApiTokenList::decl(&cfg),
        SessionView::decl(&cfg),
        SessionList::decl(&cfg),
        ApiTokenRequest::decl(&cfg),
        ApiTokenCreated::decl(&cfg),
        SendRequest::decl(&cfg),
        OidcProvider::decl(&cfg),
        crate::model::SignInMethod::decl(&cfg),
        SignIn::decl(&cfg),
        AdminUser::decl(&cfg),
        LoggedOut::decl(&cfg),
        PushDevice::decl(&cfg),
        PushSettings::decl(&cfg),
        PushKeys::decl(&cfg),
        PushSubscribe::decl(&cfg),
        PushKind::decl(&cfg),
        Push::decl(&cfg),
        crate::notify::Level::decl(&cfg),
        crate::notify::Notify::decl(&cfg),
        crate::notify::QuietHours::decl(&cfg),
    ]
}

fn typescript() -> String {
    let mut out = String::from(
        "// Generated from src/wire.rs by `UPDATE_WIRE=1 cargo test --lib wire`: do not edit.\n\
         // The JSON the server sends and accepts (docs/api.md).\n",
    );
    for decl in declarations() {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

/// The command list as a TypeScript constant: completion needs it before any request.
fn commands_module() -> String {
    let list = serde_json::to_string_pretty(&CommandList::all().commands).expect("json");
    format!(
        "// Generated from src/input.rs by `UPDATE_WIRE=1 cargo test --lib wire`: do not edit.\n\
         import type {{ Command }} from './wire';\n\n\
         /** The slash commands the server understands (also `GET /api/commands`). */\n\
         export const COMMANDS: readonly Command[] = {list};\n"
    )
}

/// Compares a generated frontend file with what is committed (rewrites it with UPDATE_WIRE).
fn check_generated(file: &str, want: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    if std::env::var_os("UPDATE_WIRE").is_some() {
        std::fs::write(&path, want).expect("write generated file");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{file} is stale: run `UPDATE_WIRE=1 cargo test --lib wire` and commit it"
    );
}

#[test]
fn typescript_types_are_fresh() {
    check_generated("frontend/src/lib/wire.ts", &typescript());
}

#[test]
fn command_list_is_fresh() {
    check_generated("frontend/src/lib/commands.ts", &commands_module());
}

fn json(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).expect("serializes")
}

#[test]
fn events_have_the_documented_shape() {
    let join = Event::State(State::Join {
        connection_id: "irc-libera".into(),
        conversation_id: "#convos".into(),
        nick: "bob".into(),
    });
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&join.frame(21)).expect("json"),
        serde_json::json!({"seq": 21, "event": "state", "type": "join",
            "connection_id": "irc-libera", "conversation_id": "#convos", "nick": "bob"})
    );
    let cleared = Event::State(State::Cleared {
        connection_id: "c".into(),
        conversation_id: "#a".into(),
    });
    assert_eq!(
        json(&cleared),
        serde_json::json!({"event": "state", "type": "cleared", "connection_id": "c", "conversation_id": "#a"})
    );
    let ice = Event::Rtc(Rtc {
        connection_id: "c".into(),
        conversation_id: "#a".into(),
        from: "bob".into(),
        ts: "t".into(),
        kind: RtcKind::Signal(Signal::Ice {
            ice: "candidate:1".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        }),
    });
    assert_eq!(
        json(&ice),
        serde_json::json!({"event": "rtc", "type": "signal", "connection_id": "c", "conversation_id": "#a",
            "from": "bob", "ts": "t", "ice": "candidate:1", "sdpMid": "0", "sdpMLineIndex": 0})
    );
    let call = Event::Rtc(Rtc {
        connection_id: "c".into(),
        conversation_id: "#a".into(),
        from: "bob".into(),
        ts: "t".into(),
        kind: RtcKind::Call,
    });
    assert_eq!(json(&call)["type"], "call");
    let msg = Message {
        id: 7,
        connection_id: "c".into(),
        conversation_id: "".into(),
        ts: "t".into(),
        kind: MessageType::Private,
        from: "bob".into(),
        message: "hi".into(),
        highlight: false,
        own: true,
        read: None,
        msgid: None,
        reply_to: Some("m1".into()),
    };
    let v = json(&Event::Notification(msg));
    assert!(v.get("msgid").is_none(), "absent, not null");
    assert_eq!(v["reply_to"], "m1");
    assert_eq!(v["event"], "notification");
    assert_eq!(v["type"], "private");
    assert_eq!(v["self"], true);
    assert!(v.get("read").is_none());
}

#[test]
fn browser_frames_parse() {
    let f: ClientFrame = serde_json::from_str(
        r##"{"id": 2, "method": "send", "connection_id": "c", "conversation_id": "#a", "message": "hi"}"##,
    )
    .expect("send");
    assert_eq!(f.id, Some(2));
    assert!(matches!(f.request, ClientRequest::Send { ref message, .. } if message == "hi"));
    let f: ClientFrame =
        serde_json::from_str(r#"{"method": "load", "what": "user"}"#).expect("load");
    assert_eq!((f.id, f.request), (None, ClientRequest::Load));
    let f: ClientFrame = serde_json::from_str(
        r##"{"method": "typing", "connection_id": "c", "conversation_id": "#a", "state": "active"}"##,
    )
    .expect("typing");
    assert_eq!(
        f.request,
        ClientRequest::Typing {
            connection_id: "c".into(),
            conversation_id: "#a".into(),
            state: Typing::Active
        }
    );
    serde_json::from_str::<ClientFrame>(
        r##"{"method": "typing", "connection_id": "c", "conversation_id": "#a", "state": "x"}"##,
    )
    .expect_err("unknown typing state");
    let f: ClientFrame = serde_json::from_str(
        r##"{"id": 3, "method": "rtc", "event": "signal", "connection_id": "c", "conversation_id": "#a",
            "target": "bob", "ice": "candidate:1", "sdpMid": "0", "sdpMLineIndex": 1}"##,
    )
    .expect("rtc");
    let ClientRequest::Rtc(r) = f.request else {
        panic!("not rtc")
    };
    assert_eq!(
        r.action,
        RtcAction::Signal {
            target: "bob".into(),
            signal: Signal::Ice {
                ice: "candidate:1".into(),
                sdp_mid: Some("0".into()),
                sdp_mline_index: Some(1)
            }
        }
    );
    let f: ClientFrame = serde_json::from_str(
        r##"{"method": "rtc", "event": "signal", "connection_id": "c", "conversation_id": "#a", "target": "bob", "offer": "v=0"}"##,
    )
    .expect("offer");
    assert!(matches!(
        f.request,
        ClientRequest::Rtc(RtcRequest {
            action: RtcAction::Signal {
                signal: Signal::Offer { .. },
                ..
            },
            ..
        })
    ));
    for bad in [
        r#"{"method": "nope"}"#,
        r#"{"method": "send", "connection_id": "c"}"#,
        r##"{"method": "rtc", "event": "signal", "connection_id": "c", "conversation_id": "#a", "target": "b"}"##,
        r#"{"id": "x", "method": "ping"}"#,
        r#"[]"#,
    ] {
        assert!(serde_json::from_str::<ClientFrame>(bad).is_err(), "{bad}");
    }
}

#[test]
fn frames_carry_the_seq_and_the_event() {
    let e = Event::State(State::Typing {
        connection_id: "c".into(),
        conversation_id: "#a".into(),
        nick: "bob".into(),
        state: Typing::Active,
    });
    let v: serde_json::Value = serde_json::from_str(&e.frame(42)).expect("frame");
    assert_eq!(
        v,
        serde_json::json!({"seq": 42, "event": "state", "type": "typing", "connection_id": "c",
            "conversation_id": "#a", "nick": "bob", "state": "active"})
    );
}
